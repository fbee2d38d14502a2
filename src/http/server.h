/* The HTTP front: libmicrohttpd daemons (one per listen address, each with
 * a thread pool), request decoding (query, headers, the client's address
 * after the trusted-proxy rules) and a routing table to thin handlers. */
#ifndef NSUPD_HTTP_SERVER_H
#define NSUPD_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "core/ipaddr.h"
#include "util/arena.h"
#include "util/error.h"

struct MHD_Connection;

typedef struct http_request {
	struct MHD_Connection *conn;
	const char *method;      /* "GET", "HEAD", ... */
	bool head;               /* HEAD: answer like GET, change nothing */
	const char *path;
	ip_addr peer;            /* the TCP peer */
	ip_addr client;          /* peer, or X-Forwarded-For from a trusted proxy */
	bool tls;                /* TLS, or X-Forwarded-Proto: https from a trusted proxy */
	arena *arena;            /* freed after the answer is queued */
} http_request;

#define HTTP_MAX_EXTRA_HEADERS 4

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

void http_set_text(http_response *res, unsigned status, const char *body);
void http_add_header(http_response *res, const char *name, const char *value);

typedef void (*http_handler)(void *app, http_request *req, http_response *res);

typedef struct http_route {
	const char *path;        /* exact match */
	http_handler handler;
} http_route;

typedef struct http_server http_server;

/* Binds every listen address of cfg; routes are matched exactly. */
nsupd_err http_server_start(const nsupd_config *cfg, const http_route *routes, size_t n_routes,
			    void *app, http_server **out, char *errbuf, size_t errsize);
/* Stops accepting, finishes requests in flight, frees everything. */
void http_server_stop(http_server *srv);

#endif
