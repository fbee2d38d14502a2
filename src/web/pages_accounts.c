/* Login and logout. Registration, password reset and the profile pages
 * live in their own modules. */
#include <string.h>

#include "core/secret.h"
#include "util/log.h"
#include "web/extlogin.h"
#include "web/web_internal.h"

#define LOGIN_REDIRECT "/overview/"

static void login_form(web_req *r, unsigned status, const char *error)
{
	const char *next = web_form(r, "next");
	if (next == NULL)
		next = web_query(r, "next");
	const char *username = web_form(r, "username");
	json_object_set_new(r->ctx, "next", json_string(web_is_local_path(next) ? next : ""));
	json_object_set_new(r->ctx, "username", json_string(username != NULL ? username : ""));
	json_object_set_new(r->ctx, "keep", json_boolean(web_form(r, "keep") != NULL));
	json_object_set_new(r->ctx, "error", web_json_str(error));
	extlogin_login_context(r);
	web_render(r, status, "accounts/login.html");
}

static void login_get(web_req *r)
{
	if (r->logged_in) {
		const char *next = web_query(r, "next");
		web_redirect(r, web_is_local_path(next) ? next : LOGIN_REDIRECT);
		return;
	}
	login_form(r, 200, NULL);
}

static void login_post(web_req *r)
{
	const nsupd_config *cfg = r->app->cfg;
	/* Counted before the password is even looked at: a blocked client
	 * learns nothing more. */
	if (web_rate_limited(r, "login", cfg->login_failures_max, cfg->login_failures_window)) {
		login_form(r, 429, _(r, "Too many failed login attempts from your address. "
				       "Please wait a few minutes and try again."));
		return;
	}
	const char *name = web_form(r, "username");
	const char *password = web_form(r, "password");
	store_user u;
	bool ok = false, inactive = false;
	if (name != NULL && password != NULL && name[0] != '\0' && password[0] != '\0') {
		nsupd_err e = store_user_get_by_name(r->app->store, name, &u);
		if (e == NSUPD_OK) {
			ok = u.password_hash[0] != '\0' && password_verify(password, u.password_hash);
			/* Told only to whoever knows the password, so the form
			 * does not reveal which accounts exist or are inactive. */
			inactive = ok && !u.active;
			ok = ok && u.active;
		} else if (e != NSUPD_ERR_NOT_FOUND) {
			log_error("web: login: looking up a user: %s", nsupd_strerror(e));
		}
	}
	if (inactive) {
		login_form(r, 200, _(r, "This account is not active. If you have just registered, "
				       "please open the activation link in the e-mail we sent you "
				       "first."));
		return;
	}
	if (!ok) {
		web_rate_note(r, "login");
		login_form(r, 200, _(r, "Please enter a correct username and password. "
				       "Note that both fields are case-sensitive."));
		return;
	}
	bool keep = web_form(r, "keep") != NULL;
	/* Two-factor login: the code page completes the login. */
	if (extlogin_second_step(r, &u, keep, web_form(r, "next")))
		return;
	if (web_login(r, &u, keep) != NSUPD_OK) {
		web_error(r, 500, NULL);
		return;
	}
	store_user_set_last_login(r->app->store, u.id, r->now);
	const char *next = web_form(r, "next");
	web_redirect(r, web_is_local_path(next) ? next : LOGIN_REDIRECT);
}

static void logout(web_req *r)
{
	web_logout(r);
	web_redirect(r, "/");
}

static const web_page pages[] = {
	{ "/accounts/login/", HTTP_GET, 0, login_get },
	{ "/accounts/login/", HTTP_POST, 0, login_post },
	{ "/accounts/logout/", HTTP_POST, 0, logout },
};

const web_module web_module_accounts = { pages, sizeof(pages) / sizeof(pages[0]) };
