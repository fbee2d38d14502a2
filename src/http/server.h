/* The HTTP front: libmicrohttpd daemons (one per listen address, each with
 * a thread pool; HTTPS with GnuTLS on the listen_tls addresses), request
 * decoding (query, headers, cookies, urlencoded form bodies, the client's
 * address after the trusted-proxy rules, TLS or not) and a routing table
 * to thin handlers.
 *
 * Routes are exact paths ("/nic/update") or patterns with typed segments:
 *   "/host/<int>/"                       one integer parameter
 *   "/host/<int>/related/<int>/delete/"  two integer parameters
 *   "/custom/<name>"                     one name parameter: [A-Za-z0-9_.-]+,
 *                                        not starting with '.', <= 200 bytes
 * A route lists the methods it accepts (HTTP_GET, HTTP_POST; GET implies
 * HEAD). Several routes may share a path with different methods; a path
 * that matches only routes of other methods is answered 405 with Allow
 * (by the fallback route's handler when there is one: see method_error).
 * Routes with flags == 0 keep the API's behaviour: GET, HEAD and POST all
 * reach the handler and a body is read and dropped.
 *
 * A POST to a route with HTTP_FORM has its application/x-www-form-urlencoded
 * body parsed (at most HTTP_MAX_BODY bytes, else 413; another content type
 * 415; a malformed body 400): the handler then gets that status in
 * form_error and answers it itself (the web layer with its error page).
 * Nothing web-specific (sessions, CSRF, security headers) is done here:
 * src/web/web.c wraps its handlers for that, so the API paths never see it. */
#ifndef NSUPD_HTTP_SERVER_H
#define NSUPD_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/ipaddr.h"
#include "util/arena.h"
#include "util/error.h"

struct MHD_Connection;
struct http_route;

#define HTTP_MAX_PATH_PARAMS 4
#define HTTP_MAX_BODY (64 * 1024)
#define HTTP_MAX_FORM_FIELDS 128

typedef struct http_param {
	const char *name;
	const char *value;
} http_param;

typedef struct http_request {
	struct MHD_Connection *conn;
	const char *method;      /* "GET", "HEAD", "POST" */
	bool head;               /* HEAD: answer like GET, change nothing */
	bool post;
	const char *path;        /* decoded path, without the query */
	ip_addr peer;            /* the TCP peer */
	ip_addr client;          /* peer, or X-Forwarded-For from a trusted proxy */
	bool tls;                /* TLS, or X-Forwarded-Proto: https from a trusted proxy */
	arena *arena;            /* freed after the answer is queued */
	const nsupd_config *cfg;
	const struct http_route *route;
	/* Pattern parameters in path order: <int> in ints[], <name> in names[]
	 * (each array counts its own kind from 0). */
	int64_t ints[HTTP_MAX_PATH_PARAMS];
	const char *names[HTTP_MAX_PATH_PARAMS];
	/* The parsed form body of a POST to an HTTP_FORM route. */
	const http_param *form;
	size_t n_form;
	/* 400, 413 or 415 when the body of a POST to an HTTP_FORM route was
	 * refused (malformed, too large, not urlencoded): the handler still
	 * runs, with no form, and must answer with this status (the web
	 * layer's styled error page instead of plain text). 0 otherwise. */
	unsigned form_error;
	/* 405 when the path exists but not for this method and a fallback
	 * route ("*") is there: the request goes to the fallback, which must
	 * answer 405 with the header Allow: <allow>. 0 and NULL otherwise. */
	unsigned method_error;
	const char *allow;
	/* Private to the server (http_defer). */
	void *server_state;
	/* In a resume handler: the ctx given to http_defer. */
	void *resume_ctx;
} http_request;

/* Room for the API's few headers and a web page's security headers and
 * cookies; http_add_header drops (and logs) what does not fit. */
#define HTTP_MAX_EXTRA_HEADERS 24

typedef struct http_response {
	unsigned status;
	const char *content_type;    /* default "text/plain" */
	const char *body;            /* may be NULL for an empty body */
	size_t body_len;
	const char *header_names[HTTP_MAX_EXTRA_HEADERS];
	const char *header_values[HTTP_MAX_EXTRA_HEADERS];
	size_t n_headers;
} http_response;

/* The last value of a query parameter (repeated parameters: last wins), or
 * NULL. Values are already percent-decoded. */
const char *http_query(const http_request *req, const char *name);
/* A request header (case-insensitive name), or NULL. */
const char *http_header(const http_request *req, const char *name);
/* A cookie sent by the client, or NULL. */
const char *http_cookie(const http_request *req, const char *name);
/* The last value of a form field of the POST body, or NULL. */
const char *http_form(const http_request *req, const char *name);
/* The raw query string after '?' ("" when none); for redirects back. */
const char *http_query_string(const http_request *req);

void http_set_text(http_response *res, unsigned status, const char *body);
/* body is not copied: it must live until the answer is queued (arena). */
void http_set_html(http_response *res, unsigned status, const char *body, size_t len);
void http_add_header(http_response *res, const char *name, const char *value);
/* A header's value in res (case-insensitive), or NULL. */
const char *http_response_header(const http_response *res, const char *name);
/* 302/303 (or 301) with Location and an empty body. */
void http_redirect(http_response *res, unsigned status, const char *location);

/* Set-Cookie with Path=/, HttpOnly, SameSite=Lax, and Secure when the
 * configuration says [site] we_have_tls. max_age < 0: a session cookie (no
 * Max-Age); 0: delete the cookie. value must be cookie-safe (no ';', ',',
 * blanks, quotes): the web layer only sets ids and language codes. */
void http_set_cookie(const http_request *req, http_response *res, const char *name,
		     const char *value, long max_age);

/* Percent-decodes application/x-www-form-urlencoded text ('+' is a blank)
 * in place. False when it decodes to a NUL byte or has a bad escape. */
bool http_urldecode(char *s);
/* Parses "a=1&b=2" (modified in place) into at most max pairs. False when
 * a value is malformed or there are more than max pairs. */
bool http_parse_urlencoded(char *body, http_param *out, size_t max, size_t *n);

/* Route matching, exposed for tests: true when path matches pattern; the
 * parameters go to ints/names (may be NULL when the pattern has none). */
bool http_match_pattern(const char *pattern, const char *path, int64_t *ints,
			const char **names, arena *a);

enum {
	HTTP_GET = 1u << 0,      /* GET and HEAD */
	HTTP_POST = 1u << 1,
	HTTP_FORM = 1u << 2,     /* parse the urlencoded POST body */
	HTTP_SLASH = 1u << 3,    /* GET without the trailing '/' gets a 301 to it */
};

typedef void (*http_handler)(void *app, http_request *req, http_response *res);

typedef struct http_route {
	const char *path;        /* exact path or pattern (see above) */
	http_handler handler;
	unsigned flags;          /* HTTP_GET | HTTP_POST | ...; 0 = API route */
	const void *data;        /* for the handler (the web layer's page) */
} http_route;

typedef struct http_server http_server;

/* Waiting without a thread. A handler that must wait for something slow
 * that will call back (a change queued on the zone writer) calls
 * http_defer and returns without answering: the connection is suspended,
 * the worker thread serves other connections, and the request (its
 * fields, query and headers, and everything in req->arena) stays valid.
 * Once http_resume(d) is called, from any thread, exactly once, resume
 * runs on a worker thread with req->resume_ctx == ctx and answers like a
 * handler, or calls http_defer again. NULL when deferring is not possible
 * (out of memory): the handler then waits in place. Call http_defer before
 * handing the work on, so that the resume cannot come first. */
typedef struct http_deferred http_deferred;
http_deferred *http_defer(http_request *req, http_handler resume, void *ctx);
void http_resume(http_deferred *d);

/* Binds every listen address of cfg; routes are tried in order. A route
 * with the path "*" answers every path no other route matches, whatever
 * the method (the web's 404 page); without one such paths get a plain-text
 * 404. */
nsupd_err http_server_start(const nsupd_config *cfg, const http_route *routes, size_t n_routes,
			    void *app, http_server **out, char *errbuf, size_t errsize);
/* Stops accepting, finishes requests in flight, frees everything. */
void http_server_stop(http_server *srv);

/* Native TLS ([server] listen_tls): reads tls_certificate and tls_key
 * again (for SIGHUP). New connections get the new certificate at once;
 * connections already open stay on the old one until they end (at most
 * connection_timeout + 5 minutes). When a file cannot be read or the pair
 * is not valid, nothing changes and errbuf says why. NSUPD_OK without
 * doing anything when there is no TLS address. Call from one thread, not
 * concurrently with http_server_stop. */
nsupd_err http_server_reload_tls(http_server *srv, char *errbuf, size_t errsize);

#endif
