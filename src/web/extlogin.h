/* Hooks of remote login (pages_remote.c) and two-factor login
 * (pages_twofactor.c) into the login and profile pages of other modules.
 * Internal to src/web. */
#ifndef NSUPD_WEB_EXTLOGIN_H
#define NSUPD_WEB_EXTLOGIN_H

#include <stdbool.h>

#include "web/web.h"

/* Puts `remote_providers` [{name, title}] into the context (login page). */
void extlogin_login_context(web_req *r);

/* Puts `remote` {identities: [{id, provider, title, login, email, created,
 * last_login}], providers: [{name, title}], can_disconnect, has_password}
 * and `twofactor` {enabled} into the context (profile page). */
void extlogin_profile_context(web_req *r);

/* Called after the first factor (password or remote login) identified u.
 * When u has two-factor login on, the pending login is kept in the session,
 * the browser is sent to the code page and true is returned (also when the
 * state cannot be read: then an error page was sent, failing closed).
 * false: no second step needed; the caller logs u in. */
bool extlogin_second_step(web_req *r, const store_user *u, bool keep, const char *next);

/* Logs u in (new session, last login noted) and redirects to next when it
 * is a safe local path, else to fallback. */
void extlogin_finish(web_req *r, const store_user *u, bool keep, const char *next,
		     const char *fallback);

#endif
