/* Pages of the site itself: home, operator pages (/custom/NAME) and the
 * language selector. */
#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "web/web_internal.h"

#define LANG_COOKIE_AGE (365L * 86400)

/* The home page shows the visitor's addresses (web_ip_track puts them into
 * the context as `ips`) and asks the single-stack hosts for the family the
 * connection did not use. */
static void home(web_req *r)
{
	json_object_set_new(r->ctx, "want_detectip", json_true());
	web_render(r, 200, "main/home.html");
}

static void about(web_req *r)
{
	const char *from = r->app->cfg->mail_from;
	json_object_set_new(r->ctx, "contact", json_string(from != NULL ? from : ""));
	web_render(r, 200, "main/about.html");
}

/* The original's robots.txt: crawlers stay out of everything that is
 * per-user or an API. */
static void robots(web_req *r)
{
	static const char body[] =
		"User-agent: *\n"
		"Crawl-delay: 10\n"
		"Disallow: /account/\n"
		"Disallow: /accounts/\n"
		"Disallow: /login/\n"
		"Disallow: /admin/\n"
		"Disallow: /status/\n"
		"Disallow: /myip/\n"
		"Disallow: /detect_ip/\n"
		"Disallow: /detectip/\n"
		"Disallow: /ajax_get_ips/\n"
		"Disallow: /nic/update/\n"
		"Disallow: /nic/update_authorized/\n"
		"Disallow: /update/\n"
		"Disallow: /host/\n"
		"Disallow: /overview/\n"
		"Disallow: /domain/\n"
		"Disallow: /generate_secret/\n"
		"Disallow: /generate_ns_secret/\n"
		"Disallow: /updater_hostconfig/\n"
		"Disallow: /updater_hostconfig_overview/\n";
	web_text(r, 200, "text/plain; charset=utf-8", body);
	/* Unlike pages, it may be cached. */
	http_add_header(r->res, "Cache-Control", "public, max-age=86400");
}

/* spec 5.11: service statistics for any logged-in user. */
static void status_page(web_req *r)
{
	store_stats st;
	nsupd_err e = store_stats_get(r->app->store, r->now, &st);
	if (e != NSUPD_OK) {
		log_error("web: reading the statistics: %s", nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	json_object_set_new(r->ctx, "stats", json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"domains", (json_int_t)st.domains, "domains_public", (json_int_t)st.domains_public,
		"domains_unavailable", (json_int_t)st.domains_unavailable,
		"hosts", (json_int_t)st.hosts, "hosts_unavailable", (json_int_t)st.hosts_unavailable,
		"hosts_abuse", (json_int_t)st.hosts_abuse,
		"hosts_abuse_blocked", (json_int_t)st.hosts_abuse_blocked,
		"hosts_with_client_faults", (json_int_t)st.hosts_with_client_faults,
		"hosts_with_server_faults", (json_int_t)st.hosts_with_server_faults,
		"hosts_with_auth_faults", (json_int_t)st.hosts_with_auth_faults,
		"client_faults", (json_int_t)st.client_faults,
		"server_faults", (json_int_t)st.server_faults,
		"api_auth_faults", (json_int_t)st.api_auth_faults,
		"users", (json_int_t)st.users, "users_active", (json_int_t)st.users_active));
	json_t *windows = json_array();
	for (int i = 0; i < STORE_STATS_WINDOWS; i++)
		json_array_append_new(windows, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"days", (json_int_t)st.window[i].days, "ipv4", (json_int_t)st.window[i].ipv4,
			"ipv4_tls", (json_int_t)st.window[i].ipv4_tls,
			"ipv6", (json_int_t)st.window[i].ipv6,
			"ipv6_tls", (json_int_t)st.window[i].ipv6_tls,
			"users_logged_in", (json_int_t)st.window[i].users_logged_in,
			"users_created", (json_int_t)st.window[i].users_created));
	json_object_set_new(r->ctx, "windows", windows);
	web_render(r, 200, "main/status.html");
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
	{ "/about/", HTTP_GET, 0, about },
	{ "/robots.txt", HTTP_GET, 0, robots },
	{ "/status/", HTTP_GET, WEB_LOGIN, status_page },
	{ "/custom/<name>", HTTP_GET, 0, custom_page },
	{ "/i18n/setlang/", HTTP_POST, 0, set_language },
};

const web_module web_module_main = { pages, sizeof(pages) / sizeof(pages[0]) };
