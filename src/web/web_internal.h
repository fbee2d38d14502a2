/* Internal to src/web: the start-up state and the session plumbing the
 * dispatcher uses. Page modules include web/web.h only. */
#ifndef NSUPD_WEB_WEB_INTERNAL_H
#define NSUPD_WEB_WEB_INTERNAL_H

#include <stdatomic.h>

#include "web/assets.h"
#include "web/web.h"

#define WEB_SESSION_COOKIE "sessionid"
#define WEB_LANG_COOKIE "nsupd_lang"
#define WEB_CSRF_FIELD "csrfmiddlewaretoken"
#define WEB_SESSION_AGE (10 * 3600)          /* like SESSION_COOKIE_AGE */
#define WEB_SESSION_KEEP_AGE (30 * 86400)    /* "keep me logged in" */

struct web {
	nsupd_app *app;
	tpl_set *tpl;
	i18n *i18n;
	web_static *st;
	http_route *routes;
	size_t n_routes;
	char *csp;
	json_t *static_urls;             /* {bootstrap_css: "/static/...?v=...", ...} */
	atomic_llong last_cleanup;
};

/* session.c */
void web_session_load(web_req *r);
/* Creates the session row now if there is none (pages with forms). */
bool web_session_ensure(web_req *r);
/* Saves changes and sets the cookie when needed; frees the session. */
void web_session_finish(web_req *r);
/* The session's CSRF token, or NULL when there is no session. */
const char *web_session_csrf(web_req *r);
/* Constant-time comparison of a submitted token with the session's. */
bool web_session_csrf_ok(web_req *r, const char *token);
/* user id stored in the session (0 = anonymous). */
int64_t web_session_user(const web_req *r);

/* pages_ip.c: notes the visitor's addresses in the session (spec 5.1) and
 * puts them into the context as `ips`; run by web_render for every page. */
void web_ip_track(web_req *r);

/* web.c: the pages of each module. */
extern const web_module web_module_main;
extern const web_module web_module_accounts;
extern const web_module web_module_register;
extern const web_module web_module_profile;
extern const web_module web_module_overview;
extern const web_module web_module_domains;
extern const web_module web_module_ip;
extern const web_module web_module_hosts;
extern const web_module web_module_admin;
extern const web_module web_module_remote;
extern const web_module web_module_twofactor;
extern const web_module web_module_related;

/* pages_related.c: the host's forwards to other services with the result
 * of the last one (no passwords), for the host page. */
json_t *web_forwards_json(web_req *r, int64_t host_id);

#endif
