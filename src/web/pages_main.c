/* Pages of the site itself: home, operator pages (/custom/NAME) and the
 * language selector. */
#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "web/web_internal.h"

#define LANG_COOKIE_AGE (365L * 86400)

/* The addresses shown on the home page: the connection's own, and what
 * the IP detection (detectip, another module) stored in the session. */
static void add_addresses(web_req *r)
{
	char ip[IP_STRLEN];
	ip_format(&r->http->client, ip);
	const char *v4 = "", *v6 = "";
	json_t *data = web_session_data(r);
	if (data != NULL) {
		const char *s4 = json_string_value(json_object_get(data, "ipv4"));
		const char *s6 = json_string_value(json_object_get(data, "ipv6"));
		v4 = s4 != NULL ? s4 : "";
		v6 = s6 != NULL ? s6 : "";
	}
	if (r->http->client.family == 4)
		v4 = ip;
	else if (r->http->client.family == 6)
		v6 = ip;
	json_object_set_new(r->ctx, "ipv4", json_string(v4));
	json_object_set_new(r->ctx, "ipv6", json_string(v6));
}

static void home(web_req *r)
{
	add_addresses(r);
	web_render(r, 200, "main/home.html");
}

static void custom_page(web_req *r)
{
	const char *name = web_path_name(r, 0);
	char *tname = name != NULL ? arena_printf(r->a, "custom/%s", name) : NULL;
	if (tname == NULL || !tpl_exists(r->w->tpl, tname)) {
		web_error(r, 404, NULL);
		return;
	}
	json_object_set_new(r->ctx, "page_name", json_string(name));
	web_render(r, 200, tname);
}

static void set_language(web_req *r)
{
	const char *lang = web_form(r, "language");
	const char *next = web_form(r, "next");
	bool valid = lang != NULL && i18n_has(r->w->i18n, lang);
	/* The profile's language wins over the cookie, so a logged-in choice
	 * goes into the profile too. */
	if (valid && r->logged_in) {
		nsupd_err e = store_user_set_language(r->app->store, r->user.id, lang);
		if (e != NSUPD_OK)
			log_error("web: setting the language of user %lld: %s", (long long)r->user.id,
				  nsupd_strerror(e));
	}
	web_redirect(r, web_is_local_path(next) ? next : "/");
	if (valid)
		http_set_cookie(r->http, r->res, WEB_LANG_COOKIE, lang, LANG_COOKIE_AGE);
}

static const web_page pages[] = {
	{ "/", HTTP_GET, 0, home },
	{ "/custom/<name>", HTTP_GET, 0, custom_page },
	{ "/i18n/setlang/", HTTP_POST, 0, set_language },
};

const web_module web_module_main = { pages, sizeof(pages) / sizeof(pages[0]) };
