/* Registration with e-mail activation, and password reset by e-mail
 * (spec 1, 5.12, 8.4). Paths as in the original:
 *   /account/register/ (+ complete/, closed/), /account/activate/<key>/,
 *   /account/activate/complete/, /accounts/password_reset/ (+ _done/,
 *   _confirm/<uidb64>/<token>/, _complete/).
 * Tokens travel only in the mailed links; the database keeps their
 * SHA-256, they are single-use and expire (7 days for activation, 1 day
 * for a reset). A new account stays inactive, and so cannot log in, until
 * its link is followed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/secret.h"
#include "util/log.h"
#include "web/account.h"
#include "web/email_check.h"
#include "web/web_internal.h"

#define RESET_MAX_USERS 8

/* ---- the mails (one msgid per paragraph) ---- */

static const char *const activation_mail[] = {
	N_("Hello %(username)s,"),
	N_("somebody, probably you, registered an account with this e-mail address at "
	   "%(site)s."),
	N_("To activate the account, open this link within %(days)s days:\n%(link)s"),
	N_("If you did not register, you can ignore this mail: the account stays inactive and "
	   "will be removed."),
};
static const char activation_subject[] = N_("Account registration for %(site)s");

static const char *const reset_mail[] = {
	N_("Hello %(username)s,"),
	N_("somebody, probably you, asked to reset the password of your account at %(site)s."),
	N_("To choose a new password, open this link within 24 hours (it works only once):\n"
	   "%(link)s"),
	N_("Your username, in case you have forgotten it: %(username)s"),
	N_("If you did not ask for this, you can ignore this mail: your password stays as it "
	   "is."),
};
static const char reset_subject[] = N_("Password reset on %(site)s");

/* ---- registration ---- */

static void register_form(web_req *r, unsigned status, json_t *errors)
{
	const char *username = web_form(r, "username");
	const char *email = web_form(r, "email");
	json_object_set_new(r->ctx, "username", json_string(username != NULL ? username : ""));
	json_object_set_new(r->ctx, "email", json_string(email != NULL ? email : ""));
	json_object_set_new(r->ctx, "errors", errors != NULL ? errors : json_object());
	json_object_set_new(r->ctx, "password_min", json_integer(ACCOUNT_PASSWORD_MIN));
	web_render(r, status, "accounts/register.html");
}

static void set_error(json_t *errors, const char *field, const char *text)
{
	if (json_object_get(errors, field) == NULL)
		json_object_set_new(errors, field, json_string(text));
}

/* The e-mail checks of spec 5.12. False with the form's message. */
static bool email_acceptable(web_req *r, const char *email)
{
	const nsupd_config *cfg = r->app->cfg;
	if (!email_syntax_ok(email))
		return false;
	if (email_blacklisted(cfg->email_blacklist, cfg->n_email_blacklist, email)) {
		log_info("web: registration with blacklisted e-mail address %s refused", email);
		return false;
	}
	dns_server resolver;
	if (!email_resolver(cfg->email_check_resolver, &resolver))
		return true;
	bool ok = false;
	char why[300];
	nsupd_err e = email_domain_deliverable(&resolver, EMAIL_CHECK_TIMEOUT_MS,
					       strrchr(email, '@') + 1, &ok, why, sizeof(why));
	if (e != NSUPD_OK)
		log_warn("web: e-mail domain check of %s failed: %s", email, why);
	else if (!ok)
		log_info("web: e-mail address %s refused: %s", email, why);
	return e == NSUPD_OK && ok;
}

static void register_get(web_req *r)
{
	if (r->logged_in) {
		web_redirect(r, "/overview/");
		return;
	}
	if (!r->app->cfg->registration_open) {
		web_redirect(r, "/account/register/closed/");
		return;
	}
	register_form(r, 200, NULL);
}

static void register_post(web_req *r)
{
	const nsupd_config *cfg = r->app->cfg;
	if (r->logged_in) {
		web_redirect(r, "/overview/");
		return;
	}
	if (!cfg->registration_open) {
		web_redirect(r, "/account/register/closed/");
		return;
	}
	json_t *errors = json_object();
	if (web_rate_limited(r, "register", cfg->register_max, cfg->register_window)) {
		json_object_set_new(errors, "form", json_string(_(r,
			"Too many registrations from your address. Please try again later.")));
		register_form(r, 429, errors);
		return;
	}
	const char *username = web_form(r, "username");
	const char *email = web_form(r, "email");
	const char *pw1 = web_form(r, "password1");
	const char *pw2 = web_form(r, "password2");
	if (username == NULL)
		username = "";
	if (email == NULL)
		email = "";

	const char *problem = account_username_problem(r, username);
	if (problem != NULL) {
		set_error(errors, "username", problem);
	} else {
		bool taken = false;
		nsupd_err e = store_user_name_taken(r->app->store, username, &taken);
		if (e != NSUPD_OK) {
			log_error("web: registration: %s", nsupd_strerror(e));
			json_decref(errors);
			web_error(r, 500, NULL);
			return;
		}
		if (taken)
			set_error(errors, "username", _(r, "A user with that username already exists."));
	}
	if (email[0] == '\0')
		set_error(errors, "email", _(r, "Please enter your e-mail address."));
	problem = account_password_problem(r, pw1, username, email);
	if (problem != NULL)
		set_error(errors, "password1", problem);
	else if (pw2 == NULL || strcmp(pw1, pw2) != 0)
		set_error(errors, "password2", _(r, "The two password fields didn't match."));
	/* The DNS check last: only a form that is otherwise fine costs a
	 * lookup. */
	if (json_object_size(errors) == 0 && !email_acceptable(r, email))
		set_error(errors, "email", _(r, "Enter a valid email address."));
	if (json_object_size(errors) > 0) {
		register_form(r, 200, errors);
		return;
	}
	json_decref(errors);

	store_user u;
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", username);
	snprintf(u.email, sizeof(u.email), "%s", email);
	char token[ACCOUNT_TOKEN_LEN + 1], hash[STORE_TOKEN_HASH_MAX];
	if (password_hash(pw1, u.password_hash, sizeof(u.password_hash)) != NSUPD_OK ||
	    account_token_new(token, hash) != NSUPD_OK) {
		web_error(r, 500, NULL);
		return;
	}
	int64_t id = 0;
	nsupd_err e = store_account_register(r->app->store, &u, hash, r->now,
					     r->now + ACCOUNT_ACTIVATION_DAYS * 86400LL, &id);
	if (e == NSUPD_ERR_EXISTS) {
		errors = json_object();
		set_error(errors, "username", _(r, "A user with that username already exists."));
		register_form(r, 200, errors);
		return;
	}
	if (e != NSUPD_OK) {
		log_error("web: registering %s: %s", username, nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	web_rate_note(r, "register");
	log_info("web: registered user %s (id %lld), activation mail to %s", username,
		 (long long)id, email);

	char path[128], link[600], days[16];
	snprintf(path, sizeof(path), "/account/activate/%s/", token);
	account_url(r, path, link, sizeof(link));
	snprintf(days, sizeof(days), "%d", ACCOUNT_ACTIVATION_DAYS);
	const char *names[] = { "site", "username", "link", "days" };
	const char *values[] = { cfg->site_name, username, link, days };
	/* In the language the visitor is reading: the new account has not
	 * chosen one yet. */
	e = account_mail(r, email, r->lang, activation_subject, activation_mail,
			 sizeof(activation_mail) / sizeof(activation_mail[0]), names, values, 4);
	if (e != NSUPD_OK && e != NSUPD_ERR_IO) {
		/* Not sent and not queued: the account could never be
		 * activated, so it goes again and the visitor is told. */
		store_user_delete(r->app->store, id);
		errors = json_object();
		set_error(errors, "form", _(r, "The activation e-mail could not be sent. Please try "
					       "again later."));
		register_form(r, 503, errors);
		return;
	}
	web_redirect(r, "/account/register/complete/");
}

static void register_complete(web_req *r)
{
	json_object_set_new(r->ctx, "days", json_integer(ACCOUNT_ACTIVATION_DAYS));
	web_render(r, 200, "accounts/register_complete.html");
}

static void register_closed(web_req *r)
{
	web_render(r, 200, "accounts/register_closed.html");
}

static bool token_syntax_ok(const char *t)
{
	if (t == NULL || strlen(t) != ACCOUNT_TOKEN_LEN)
		return false;
	for (const char *p = t; *p; p++)
		if (strchr(SECRET_ALPHABET, *p) == NULL)
			return false;
	return true;
}

static void activate(web_req *r)
{
	const char *key = web_path_name(r, 0);
	int64_t uid = 0;
	nsupd_err e = NSUPD_ERR_NOT_FOUND;
	if (token_syntax_ok(key)) {
		char hash[STORE_TOKEN_HASH_MAX];
		account_token_hash(key, hash);
		e = store_account_activate(r->app->store, hash, r->now, &uid);
	}
	if (e == NSUPD_OK) {
		log_info("web: activated user %lld", (long long)uid);
		web_redirect(r, "/account/activate/complete/");
		return;
	}
	if (e != NSUPD_ERR_NOT_FOUND)
		log_error("web: activation: %s", nsupd_strerror(e));
	json_object_set_new(r->ctx, "days", json_integer(ACCOUNT_ACTIVATION_DAYS));
	web_render(r, e == NSUPD_ERR_NOT_FOUND ? 200 : 500, "accounts/activate_failed.html");
}

static void activate_complete(web_req *r)
{
	web_render(r, 200, "accounts/activate_complete.html");
}

/* ---- password reset ---- */

/* The user id in a reset link: base64url of the decimal id (as Django's
 * uidb64), so links look like the original's. */
static void uid_encode(int64_t id, char *out, size_t outsize)
{
	char dec[24];
	snprintf(dec, sizeof(dec), "%lld", (long long)id);
	sodium_bin2base64(out, outsize, (const unsigned char *)dec, strlen(dec),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int64_t uid_decode(const char *s)
{
	unsigned char dec[24];
	size_t n = 0;
	if (s == NULL || strlen(s) > 30 ||
	    sodium_base642bin(dec, sizeof(dec) - 1, s, strlen(s), NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || n == 0)
		return 0;
	dec[n] = '\0';
	char *end = NULL;
	long long v = strtoll((const char *)dec, &end, 10);
	return end != NULL && *end == '\0' && v > 0 ? (int64_t)v : 0;
}

static void reset_form(web_req *r, unsigned status, const char *error)
{
	const char *email = web_form(r, "email");
	json_object_set_new(r->ctx, "email", json_string(email != NULL ? email : ""));
	json_object_set_new(r->ctx, "error", web_json_str(error));
	web_render(r, status, "accounts/password_reset.html");
}

static void reset_get(web_req *r)
{
	reset_form(r, 200, NULL);
}

static void reset_send(web_req *r, int64_t uid)
{
	store_user u;
	if (store_user_get(r->app->store, uid, &u) != NSUPD_OK)
		return;
	char token[ACCOUNT_TOKEN_LEN + 1], hash[STORE_TOKEN_HASH_MAX];
	if (account_token_new(token, hash) != NSUPD_OK)
		return;
	nsupd_err e = store_token_add(r->app->store, uid, STORE_TOKEN_RESET, hash, r->now,
				      r->now + ACCOUNT_RESET_SECONDS);
	if (e != NSUPD_OK) {
		log_error("web: storing a reset token: %s", nsupd_strerror(e));
		return;
	}
	char uidb64[40], path[160], link[700];
	uid_encode(uid, uidb64, sizeof(uidb64));
	snprintf(path, sizeof(path), "/accounts/password_reset_confirm/%s/%s/", uidb64, token);
	account_url(r, path, link, sizeof(link));
	const char *names[] = { "site", "username", "link" };
	const char *values[] = { r->app->cfg->site_name, u.name, link };
	/* The user's own language when the profile has one. */
	const char *lang = u.language[0] != '\0' ? u.language : r->lang;
	e = account_mail(r, u.email, lang, reset_subject, reset_mail,
			 sizeof(reset_mail) / sizeof(reset_mail[0]), names, values, 3);
	if (e != NSUPD_OK && e != NSUPD_ERR_IO)
		log_error("web: password reset mail for user %s not sent", u.name);
	else
		log_info("web: password reset mail for user %s to %s", u.name, u.email);
}

static void reset_post(web_req *r)
{
	const nsupd_config *cfg = r->app->cfg;
	const char *email = web_form(r, "email");
	if (email == NULL || !email_syntax_ok(email)) {
		reset_form(r, 200, _(r, "Enter a valid email address."));
		return;
	}
	/* Every request may send mail: limited like registrations, so the
	 * form cannot be used to flood a mailbox. */
	if (web_rate_limited(r, "pwreset", cfg->register_max, cfg->register_window)) {
		reset_form(r, 429, _(r, "Too many password reset requests from your address. "
				       "Please try again later."));
		return;
	}
	web_rate_note(r, "pwreset");
	int64_t ids[RESET_MAX_USERS];
	size_t n = 0;
	nsupd_err e = store_user_ids_by_email(r->app->store, email, ids, RESET_MAX_USERS, &n);
	if (e != NSUPD_OK)
		log_error("web: password reset lookup: %s", nsupd_strerror(e));
	for (size_t i = 0; i < n; i++)
		reset_send(r, ids[i]);
	/* The same answer whether or not the address is known: the form
	 * must not tell who has an account. */
	web_redirect(r, "/accounts/password_reset_done/");
}

static void reset_done(web_req *r)
{
	web_render(r, 200, "accounts/password_reset_done.html");
}

/* The user of a reset link when the link is (still) valid, else 0. */
static int64_t reset_link_user(web_req *r, char hash[STORE_TOKEN_HASH_MAX])
{
	int64_t uid = uid_decode(web_path_name(r, 0));
	const char *token = web_path_name(r, 1);
	if (uid == 0 || !token_syntax_ok(token))
		return 0;
	account_token_hash(token, hash);
	int64_t owner = 0;
	nsupd_err e = store_token_check(r->app->store, STORE_TOKEN_RESET, hash, r->now, &owner);
	if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND)
		log_error("web: checking a reset link: %s", nsupd_strerror(e));
	return e == NSUPD_OK && owner == uid ? uid : 0;
}

static void reset_confirm(web_req *r)
{
	char hash[STORE_TOKEN_HASH_MAX];
	int64_t uid = reset_link_user(r, hash);
	store_user u;
	if (uid == 0 || store_user_get(r->app->store, uid, &u) != NSUPD_OK || !u.active) {
		json_object_set_new(r->ctx, "validlink", json_false());
		web_render(r, 200, "accounts/password_reset_confirm.html");
		return;
	}
	json_object_set_new(r->ctx, "validlink", json_true());
	json_object_set_new(r->ctx, "reset_user", json_string(u.name));
	if (!r->http->post) {
		web_render(r, 200, "accounts/password_reset_confirm.html");
		return;
	}
	const char *pw1 = web_form(r, "new_password1");
	const char *pw2 = web_form(r, "new_password2");
	json_t *errors = json_object();
	const char *problem = account_password_problem(r, pw1, u.name, u.email);
	if (problem != NULL)
		set_error(errors, "new_password1", problem);
	else if (pw2 == NULL || strcmp(pw1, pw2) != 0)
		set_error(errors, "new_password2", _(r, "The two password fields didn't match."));
	if (json_object_size(errors) > 0) {
		json_object_set_new(r->ctx, "errors", errors);
		web_render(r, 200, "accounts/password_reset_confirm.html");
		return;
	}
	json_decref(errors);
	char ph[STORE_HASH_MAX];
	if (password_hash(pw1, ph, sizeof(ph)) != NSUPD_OK) {
		web_error(r, 500, NULL);
		return;
	}
	nsupd_err e = store_account_reset_password(r->app->store, hash, uid, ph, r->now);
	if (e == NSUPD_ERR_NOT_FOUND) {
		/* Used up by a parallel request in the meantime. */
		json_object_set_new(r->ctx, "validlink", json_false());
		web_render(r, 200, "accounts/password_reset_confirm.html");
		return;
	}
	if (e != NSUPD_OK) {
		log_error("web: setting a reset password: %s", nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	/* Whoever knew the old password is logged out everywhere. */
	e = store_session_delete_user(r->app->store, uid, NULL);
	if (e != NSUPD_OK)
		log_error("web: ending the sessions of user %lld: %s", (long long)uid,
			  nsupd_strerror(e));
	if (r->logged_in && r->user.id == uid)
		web_logout(r);
	log_info("web: user %s set a new password by reset link", u.name);
	web_redirect(r, "/accounts/password_reset_complete/");
}

static void reset_complete(web_req *r)
{
	web_render(r, 200, "accounts/password_reset_complete.html");
}

static const web_page pages[] = {
	{ "/account/register/", HTTP_GET, 0, register_get },
	{ "/account/register/", HTTP_POST, 0, register_post },
	{ "/account/register/complete/", HTTP_GET, 0, register_complete },
	{ "/account/register/closed/", HTTP_GET, 0, register_closed },
	{ "/account/activate/complete/", HTTP_GET, 0, activate_complete },
	{ "/account/activate/<name>/", HTTP_GET, 0, activate },
	{ "/accounts/password_reset/", HTTP_GET, 0, reset_get },
	{ "/accounts/password_reset/", HTTP_POST, 0, reset_post },
	{ "/accounts/password_reset_done/", HTTP_GET, 0, reset_done },
	{ "/accounts/password_reset_confirm/<name>/<name>/", HTTP_GET | HTTP_POST, 0,
	  reset_confirm },
	{ "/accounts/password_reset_complete/", HTTP_GET, 0, reset_complete },
};

const web_module web_module_register = { pages, sizeof(pages) / sizeof(pages[0]) };
