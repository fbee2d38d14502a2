#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"
#include "util/strutil.h"

struct http_server {
	struct MHD_Daemon *daemons[CONFIG_MAX_LISTEN];
	int sockets[CONFIG_MAX_LISTEN];
	size_t n_daemons;
	const nsupd_config *cfg;
	const http_route *routes;
	size_t n_routes;
	void *app;
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

void http_set_text(http_response *res, unsigned status, const char *body)
{
	res->status = status;
	res->content_type = "text/plain";
	res->body = body;
	res->body_len = body != NULL ? strlen(body) : 0;
}

void http_add_header(http_response *res, const char *name, const char *value)
{
	if (res->n_headers >= HTTP_MAX_EXTRA_HEADERS)
		return;
	res->header_names[res->n_headers] = name;
	res->header_values[res->n_headers] = value;
	res->n_headers++;
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

static const http_route *find_route(const http_server *srv, const char *path)
{
	for (size_t i = 0; i < srv->n_routes; i++)
		if (strcmp(srv->routes[i].path, path) == 0)
			return &srv->routes[i];
	return NULL;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, const http_response *res)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(res->body_len, (void *)(res->body != NULL ? res->body : ""),
								 MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				res->content_type != NULL ? res->content_type : "text/plain");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	for (size_t i = 0; i < res->n_headers; i++)
		MHD_add_response_header(r, res->header_names[i], res->header_values[i]);
	enum MHD_Result ret = MHD_queue_response(conn, res->status, r);
	MHD_destroy_response(r);
	return ret;
}

static int request_marker;
static int too_many_params_marker;

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

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	http_server *srv = cls;
	if (*con_cls == NULL || *con_cls == &too_many_params_marker) {
		bool too_many = *con_cls == &too_many_params_marker;
		*con_cls = too_many ? (void *)&too_many_params_marker : (void *)&request_marker;
		if (!too_many)
			return MHD_YES;
	}
	if (*upload_data_size != 0) {
		/* Bodies are not used by any route: read and drop them. */
		*upload_data_size = 0;
		return MHD_YES;
	}

	http_response res = { 0 };
	if (*con_cls == &too_many_params_marker) {
		http_set_text(&res, 414, "too many parameters");
		return send_response(conn, &res);
	}
	bool head = strcmp(method, "HEAD") == 0;
	if (!head && strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
		http_set_text(&res, 405, "method not allowed");
		http_add_header(&res, "Allow", "GET, HEAD, POST");
		return send_response(conn, &res);
	}
	const http_route *route = find_route(srv, url);
	if (route == NULL) {
		http_set_text(&res, 404, "not found");
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
		.path = url,
		.arena = a,
	};
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sockaddr_to_ip(ci != NULL ? ci->client_addr : NULL, &req.peer);
	req.client = ip_unmap_v4(req.peer);
	apply_forwarded(srv->cfg, &req);

	route->handler(srv->app, &req, &res);
	enum MHD_Result ret = send_response(conn, &res);
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

static int listen_socket(const config_listen *l, char *errbuf, size_t errsize)
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
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0) {
		snprintf(errbuf, errsize, "cannot listen on %s%s%s:%u: %s", a.family == 6 ? "[" : "",
			 l->host, a.family == 6 ? "]" : "", (unsigned)l->port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
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

	unsigned threads = cfg->threads > 0 ? cfg->threads : 1;
	for (size_t i = 0; i < cfg->n_listen; i++) {
		int fd = listen_socket(&cfg->listen[i], errbuf, errsize);
		if (fd < 0) {
			http_server_stop(srv);
			return NSUPD_ERR_IO;
		}
		srv->sockets[srv->n_daemons] = fd;
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
		struct MHD_Daemon *d = MHD_start_daemon(
			flags, 0, NULL, NULL, access_cb, srv,
			MHD_OPTION_LISTEN_SOCKET, fd,
			MHD_OPTION_THREAD_POOL_SIZE, threads,
			MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections > 0 ? cfg->max_connections : 4096,
			MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
			/* RFC 7230: an HTTP/1.1 request without Host is answered
			 * 400; routers all send it, so this costs no client. */
			MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			MHD_OPTION_URI_LOG_CALLBACK, uri_cb, NULL,
			MHD_OPTION_END);
		if (d == NULL) {
			snprintf(errbuf, errsize, "cannot start the HTTP server on %s:%u",
				 cfg->listen[i].host, (unsigned)cfg->listen[i].port);
			close(fd);
			http_server_stop(srv);
			return NSUPD_ERR_IO;
		}
		srv->daemons[srv->n_daemons++] = d;
	}
	*out = srv;
	return NSUPD_OK;
}

void http_server_stop(http_server *srv)
{
	if (srv == NULL)
		return;
	/* Stop accepting everywhere first, then let each pool finish. */
	for (size_t i = 0; i < srv->n_daemons; i++)
		MHD_quiesce_daemon(srv->daemons[i]);
	for (size_t i = 0; i < srv->n_daemons; i++) {
		MHD_stop_daemon(srv->daemons[i]);
		close(srv->sockets[i]);
	}
	free(srv);
}
