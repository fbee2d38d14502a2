/* Two-factor login (TOTP, RFC 6238) for accounts with a local password:
 * /account/two-factor/ turns it on (password, QR code, a confirming code,
 * then ten one-time recovery codes shown once) and off (password and a
 * code); /accounts/login/two-factor/ is the second step of a login once it
 * is on. A code is accepted for the current time step or one step either
 * side, and never twice: the store keeps the newest accepted step. The
 * update API is not affected (hosts keep their own secrets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/secret.h"
#include "util/log.h"
#include "web/extlogin.h"
#include "web/totp.h"
#include "web/web_internal.h"

#define PENDING_KEY "tfa"
#define PENDING_MAX_AGE 300
#define ENROL_KEY "totp_new"
#define ENROL_MAX_AGE 900
#define CODE_PAGE "/accounts/login/two-factor/"
#define MANAGE_PAGE "/account/two-factor/"
#define DEFAULT_NEXT "/overview/"

void extlogin_finish(web_req *r, const store_user *u, bool keep, const char *next,
		     const char *fallback)
{
	if (web_login(r, u, keep) != NSUPD_OK) {
		web_error(r, 500, NULL);
		return;
	}
	store_user_set_last_login(r->app->store, u->id, r->now);
	/* The answer goes out after the handler: callers' buffers are gone
	 * by then, the arena is not. */
	const char *to = web_is_local_path(next) ? arena_strdup(r->a, next) : fallback;
	web_redirect(r, to != NULL ? to : fallback);
}

bool extlogin_second_step(web_req *r, const store_user *u, bool keep, const char *next)
{
	store_totp t;
	nsupd_err e = store_totp_get(r->app->store, u->id, &t);
	sodium_memzero(&t, sizeof(t));
	if (e == NSUPD_ERR_NOT_FOUND)
		return false;
	json_t *data = e == NSUPD_OK ? web_session_data(r) : NULL;
	if (data == NULL) {
		/* Fails closed: no login without the second factor. */
		log_error("web: reading the two-factor state of user %lld: %s", (long long)u->id,
			  nsupd_strerror(e));
		web_error(r, 500, NULL);
		return true;
	}
	json_object_set_new(data, PENDING_KEY, json_pack("{s:I, s:b, s:s, s:I}",
		"u", (json_int_t)u->id, "k", keep, "next", web_is_local_path(next) ? next : "",
		"t", (json_int_t)r->now));
	web_session_touch(r);
	web_redirect(r, CODE_PAGE);
	return true;
}

/* Checks code (a TOTP code, or else a recovery code) for user uid and uses
 * it up. *recovery says a recovery code was used; *reused that the TOTP
 * code was right but already used. */
static nsupd_err check_code(web_req *r, int64_t uid, const char *code, bool *ok, bool *recovery,
			    bool *reused)
{
	*ok = *recovery = *reused = false;
	if (code == NULL)
		return NSUPD_OK;
	store_totp t;
	nsupd_err e = store_totp_get(r->app->store, uid, &t);
	if (e != NSUPD_OK)
		return e;
	if (totp_is_code(code)) {
		int64_t step = totp_match(t.secret, code, r->now);
		sodium_memzero(&t, sizeof(t));
		if (step < 0)
			return NSUPD_OK;
		e = store_totp_use_step(r->app->store, uid, step, ok);
		*reused = e == NSUPD_OK && !*ok;
		return e;
	}
	sodium_memzero(&t, sizeof(t));
	char hash[65];
	if (!totp_recovery_hash(code, hash))
		return NSUPD_OK;
	e = store_totp_use_recovery(r->app->store, uid, hash, r->now, ok);
	*recovery = *ok;
	return e;
}

/* ---- the second step of a login ---- */

static void code_form(web_req *r, unsigned status, const char *error)
{
	json_object_set_new(r->ctx, "error", web_json_str(error));
	web_render(r, status, "accounts/two_factor_login.html");
}

static void login_code(web_req *r)
{
	json_t *data = web_session_data(r);
	json_t *p = data != NULL ? json_object_get(data, PENDING_KEY) : NULL;
	int64_t uid = json_integer_value(json_object_get(p, "u"));
	int64_t started = json_integer_value(json_object_get(p, "t"));
	if (!json_is_object(p) || uid <= 0 || r->now - started > PENDING_MAX_AGE ||
	    r->now < started) {
		if (p != NULL) {
			json_object_del(data, PENDING_KEY);
			web_session_touch(r);
			web_flash(r, "warning", _(r, "That took too long. Please log in again."));
		}
		web_redirect(r, "/accounts/login/");
		return;
	}
	if (!r->http->post) {
		code_form(r, 200, NULL);
		return;
	}
	const nsupd_config *cfg = r->app->cfg;
	/* Per address, and per account: whoever knows the password may try
	 * from many addresses, but not more than twice the limit in all. */
	char subject[32];
	snprintf(subject, sizeof(subject), "user:%lld", (long long)uid);
	int64_t account_failures = 0;
	if (store_rate_count(r->app->store, "totp", subject, r->now - cfg->login_failures_window,
			     &account_failures) != NSUPD_OK)
		account_failures = 0;
	if (web_rate_limited(r, "totp", cfg->login_failures_max, cfg->login_failures_window) ||
	    account_failures >= 2 * (int64_t)cfg->login_failures_max) {
		code_form(r, 429, _(r, "Too many wrong codes from your address. Please wait a few "
				       "minutes and try again."));
		return;
	}
	bool ok, recovery, reused;
	nsupd_err e = check_code(r, uid, web_form(r, "code"), &ok, &recovery, &reused);
	store_user u;
	if (e == NSUPD_OK && ok)
		e = store_user_get(r->app->store, uid, &u);
	if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND) {
		log_error("web: checking a two-factor code: %s", nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	if (e == NSUPD_ERR_NOT_FOUND) {
		/* The account or its two-factor setting went away meanwhile. */
		json_object_del(data, PENDING_KEY);
		web_redirect(r, "/accounts/login/");
		return;
	}
	if (!ok) {
		web_rate_note(r, "totp");
		store_rate_add(r->app->store, "totp", subject, r->now);
		code_form(r, 200, reused ? _(r, "This code has already been used. Please wait for "
						"the next code of your app.")
					 : _(r, "This code is not valid. Please enter the current "
						"code of your authenticator app or one of your "
						"recovery codes."));
		return;
	}
	if (!u.active) {
		json_object_del(data, PENDING_KEY);
		web_redirect(r, "/accounts/login/");
		return;
	}
	bool keep = json_is_true(json_object_get(p, "k"));
	char next[512];
	snprintf(next, sizeof(next), "%s", json_string_value(json_object_get(p, "next")) != NULL
		 ? json_string_value(json_object_get(p, "next")) : "");
	json_object_del(data, PENDING_KEY);
	extlogin_finish(r, &u, keep, next, DEFAULT_NEXT);
	if (recovery) {
		int64_t left = 0;
		store_totp_recovery_left(r->app->store, uid, &left);
		log_info("web: user %s logged in with a recovery code (%lld left)", u.name,
			 (long long)left);
		web_flash(r, "warning", _(r, "You logged in with a recovery code, which is now used "
					     "up. If you lost your authenticator, turn two-factor "
					     "login off and on again to get a new secret and new "
					     "recovery codes."));
	}
}

/* ---- turning it on and off ---- */

static void group4(const char *s, char *out, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; s[i] && n + 2 < size; i++) {
		if (i > 0 && i % 4 == 0)
			out[n++] = ' ';
		out[n++] = s[i];
	}
	out[n] = '\0';
}

static void render_manage(web_req *r, bool enabled, json_t *errors)
{
	int64_t left = 0;
	if (enabled)
		store_totp_recovery_left(r->app->store, r->user.id, &left);
	json_object_set_new(r->ctx, "twofactor", json_pack("{s:b, s:b, s:I}", "enabled", enabled,
		"has_password", r->user.password_hash[0] != '\0', "recovery_left",
		(json_int_t)left));
	json_object_set_new(r->ctx, "errors", errors != NULL ? errors : json_object());
	web_render(r, 200, "accounts/two_factor.html");
}

/* The enrolment step: QR code and secret of the secret kept in the
 * session, and the form for the confirming code. */
static void render_enrol(web_req *r, const char *secret, json_t *errors)
{
	char uri[1024], grouped[TOTP_SECRET_B32_MAX * 2];
	totp_uri(r->app->cfg->site_name, r->user.name, secret, uri, sizeof(uri));
	group4(secret, grouped, sizeof(grouped));
	char *svg = totp_qr_svg(uri);
	if (svg == NULL) {
		web_error(r, 500, NULL);
		return;
	}
	/* The SVG is built by totp_qr_svg from path data only (no text of
	 * the user's): it goes out raw through {{{ }}}. */
	json_object_set_new(r->ctx, "enrol", json_pack("{s:s, s:s, s:s}", "qr_svg", svg,
						       "secret", grouped, "uri", uri));
	free(svg);
	render_manage(r, false, errors);
}

static bool password_ok(const web_req *r, const char *password)
{
	return password != NULL && r->user.password_hash[0] != '\0' &&
	       password_verify(password, r->user.password_hash);
}

static void manage(web_req *r)
{
	store_totp t;
	nsupd_err e = store_totp_get(r->app->store, r->user.id, &t);
	sodium_memzero(&t, sizeof(t));
	if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND) {
		log_error("web: reading the two-factor state of user %lld: %s",
			  (long long)r->user.id, nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	bool enabled = e == NSUPD_OK;
	if (!r->http->post) {
		render_manage(r, enabled, NULL);
		return;
	}
	const char *action = web_form(r, "action");
	json_t *data = web_session_data(r);
	if (action == NULL || data == NULL) {
		web_redirect(r, MANAGE_PAGE);
		return;
	}
	json_t *errors = json_object();
	if (strcmp(action, "start") == 0 && !enabled && r->user.password_hash[0] != '\0') {
		if (!password_ok(r, web_form(r, "password"))) {
			json_object_set_new(errors, "password", json_string(_(r,
				"Your password was entered incorrectly. Please enter it again.")));
			render_manage(r, enabled, errors);
			return;
		}
		json_decref(errors);
		char secret[TOTP_SECRET_B32_MAX];
		if (totp_new_secret(secret) != NSUPD_OK) {
			web_error(r, 500, NULL);
			return;
		}
		json_object_set_new(data, ENROL_KEY, json_pack("{s:s, s:I}", "s", secret, "t",
							      (json_int_t)r->now));
		web_session_touch(r);
		render_enrol(r, secret, NULL);
		sodium_memzero(secret, sizeof(secret));
		return;
	}
	if (strcmp(action, "confirm") == 0 && !enabled) {
		json_t *en = json_object_get(data, ENROL_KEY);
		const char *secret = json_string_value(json_object_get(en, "s"));
		int64_t t0 = json_integer_value(json_object_get(en, "t"));
		if (secret == NULL || r->now - t0 > ENROL_MAX_AGE) {
			json_decref(errors);
			json_object_del(data, ENROL_KEY);
			web_flash(r, "warning", _(r, "That took too long. Please start again."));
			web_redirect(r, MANAGE_PAGE);
			return;
		}
		int64_t step = totp_match(secret, web_form(r, "code"), r->now);
		if (step < 0) {
			json_object_set_new(errors, "code", json_string(_(r,
				"This code is not valid. Check that the time of your device is "
				"right and enter the current code.")));
			render_enrol(r, secret, errors);
			return;
		}
		json_decref(errors);
		char codes[TOTP_RECOVERY_CODES][TOTP_RECOVERY_LEN + 1];
		char hashes[TOTP_RECOVERY_CODES][65];
		const char *hp[TOTP_RECOVERY_CODES];
		json_t *shown = json_array();
		for (size_t i = 0; i < TOTP_RECOVERY_CODES; i++) {
			totp_recovery_new(codes[i]);
			totp_recovery_hash(codes[i], hashes[i]);
			hp[i] = hashes[i];
			json_array_append_new(shown, json_string(codes[i]));
		}
		e = store_totp_enable(r->app->store, r->user.id, secret, step, hp,
				      TOTP_RECOVERY_CODES, r->now);
		json_object_del(data, ENROL_KEY);
		sodium_memzero(codes, sizeof(codes));
		if (e != NSUPD_OK) {
			json_decref(shown);
			log_error("web: enabling two-factor login for user %lld: %s",
				  (long long)r->user.id, nsupd_strerror(e));
			web_error(r, 500, NULL);
			return;
		}
		log_info("web: user %s turned two-factor login on", r->user.name);
		json_object_set_new(r->ctx, "new_codes", shown);
		render_manage(r, true, NULL);
		return;
	}
	if (strcmp(action, "disable") == 0 && enabled) {
		bool ok = false, recovery, reused;
		if (!password_ok(r, web_form(r, "password"))) {
			json_object_set_new(errors, "password", json_string(_(r,
				"Your password was entered incorrectly. Please enter it again.")));
		} else {
			e = check_code(r, r->user.id, web_form(r, "code"), &ok, &recovery, &reused);
			if (e != NSUPD_OK) {
				json_decref(errors);
				web_error(r, 500, NULL);
				return;
			}
			if (!ok)
				json_object_set_new(errors, "code", json_string(reused
					? _(r, "This code has already been used. Please wait for the "
					       "next code of your app.")
					: _(r, "This code is not valid.")));
		}
		if (!ok) {
			render_manage(r, enabled, errors);
			return;
		}
		json_decref(errors);
		e = store_totp_disable(r->app->store, r->user.id);
		if (e != NSUPD_OK) {
			log_error("web: disabling two-factor login for user %lld: %s",
				  (long long)r->user.id, nsupd_strerror(e));
			web_error(r, 500, NULL);
			return;
		}
		log_info("web: user %s turned two-factor login off", r->user.name);
		web_flash(r, "success", _(r, "Two-factor login is off."));
		web_redirect(r, MANAGE_PAGE);
		return;
	}
	json_decref(errors);
	web_redirect(r, MANAGE_PAGE);
}

static const web_page pages[] = {
	{ CODE_PAGE, HTTP_GET | HTTP_POST, 0, login_code },
	{ MANAGE_PAGE, HTTP_GET | HTTP_POST, WEB_LOGIN, manage },
};

const web_module web_module_twofactor = { pages, sizeof(pages) / sizeof(pages[0]) };
