/* The web dispatcher: start-up loading, the routing table, and the wrapper
 * every page handler runs inside (session, language, CSRF, login, security
 * headers). See web/web.h for the rules a page can rely on. */
#include "web/web_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/log.h"

/* Every module's pages; a new src/web/pages_*.c adds one line here. */
static const web_module *const modules[] = {
	&web_module_main,
	&web_module_accounts,
	&web_module_register,
	&web_module_profile,
	&web_module_overview,
	&web_module_domains,
	&web_module_ip,
	&web_module_hosts,
	&web_module_admin,
	&web_module_remote,
	&web_module_twofactor,
	&web_module_related,
};

#define CLEANUP_INTERVAL 600

/* ---- start-up ---- */

static char *build_csp(const nsupd_config *cfg)
{
	/* The single-stack hosts serve the hidden IP-detection requests of
	 * the home page (images and XHR); nothing else leaves 'self'. */
	char hosts[600] = "";
	const char *extra[] = { cfg->www_ipv4_host, cfg->www_ipv6_host };
	for (size_t i = 0; i < 2; i++) {
		/* CSP has no syntax for IPv6 literals ("[::1]:8000" is ignored
		 * with a console error), so only names and IPv4 go in. */
		if (extra[i] == NULL || extra[i][0] == '\0' || extra[i][0] == '[')
			continue;
		size_t n = strlen(hosts);
		snprintf(hosts + n, sizeof(hosts) - n, " %s", extra[i]);
	}
	char buf[1400];
	snprintf(buf, sizeof(buf),
		 "default-src 'self'; img-src 'self' data:%s; connect-src 'self'%s; "
		 "script-src 'self'; style-src 'self'; font-src 'self'; object-src 'none'; "
		 "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
		 hosts, hosts);
	return strdup(buf);
}

static void static_url(web *w, const char *key, const char *file)
{
	const web_file *f = assets_static_find(w->st, file);
	char url[300];
	if (f != NULL)
		snprintf(url, sizeof(url), "/static/%s?v=%s", file, f->version);
	else
		snprintf(url, sizeof(url), "/static/%s", file);
	json_object_set_new(w->static_urls, key, json_string(url));
}

nsupd_err web_init(nsupd_app *app, web **out, char *err, size_t errsize)
{
	const nsupd_config *cfg = app->cfg;
	web *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NSUPD_ERR_NOMEM;
	w->app = app;
	atomic_init(&w->last_cleanup, 0);
	nsupd_err e = tpl_set_new(&w->tpl);
	if (e == NSUPD_OK)
		e = i18n_new(&w->i18n);
	if (e != NSUPD_OK) {
		web_free(w);
		return e;
	}

	char dir[PATH_MAX], build_static[PATH_MAX];
	if (cfg->web_templates != NULL && cfg->web_templates[0] != '\0')
		snprintf(dir, sizeof(dir), "%s", cfg->web_templates);
	else
		assets_default_dir("templates", dir, sizeof(dir), NULL, 0);
	e = assets_load_templates(w->tpl, dir, "", true, err, errsize);
	if (e == NSUPD_OK && cfg->web_override_templates[0] != '\0')
		e = assets_load_templates(w->tpl, cfg->web_override_templates, "", true, err, errsize);
	if (e == NSUPD_OK && cfg->web_custom_pages[0] != '\0')
		e = assets_load_templates(w->tpl, cfg->web_custom_pages, "custom/", true, err, errsize);
	if (e == NSUPD_OK)
		e = tpl_set_check(w->tpl, err, errsize);
	if (e == NSUPD_OK) {
		static const char *const needed[] = { "base.html", "errors/generic.html" };
		for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
			if (!tpl_exists(w->tpl, needed[i])) {
				snprintf(err, errsize, "%s: template %s is missing", dir, needed[i]);
				e = NSUPD_ERR_INVALID;
				break;
			}
		}
	}
	if (e == NSUPD_OK) {
		if (cfg->web_locale[0] != '\0')
			snprintf(dir, sizeof(dir), "%s", cfg->web_locale);
		else
			assets_default_dir("po", dir, sizeof(dir), NULL, 0);
		e = assets_load_catalogs(w->i18n, dir, err, errsize);
	}
	if (e == NSUPD_OK) {
		char def_static[PATH_MAX];
		assets_default_dir("static", def_static, sizeof(def_static), build_static,
				   sizeof(build_static));
		const char *dirs[] = { cfg->web_static, def_static, build_static };
		e = assets_load_static(&w->st, dirs, 3, err, errsize);
		if (e == NSUPD_OK && assets_static_find(w->st, "bootstrap.min.css") == NULL)
			log_warn("web: bootstrap.min.css not found (run scripts/install-deps.sh and "
				 "rebuild): pages will be unstyled");
	}
	if (e == NSUPD_OK) {
		w->csp = build_csp(cfg);
		w->static_urls = json_object();
		if (w->csp == NULL || w->static_urls == NULL)
			e = NSUPD_ERR_NOMEM;
	}
	if (e != NSUPD_OK) {
		web_free(w);
		return e;
	}
	static_url(w, "bootstrap_css", "bootstrap.min.css");
	static_url(w, "bootstrap_js", "bootstrap.bundle.min.js");
	static_url(w, "theme_js", "theme.js");
	static_url(w, "nsupd_css", "nsupd.css");
	static_url(w, "nsupd_js", "nsupd.js");
	static_url(w, "detectip_js", "detectip.js");
	static_url(w, "hosts_js", "hosts.js");
	static_url(w, "updater_js", "updater.js");
	const char *langs[I18N_MAX_LANGS + 1];
	size_t nl = i18n_languages(w->i18n, langs, I18N_MAX_LANGS + 1);
	log_info("web: %zu static files, languages:%s%s%s%s%s", assets_static_count(w->st),
		 nl > 0 ? " " : "", nl > 0 ? langs[0] : "", nl > 1 ? " " : "", nl > 1 ? langs[1] : "",
		 nl > 2 ? " ..." : "");
	*out = w;
	return NSUPD_OK;
}

void web_free(web *w)
{
	if (w == NULL)
		return;
	tpl_set_free(w->tpl);
	i18n_free(w->i18n);
	assets_static_free(w->st);
	free(w->routes);
	free(w->csp);
	json_decref(w->static_urls);
	free(w);
}

/* ---- helpers ---- */

json_t *web_json_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

const char *web_gettext(const web_req *r, const char *msgid)
{
	return i18n_lookup(r->cat, msgid);
}

static const char *tpl_translate(void *ctx, const char *msgid)
{
	return i18n_lookup(ctx, msgid);
}

const char *web_form(const web_req *r, const char *name)
{
	return http_form(r->http, name);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char *web_form_trimmed(web_req *r, const char *name)
{
	const char *v = web_form(r, name);
	if (v == NULL)
		v = "";
	while (is_blank(*v))
		v++;
	size_t n = strlen(v);
	while (n > 0 && is_blank(v[n - 1]))
		n--;
	char *out = arena_alloc(r->a, n + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, v, n);
	out[n] = '\0';
	return out;
}

bool web_form_checked(const web_req *r, const char *name)
{
	const char *v = web_form(r, name);
	return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0 && strcmp(v, "off") != 0;
}

const char *web_query(const web_req *r, const char *name)
{
	return http_query(r->http, name);
}

int64_t web_path_int(const web_req *r, size_t n)
{
	return n < HTTP_MAX_PATH_PARAMS ? r->http->ints[n] : 0;
}

const char *web_path_name(const web_req *r, size_t n)
{
	return n < HTTP_MAX_PATH_PARAMS ? r->http->names[n] : NULL;
}

bool web_is_local_path(const char *t)
{
	if (t == NULL || t[0] != '/' || t[1] == '/' || t[1] == '\\')
		return false;
	for (const char *p = t; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f || c == '\\')
			return false;
	}
	if (strstr(t, "//") != NULL || strlen(t) >= 2000)
		return false;
	/* The path part: no escapes or dot segments (no page needs them, and
	 * the browser would resolve them into another path than the one
	 * checked here), and no page whose GET changes something. */
	size_t plen = strcspn(t, "?#");
	for (size_t i = 0; i < plen; i++)
		if (t[i] == '%' || (t[i] == '/' && t[i + 1] == '.'))
			return false;
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
		for (size_t j = 0; j < modules[i]->n_pages; j++) {
			const web_page *p = &modules[i]->pages[j];
			if ((p->flags & WEB_UNSAFE_GET) && strlen(p->path) == plen &&
			    strncmp(p->path, t, plen) == 0)
				return false;
		}
	return true;
}

/* Security headers of every page answer. */
static void security_headers(web_req *r)
{
	http_response *res = r->res;
	http_add_header(res, "X-Frame-Options", "DENY");
	http_add_header(res, "X-Content-Type-Options", "nosniff");
	http_add_header(res, "Referrer-Policy", "same-origin");
	http_add_header(res, "Content-Security-Policy", r->w->csp);
	if (http_response_header(res, "Cache-Control") == NULL)
		http_add_header(res, "Cache-Control", "no-store");
	http_add_header(res, "Vary", "Cookie, Accept-Language");
}

void web_text(web_req *r, unsigned status, const char *content_type, const char *body)
{
	http_set_text(r->res, status, body);
	if (content_type != NULL)
		r->res->content_type = content_type;
}

void web_redirect(web_req *r, const char *location)
{
	r->res->n_headers = 0;
	http_redirect(r->res, 302, location);
}

static void render_with(web_req *r, unsigned status, const char *name)
{
	tpl_env env = { tpl_translate, (void *)r->cat };
	char *out = NULL;
	size_t len = 0;
	nsupd_err e = tpl_render(r->w->tpl, name, r->ctx, &env, &out, &len);
	if (e != NSUPD_OK) {
		log_error("web: rendering %s: %s", name, nsupd_strerror(e));
		http_set_text(r->res, 500, "500 Internal Server Error");
		return;
	}
	char *body = arena_alloc(r->a, len + 1);
	if (body == NULL) {
		free(out);
		http_set_text(r->res, 503, "Service Unavailable");
		return;
	}
	memcpy(body, out, len + 1);
	free(out);
	http_set_html(r->res, status, body, len);
}

/* Moves the queued flash messages into the context. */
static void take_messages(web_req *r)
{
	if (web_session_user(r) == 0 && r->sess == NULL)
		return;
	json_t *data = web_session_data(r);
	json_t *msgs = data != NULL ? json_object_get(data, "messages") : NULL;
	if (json_is_array(msgs)) {
		json_object_set(r->ctx, "messages", msgs);
		json_object_del(data, "messages");
	}
}

void web_render(web_req *r, unsigned status, const char *name)
{
	/* Every rendered page may carry forms (the language selector in the
	 * footer at least), so it gets a session and a CSRF token. */
	web_session_ensure(r);
	web_ip_track(r);
	const char *csrf = web_session_csrf(r);
	json_object_set_new(r->ctx, "csrf_token", web_json_str(csrf));
	take_messages(r);
	render_with(r, status, name);
}

void web_error(web_req *r, unsigned status, const char *message)
{
	/* Error pages do not create sessions: a crawler's 404s must not
	 * fill the sessions table. The footer hides its form without one. */
	json_object_set_new(r->ctx, "csrf_token", web_json_str(web_session_csrf(r)));
	json_object_set_new(r->ctx, "status", json_integer(status));
	json_object_set_new(r->ctx, "error_message", web_json_str(message));
	char name[40];
	snprintf(name, sizeof(name), "errors/%u.html", status);
	r->res->n_headers = 0;
	render_with(r, status, tpl_exists(r->w->tpl, name) ? name : "errors/generic.html");
}

void web_flash(web_req *r, const char *level, const char *text)
{
	json_t *data = web_session_data(r);
	if (data == NULL)
		return;
	json_t *msgs = json_object_get(data, "messages");
	if (!json_is_array(msgs)) {
		msgs = json_array();
		json_object_set_new(data, "messages", msgs);
	}
	json_array_append_new(msgs, json_pack("{s:s, s:s}", "level", level, "text", text));
}

json_t *web_host_json(const store_host *h)
{
	char fqdn[STORE_NAME_MAX + 70];
	snprintf(fqdn, sizeof(fqdn), "%s.%s", h->name, h->domain);
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_integer(h->id));
	json_object_set_new(o, "name", json_string(h->name));
	json_object_set_new(o, "domain", json_string(h->domain));
	json_object_set_new(o, "domain_id", json_integer(h->domain_id));
	json_object_set_new(o, "fqdn", json_string(fqdn));
	json_object_set_new(o, "comment", json_string(h->comment));
	json_object_set_new(o, "available", json_boolean(h->available));
	json_object_set_new(o, "abuse", json_boolean(h->abuse));
	json_object_set_new(o, "abuse_blocked", json_boolean(h->abuse_blocked));
	json_object_set_new(o, "netmask_ipv4", json_integer(h->netmask_ipv4));
	json_object_set_new(o, "netmask_ipv6", json_integer(h->netmask_ipv6));
	json_object_set_new(o, "client_faults", json_integer(h->client_faults));
	json_object_set_new(o, "server_faults", json_integer(h->server_faults));
	json_object_set_new(o, "api_auth_faults", json_integer(h->api_auth_faults));
	json_object_set_new(o, "client_result_msg", json_string(h->client_result_msg));
	json_object_set_new(o, "server_result_msg", json_string(h->server_result_msg));
	json_object_set_new(o, "api_auth_result_msg", json_string(h->api_auth_result_msg));
	json_object_set_new(o, "last_update_ipv4", json_integer(h->last_update_ipv4));
	json_object_set_new(o, "last_update_ipv6", json_integer(h->last_update_ipv6));
	json_object_set_new(o, "tls_update_ipv4", json_boolean(h->tls_update_ipv4));
	json_object_set_new(o, "tls_update_ipv6", json_boolean(h->tls_update_ipv6));
	return o;
}

/* ---- rate limits ---- */

/* The client as a rate-limit subject: the address, or an IPv6 /64 (one
 * subscriber usually has a whole /64). */
static void rate_subject(const web_req *r, char *out)
{
	ip_addr a = r->http->client;
	if (a.family == 6)
		memset(a.bytes + 8, 0, 8);
	ip_format(&a, out);
	if (a.family == 6)
		strcat(out, "/64");
}

bool web_rate_limited(web_req *r, const char *kind, unsigned max, unsigned window)
{
	char subject[IP_STRLEN + 4];
	rate_subject(r, subject);
	int64_t n = 0;
	nsupd_err e = store_rate_count(r->app->store, kind, subject, r->now - (int64_t)window, &n);
	if (e != NSUPD_OK) {
		log_error("web: counting %s events: %s", kind, nsupd_strerror(e));
		return false;
	}
	return n >= (int64_t)max;
}

void web_rate_note(web_req *r, const char *kind)
{
	char subject[IP_STRLEN + 4];
	rate_subject(r, subject);
	nsupd_err e = store_rate_add(r->app->store, kind, subject, r->now);
	if (e != NSUPD_OK)
		log_error("web: recording a %s event: %s", kind, nsupd_strerror(e));
}

/* Expired sessions and old rate events go at most every 10 minutes, by
 * whichever request comes first (no extra thread to manage). */
static void maybe_cleanup(web *w, int64_t now)
{
	long long last = atomic_load(&w->last_cleanup);
	if (now - last < CLEANUP_INTERVAL ||
	    !atomic_compare_exchange_strong(&w->last_cleanup, &last, (long long)now))
		return;
	int64_t n = 0;
	nsupd_err e = store_session_delete_expired(w->app->store, now, &n);
	if (e == NSUPD_OK && n > 0)
		log_info("web: deleted %lld expired sessions", (long long)n);
	store_rate_prune(w->app->store, now - 86400);
	store_token_prune(w->app->store, now);
}

/* ---- language ---- */

static void choose_language(web_req *r)
{
	const i18n *t = r->w->i18n;
	const char *lang = NULL;
	if (r->logged_in && r->user.language[0] != '\0' && i18n_has(t, r->user.language))
		lang = r->user.language;
	/* An explicit choice in the selector beats the browser's header:
	 * otherwise the selector could never change anything. */
	const char *cookie = http_cookie(r->http, WEB_LANG_COOKIE);
	if (lang == NULL && cookie != NULL && i18n_has(t, cookie))
		lang = cookie;
	if (lang == NULL)
		lang = i18n_negotiate(t, http_header(r->http, "Accept-Language"));
	if (lang == NULL)
		lang = "en";
	const i18n_catalog *c = i18n_catalog_get(t, lang);
	r->cat = c;
	r->lang = strcasecmp(lang, "en") == 0 ? "en" : lang;
}

/* ---- context ---- */

static void build_ctx(web_req *r)
{
	const nsupd_config *cfg = r->app->cfg;
	json_t *ctx = json_object();
	r->ctx = ctx;
	if (ctx == NULL)
		return;
	json_object_set_new(ctx, "site", json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}",
		"name", cfg->site_name, "base_domain", cfg->base_domain, "www_host", cfg->www_host,
		"www_ipv4_host", cfg->www_ipv4_host, "www_ipv6_host", cfg->www_ipv6_host,
		"we_have_tls", cfg->we_have_tls));
	if (r->logged_in)
		json_object_set_new(ctx, "user", json_pack("{s:I, s:s, s:s, s:b, s:s}",
			"id", (json_int_t)r->user.id, "name", r->user.name, "email", r->user.email,
			"staff", r->user.staff, "language", r->user.language));
	else
		json_object_set_new(ctx, "user", json_null());
	char ip[IP_STRLEN];
	ip_format(&r->http->client, ip);
	json_object_set_new(ctx, "request", json_pack("{s:s, s:s, s:i, s:b, s:s}",
		"path", r->http->path, "client_ip", ip, "client_family", r->http->client.family,
		"tls", r->http->tls, "method", r->http->method));
	json_object_set_new(ctx, "lang", json_string(r->lang));
	json_t *langs = json_array();
	const char *codes[I18N_MAX_LANGS + 1];
	size_t n = i18n_languages(r->w->i18n, codes, I18N_MAX_LANGS + 1);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(langs, json_pack("{s:s, s:s, s:b}", "code", codes[i],
			"name", i18n_language_name(codes[i]), "current", strcmp(codes[i], r->lang) == 0));
	json_object_set_new(ctx, "languages", langs);
	json_object_set(ctx, "static", r->w->static_urls);
	json_object_set_new(ctx, "messages", json_array());
}

/* ---- dispatch ---- */

/* Percent-encodes everything but unreserved characters and '/'. */
static char *url_encode(arena *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *buf = arena_alloc(a, n * 3 + 1);
	if (buf == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
			buf[k++] = (char)c;
		} else {
			buf[k++] = '%';
			buf[k++] = hex[c >> 4];
			buf[k++] = hex[c & 15];
		}
	}
	buf[k] = '\0';
	return buf;
}

static bool same_origin(const web_req *r)
{
	/* Browsers send Origin on POST; when present it must name this host.
	 * SameSite=Lax cookies plus the token already stop cross-site forms;
	 * this also stops a sibling subdomain that managed to plant a cookie. */
	const char *origin = http_header(r->http, "Origin");
	if (origin == NULL)
		return true;
	const char *host = http_header(r->http, "Host");
	if (host == NULL)
		return false;
	const char *p = strstr(origin, "://");
	if (p == NULL)
		return false;
	return strcasecmp(p + 3, host) == 0;
}

/* true when url ("scheme://authority[/...]") names this request's Host. */
static bool url_names_host(const web_req *r, const char *url)
{
	const char *host = http_header(r->http, "Host");
	const char *p = strstr(url, "://");
	if (host == NULL || p == NULL)
		return false;
	p += 3;
	size_t n = strcspn(p, "/?#");
	return n == strlen(host) && strncasecmp(p, host, n) == 0;
}

/* A GET that changes something (WEB_UNSAFE_GET) carries no token, so the
 * browser's word on where it came from is all there is. SameSite=Lax
 * cookies still go with a top-level navigation from another site (a link,
 * a GET form, window.location), and "same-site" includes every host name
 * under the base domain, which users control: only "same-origin" and
 * "none" (typed, bookmarked) pass. Browsers without Sec-Fetch-Site
 * (before 2020-2023) fall back to Origin and Referer when sent; clients
 * that send none of them (scripts with a session cookie) pass, as in the
 * original. */
static bool get_from_this_origin(const web_req *r)
{
	const char *site = http_header(r->http, "Sec-Fetch-Site");
	if (site != NULL)
		return strcasecmp(site, "same-origin") == 0 || strcasecmp(site, "none") == 0;
	const char *origin = http_header(r->http, "Origin");
	if (origin != NULL && !url_names_host(r, origin))
		return false;
	const char *referer = http_header(r->http, "Referer");
	return referer == NULL || url_names_host(r, referer);
}

static void begin_request(web_req *r, nsupd_app *app, http_request *hreq, http_response *res)
{
	memset(r, 0, sizeof(*r));
	r->app = app;
	r->w = app->web;
	r->http = hreq;
	r->res = res;
	r->a = hreq->arena;
	r->now = (int64_t)time(NULL);
	maybe_cleanup(r->w, r->now);
	web_session_load(r);
	int64_t uid = web_session_user(r);
	if (uid != 0) {
		nsupd_err e = store_user_get(app->store, uid, &r->user);
		if (e == NSUPD_OK && r->user.active) {
			r->logged_in = true;
		} else {
			if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND)
				log_error("web: loading user %lld: %s", (long long)uid, nsupd_strerror(e));
			memset(&r->user, 0, sizeof(r->user));
		}
	}
	choose_language(r);
	build_ctx(r);
}

static void end_request(web_req *r)
{
	web_session_finish(r);
	security_headers(r);
	json_decref(r->ctx);
	r->ctx = NULL;
}

static void dispatch(void *appv, http_request *hreq, http_response *res)
{
	nsupd_app *app = appv;
	const web_page *page = hreq->route->data;
	web_req r;
	begin_request(&r, app, hreq, res);
	if (r.ctx == NULL) {
		http_set_text(res, 503, "Service Unavailable");
	} else if (hreq->form_error != 0) {
		/* A body the HTTP layer could not take (malformed, too large, not
		 * urlencoded): the styled error page, nothing else runs. */
		web_error(&r, hreq->form_error, NULL);
	} else if (hreq->method_error != 0) {
		/* A page asked with a method it does not take. */
		web_error(&r, hreq->method_error, NULL);
		http_add_header(res, "Allow", hreq->allow);
	} else if (page == NULL) {
		web_error(&r, 404, NULL);
	} else if ((page->flags & WEB_STAFF) && !(r.logged_in && r.user.staff)) {
		/* Staff pages do not exist for anyone else: no login redirect
		 * and no CSRF page that would show they are there. */
		web_error(&r, 404, NULL);
	} else if (hreq->post && (!same_origin(&r) ||
				  !web_session_csrf_ok(&r, http_form(hreq, WEB_CSRF_FIELD)))) {
		web_error(&r, 403, web_session_csrf(&r) == NULL ?
			_(&r, "Your session has expired or your browser does not accept cookies. "
			      "Please enable cookies, reload the page and try again.") :
			_(&r, "The form was not sent from this site (CSRF check failed). "
			      "Please reload the page and try again."));
	} else if (!hreq->post && (page->flags & WEB_UNSAFE_GET) && !get_from_this_origin(&r)) {
		web_error(&r, 403, _(&r, "This request was not sent from this site. "
				       "Please use the buttons on the host page."));
	} else if ((page->flags & (WEB_LOGIN | WEB_STAFF)) && !r.logged_in) {
		const char *qs = http_query_string(hreq);
		char *next = arena_printf(r.a, "%s%s%s", hreq->path, qs[0] ? "?" : "", qs);
		char *enc = url_encode(r.a, next != NULL ? next : "/");
		char *loc = enc != NULL ? arena_printf(r.a, "/accounts/login/?next=%s", enc) : NULL;
		/* No ?next= to a WEB_UNSAFE_GET page: after the login it would
		 * run the request (the login page would drop it anyway). */
		web_redirect(&r, loc != NULL && !(page->flags & WEB_UNSAFE_GET) ? loc :
			     "/accounts/login/");
	} else if ((page->flags & WEB_STAFF) && !r.user.staff) {
		web_error(&r, 404, NULL);
	} else {
		page->handler(&r);
	}
	end_request(&r);
}

static void serve_static(void *appv, http_request *hreq, http_response *res)
{
	nsupd_app *app = appv;
	const web_file *f = assets_static_find(app->web->st, hreq->names[0]);
	if (f == NULL) {
		http_set_text(res, 404, "not found");
		return;
	}
	http_add_header(res, "ETag", f->etag);
	/* A URL with ?v=<content hash> never changes meaning, so browsers
	 * may keep it for a year; a bare URL is revalidated hourly. */
	const char *v = http_query(hreq, "v");
	if (v != NULL && strcmp(v, f->version) == 0)
		http_add_header(res, "Cache-Control", "public, max-age=31536000, immutable");
	else
		http_add_header(res, "Cache-Control", "public, max-age=3600");
	const char *inm = http_header(hreq, "If-None-Match");
	if (inm != NULL && strstr(inm, f->etag) != NULL) {
		res->status = 304;
		res->content_type = f->content_type;
		return;
	}
	res->status = 200;
	res->content_type = f->content_type;
	res->body = f->data;
	res->body_len = f->len;
}

const http_route *web_routes(web *w, const http_route *api, size_t n_api, size_t *n)
{
	size_t n_pages = 0;
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
		n_pages += modules[i]->n_pages;
	size_t total = n_api + n_pages + 2;
	http_route *routes = calloc(total, sizeof(*routes));
	if (routes == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n_api; i++)
		routes[k++] = api[i];
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		for (size_t j = 0; j < modules[i]->n_pages; j++) {
			const web_page *p = &modules[i]->pages[j];
			/* Staff pages get no trailing-slash redirect: a 301 would
			 * tell everyone else that the path exists. */
			unsigned flags = p->methods | ((p->flags & WEB_STAFF) ? 0 : HTTP_SLASH);
			if (p->methods & HTTP_POST)
				flags |= HTTP_FORM;
			routes[k++] = (http_route){ p->path, dispatch, flags, p };
		}
	}
	routes[k++] = (http_route){ "/static/<name>", serve_static, HTTP_GET, NULL };
	routes[k++] = (http_route){ "*", dispatch, HTTP_GET | HTTP_POST, NULL };
	free(w->routes);
	w->routes = routes;
	w->n_routes = k;
	*n = k;
	return routes;
}
