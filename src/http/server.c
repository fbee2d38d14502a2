#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/strutil.h"

/* Plain and TLS listen addresses together. */
#define HTTP_MAX_DAEMONS (2 * CONFIG_MAX_LISTEN)
/* Daemons replaced by certificate reloads that may still be finishing
 * their connections; a reload beyond this stops the oldest at once. */
#define HTTP_MAX_RETIRED 32
/* A replaced daemon is stopped when its last connection ends, or this
 * many seconds after connection_timeout even when a client keeps its
 * connection busy. */
#define HTTP_RETIRE_GRACE 300

struct retired_daemon {
	struct MHD_Daemon *d;
	int fd;                       /* its listen fd (a dup), closed after the stop */
	struct timespec deadline;     /* CLOCK_MONOTONIC */
};

struct http_server {
	struct MHD_Daemon *daemons[HTTP_MAX_DAEMONS];
	/* The listening sockets, owned here. Each daemon gets its own dup of
	 * one, so that a daemon can be stopped (which closes its fd) while a
	 * successor keeps accepting on the same socket: nothing waiting in
	 * the accept queue is lost across a certificate reload. */
	int sockets[HTTP_MAX_DAEMONS];
	int daemon_fds[HTTP_MAX_DAEMONS];
	bool tls[HTTP_MAX_DAEMONS];
	size_t n_daemons;
	const nsupd_config *cfg;
	const http_route *routes;
	size_t n_routes;
	const http_route *fallback;   /* the "*" route, or NULL */
	void *app;

	/* Replaced TLS daemons, stopped by the reaper thread once idle. */
	pthread_mutex_t retired_lock;
	pthread_cond_t retired_cond;
	struct retired_daemon retired[HTTP_MAX_RETIRED];
	size_t n_retired;
	bool reaper_running;
	bool reaper_stop;
	pthread_t reaper;

	atomic_uint n_deferred;       /* requests waiting (http_defer) */
};

/* Each worker thread keeps one arena and resets it after every request, so
 * the hot path does not go back to malloc for every string. */
static pthread_key_t arena_key;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;

static void arena_destroy(void *p)
{
	arena_free(p);
}

static void arena_key_init(void)
{
	pthread_key_create(&arena_key, arena_destroy);
}

static arena *thread_arena(void)
{
	pthread_once(&arena_once, arena_key_init);
	arena *a = pthread_getspecific(arena_key);
	if (a == NULL) {
		a = arena_new(16384);
		if (a != NULL)
			pthread_setspecific(arena_key, a);
	}
	return a;
}

struct lookup {
	const char *name;
	const char *value;
};

/* A parameter value with an encoded NUL (%00) cannot be passed on as a C
 * string without silently losing its tail ("192.0.2.1%00junk" would read
 * as a clean address), so it is replaced by a value no validator accepts. */
static const char poisoned_value[] = "\x7f";

static enum MHD_Result last_value_cb(void *cls, enum MHD_ValueKind kind, const char *key,
				     size_t key_size, const char *value, size_t value_size)
{
	struct lookup *l = cls;
	if (key == NULL || key_size != strlen(key) || strcmp(key, l->name) != 0)
		return MHD_YES;
	if (value == NULL)
		l->value = "";
	else if (value_size != strlen(value))
		l->value = poisoned_value;
	else
		l->value = value;
	return MHD_YES;
}

const char *http_query(const http_request *req, const char *name)
{
	struct lookup l = { name, NULL };
	MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, last_value_cb, &l);
	return l.value;
}

const char *http_header(const http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_cookie(const http_request *req, const char *name)
{
	struct lookup l = { name, NULL };
	MHD_get_connection_values_n(req->conn, MHD_COOKIE_KIND, last_value_cb, &l);
	return l.value;
}

const char *http_form(const http_request *req, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < req->n_form; i++)
		if (strcmp(req->form[i].name, name) == 0)
			v = req->form[i].value;
	return v;
}

struct qs_build {
	arena *a;
	char *buf;
	size_t len, cap;
	bool failed;
};

static void qs_append(struct qs_build *b, const char *s, bool encode)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s && !b->failed; s++) {
		unsigned char ch = (unsigned char)*s;
		bool plain = !encode || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
			     ch == '~' || ch == '/';
		size_t need = plain ? 1 : 3;
		if (b->len + need + 1 > b->cap) {
			size_t ncap = b->cap ? b->cap * 2 : 128;
			while (ncap < b->len + need + 1)
				ncap *= 2;
			char *n = arena_alloc(b->a, ncap);
			if (n == NULL) {
				b->failed = true;
				return;
			}
			if (b->len > 0)
				memcpy(n, b->buf, b->len);
			b->buf = n;
			b->cap = ncap;
		}
		if (plain) {
			b->buf[b->len++] = (char)ch;
		} else {
			b->buf[b->len++] = '%';
			b->buf[b->len++] = hex[ch >> 4];
			b->buf[b->len++] = hex[ch & 15];
		}
		b->buf[b->len] = '\0';
	}
}

static enum MHD_Result qs_cb(void *cls, enum MHD_ValueKind kind, const char *key,
			     const char *value)
{
	struct qs_build *b = cls;
	if (b->len > 0)
		qs_append(b, "&", false);
	qs_append(b, key, true);
	if (value != NULL) {
		qs_append(b, "=", false);
		qs_append(b, value, true);
	}
	return MHD_YES;
}

/* Rebuilt from the decoded parameters (MHD keeps no raw copy); only the
 * redirect paths need it, so the API never pays for it. */
const char *http_query_string(const http_request *req)
{
	struct qs_build b = { .a = req->arena };
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, qs_cb, &b);
	return b.failed || b.buf == NULL ? "" : b.buf;
}

void http_set_text(http_response *res, unsigned status, const char *body)
{
	res->status = status;
	res->content_type = "text/plain";
	res->body = body;
	res->body_len = body != NULL ? strlen(body) : 0;
}

void http_set_html(http_response *res, unsigned status, const char *body, size_t len)
{
	res->status = status;
	res->content_type = "text/html; charset=utf-8";
	res->body = body;
	res->body_len = body != NULL ? len : 0;
}

void http_add_header(http_response *res, const char *name, const char *value)
{
	if (name == NULL || value == NULL)
		return;
	if (res->n_headers >= HTTP_MAX_EXTRA_HEADERS) {
		log_error("http: too many response headers, dropping %s", name);
		return;
	}
	res->header_names[res->n_headers] = name;
	res->header_values[res->n_headers] = value;
	res->n_headers++;
}

const char *http_response_header(const http_response *res, const char *name)
{
	for (size_t i = 0; i < res->n_headers; i++)
		if (strcasecmp(res->header_names[i], name) == 0)
			return res->header_values[i];
	return NULL;
}

void http_redirect(http_response *res, unsigned status, const char *location)
{
	res->status = status;
	res->content_type = "text/plain";
	res->body = NULL;
	res->body_len = 0;
	http_add_header(res, "Location", location);
	http_add_header(res, "Cache-Control", "no-store");
}

void http_set_cookie(const http_request *req, http_response *res, const char *name,
		     const char *value, long max_age)
{
	bool secure = req->cfg != NULL && req->cfg->we_have_tls;
	char age[80] = "";
	if (max_age == 0)
		snprintf(age, sizeof(age), "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
	else if (max_age > 0)
		snprintf(age, sizeof(age), "; Max-Age=%ld", max_age);
	char *h = arena_printf(req->arena, "%s=%s; Path=/%s; HttpOnly; SameSite=Lax%s", name,
			       max_age == 0 ? "" : value, age, secure ? "; Secure" : "");
	if (h != NULL)
		http_add_header(res, "Set-Cookie", h);
}

bool http_urldecode(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (*r == '+') {
			*w++ = ' ';
		} else if (*r == '%') {
			int hi = str_hex_digit(r[1]);
			int lo = hi >= 0 ? str_hex_digit(r[2]) : -1;
			if (lo < 0)
				return false;
			char ch = (char)(hi * 16 + lo);
			if (ch == '\0')
				return false;
			*w++ = ch;
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return true;
}

bool http_parse_urlencoded(char *body, http_param *out, size_t max, size_t *n)
{
	*n = 0;
	char *save = NULL;
	for (char *pair = strtok_r(body, "&", &save); pair != NULL; pair = strtok_r(NULL, "&", &save)) {
		if (*pair == '\0')
			continue;
		if (*n >= max)
			return false;
		char *eq = strchr(pair, '=');
		char *value = "";
		if (eq != NULL) {
			*eq = '\0';
			value = eq + 1;
		}
		/* value may be the "" literal (no '='): never write to it. */
		if (!http_urldecode(pair) || (eq != NULL && !http_urldecode(value)))
			return false;
		out[*n].name = pair;
		out[*n].value = value;
		(*n)++;
	}
	return true;
}

#define NAME_PARAM_MAX 200

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

bool http_match_pattern(const char *pat, const char *path, int64_t *ints, const char **names,
			arena *a)
{
	size_t ni = 0, nn = 0;
	while (*pat != '\0') {
		if (pat[0] == '<' && strncmp(pat, "<int>", 5) == 0) {
			const char *start = path;
			int64_t v = 0;
			while (*path >= '0' && *path <= '9') {
				if (path - start >= 18)
					return false;
				v = v * 10 + (*path - '0');
				path++;
			}
			if (path == start || ni >= HTTP_MAX_PATH_PARAMS)
				return false;
			if (ints != NULL)
				ints[ni] = v;
			ni++;
			pat += 5;
			continue;
		}
		if (pat[0] == '<' && strncmp(pat, "<name>", 6) == 0) {
			const char *start = path;
			while (name_char(*path))
				path++;
			size_t len = (size_t)(path - start);
			if (len == 0 || len > NAME_PARAM_MAX || *start == '.' || nn >= HTTP_MAX_PATH_PARAMS)
				return false;
			if (names != NULL) {
				names[nn] = a != NULL ? arena_strndup(a, start, len) : NULL;
				if (names[nn] == NULL)
					return false;
			}
			nn++;
			pat += 6;
			continue;
		}
		if (*pat != *path)
			return false;
		pat++;
		path++;
	}
	return *path == '\0';
}

static bool sockaddr_to_ip(const struct sockaddr *sa, ip_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		out->family = 4;
		memcpy(out->bytes, &in->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		out->family = 6;
		memcpy(out->bytes, &in6->sin6_addr, 16);
		return true;
	}
	return false;
}

static bool is_trusted(const nsupd_config *cfg, const ip_addr *a)
{
	for (size_t i = 0; i < cfg->n_trusted_proxies; i++)
		if (ip_prefix_contains(&cfg->trusted_proxies[i], a))
			return true;
	return false;
}

/* The client behind a chain of trusted proxies is the right-most entry of
 * X-Forwarded-For that is not itself a trusted proxy. Entries left of it
 * were written by the client and prove nothing. */
static void apply_forwarded(const nsupd_config *cfg, http_request *req)
{
	if (cfg->n_trusted_proxies == 0 || !is_trusted(cfg, &req->client))
		return;
	const char *proto = http_header(req, "X-Forwarded-Proto");
	if (proto != NULL) {
		char buf[16];
		str_copy(buf, proto, sizeof(buf));
		char *p = str_trim(buf);
		if (strcasecmp(p, "https") == 0)
			req->tls = true;
	}
	const char *xff = http_header(req, "X-Forwarded-For");
	if (xff == NULL || strlen(xff) > 4096)
		return;
	char *list = arena_strdup(req->arena, xff);
	if (list == NULL)
		return;
	for (;;) {
		char *comma = strrchr(list, ',');
		char *item = str_trim(comma != NULL ? comma + 1 : list);
		ip_addr a;
		if (!ip_parse(item, &a))
			return;
		req->client = ip_unmap_v4(a);
		if (!is_trusted(cfg, &req->client) || comma == NULL)
			return;
		*comma = '\0';
	}
}

static bool is_pattern(const char *path)
{
	return strchr(path, '<') != NULL;
}

static bool route_matches(const http_route *r, const char *path, http_request *req)
{
	if (!is_pattern(r->path))
		return strcmp(r->path, path) == 0;
	return http_match_pattern(r->path, path, req != NULL ? req->ints : NULL,
				  req != NULL ? req->names : NULL, req != NULL ? req->arena : NULL);
}

static bool method_ok(const http_route *r, bool get_or_head, bool post)
{
	if (r->flags == 0)
		return true;
	return (get_or_head && (r->flags & HTTP_GET)) || (post && (r->flags & HTTP_POST));
}

/* The route for path and method. *allow collects the methods of routes
 * whose path matched but whose method did not (for a 405). */
static const http_route *find_route(const http_server *srv, const char *path, bool get_or_head,
				    bool post, http_request *req, unsigned *allow)
{
	*allow = 0;
	for (size_t i = 0; i < srv->n_routes; i++) {
		const http_route *r = &srv->routes[i];
		if (r == srv->fallback || !route_matches(r, path, req))
			continue;
		if (method_ok(r, get_or_head, post))
			return r;
		*allow |= r->flags | 0x100u;
	}
	return NULL;
}

/* Django's APPEND_SLASH: "/overview" finds the route "/overview/". */
static bool slash_route_exists(const http_server *srv, const char *path, arena *a)
{
	size_t n = strlen(path);
	if (n == 0 || path[n - 1] == '/' || a == NULL)
		return false;
	char *with = arena_printf(a, "%s/", path);
	if (with == NULL)
		return false;
	for (size_t i = 0; i < srv->n_routes; i++) {
		const http_route *r = &srv->routes[i];
		if (r != srv->fallback && (r->flags & HTTP_SLASH) && route_matches(r, with, NULL))
			return true;
	}
	return false;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, const http_response *res)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(res->body_len, (void *)(res->body != NULL ? res->body : ""),
								 MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				res->content_type != NULL ? res->content_type : "text/plain");
	if (http_response_header(res, "X-Content-Type-Options") == NULL)
		MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	for (size_t i = 0; i < res->n_headers; i++)
		MHD_add_response_header(r, res->header_names[i], res->header_values[i]);
	enum MHD_Result ret = MHD_queue_response(conn, res->status, r);
	MHD_destroy_response(r);
	return ret;
}

static int request_marker;
static int too_many_params_marker;
/* A deferred request whose answer is queued: completed_cb counts it out
 * once the answer has gone (or the connection has). */
static int deferred_answered_marker;

/* Most parameters a request may have. libmicrohttpd keeps every parameter
 * in the connection's small memory pool and stalls when that runs out, so
 * a request with thousands of them is cut off here, before parsing, and
 * answered 414 by the access handler. */
#define HTTP_MAX_PARAMS 256

static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
	char *query = strchr(uri, '?');
	if (query == NULL)
		return NULL;
	size_t params = 1;
	for (const char *p = query; *p; p++)
		if (*p == '&')
			params++;
	if (params <= HTTP_MAX_PARAMS)
		return NULL;
	/* The URI lives in MHD's own read buffer, and this callback exists so
	 * that the URI can be processed before MHD parses it. MHD has already
	 * noted where the parameters start, so empty them there too. */
	query[1] = '\0';
	query[0] = '\0';
	return &too_many_params_marker;
}

/* A POST body being collected for an HTTP_FORM route. Lives across the
 * access callbacks of one request (malloc'd: the thread's arena is reset
 * between them by other requests), freed by completed_cb. */
enum conn_state_kind { STATE_BODY = 1, STATE_DEFERRED };

struct body_state {
	enum conn_state_kind kind;      /* STATE_BODY */
	char *buf;
	size_t len;
	bool too_large;
};

/* A request whose handler is waiting (http_defer). It owns the request's
 * arena from the moment it is deferred until the answer is queued. The
 * waiting flag and orphaned are under defer_lock: whoever comes second
 * of http_resume and a connection closed while suspended (daemon stop)
 * frees it, so neither touches freed memory. */
struct http_deferred {
	enum conn_state_kind kind;      /* STATE_DEFERRED */
	http_server *srv;
	struct MHD_Connection *conn;
	http_request req;
	http_handler resume;
	void *ctx;
	bool waiting;                   /* suspended, http_resume not yet called */
	bool orphaned;                  /* its connection is gone */
};

/* What the access callback lends to http_defer through req->server_state. */
struct req_ctx {
	http_server *srv;
	http_deferred *deferred;        /* the request's, once deferred */
	bool deferred_now;              /* the handler just called http_defer */
};

static pthread_mutex_t defer_lock = PTHREAD_MUTEX_INITIALIZER;

static bool is_marker(void *p)
{
	return p == NULL || p == &request_marker || p == &too_many_params_marker ||
	       p == &deferred_answered_marker;
}

static enum conn_state_kind state_kind(void *p)
{
	return *(enum conn_state_kind *)p;
}

static void deferred_free(http_deferred *d)
{
	arena_free(d->req.arena);
	free(d);
}

http_deferred *http_defer(http_request *req, http_handler resume, void *ctx)
{
	struct req_ctx *rc = req->server_state;
	if (rc == NULL || resume == NULL)
		return NULL;
	http_deferred *d = rc->deferred;
	if (d == NULL) {
		d = calloc(1, sizeof(*d));
		if (d == NULL)
			return NULL;
		d->kind = STATE_DEFERRED;
		d->srv = rc->srv;
		atomic_fetch_add(&d->srv->n_deferred, 1);
		/* The thread's arena goes with the request; the thread makes a
		 * new one for its next request. */
		if (pthread_getspecific(arena_key) == req->arena)
			pthread_setspecific(arena_key, NULL);
		rc->deferred = d;
	}
	d->conn = req->conn;
	d->req = *req;
	d->req.server_state = NULL;
	d->resume = resume;
	d->ctx = ctx;
	pthread_mutex_lock(&defer_lock);
	d->waiting = true;
	pthread_mutex_unlock(&defer_lock);
	/* Suspended before the handler hands the work on, so that a resume
	 * from another thread always finds it suspended. */
	MHD_suspend_connection(req->conn);
	rc->deferred_now = true;
	return d;
}

void http_resume(http_deferred *d)
{
	pthread_mutex_lock(&defer_lock);
	d->waiting = false;
	if (d->orphaned) {
		pthread_mutex_unlock(&defer_lock);
		deferred_free(d);
		return;
	}
	MHD_resume_connection(d->conn);
	pthread_mutex_unlock(&defer_lock);
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	http_server *srv = cls;
	if (*con_cls == &deferred_answered_marker) {
		atomic_fetch_sub(&srv->n_deferred, 1);
	} else if (!is_marker(*con_cls) && state_kind(*con_cls) == STATE_DEFERRED) {
		http_deferred *d = *con_cls;
		atomic_fetch_sub(&srv->n_deferred, 1);
		pthread_mutex_lock(&defer_lock);
		bool waiting = d->waiting;
		d->orphaned = true;
		pthread_mutex_unlock(&defer_lock);
		if (!waiting)
			deferred_free(d);
	} else if (!is_marker(*con_cls)) {
		struct body_state *b = *con_cls;
		free(b->buf);
		free(b);
	}
	*con_cls = NULL;
}

static bool wants_body(const http_server *srv, const char *url, const char *method)
{
	if (strcmp(method, "POST") != 0)
		return false;
	unsigned allow;
	const http_route *r = find_route(srv, url, false, true, NULL, &allow);
	return r != NULL && (r->flags & HTTP_FORM);
}

static void collect_body(struct body_state *b, const char *data, size_t n)
{
	if (b->too_large)
		return;
	if (b->len + n > HTTP_MAX_BODY) {
		b->too_large = true;
		free(b->buf);
		b->buf = NULL;
		b->len = 0;
		return;
	}
	char *nb = realloc(b->buf, b->len + n + 1);
	if (nb == NULL) {
		b->too_large = true;
		return;
	}
	b->buf = nb;
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static bool is_form_type(const char *ctype)
{
	static const char form[] = "application/x-www-form-urlencoded";
	if (ctype == NULL || strncasecmp(ctype, form, sizeof(form) - 1) != 0)
		return false;
	char next = ctype[sizeof(form) - 1];
	return next == '\0' || next == ';' || next == ' ';
}

static const char *allow_value(unsigned allow)
{
	if (allow & HTTP_GET)
		return (allow & HTTP_POST) ? "GET, HEAD, POST" : "GET, HEAD";
	return "POST";
}

static void allow_header(http_response *res, unsigned allow)
{
	http_add_header(res, "Allow", allow_value(allow));
}

/* The access callback again after http_resume: the handler's resume
 * function answers, or waits once more. */
static enum MHD_Result resume_deferred(http_server *srv, struct MHD_Connection *conn,
				       void **con_cls)
{
	http_deferred *d = *con_cls;
	struct req_ctx rc = { .srv = srv, .deferred = d };
	http_request req = d->req;
	req.conn = conn;
	req.server_state = &rc;
	req.resume_ctx = d->ctx;
	http_response res = { 0 };
	d->resume(srv->app, &req, &res);
	if (rc.deferred_now)
		return MHD_YES;
	enum MHD_Result ret = send_response(conn, &res);
	*con_cls = &deferred_answered_marker;
	deferred_free(d);
	return ret;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	http_server *srv = cls;
	if (*con_cls == NULL || *con_cls == &too_many_params_marker) {
		bool too_many = *con_cls == &too_many_params_marker;
		if (too_many) {
			*con_cls = &too_many_params_marker;
		} else if (wants_body(srv, url, method)) {
			struct body_state *b = calloc(1, sizeof(*b));
			if (b == NULL)
				return MHD_NO;
			b->kind = STATE_BODY;
			*con_cls = b;
			return MHD_YES;
		} else {
			*con_cls = &request_marker;
			return MHD_YES;
		}
	}
	if (*upload_data_size != 0) {
		/* Only HTTP_FORM routes keep their body; others drop it. */
		if (!is_marker(*con_cls) && state_kind(*con_cls) == STATE_BODY)
			collect_body(*con_cls, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!is_marker(*con_cls) && state_kind(*con_cls) == STATE_DEFERRED)
		return resume_deferred(srv, conn, con_cls);

	http_response res = { 0 };
	if (*con_cls == &too_many_params_marker) {
		http_set_text(&res, 414, "too many parameters");
		return send_response(conn, &res);
	}
	bool head = strcmp(method, "HEAD") == 0;
	bool get = head || strcmp(method, "GET") == 0;
	bool post = strcmp(method, "POST") == 0;
	if (!get && !post) {
		http_set_text(&res, 405, "method not allowed");
		http_add_header(&res, "Allow", "GET, HEAD, POST");
		return send_response(conn, &res);
	}

	arena *a = thread_arena();
	if (a == NULL) {
		http_set_text(&res, 503, "911");
		return send_response(conn, &res);
	}
	http_request req = {
		.conn = conn,
		.method = method,
		.head = head,
		.post = post,
		.path = url,
		.arena = a,
		.cfg = srv->cfg,
	};
	unsigned allow = 0;
	const http_route *route = find_route(srv, url, get, post, &req, &allow);
	enum MHD_Result ret;
	if (route == NULL && allow != 0 && srv->fallback != NULL) {
		/* The web's fallback answers with its styled page (and Allow). */
		req.method_error = 405;
		req.allow = allow_value(allow);
		route = srv->fallback;
	} else if (route == NULL && allow != 0) {
		http_set_text(&res, 405, "method not allowed");
		allow_header(&res, allow);
		goto send;
	}
	if (route == NULL && get && slash_route_exists(srv, url, a)) {
		const char *qs = http_query_string(&req);
		char *loc = arena_printf(a, "%s/%s%s", url, qs[0] ? "?" : "", qs);
		http_redirect(&res, 301, loc != NULL ? loc : "/");
		goto send;
	}
	if (route == NULL)
		route = srv->fallback;
	if (route == NULL) {
		http_set_text(&res, 404, "not found");
		goto send;
	}
	req.route = route;

	if (!is_marker(*con_cls)) {
		/* Only HTTP_FORM routes collect a body. A refused one goes to
		 * the handler as form_error: the web pages answer with their own
		 * styled error page, not plain text. */
		struct body_state *b = *con_cls;
		if (b->too_large) {
			req.form_error = 413;
		} else if ((b->len > 0 || http_header(&req, "Content-Type") != NULL) &&
			   !is_form_type(http_header(&req, "Content-Type"))) {
			req.form_error = 415;
		} else {
			http_param *form = arena_alloc(a, HTTP_MAX_FORM_FIELDS * sizeof(*form));
			char *body = arena_strndup(a, b->buf != NULL ? b->buf : "", b->len);
			size_t n = 0;
			if (form == NULL || body == NULL) {
				http_set_text(&res, 503, "out of memory");
				goto send;
			}
			if (strlen(body) != b->len ||
			    !http_parse_urlencoded(body, form, HTTP_MAX_FORM_FIELDS, &n)) {
				req.form_error = 400;
			} else {
				req.form = form;
				req.n_form = n;
			}
		}
	}

	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sockaddr_to_ip(ci != NULL ? ci->client_addr : NULL, &req.peer);
	req.client = ip_unmap_v4(req.peer);
	/* Only connections of a TLS daemon have a TLS session. */
	req.tls = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION) != NULL;
	apply_forwarded(srv->cfg, &req);

	struct req_ctx rc = { .srv = srv };
	req.server_state = &rc;
	route->handler(srv->app, &req, &res);
	if (rc.deferred_now) {
		/* The body (if any) is in the arena already. */
		if (!is_marker(*con_cls)) {
			struct body_state *b = *con_cls;
			free(b->buf);
			free(b);
		}
		*con_cls = rc.deferred;
		return MHD_YES;
	}
send:
	ret = send_response(conn, &res);
	arena_reset(a);
	return ret;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_debug("http: %s", line);
}

/* reuse_port: SO_REUSEPORT before bind, so other nsupd processes (same
 * user, same option) can bind the same address and the kernel spreads new
 * connections over all of them. Without it a port in use is an error that
 * names the option. */
static int listen_socket(const config_listen *l, bool reuse_port, char *errbuf, size_t errsize)
{
	ip_addr a;
	if (!ip_parse(l->host, &a)) {
		snprintf(errbuf, errsize, "listen address %s is not a numeric address", l->host);
		return -1;
	}
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	if (a.family == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(l->port);
		memcpy(&in->sin_addr, a.bytes, 4);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(l->port);
		memcpy(&in6->sin6_addr, a.bytes, 16);
		len = sizeof(*in6);
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(errbuf, errsize, "socket for %s: %s", l->host, strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a.family == 6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* Silently going without it would leave a second instance failing
	 * with a misleading "address in use": fail here instead. */
	if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
		snprintf(errbuf, errsize, "cannot set SO_REUSEPORT on a socket for %s: %s", l->host,
			 strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0) {
		int e = errno;
		const char *hint = "";
		if (e == EADDRINUSE)
			hint = reuse_port ? " (held by a process without [server] reuse_port, "
					    "or by another user)"
					  : " (another process listens there; several nsupd "
					    "instances can share it with [server] reuse_port = yes)";
		snprintf(errbuf, errsize, "cannot listen on %s%s%s:%u: %s%s", a.family == 6 ? "[" : "",
			 l->host, a.family == 6 ? "]" : "", (unsigned)l->port, strerror(e), hint);
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- native TLS: certificate and key files ---- */

/* Certificate chains and keys are a few KiB; the bound keeps a wrong path
 * (a log file, a device) from eating memory. */
#define TLS_FILE_MAX (1024 * 1024)

typedef struct tls_pem {
	char *cert;
	char *key;
	size_t key_len;
} tls_pem;

static void tls_pem_free(tls_pem *p)
{
	free(p->cert);
	if (p->key != NULL)
		explicit_bzero(p->key, p->key_len);
	free(p->key);
	memset(p, 0, sizeof(*p));
}

static char *read_small_file(const char *path, size_t *len, char *errbuf, size_t errsize)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(errbuf, errsize, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(TLS_FILE_MAX + 1);
	size_t n = buf != NULL ? fread(buf, 1, TLS_FILE_MAX + 1, f) : 0;
	bool bad = buf == NULL || ferror(f);
	int err = errno;
	fclose(f);
	if (bad) {
		snprintf(errbuf, errsize, "%s: cannot read: %s", path,
			 buf == NULL ? "out of memory" : strerror(err));
		free(buf);
		return NULL;
	}
	if (n > TLS_FILE_MAX) {
		snprintf(errbuf, errsize, "%s: larger than %d bytes", path, TLS_FILE_MAX);
		explicit_bzero(buf, n);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* The body of a PEM block must be base64 of one DER SEQUENCE whose length
 * is exactly what was decoded: a file with lines missing or cut short
 * fails here with a clear message instead of deep inside GnuTLS (whose
 * error path for a damaged certificate leaks memory). */
static bool pem_body_ok(const char *body, size_t n)
{
	unsigned char head[8];
	size_t total = 0, pad = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		char c = body[i];
		if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		int v = b64val(c);
		if (v < 0 || pad > 0)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (total < sizeof(head))
				head[total] = (unsigned char)(acc >> bits);
			total++;
		}
	}
	if (pad > 2 || total < 2 || head[0] != 0x30)
		return false;
	size_t len, hdr;
	if (head[1] < 0x80) {
		len = head[1];
		hdr = 2;
	} else {
		size_t k = head[1] & 0x7f;
		if (k == 0 || k > 3 || total < 2 + k)
			return false;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = (len << 8) | head[2 + i];
		hdr = 2 + k;
	}
	return hdr + len == total;
}

/* True when text has at least one "-----BEGIN <label>-----" block and
 * every such block is closed by its END line and holds one whole DER
 * structure. GnuTLS leaks memory when it parses a block cut off before
 * its END (a half-copied file), so that never reaches it. label_tail
 * matches the end of the label ("PRIVATE KEY" takes "EC PRIVATE KEY"
 * too). */
static bool pem_blocks_ok(const char *text, const char *label_tail)
{
	bool found = false;
	const char *p = text;
	while ((p = strstr(p, "-----BEGIN ")) != NULL) {
		const char *label = p + 11;
		const char *dash = strstr(label, "-----");
		if (dash == NULL)
			return false;
		size_t n = (size_t)(dash - label);
		size_t tn = strlen(label_tail);
		bool wanted = n >= tn && strncmp(dash - tn, label_tail, tn) == 0;
		char end[96];
		if (n > sizeof(end) - 16)
			return false;
		snprintf(end, sizeof(end), "-----END %.*s-----", (int)n, label);
		const char *close = strstr(dash + 5, end);
		if (close == NULL)
			return false;
		/* No other block may start inside this one. */
		const char *next = strstr(dash + 5, "-----BEGIN ");
		if (next != NULL && next < close)
			return false;
		/* Encrypted traditional keys carry headers before their body;
		 * they are refused later with their own message. */
		if (strstr(label, "ENCRYPTED") == NULL && strstr(dash, "Proc-Type:") != dash + 6 &&
		    !pem_body_ok(dash + 5, (size_t)(close - dash - 5)))
			return false;
		found = found || wanted;
		p = close + strlen(end);
	}
	return found;
}

/* Reads the configured certificate and key. The PEM structure is checked
 * here because libmicrohttpd only says that TLS set-up failed, not why. */
static bool tls_pem_load(const nsupd_config *cfg, tls_pem *out, char *errbuf, size_t errsize)
{
	memset(out, 0, sizeof(*out));
	size_t cert_len = 0;
	out->cert = read_small_file(cfg->tls_certificate, &cert_len, errbuf, errsize);
	if (out->cert == NULL)
		return false;
	out->key = read_small_file(cfg->tls_key, &out->key_len, errbuf, errsize);
	if (out->key == NULL) {
		tls_pem_free(out);
		return false;
	}
	if (strlen(out->cert) != cert_len || !pem_blocks_ok(out->cert, "CERTIFICATE")) {
		snprintf(errbuf, errsize, "%s: not a complete PEM certificate (-----BEGIN CERTIFICATE----- "
			 "... -----END CERTIFICATE-----)", cfg->tls_certificate);
		tls_pem_free(out);
		return false;
	}
	if (strlen(out->key) != out->key_len || !pem_blocks_ok(out->key, "PRIVATE KEY")) {
		snprintf(errbuf, errsize, "%s: not a complete PEM private key (-----BEGIN ... PRIVATE KEY----- "
			 "... -----END ... PRIVATE KEY-----)", cfg->tls_key);
		tls_pem_free(out);
		return false;
	}
	if (strstr(out->key, "ENCRYPTED") != NULL) {
		snprintf(errbuf, errsize, "%s: the private key is encrypted; nsupd needs it "
			 "unencrypted (protect the file instead)", cfg->tls_key);
		tls_pem_free(out);
		return false;
	}
	return true;
}

/* ---- daemons ---- */

/* A daemon accepting on its own dup of fd, with TLS when pem is given.
 * Returns NULL (and closes the dup) when libmicrohttpd refuses, e.g. for
 * a certificate and key that do not match. */
static struct MHD_Daemon *start_daemon(http_server *srv, int fd, const tls_pem *pem, int *dfd)
{
	const nsupd_config *cfg = srv->cfg;
	*dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (*dfd < 0)
		return NULL;
	unsigned threads = cfg->threads > 0 ? cfg->threads : 1;
	/* ITC lets MHD_quiesce_daemon work with the internal threads. */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
	struct MHD_OptionItem tls_opts[3] = { { MHD_OPTION_END, 0, NULL } };
	if (pem != NULL) {
		flags |= MHD_USE_TLS;
		tls_opts[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, pem->cert };
		tls_opts[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, pem->key };
		tls_opts[2] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	}
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, NULL, NULL, access_cb, srv,
		MHD_OPTION_LISTEN_SOCKET, *dfd,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections > 0 ? cfg->max_connections : 4096,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout,
		/* Holds the request line and headers; libmicrohttpd clears it
		 * for every request on a kept-alive connection, so it is kept
		 * small. Longer requests get 414/431. */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
		/* RFC 7230: an HTTP/1.1 request without Host is answered
		 * 400; routers all send it, so this costs no client. */
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_URI_LOG_CALLBACK, uri_cb, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, completed_cb, srv,
		MHD_OPTION_ARRAY, tls_opts,
		MHD_OPTION_END);
	if (d == NULL) {
		close(*dfd);
		*dfd = -1;
	}
	return d;
}

/* Stops accepting on d's socket; true when d no longer owns dfd (the
 * caller closes it after MHD_stop_daemon). */
static bool quiesce(struct MHD_Daemon *d)
{
	return MHD_quiesce_daemon(d) != MHD_INVALID_SOCKET;
}

/* Stops a daemon whose quiesce state is known; closes its fd when MHD
 * does not. */
static void stop_daemon(struct MHD_Daemon *d, int dfd, bool quiesced)
{
	MHD_stop_daemon(d);
	if (quiesced && dfd >= 0)
		close(dfd);
}

static unsigned daemon_connections(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return info != NULL ? info->num_connections : 0;
}

static bool time_passed(const struct timespec *now, const struct timespec *t)
{
	return now->tv_sec > t->tv_sec || (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

/* Stops replaced daemons once their last connection has ended (or their
 * grace time is over). Polls: libmicrohttpd has no callback for "last
 * connection closed" that fits a quiesced daemon. */
static void *reaper_main(void *p)
{
	http_server *srv = p;
	pthread_mutex_lock(&srv->retired_lock);
	while (!srv->reaper_stop) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (size_t i = 0; i < srv->n_retired;) {
			struct retired_daemon r = srv->retired[i];
			unsigned open = daemon_connections(r.d);
			bool late = time_passed(&now, &r.deadline);
			if (open != 0 && !late) {
				i++;
				continue;
			}
			srv->retired[i] = srv->retired[--srv->n_retired];
			pthread_mutex_unlock(&srv->retired_lock);
			if (late && open != 0)
				log_info("http: closing %u connection(s) still on the previous TLS "
					 "certificate", open);
			stop_daemon(r.d, r.fd, true);
			pthread_mutex_lock(&srv->retired_lock);
		}
		if (srv->reaper_stop)
			break;
		struct timespec wake;
		clock_gettime(CLOCK_MONOTONIC, &wake);
		if (srv->n_retired == 0) {
			wake.tv_sec += 3600;
		} else {
			wake.tv_nsec += 200 * 1000000L;
			if (wake.tv_nsec >= 1000000000L) {
				wake.tv_sec++;
				wake.tv_nsec -= 1000000000L;
			}
		}
		pthread_cond_timedwait(&srv->retired_cond, &srv->retired_lock, &wake);
	}
	pthread_mutex_unlock(&srv->retired_lock);
	return NULL;
}

/* Hands a quiesced daemon to the reaper. */
static void retire(http_server *srv, struct MHD_Daemon *d, int dfd)
{
	struct retired_daemon r = { .d = d, .fd = dfd };
	clock_gettime(CLOCK_MONOTONIC, &r.deadline);
	r.deadline.tv_sec += (time_t)srv->cfg->connection_timeout + HTTP_RETIRE_GRACE;
	struct retired_daemon evicted = { 0 };
	pthread_mutex_lock(&srv->retired_lock);
	if (!srv->reaper_running) {
		srv->reaper_stop = false;
		if (pthread_create(&srv->reaper, NULL, reaper_main, srv) == 0)
			srv->reaper_running = true;
	}
	if (!srv->reaper_running) {
		pthread_mutex_unlock(&srv->retired_lock);
		log_error("http: no thread to wait for the old TLS connections; closing them now");
		stop_daemon(d, dfd, true);
		return;
	}
	if (srv->n_retired == HTTP_MAX_RETIRED) {
		evicted = srv->retired[0];
		memmove(&srv->retired[0], &srv->retired[1],
			(HTTP_MAX_RETIRED - 1) * sizeof(srv->retired[0]));
		srv->n_retired--;
	}
	srv->retired[srv->n_retired++] = r;
	pthread_cond_signal(&srv->retired_cond);
	pthread_mutex_unlock(&srv->retired_lock);
	if (evicted.d != NULL) {
		log_info("http: too many certificate reloads in a row; closing the connections "
			 "of the oldest");
		stop_daemon(evicted.d, evicted.fd, true);
	}
}

static void addr_text(const config_listen *l, char *out, size_t outsize)
{
	bool v6 = strchr(l->host, ':') != NULL;
	snprintf(out, outsize, "%s%s%s:%u", v6 ? "[" : "", l->host, v6 ? "]" : "",
		 (unsigned)l->port);
}

static bool add_daemon(http_server *srv, const config_listen *l, const tls_pem *pem,
		       char *errbuf, size_t errsize)
{
	int fd = listen_socket(l, srv->cfg->reuse_port, errbuf, errsize);
	if (fd < 0)
		return false;
	int dfd = -1;
	struct MHD_Daemon *d = start_daemon(srv, fd, pem, &dfd);
	if (d == NULL) {
		char where[IP_STRLEN + 16];
		addr_text(l, where, sizeof(where));
		if (pem != NULL)
			snprintf(errbuf, errsize, "cannot start HTTPS on %s: the certificate (%s) "
				 "and key (%s) are not valid or do not match", where,
				 srv->cfg->tls_certificate, srv->cfg->tls_key);
		else
			snprintf(errbuf, errsize, "cannot start the HTTP server on %s", where);
		close(fd);
		return false;
	}
	srv->sockets[srv->n_daemons] = fd;
	srv->daemon_fds[srv->n_daemons] = dfd;
	srv->tls[srv->n_daemons] = pem != NULL;
	srv->daemons[srv->n_daemons++] = d;
	return true;
}

nsupd_err http_server_start(const nsupd_config *cfg, const http_route *routes, size_t n_routes,
			    void *app, http_server **out, char *errbuf, size_t errsize)
{
	http_server *srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return NSUPD_ERR_NOMEM;
	srv->cfg = cfg;
	srv->routes = routes;
	srv->n_routes = n_routes;
	srv->app = app;
	for (size_t i = 0; i < n_routes; i++)
		if (strcmp(routes[i].path, "*") == 0 && srv->fallback == NULL)
			srv->fallback = &routes[i];
	pthread_mutex_init(&srv->retired_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&srv->retired_cond, &ca);
	pthread_condattr_destroy(&ca);

	for (size_t i = 0; i < cfg->n_listen; i++) {
		if (!add_daemon(srv, &cfg->listen[i], NULL, errbuf, errsize)) {
			http_server_stop(srv);
			return NSUPD_ERR_IO;
		}
	}
	if (cfg->n_listen_tls > 0) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(errbuf, errsize, "listen_tls: this libmicrohttpd has no TLS support");
			http_server_stop(srv);
			return NSUPD_ERR_CONFIG;
		}
		tls_pem pem;
		if (!tls_pem_load(cfg, &pem, errbuf, errsize)) {
			http_server_stop(srv);
			return NSUPD_ERR_CONFIG;
		}
		for (size_t i = 0; i < cfg->n_listen_tls; i++) {
			if (!add_daemon(srv, &cfg->listen_tls[i], &pem, errbuf, errsize)) {
				tls_pem_free(&pem);
				http_server_stop(srv);
				return NSUPD_ERR_IO;
			}
		}
		/* libmicrohttpd copies the PEM data into GnuTLS at start. */
		tls_pem_free(&pem);
	}
	*out = srv;
	return NSUPD_OK;
}

nsupd_err http_server_reload_tls(http_server *srv, char *errbuf, size_t errsize)
{
	if (errsize > 0)
		errbuf[0] = '\0';
	if (srv == NULL || srv->cfg->n_listen_tls == 0)
		return NSUPD_OK;
	tls_pem pem;
	if (!tls_pem_load(srv->cfg, &pem, errbuf, errsize))
		return NSUPD_ERR_CONFIG;
	/* All new daemons first, sharing the listening sockets with the old
	 * ones, so that a failure changes nothing and success leaves no
	 * moment without a daemon accepting. */
	struct MHD_Daemon *fresh[HTTP_MAX_DAEMONS] = { 0 };
	int fresh_fds[HTTP_MAX_DAEMONS];
	bool ok = true;
	for (size_t i = 0; i < srv->n_daemons; i++) {
		fresh_fds[i] = -1;
		if (!srv->tls[i] || !ok)
			continue;
		fresh[i] = start_daemon(srv, srv->sockets[i], &pem, &fresh_fds[i]);
		ok = fresh[i] != NULL;
	}
	tls_pem_free(&pem);
	if (!ok) {
		snprintf(errbuf, errsize, "the certificate (%s) and key (%s) are not valid or do "
			 "not match", srv->cfg->tls_certificate, srv->cfg->tls_key);
		for (size_t i = 0; i < srv->n_daemons; i++)
			if (fresh[i] != NULL)
				stop_daemon(fresh[i], fresh_fds[i], quiesce(fresh[i]));
		return NSUPD_ERR_CONFIG;
	}
	for (size_t i = 0; i < srv->n_daemons; i++) {
		if (fresh[i] == NULL)
			continue;
		struct MHD_Daemon *old = srv->daemons[i];
		int old_fd = srv->daemon_fds[i];
		srv->daemons[i] = fresh[i];
		srv->daemon_fds[i] = fresh_fds[i];
		/* The old daemon stops accepting but keeps serving the
		 * connections it has until they end. */
		if (quiesce(old))
			retire(srv, old, old_fd);
		else
			stop_daemon(old, old_fd, false);
	}
	return NSUPD_OK;
}

void http_server_stop(http_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->reaper_running) {
		pthread_mutex_lock(&srv->retired_lock);
		srv->reaper_stop = true;
		pthread_cond_signal(&srv->retired_cond);
		pthread_mutex_unlock(&srv->retired_lock);
		pthread_join(srv->reaper, NULL);
		srv->reaper_running = false;
	}
	/* Stop accepting everywhere first, then let each pool finish. */
	bool quiesced[HTTP_MAX_DAEMONS];
	for (size_t i = 0; i < srv->n_daemons; i++)
		quiesced[i] = quiesce(srv->daemons[i]);
	/* Requests waiting on the nameserver get their answer first, and it is
	 * sent before the connections close: their waits are bounded (the zone
	 * writer's update timeout), so this ends. */
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)srv->cfg->update_timeout + 5;
	for (;;) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		unsigned left = atomic_load(&srv->n_deferred);
		if (left == 0)
			break;
		if (time_passed(&now, &until)) {
			log_warn("http: stopping with %u requests still waiting on a nameserver", left);
			break;
		}
		poll(NULL, 0, 10);
	}
	for (size_t i = 0; i < srv->n_retired; i++)
		stop_daemon(srv->retired[i].d, srv->retired[i].fd, true);
	srv->n_retired = 0;
	for (size_t i = 0; i < srv->n_daemons; i++) {
		stop_daemon(srv->daemons[i], srv->daemon_fds[i], quiesced[i]);
		close(srv->sockets[i]);
	}
	pthread_cond_destroy(&srv->retired_cond);
	pthread_mutex_destroy(&srv->retired_lock);
	free(srv);
}
