/* Remote login with OAuth2 / OpenID Connect providers (the original's
 * python-social-auth paths): /login/<backend>/ starts a flow,
 * /complete/<backend>/ is where the provider sends the browser back,
 * /disconnect/<backend>/<id>/ removes an association from the profile.
 *
 * A flow started by an anonymous visitor logs in (creating an account
 * without a local password the first time); one started from the profile
 * page (`associate=1`) associates the identity with the
 * logged-in account. The flow's state, PKCE verifier and nonce live in the
 * session only and are used once: the provider's answer must carry the
 * same state, into the same browser session, within ten minutes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/secret.h"
#include "util/log.h"
#include "web/account.h"
#include "web/email_check.h"
#include "web/extlogin.h"
#include "web/oidc.h"
#include "web/web_internal.h"

#define FLOW_KEY "remote"
#define FLOW_MAX_AGE 600
#define LOGIN_PAGE "/accounts/login/"
#define PROFILE_PAGE "/account/profile/"
#define DEFAULT_NEXT "/overview/"

void extlogin_login_context(web_req *r)
{
	const nsupd_config *cfg = r->app->cfg;
	json_t *list = json_array();
	for (size_t i = 0; i < cfg->n_oauth; i++)
		json_array_append_new(list, json_pack("{s:s, s:s}", "name", cfg->oauth[i].name,
						      "title", cfg->oauth[i].title));
	json_object_set_new(r->ctx, "remote_providers", list);
}

static const char *provider_title(const nsupd_config *cfg, const char *name)
{
	const config_oauth *p = oidc_provider(cfg, name);
	return p != NULL ? p->title : name;
}

void extlogin_profile_context(web_req *r)
{
	const nsupd_config *cfg = r->app->cfg;
	store_remote ids[STORE_REMOTE_MAX];
	size_t n = 0;
	nsupd_err e = store_remote_list(r->app->store, r->user.id, ids, STORE_REMOTE_MAX, &n);
	if (e != NSUPD_OK)
		log_error("web: listing the remote identities of user %lld: %s",
			  (long long)r->user.id, nsupd_strerror(e));
	bool has_password = r->user.password_hash[0] != '\0';
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I}",
			"id", (json_int_t)ids[i].id, "provider", ids[i].provider,
			"title", provider_title(cfg, ids[i].provider), "login", ids[i].login,
			"email", ids[i].email, "created", (json_int_t)ids[i].created,
			"last_login", (json_int_t)ids[i].last_login));
	json_t *providers = json_array();
	for (size_t i = 0; i < cfg->n_oauth; i++)
		json_array_append_new(providers, json_pack("{s:s, s:s}", "name", cfg->oauth[i].name,
							   "title", cfg->oauth[i].title));
	json_object_set_new(r->ctx, "remote", json_pack("{s:o, s:o, s:b, s:b}",
		"identities", list, "providers", providers,
		"can_disconnect", has_password || n > 1, "has_password", has_password));
	store_totp t;
	json_object_set_new(r->ctx, "twofactor", json_pack("{s:b}", "enabled",
		store_totp_get(r->app->store, r->user.id, &t) == NSUPD_OK));
	sodium_memzero(&t, sizeof(t));
}

static void redirect_uri(const web_req *r, const char *name, char *out, size_t size)
{
	char path[128];
	snprintf(path, sizeof(path), "/complete/%s/", name);
	account_url(r, path, out, size);
}

/* ---- start ---- */

static void remote_start(web_req *r)
{
	const char *name = web_path_name(r, 0);
	const config_oauth *p = oidc_provider(r->app->cfg, name);
	if (p == NULL) {
		web_error(r, 404, NULL);
		return;
	}
	/* A plain link (GET), not a form: browsers apply the CSP's
	 * form-action 'self' to the redirect to the provider as well. A
	 * forged link cannot harm: the flow is bound to this session, so at
	 * most the visitor's own remote account gets connected to the
	 * visitor's own account. */
	bool assoc = (r->http->post ? web_form(r, "associate") : web_query(r, "associate")) != NULL;
	if (assoc && !r->logged_in) {
		web_redirect(r, LOGIN_PAGE);
		return;
	}
	if (!assoc && r->logged_in) {
		/* Already logged in: another identity is added from the
		 * profile page, never by a link. */
		web_redirect(r, PROFILE_PAGE);
		return;
	}
	const char *next = r->http->post ? web_form(r, "next") : web_query(r, "next");
	char state[OIDC_STATE_LEN + 1], verifier[OIDC_VERIFIER_LEN + 1], nonce[OIDC_STATE_LEN + 1];
	json_t *data = web_session_data(r);
	if (data == NULL || secret_random_text(state, OIDC_STATE_LEN) != NSUPD_OK ||
	    secret_random_text(verifier, OIDC_VERIFIER_LEN) != NSUPD_OK ||
	    secret_random_text(nonce, OIDC_STATE_LEN) != NSUPD_OK) {
		web_error(r, 500, NULL);
		return;
	}
	char ruri[512], err[512];
	redirect_uri(r, p->name, ruri, sizeof(ruri));
	char *url = arena_alloc(r->a, OIDC_URL_MAX);
	if (url == NULL) {
		web_error(r, 500, NULL);
		return;
	}
	if (oidc_authorize_url(p, ruri, state, verifier, nonce, url, OIDC_URL_MAX, err,
			       sizeof(err)) != NSUPD_OK) {
		log_warn("web: remote login via %s: %s", p->name, err);
		web_flash(r, "danger", _(r, "The login service cannot be reached right now. "
					    "Please try again later."));
		web_redirect(r, assoc ? PROFILE_PAGE : LOGIN_PAGE);
		return;
	}
	/* One flow at a time: a new start replaces an unfinished one. */
	json_object_set_new(data, FLOW_KEY, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I}",
		"p", p->name, "s", state, "v", verifier, "n", nonce, "m", assoc ? "assoc" : "login",
		"u", (json_int_t)(assoc ? r->user.id : 0),
		"next", web_is_local_path(next) ? next : "", "t", (json_int_t)r->now));
	web_session_touch(r);
	web_redirect(r, url);
}

/* ---- the provider's answer ---- */

typedef struct flow {
	char provider[40];
	char state[OIDC_STATE_LEN + 1];
	char verifier[OIDC_VERIFIER_LEN + 1];
	char nonce[OIDC_STATE_LEN + 1];
	bool assoc;
	int64_t uid;
	char next[512];
	int64_t started;
	bool present;
} flow;

static void copy_str(char *dst, size_t size, json_t *v)
{
	snprintf(dst, size, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* Takes the flow out of the session: whatever happens next, it is used. */
static void take_flow(web_req *r, flow *f)
{
	memset(f, 0, sizeof(*f));
	json_t *data = web_session_data(r);
	json_t *o = data != NULL ? json_object_get(data, FLOW_KEY) : NULL;
	if (!json_is_object(o))
		return;
	copy_str(f->provider, sizeof(f->provider), json_object_get(o, "p"));
	copy_str(f->state, sizeof(f->state), json_object_get(o, "s"));
	copy_str(f->verifier, sizeof(f->verifier), json_object_get(o, "v"));
	copy_str(f->nonce, sizeof(f->nonce), json_object_get(o, "n"));
	copy_str(f->next, sizeof(f->next), json_object_get(o, "next"));
	json_t *m = json_object_get(o, "m");
	f->assoc = json_is_string(m) && strcmp(json_string_value(m), "assoc") == 0;
	f->uid = json_integer_value(json_object_get(o, "u"));
	f->started = json_integer_value(json_object_get(o, "t"));
	f->present = f->state[0] != '\0' && f->verifier[0] != '\0';
	json_object_del(data, FLOW_KEY);
	web_session_touch(r);
}

static bool same_secret(const char *a, const char *b)
{
	size_t n = strlen(a);
	return n > 0 && strlen(b) == n && sodium_memcmp(a, b, n) == 0;
}

static void fail_back(web_req *r, const flow *f, const char *msg)
{
	web_flash(r, "danger", msg);
	web_redirect(r, f->assoc && r->logged_in ? PROFILE_PAGE : LOGIN_PAGE);
}

/* A user name from what the provider said: the e-mail address (as the
 * original, USERNAME_IS_FULL_EMAIL) or the login, with only the characters
 * user names may have. */
static void name_base(const oidc_identity *id, char *out, size_t size)
{
	const char *src = id->email[0] != '\0' ? id->email : id->login;
	size_t n = 0;
	for (const char *p = src; *p && n + 1 < size && n < 140; p++) {
		char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '@' || c == '.' || c == '+' || c == '-' || c == '_')
			out[n++] = c;
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, size, "user");
}

/* Creates the account of a first remote login. NSUPD_ERR_EXISTS only when
 * the identity itself was registered meanwhile. */
static nsupd_err create_account(web_req *r, const config_oauth *p, const oidc_identity *id,
				store_user *u)
{
	const nsupd_config *cfg = r->app->cfg;
	memset(u, 0, sizeof(*u));
	if (id->email[0] != '\0' && strlen(id->email) < sizeof(u->email) &&
	    email_syntax_ok(id->email) &&
	    !email_blacklisted(cfg->email_blacklist, cfg->n_email_blacklist, id->email))
		snprintf(u->email, sizeof(u->email), "%s", id->email);
	char base[ACCOUNT_NAME_MAX + 1];
	name_base(id, base, sizeof(base));
	store_remote ri = { 0 };
	snprintf(ri.provider, sizeof(ri.provider), "%s", p->name);
	snprintf(ri.subject, sizeof(ri.subject), "%s", id->subject);
	snprintf(ri.email, sizeof(ri.email), "%s", id->email);
	snprintf(ri.login, sizeof(ri.login), "%s", id->login);
	for (int attempt = 1; attempt <= 20; attempt++) {
		if (attempt == 1) {
			snprintf(u->name, sizeof(u->name), "%s", base);
		} else if (attempt < 10) {
			snprintf(u->name, sizeof(u->name), "%s-%d", base, attempt);
		} else {
			char rnd[9];
			if (secret_random_text(rnd, 8) != NSUPD_OK)
				return NSUPD_ERR_INTERNAL;
			snprintf(u->name, sizeof(u->name), "%s-%s", base, rnd);
		}
		int64_t uid = 0;
		nsupd_err e = store_remote_register(r->app->store, u, &ri, r->now, &uid);
		if (e == NSUPD_OK) {
			return store_user_get(r->app->store, uid, u);
		}
		if (e != NSUPD_ERR_EXISTS)
			return e;
		store_remote other;
		if (store_remote_get(r->app->store, ri.provider, ri.subject, &other) == NSUPD_OK)
			return NSUPD_ERR_EXISTS;
	}
	return NSUPD_ERR_EXISTS;
}

static void complete_assoc(web_req *r, const config_oauth *p, const oidc_identity *id)
{
	store_remote ri;
	nsupd_err e = store_remote_get(r->app->store, p->name, id->subject, &ri);
	if (e == NSUPD_OK) {
		if (ri.user_id == r->user.id)
			web_flash(r, "info", _(r, "This remote account is already connected to your "
						  "account."));
		else
			web_flash(r, "danger", _(r, "This remote account is already connected to "
						    "another account here. Log in with it and "
						    "disconnect it there first."));
		web_redirect(r, PROFILE_PAGE);
		return;
	}
	memset(&ri, 0, sizeof(ri));
	ri.user_id = r->user.id;
	snprintf(ri.provider, sizeof(ri.provider), "%s", p->name);
	snprintf(ri.subject, sizeof(ri.subject), "%s", id->subject);
	snprintf(ri.email, sizeof(ri.email), "%s", id->email);
	snprintf(ri.login, sizeof(ri.login), "%s", id->login);
	ri.created = r->now;
	e = e == NSUPD_ERR_NOT_FOUND ? store_remote_add(r->app->store, &ri, NULL) : e;
	if (e == NSUPD_ERR_EXISTS) {
		web_flash(r, "danger", _(r, "This remote account is already connected to another "
					    "account here. Log in with it and disconnect it there "
					    "first."));
	} else if (e != NSUPD_OK) {
		log_error("web: associating a %s identity with user %lld: %s", p->name,
			  (long long)r->user.id, nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	} else {
		log_info("web: user %s connected a %s identity", r->user.name, p->name);
		web_flash(r, "success", _(r, "The remote account has been connected. You can now "
					     "log in with it."));
	}
	web_redirect(r, PROFILE_PAGE);
}

static void complete_login(web_req *r, const config_oauth *p, const oidc_identity *id,
			   const flow *f)
{
	store_remote ri;
	store_user u;
	bool created = false;
	nsupd_err e = store_remote_get(r->app->store, p->name, id->subject, &ri);
	if (e == NSUPD_ERR_NOT_FOUND) {
		if (!r->app->cfg->registration_open) {
			fail_back(r, f, _(r, "No account here is connected to this remote account, "
					     "and registration is closed."));
			return;
		}
		e = create_account(r, p, id, &u);
		if (e == NSUPD_ERR_EXISTS)   /* a second tab won the race */
			e = store_remote_get(r->app->store, p->name, id->subject, &ri);
		else if (e == NSUPD_OK)
			created = true;
	}
	if (e == NSUPD_OK && !created) {
		e = store_user_get(r->app->store, ri.user_id, &u);
		if (e == NSUPD_OK)
			store_remote_touch(r->app->store, ri.id, r->now, id->email, id->login);
	}
	if (e != NSUPD_OK) {
		log_error("web: remote login via %s: %s", p->name, nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	if (!u.active) {
		fail_back(r, f, _(r, "This account is not active."));
		return;
	}
	if (created)
		log_info("web: user %s created by a remote login via %s", u.name, p->name);
	if (extlogin_second_step(r, &u, false, f->next))
		return;
	extlogin_finish(r, &u, false, f->next, DEFAULT_NEXT);
	if (created)
		web_flash(r, "success", _(r, "Welcome! Your account has been created. You can set a "
					     "password in your profile later if you also want to "
					     "log in without the remote account."));
}

static void remote_complete(web_req *r)
{
	const char *name = web_path_name(r, 0);
	const config_oauth *p = oidc_provider(r->app->cfg, name);
	if (p == NULL) {
		web_error(r, 404, NULL);
		return;
	}
	flow f;
	take_flow(r, &f);
	const char *state = web_query(r, "state");
	if (!f.present || strcmp(f.provider, p->name) != 0 || state == NULL ||
	    !same_secret(state, f.state) || r->now - f.started > FLOW_MAX_AGE ||
	    r->now < f.started) {
		log_warn("web: remote login via %s from %s: unknown, used or expired state",
			 p->name, json_string_value(json_object_get(json_object_get(r->ctx, "request"),
								     "client_ip")));
		fail_back(r, &f, _(r, "The login could not be completed: it was not started in "
				      "this browser or took too long. Please try again."));
		return;
	}
	if (f.assoc && (!r->logged_in || r->user.id != f.uid)) {
		fail_back(r, &f, _(r, "Please log in again to connect a remote account."));
		return;
	}
	const char *code = web_query(r, "code");
	if (web_query(r, "error") != NULL || code == NULL || code[0] == '\0') {
		fail_back(r, &f, _(r, "The login at the remote service was cancelled or refused."));
		return;
	}
	char ruri[512], err[512] = "";
	redirect_uri(r, p->name, ruri, sizeof(ruri));
	oidc_identity id;
	if (oidc_complete(p, code, ruri, f.verifier, f.nonce, r->now, &id, err, sizeof(err)) !=
	    NSUPD_OK) {
		log_warn("web: remote login via %s failed: %s", p->name, err);
		fail_back(r, &f, _(r, "The login at the remote service could not be verified. "
				      "Please try again."));
		return;
	}
	if (f.assoc)
		complete_assoc(r, p, &id);
	else
		complete_login(r, p, &id, &f);
}

/* ---- disconnect ---- */

static void remote_disconnect(web_req *r)
{
	const char *name = web_path_name(r, 0);
	int64_t id = web_path_int(r, 0);
	store_remote list[STORE_REMOTE_MAX];
	size_t n = 0;
	nsupd_err e = store_remote_list(r->app->store, r->user.id, list, STORE_REMOTE_MAX, &n);
	bool mine = false;
	for (size_t i = 0; e == NSUPD_OK && i < n; i++)
		mine = mine || (list[i].id == id && strcmp(list[i].provider, name) == 0);
	if (e != NSUPD_OK) {
		log_error("web: listing remote identities: %s", nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	if (!mine) {
		web_error(r, 404, NULL);
		return;
	}
	bool deleted = false;
	e = store_remote_delete(r->app->store, r->user.id, id, &deleted);
	if (e == NSUPD_ERR_NOT_FOUND) {
		web_error(r, 404, NULL);
		return;
	}
	if (e != NSUPD_OK) {
		log_error("web: disconnecting a remote identity: %s", nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	if (deleted) {
		log_info("web: user %s disconnected a %s identity", r->user.name, name);
		web_flash(r, "success", _(r, "The remote account has been disconnected."));
	} else {
		web_flash(r, "danger", _(r, "This is your only way to log in. Set a password or "
					    "connect another remote account before you disconnect "
					    "this one."));
	}
	web_redirect(r, PROFILE_PAGE);
}

static const web_page pages[] = {
	{ "/login/<name>/", HTTP_GET | HTTP_POST, 0, remote_start },
	{ "/complete/<name>/", HTTP_GET, 0, remote_complete },
	{ "/disconnect/<name>/<int>/", HTTP_POST, WEB_LOGIN, remote_disconnect },
};

const web_module web_module_remote = { pages, sizeof(pages) / sizeof(pages[0]) };
