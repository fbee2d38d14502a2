/* The web interface: server-rendered pages on top of src/http.
 *
 * A page is a web_page entry (path pattern, methods, flags, handler) in a
 * module's table (see web_module below and docs/web-framework.md). The
 * dispatcher in web.c wraps every page handler, so a handler never has to
 * remember the cross-cutting rules:
 *   - the session is loaded from the `sessionid` cookie (and created when a
 *     page needs one), the logged-in user is loaded, the language chosen;
 *   - every POST is CSRF-checked (form field `csrfmiddlewaretoken` against
 *     the session's token, and Origin, when sent, against Host) before the
 *     handler runs: a failure is a 403 page;
 *   - a GET of a WEB_UNSAFE_GET page must come from this origin (see the
 *     flag);
 *   - WEB_LOGIN pages send anonymous users to /accounts/login/?next=PATH;
 *   - every answer gets X-Frame-Options, X-Content-Type-Options,
 *     Referrer-Policy, Content-Security-Policy and Cache-Control: no-store
 *     (static files get their own cache headers);
 *   - the session is saved (and its cookie set) after the handler.
 * The API paths (/nic/..., /myip, ...) are plain http routes and never pass
 * through here.
 *
 * Handlers run on the HTTP worker threads; everything in web_req lives in
 * the request's arena (r->a) and dies with the request. */
#ifndef NSUPD_WEB_WEB_H
#define NSUPD_WEB_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api/updater.h"
#include "http/server.h"
#include "store/store.h"
#include "web/i18n.h"
#include "web/template.h"

/* Marks a string for extraction into po/nsupd.pot without translating it
 * here (tables of messages); translate later with web_gettext(). */
#define N_(s) (s)

typedef struct web web;              /* start-up state (templates, catalogs, files) */
typedef struct web_session web_session;

typedef struct web_req {
	nsupd_app *app;
	web *w;
	http_request *http;
	http_response *res;
	arena *a;
	int64_t now;                 /* time(NULL) at the start of the request */

	/* The logged-in user, or user_id == 0 (user.id == 0) when anonymous. */
	bool logged_in;
	store_user user;

	/* Language of this request ("en", "de", ...) and its catalog. */
	const char *lang;
	const i18n_catalog *cat;

	/* The template context, pre-filled before the handler runs with:
	 *   site      {name, base_domain, www_host, www_ipv4_host, www_ipv6_host,
	 *             we_have_tls}
	 *   user      {id, name, email, staff, language} or null
	 *   request   {path, client_ip, client_family (4/6), tls, method}
	 *   csrf_token            (for includes/csrf.html)
	 *   lang, languages       [{code, name, current}]
	 *   static    {bootstrap_css, bootstrap_js, theme_js, nsupd_css}: URLs
	 *   messages  flash messages [{level, text}] (taken out of the session)
	 * Handlers add their own keys (json_object_set_new(r->ctx, ...)). */
	json_t *ctx;

	web_session *sess;           /* internal: use the web_session_* calls */
} web_req;

typedef void (*web_handler)(web_req *r);

enum {
	WEB_LOGIN = 1u << 0,         /* anonymous users are sent to the login page */
	WEB_STAFF = 1u << 1,         /* staff only: everyone else, anonymous users
	                              * included, gets 404 (checked before CSRF) */
	WEB_UNSAFE_GET = 1u << 2,    /* a GET that changes something (the original's
	                              * /nic/update_authorized): refused (403) when
	                              * the browser says it came from another
	                              * origin (Sec-Fetch-Site, else Origin and
	                              * Referer), and never a login or ?next=
	                              * redirect target. Exact paths only. */
};

typedef struct web_page {
	const char *path;            /* pattern as in http/server.h: "/host/<int>/" */
	unsigned methods;            /* HTTP_GET, HTTP_POST or both */
	unsigned flags;              /* WEB_LOGIN, WEB_STAFF, WEB_UNSAFE_GET */
	web_handler handler;
} web_page;

/* A module's pages. Each src/web/pages_*.c exports one; web.c lists them. */
typedef struct web_module {
	const web_page *pages;
	size_t n_pages;
} web_module;

/* ---- start-up (cli_serve) ---- */

/* Loads templates (defaults, then [web] override_templates, then
 * [web] custom_pages as "custom/NAME"), the .po catalogs and the static
 * files, and checks the templates. On failure err holds one line
 * ("FILE:LINE: message" for a template or catalog). */
nsupd_err web_init(nsupd_app *app, web **out, char *err, size_t errsize);
void web_free(web *w);
/* The complete routing table for http_server_start: api routes first (as
 * given), then every page, static files and the 404 fallback. Owned by w. */
const http_route *web_routes(web *w, const http_route *api, size_t n_api, size_t *n);

/* ---- answering ---- */

/* Renders template `name` with r->ctx as an HTML page. */
void web_render(web_req *r, unsigned status, const char *name);
/* 302 to a local path (or an absolute URL the program built). */
void web_redirect(web_req *r, const char *location);
/* An error page from errors/<status>.html (errors/generic.html otherwise),
 * with an optional message (translated by the caller; may be NULL). */
void web_error(web_req *r, unsigned status, const char *message);
/* Plain text or JSON answers (e.g. for XHR helpers). body in r->a. */
void web_text(web_req *r, unsigned status, const char *content_type, const char *body);

/* ---- request data ---- */

/* A POST form field (already CSRF-checked), or NULL. */
const char *web_form(const web_req *r, const char *name);
/* The same without surrounding blanks, in r->a ("" when absent; NULL only
 * when out of memory). */
char *web_form_trimmed(web_req *r, const char *name);
/* A checkbox: present, and not "", "0" or "off". */
bool web_form_checked(const web_req *r, const char *name);
/* A query parameter, or NULL. */
const char *web_query(const web_req *r, const char *name);
/* The n-th <int> of the route pattern (0-based). */
int64_t web_path_int(const web_req *r, size_t n);
/* The n-th <name> of the route pattern. */
const char *web_path_name(const web_req *r, size_t n);
/* true when target is a safe local redirect target: starts with a single
 * '/', no "//", no backslash, no scheme, no control characters; and its
 * path has no '%' or dot segment and is no WEB_UNSAFE_GET page (a redirect
 * there, after a login, would be a same-origin request the attacker chose). */
bool web_is_local_path(const char *target);

/* ---- i18n ---- */

/* msgid translated into the request's language (msgid when untranslated).
 * Mark literals so scripts/update-po.py finds them: web_gettext(r, "Text")
 * or _(r, "Text"). */
const char *web_gettext(const web_req *r, const char *msgid);
#define _(r, s) web_gettext((r), (s))

/* ---- messages (flash) ---- */

/* Queues a message shown on the next rendered page. level: "success",
 * "info", "warning", "danger". text is stored as given (translate it). */
void web_flash(web_req *r, const char *level, const char *text);

/* ---- sessions ---- */

/* The session's data object, to read and modify (e.g. "ipv4"): changes
 * are saved after the handler. Creates the session if there is none yet.
 * Keys used by the framework: "csrf", "uid", "keep", "messages". NULL only
 * when memory runs out. */
json_t *web_session_data(web_req *r);
/* Marks the session changed (web_session_data() callers modifying nested
 * values must call it; top-level json_object_set* through it is caught). */
void web_session_touch(web_req *r);
/* Logs u in: a new session id (the old one is deleted: no fixation), the
 * user stored, expiry 10 h, or 30 days and a persistent cookie with keep. */
nsupd_err web_login(web_req *r, const store_user *u, bool keep);
/* Deletes the session and its cookie. */
void web_logout(web_req *r);

/* ---- rate limits (shared by all instances through the database) ---- */

/* True when `kind` events of this client (its address; an IPv6 client's
 * /64) reached max within the last window seconds. Fails open (false) on
 * a database error, which is logged. */
bool web_rate_limited(web_req *r, const char *kind, unsigned max, unsigned window);
/* Records one `kind` event for this client. */
void web_rate_note(web_req *r, const char *kind);

/* ---- helpers for handlers ---- */

/* json_string() of s, or json null when s is NULL. */
json_t *web_json_str(const char *s);
/* A store_host as a template object: id, name, domain, fqdn, comment,
 * available, abuse, abuse_blocked, netmask_ipv4/6, faults (client, server,
 * api_auth), result messages, last_update_ipv4/6 (Unix s), tls_update_ipv4/6. */
json_t *web_host_json(const store_host *h);

#endif
