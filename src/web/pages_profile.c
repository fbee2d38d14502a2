/* The logged-in user's own account: profile (name, e-mail, language),
 * password change (/account/settings/, the original's path, also reached
 * through /.well-known/change-password) and deleting the account with
 * everything in it, DNS records included (spec 1, 3.8). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/followup.h"
#include "api/updater.h"
#include "core/secret.h"
#include "util/log.h"
#include "web/account.h"
#include "web/email_check.h"
#include "web/extlogin.h"
#include "web/web_internal.h"

/* ---- profile ---- */

static void profile_render(web_req *r, const store_user_profile *p, json_t *errors)
{
	json_t *langs = json_array();
	const char *codes[I18N_MAX_LANGS + 1];
	size_t n = i18n_languages(r->w->i18n, codes, I18N_MAX_LANGS + 1);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(langs, json_pack("{s:s, s:s, s:b}", "code", codes[i], "name",
						       i18n_language_name(codes[i]), "selected",
						       strcmp(codes[i], p->language) == 0));
	json_object_set_new(r->ctx, "profile_languages", langs);
	json_object_set_new(r->ctx, "profile", json_pack("{s:s, s:s, s:s, s:s, s:b}",
		"first_name", p->first_name, "last_name", p->last_name, "email", p->email,
		"language", p->language, "browser_language", p->language[0] == '\0'));
	json_object_set_new(r->ctx, "joined", json_integer(r->user.created));
	json_object_set_new(r->ctx, "last_login", json_integer(r->user.last_login));
	json_object_set_new(r->ctx, "errors", errors != NULL ? errors : json_object());
	extlogin_profile_context(r);
	web_render(r, 200, "accounts/profile.html");
}

static void copy_field(char *dst, size_t size, const char *v)
{
	snprintf(dst, size, "%s", v != NULL ? v : "");
}

static void profile(web_req *r)
{
	store_user_profile p;
	nsupd_err e = store_user_profile_get(r->app->store, r->user.id, &p);
	if (e != NSUPD_OK) {
		log_error("web: loading the profile of user %lld: %s", (long long)r->user.id,
			  nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	if (!r->http->post) {
		profile_render(r, &p, NULL);
		return;
	}
	json_t *errors = json_object();
	const char *first = web_form(r, "first_name");
	const char *last = web_form(r, "last_name");
	const char *email = web_form(r, "email");
	const char *lang = web_form(r, "language");
	if (first != NULL && strlen(first) > 150)
		json_object_set_new(errors, "first_name",
				    json_string(_(r, "At most 150 characters, please.")));
	if (last != NULL && strlen(last) > 150)
		json_object_set_new(errors, "last_name",
				    json_string(_(r, "At most 150 characters, please.")));
	if (email == NULL || !email_syntax_ok(email) ||
	    email_blacklisted(r->app->cfg->email_blacklist, r->app->cfg->n_email_blacklist, email))
		json_object_set_new(errors, "email", json_string(_(r, "Enter a valid email address.")));
	if (lang != NULL && lang[0] != '\0' && !i18n_has(r->w->i18n, lang))
		json_object_set_new(errors, "language",
				    json_string(_(r, "Select a valid choice.")));
	copy_field(p.first_name, sizeof(p.first_name), first);
	copy_field(p.last_name, sizeof(p.last_name), last);
	copy_field(p.email, sizeof(p.email), email);
	copy_field(p.language, sizeof(p.language), lang);
	if (json_object_size(errors) > 0) {
		profile_render(r, &p, errors);
		return;
	}
	json_decref(errors);
	e = store_user_profile_set(r->app->store, r->user.id, &p);
	if (e != NSUPD_OK) {
		log_error("web: saving the profile of user %lld: %s", (long long)r->user.id,
			  nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	/* The message in the newly chosen language: the next page is in it. */
	const i18n_catalog *c = r->cat;
	if (p.language[0] != '\0')
		c = i18n_catalog_get(r->w->i18n, p.language);
	web_flash(r, "success", i18n_lookup(c, N_("Your profile has been saved.")));
	web_redirect(r, "/account/profile/");
	/* The selector's cookie follows, so the choice also holds after
	 * logging out on this browser. */
	if (p.language[0] != '\0')
		http_set_cookie(r->http, r->res, WEB_LANG_COOKIE, p.language, 365L * 86400);
}

/* ---- password change ---- */

static void settings(web_req *r)
{
	/* An account made by a remote login has no password yet: it sets
	 * one here without an old one (then it may disconnect the remote
	 * account, see pages_remote.c). */
	bool has_password = r->user.password_hash[0] != '\0';
	json_object_set_new(r->ctx, "has_password", json_boolean(has_password));
	if (!r->http->post) {
		json_object_set_new(r->ctx, "errors", json_object());
		web_render(r, 200, "accounts/settings.html");
		return;
	}
	const char *old = web_form(r, "old_password");
	const char *pw1 = web_form(r, "new_password1");
	const char *pw2 = web_form(r, "new_password2");
	json_t *errors = json_object();
	if (has_password && (old == NULL || !password_verify(old, r->user.password_hash))) {
		json_object_set_new(errors, "old_password", json_string(_(r,
			"Your old password was entered incorrectly. Please enter it again.")));
	} else {
		const char *problem = account_password_problem(r, pw1, r->user.name, r->user.email);
		if (problem != NULL)
			json_object_set_new(errors, "new_password1", json_string(problem));
		else if (pw2 == NULL || strcmp(pw1, pw2) != 0)
			json_object_set_new(errors, "new_password2",
					    json_string(_(r, "The two password fields didn't match.")));
	}
	if (json_object_size(errors) > 0) {
		json_object_set_new(r->ctx, "errors", errors);
		web_render(r, 200, "accounts/settings.html");
		return;
	}
	json_decref(errors);
	char ph[STORE_HASH_MAX];
	if (password_hash(pw1, ph, sizeof(ph)) != NSUPD_OK) {
		web_error(r, 500, NULL);
		return;
	}
	nsupd_err e = store_user_set_password(r->app->store, r->user.id, ph);
	if (e != NSUPD_OK) {
		log_error("web: changing the password of user %lld: %s", (long long)r->user.id,
			  nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	store_token_delete_user(r->app->store, r->user.id, STORE_TOKEN_RESET);
	/* Other sessions (another browser, someone who knew the old
	 * password) end; this one continues under a new id. */
	json_t *data = web_session_data(r);
	bool keep = data != NULL && json_is_true(json_object_get(data, "keep"));
	e = store_session_delete_user(r->app->store, r->user.id, NULL);
	if (e != NSUPD_OK)
		log_error("web: ending the sessions of user %lld: %s", (long long)r->user.id,
			  nsupd_strerror(e));
	store_user u = r->user;
	snprintf(u.password_hash, sizeof(u.password_hash), "%s", ph);
	if (web_login(r, &u, keep) != NSUPD_OK) {
		web_error(r, 500, NULL);
		return;
	}
	log_info("web: user %s changed the password", r->user.name);
	web_flash(r, "success", _(r, "Your password has been changed."));
	web_redirect(r, "/account/settings/");
}

static void change_password_wellknown(web_req *r)
{
	web_redirect(r, "/account/settings/");
}

/* ---- delete account ---- */

/* Removes the DNS records of every host that goes with the account
 * (spec 3.8: failures are logged, never stop the deletion). */
static void delete_records(web_req *r)
{
	int64_t *ids = NULL;
	size_t n = 0;
	nsupd_err e = store_account_host_ids(r->app->store, r->user.id, &ids, &n);
	if (e != NSUPD_OK) {
		log_error("web: listing the hosts of user %lld: %s", (long long)r->user.id,
			  nsupd_strerror(e));
		free(ids);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		store_host h;
		store_domain d;
		if (store_host_get(r->app->store, ids[i], &h) != NSUPD_OK ||
		    store_domain_get(r->app->store, h.domain_id, &d) != NSUPD_OK)
			continue;
		dns_error err = { 0 };
		if (followup_related_delete_all(r->app, &h, &d, &err) != NSUPD_OK)
			log_warn("web: account deletion: related hosts of %s.%s: %s", h.name, h.domain,
				 err.msg);
		memset(&err, 0, sizeof(err));
		if (updater_delete_records(r->app, &h, &d, &err) != NSUPD_OK)
			log_warn("web: account deletion: records of %s.%s: %s", h.name, h.domain,
				 err.msg);
	}
	free(ids);
}

static void delete_account(web_req *r)
{
	if (!r->user.active) {
		web_redirect(r, "/account/profile/");
		return;
	}
	int64_t hosts = 0, domains = 0;
	store_user_usage(r->app->store, r->user.id, &hosts, &domains);
	json_object_set_new(r->ctx, "n_hosts", json_integer(hosts));
	json_object_set_new(r->ctx, "n_domains", json_integer(domains));
	if (!r->http->post) {
		web_render(r, 200, "accounts/delete.html");
		return;
	}
	if (web_form(r, "confirm") == NULL) {
		json_object_set_new(r->ctx, "error", json_string(_(r,
			"Please confirm that you want to delete your account.")));
		web_render(r, 200, "accounts/delete.html");
		return;
	}
	store_user u = r->user;
	delete_records(r);
	store_token_delete_user(r->app->store, u.id, NULL);
	nsupd_err e = store_user_delete(r->app->store, u.id);
	if (e != NSUPD_OK) {
		log_error("web: deleting user %lld: %s", (long long)u.id, nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	log_info("web: user %s deleted the account (%lld hosts, %lld domains)", u.name,
		 (long long)hosts, (long long)domains);
	web_logout(r);
	web_flash(r, "success", _(r, "Your account has been deleted."));
	web_redirect(r, "/");
}

static const web_page pages[] = {
	{ "/account/profile/", HTTP_GET | HTTP_POST, WEB_LOGIN, profile },
	{ "/account/settings/", HTTP_GET | HTTP_POST, WEB_LOGIN, settings },
	{ "/account/delete/", HTTP_GET | HTTP_POST, WEB_LOGIN, delete_account },
	{ "/.well-known/change-password", HTTP_GET, 0, change_password_wellknown },
};

const web_module web_module_profile = { pages, sizeof(pages) / sizeof(pages[0]) };
