/* The host pages (spec 5.3, 5.4, 5.9, 5.10, 2.8): add, edit, delete, the
 * secret and configuration help, the session-authorized manual update and
 * delete, and the browser-based updater at /update.
 *
 * Differences from the original, on purpose: a new secret is made by a POST
 * only (a GET of /generate_secret/<id>/ shows a button), and the manual
 * update/delete are POSTs with the CSRF token. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api/followup.h"
#include "core/dyndns2.h"
#include "core/fqdn.h"
#include "core/secret.h"
#include "util/log.h"
#include "web/hostdns.h"
#include "web/web_internal.h"

/* The host page waits at most this long for its two live values. */
#define HOST_DNS_BUDGET_MS 1500
#define NEW_SECRET_KEY "new_secret"

/* ---- helpers ---- */

/* The logged-in user's host with the id of the path, or NULL after a 404
 * (someone else's host and a missing one look the same) or 500. */
static bool own_host(web_req *r, store_host *h)
{
	nsupd_err e = store_host_get(r->app->store, web_path_int(r, 0), h);
	if (e == NSUPD_OK && h->owner_id == r->user.id)
		return true;
	if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND) {
		log_error("web: loading host %lld: %s", (long long)web_path_int(r, 0),
			  nsupd_strerror(e));
		web_error(r, 500, NULL);
	} else {
		web_error(r, 404, NULL);
	}
	return false;
}

static const char *host_fqdn(web_req *r, const store_host *h)
{
	return arena_printf(r->a, "%s.%s", h->name, h->domain);
}

/* A decimal integer in [lo, hi]; false for anything else. */
static bool parse_range(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	if (s == NULL || s[0] == '\0' || strlen(s) > 4)
		return false;
	unsigned v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool valid_utf8_text(const char *s, size_t max)
{
	if (strlen(s) > max)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 && *p != '\t')
			return false;
	return true;
}

/* The session's last seen addresses (spec 5.1), else the connection's. */
static void session_ips(web_req *r, const char **v4, const char **v6)
{
	json_t *data = web_session_data(r);
	*v4 = data != NULL ? json_string_value(json_object_get(data, "ipv4")) : NULL;
	*v6 = data != NULL ? json_string_value(json_object_get(data, "ipv6")) : NULL;
	char *ip = arena_alloc(r->a, IP_STRLEN);
	if (ip != NULL) {
		ip_format(&r->http->client, ip);
		if ((*v4 == NULL || (*v4)[0] == '\0') && r->http->client.family == 4)
			*v4 = ip;
		if ((*v6 == NULL || (*v6)[0] == '\0') && r->http->client.family == 6)
			*v6 = ip;
	}
	if (*v4 == NULL)
		*v4 = "";
	if (*v6 == NULL)
		*v6 = "";
}

/* ---- the domains a user may use ---- */

struct domain_choice {
	json_t *list;
	int64_t user_id;
	int64_t selected;
};

static bool add_choice(const store_domain *d, const char *owner, void *ctx)
{
	struct domain_choice *c = ctx;
	json_array_append_new(c->list, json_pack("{s:I, s:s, s:b, s:b, s:s, s:b}",
		"id", (json_int_t)d->id, "name", d->name, "own", d->owner_id == c->user_id,
		"available", d->available, "owner", owner, "selected", d->id == c->selected));
	return true;
}

/* ---- add ---- */

static void add_form(web_req *r, unsigned status, const char *name, int64_t domain_id,
		     const char *comment, json_t *errors)
{
	struct domain_choice c = { json_array(), r->user.id, domain_id };
	nsupd_err e = store_domain_list_visible(r->app->store, r->user.id, add_choice, &c);
	if (e != NSUPD_OK) {
		log_error("web: listing domains: %s", nsupd_strerror(e));
		json_decref(c.list);
		json_decref(errors);
		web_error(r, 500, NULL);
		return;
	}
	json_object_set_new(r->ctx, "domains", c.list);
	json_object_set_new(r->ctx, "form", json_pack("{s:s, s:I, s:s}", "name", name,
		"domain", (json_int_t)domain_id, "comment", comment));
	json_object_set_new(r->ctx, "errors", errors != NULL ? errors : json_object());
	web_render(r, status, "main/host_add.html");
}

static void host_add_get(web_req *r)
{
	const char *d = web_query(r, "domain");
	add_form(r, 200, "", d != NULL ? strtoll(d, NULL, 10) : 0, "", NULL);
}

/* Writes the new host's first record (the browser's address, as the
 * original does). NULL on success, else the message for the form. */
static const char *add_first_record(web_req *r, const store_host *h, const store_domain *d)
{
	dns_zone z;
	dns_error derr;
	if (updater_zone(r->app, d, r->now, &z, &derr) != NSUPD_OK)
		return _(r, "Name server unavailable.");
	dd_addr addr = { .addr = r->http->client, .prefix_len = -1, .prefix = false };
	ip_format(&addr.addr, addr.text);
	store_host_event ev = { .now = r->now };
	dd_outcome o = updater_apply(r->app, h, d, &addr, false, r->http->tls, false, &ev, r->a);
	switch (o.word) {
	case DD_GOOD:
		break;
	case DD_NOCHG:
		return _(r, "Host already exists in DNS.");
	case DD_ABUSE:
		return _(r, "Your address is blocked by this service.");
	default: {
		const char *msg = ev.server_msg != NULL ? strchr(ev.server_msg, '[') : NULL;
		const char *detail = msg != NULL ? arena_printf(r->a, "%s", msg + 1) : "";
		char *end = detail != NULL ? strrchr(detail, ']') : NULL;
		if (end != NULL)
			*end = '\0';
		return arena_printf(r->a, "%s [%s]", _(r, "DNS update error."),
				    detail != NULL ? detail : "");
	}
	}
	nsupd_err e = store_host_record(r->app->store, h->id, &ev);
	if (e != NSUPD_OK)
		log_error("web: recording the first update of host %lld: %s", (long long)h->id,
			  nsupd_strerror(e));
	return NULL;
}

static void host_add_post(web_req *r)
{
	char *name = web_form_trimmed(r, "name");
	char *comment = web_form_trimmed(r, "comment");
	const char *dom = web_form(r, "domain");
	int64_t domain_id = dom != NULL ? strtoll(dom, NULL, 10) : 0;
	if (name == NULL || comment == NULL) {
		web_error(r, 500, NULL);
		return;
	}
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	json_t *errors = json_object();

	if (name[0] == '\0') {
		json_object_set_new(errors, "name", json_string(_(r, "This field is required.")));
	} else if (!fqdn_valid_host_label(name)) {
		json_object_set_new(errors, "name", json_string(_(r,
			"Use letters a-z, digits and hyphens (not at the start or end), at most 63 "
			"characters.")));
	} else {
		bool hit = false;
		nsupd_err e = store_blacklist_match(r->app->store, name, &hit, NULL, 0);
		if (e != NSUPD_OK)
			log_error("web: checking the blacklist: %s", nsupd_strerror(e));
		if (hit)
			json_object_set_new(errors, "name",
					    json_string(_(r, "This name is blacklisted.")));
	}
	if (!valid_utf8_text(comment, 255))
		json_object_set_new(errors, "comment", json_string(_(r,
			"Ensure this value has at most 255 characters.")));

	store_domain d;
	bool domain_ok = false;
	if (domain_id > 0 && store_domain_get(r->app->store, domain_id, &d) == NSUPD_OK)
		domain_ok = d.owner_id == r->user.id || d.public_;
	if (!domain_ok)
		json_object_set_new(errors, "domain", json_string(_(r,
			"Select a valid choice. That choice is not one of the available choices.")));

	if (json_object_size(errors) == 0) {
		char fqdn[FQDN_MAX + 80];
		snprintf(fqdn, sizeof(fqdn), "%s.%s", name, d.name);
		store_host old;
		if (store_host_get_by_fqdn(r->app->store, fqdn, &old) == NSUPD_OK)
			json_object_set_new(errors, "name", json_string(_(r,
				"Host with this Name and Domain already exists.")));
	}
	if (json_object_size(errors) != 0) {
		add_form(r, 200, name, domain_id, comment, errors);
		return;
	}

	char secret[SECRET_LEN + 1];
	store_host h;
	store_host_init(&h);
	snprintf(h.name, sizeof(h.name), "%s", name);
	snprintf(h.domain, sizeof(h.domain), "%s", d.name);
	snprintf(h.comment, sizeof(h.comment), "%s", comment);
	h.domain_id = d.id;
	h.owner_id = r->user.id;
	/* Not stale from the start (#357). */
	h.last_update_ipv4 = r->now;
	h.last_update_ipv6 = r->now;
	if (secret_generate(secret) != NSUPD_OK || secret_hash(secret, h.secret_hash) != NSUPD_OK) {
		json_decref(errors);
		web_error(r, 500, NULL);
		return;
	}
	/* The row first, then DNS: a concurrent add of the same name fails
	 * here instead of overwriting the other host's record. */
	nsupd_err e = store_host_add(r->app->store, &h, &h.id);
	if (e == NSUPD_ERR_EXISTS) {
		json_object_set_new(errors, "name", json_string(_(r,
			"Host with this Name and Domain already exists.")));
		add_form(r, 200, name, domain_id, comment, errors);
		return;
	}
	if (e != NSUPD_OK) {
		log_error("web: adding host %s.%s: %s", name, d.name, nsupd_strerror(e));
		json_decref(errors);
		web_error(r, 500, NULL);
		return;
	}
	const char *dns_problem = add_first_record(r, &h, &d);
	if (dns_problem != NULL) {
		e = store_host_delete(r->app->store, h.id);
		if (e != NSUPD_OK)
			log_error("web: removing host %lld after a DNS failure: %s",
				  (long long)h.id, nsupd_strerror(e));
		json_object_set_new(r->ctx, "dns_error", json_string(dns_problem));
		add_form(r, 200, name, domain_id, comment, errors);
		return;
	}
	json_decref(errors);
	log_info("web: user %s added host %s.%s", r->user.name, h.name, d.name);

	/* The secret is shown once, by the page we send the browser to. */
	json_t *data = web_session_data(r);
	if (data != NULL) {
		json_object_set_new(data, NEW_SECRET_KEY, json_pack("{s:I, s:s}", "host",
			(json_int_t)h.id, "secret", secret));
		web_session_touch(r);
	}
	sodium_memzero(secret, sizeof(secret));
	web_flash(r, "success", _(r, "Host added."));
	web_redirect(r, arena_printf(r->a, "/generate_secret/%lld/", (long long)h.id));
}

/* ---- the host page ---- */

static void host_page(web_req *r, const store_host *h, unsigned status, json_t *errors,
		      json_t *form)
{
	json_t *hj = web_host_json(h);
	store_domain d;
	if (store_domain_get(r->app->store, h->domain_id, &d) == NSUPD_OK) {
		const char *fqdn = host_fqdn(r, h);
		hostdns_query q[2] = {
			{ .domain = &d, .fqdn = fqdn, .family = 4 },
			{ .domain = &d, .fqdn = fqdn, .family = 6 },
		};
		hostdns_run(r->app, q, 2, HOST_DNS_BUDGET_MS);
		json_object_set_new(hj, "dns_a", hostdns_json(&q[0]));
		json_object_set_new(hj, "dns_aaaa", hostdns_json(&q[1]));
		json_object_set_new(r->ctx, "domain", json_pack("{s:I, s:s, s:b, s:b}",
			"id", (json_int_t)d.id, "name", d.name, "available", d.available,
			"own", d.owner_id == r->user.id));
	}
	json_object_set_new(r->ctx, "host", hj);
	json_object_set_new(r->ctx, "forwards", web_forwards_json(r, h->id));
	const char *v4, *v6;
	session_ips(r, &v4, &v6);
	json_object_set_new(r->ctx, "my_ipv4", json_string(v4));
	json_object_set_new(r->ctx, "my_ipv6", json_string(v6));
	json_object_set_new(r->ctx, "errors", errors != NULL ? errors : json_object());
	if (form == NULL)
		form = json_pack("{s:s, s:b, s:b, s:I, s:I}", "comment", h->comment,
				 "available", h->available, "abuse", h->abuse,
				 "netmask_ipv4", (json_int_t)h->netmask_ipv4,
				 "netmask_ipv6", (json_int_t)h->netmask_ipv6);
	json_object_set_new(r->ctx, "form", form);
	web_render(r, status, "main/host.html");
}

static void host_view_get(web_req *r)
{
	store_host h;
	if (own_host(r, &h))
		host_page(r, &h, 200, NULL, NULL);
}

static void host_view_post(web_req *r)
{
	store_host h;
	if (!own_host(r, &h))
		return;
	char *comment = web_form_trimmed(r, "comment");
	const char *nm4 = web_form(r, "netmask_ipv4");
	const char *nm6 = web_form(r, "netmask_ipv6");
	if (comment == NULL) {
		web_error(r, 500, NULL);
		return;
	}
	json_t *errors = json_object();
	store_host_settings set = { 0 };
	set.set_comment = true;
	set.comment = comment;
	if (!valid_utf8_text(comment, 255))
		json_object_set_new(errors, "comment", json_string(_(r,
			"Ensure this value has at most 255 characters.")));
	set.set_available = true;
	set.available = web_form(r, "available") != NULL;
	/* The abuse flag is the service's verdict: the owner may clear it
	 * (after fixing the client), not set it; abuse_blocked is the
	 * administrator's and not part of this form at all. */
	if (h.abuse && web_form(r, "abuse") == NULL) {
		set.set_abuse = true;
		set.abuse = false;
	}
	set.set_netmask_ipv4 = parse_range(nm4, 0, 32, &set.netmask_ipv4);
	if (!set.set_netmask_ipv4)
		json_object_set_new(errors, "netmask_ipv4", json_string(_(r,
			"Enter a whole number from 0 to 32.")));
	set.set_netmask_ipv6 = parse_range(nm6, 0, 64, &set.netmask_ipv6);
	if (!set.set_netmask_ipv6)
		json_object_set_new(errors, "netmask_ipv6", json_string(_(r,
			"Enter a whole number from 0 to 64.")));
	if (json_object_size(errors) != 0) {
		json_t *form = json_pack("{s:s, s:b, s:b, s:s, s:s}", "comment", comment,
			"available", set.available, "abuse", h.abuse && !set.set_abuse,
			"netmask_ipv4", nm4 != NULL ? nm4 : "", "netmask_ipv6", nm6 != NULL ? nm6 : "");
		host_page(r, &h, 200, errors, form);
		return;
	}
	json_decref(errors);
	nsupd_err e = store_host_update_settings(r->app->store, h.id, &set);
	if (e != NSUPD_OK) {
		log_error("web: updating host %lld: %s", (long long)h.id, nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	web_flash(r, "success", _(r, "Host updated."));
	web_redirect(r, "/overview/");
}

/* ---- delete ---- */

static void host_delete_get(web_req *r)
{
	store_host h;
	if (!own_host(r, &h))
		return;
	/* An abuse-blocked host stays, or its owner could delete and re-add
	 * it to get rid of the block (#163). */
	if (h.abuse_blocked) {
		web_error(r, 404, NULL);
		return;
	}
	json_object_set_new(r->ctx, "host", web_host_json(&h));
	web_render(r, 200, "main/host_delete.html");
}

static void host_delete_post(web_req *r)
{
	store_host h;
	if (!own_host(r, &h))
		return;
	if (h.abuse_blocked) {
		web_error(r, 404, NULL);
		return;
	}
	store_domain d;
	bool dns_ok = true;
	nsupd_err e = store_domain_get(r->app->store, h.domain_id, &d);
	if (e == NSUPD_OK) {
		dns_error derr;
		if (followup_related_delete_all(r->app, &h, &d, &derr) != NSUPD_OK) {
			log_warn("web: host %s.%s: removing related records: %s", h.name, d.name,
				 derr.msg);
			dns_ok = false;
		}
		if (updater_delete_records(r->app, &h, &d, &derr) != NSUPD_OK) {
			log_warn("web: host %s.%s: removing records: %s", h.name, d.name, derr.msg);
			dns_ok = false;
		}
	}
	e = store_host_delete(r->app->store, h.id);
	if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND) {
		log_error("web: deleting host %lld: %s", (long long)h.id, nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	log_info("web: user %s deleted host %s.%s", r->user.name, h.name, h.domain);
	if (dns_ok)
		web_flash(r, "success", _(r, "Host deleted."));
	else
		web_flash(r, "warning", _(r, "Host deleted, but its DNS records could not be "
					  "removed: the name server did not answer or refused."));
	web_redirect(r, "/overview/");
}

/* ---- secret and configuration help ---- */

static void render_config(web_req *r, const store_host *h, const char *secret)
{
	const nsupd_config *cfg = r->app->cfg;
	json_object_set_new(r->ctx, "host", web_host_json(h));
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
		"fqdn", host_fqdn(r, h), "secret", secret,
		"scheme", cfg->we_have_tls ? "https" : "http",
		"www_host", cfg->www_host, "ipv4_host", cfg->www_ipv4_host,
		"ipv6_host", cfg->www_ipv6_host);
	json_object_set_new(r->ctx, "config", c);
	web_render(r, 200, "main/generate_secret.html");
}

static void generate_secret_get(web_req *r)
{
	store_host h;
	if (!own_host(r, &h))
		return;
	/* Right after /host/add/ the new host's secret waits in the session
	 * for exactly one showing. */
	json_t *data = web_session_data(r);
	json_t *ns = data != NULL ? json_object_get(data, NEW_SECRET_KEY) : NULL;
	if (ns != NULL) {
		json_int_t id = json_integer_value(json_object_get(ns, "host"));
		const char *s = json_string_value(json_object_get(ns, "secret"));
		char secret[SECRET_LEN + 1] = "";
		if (id == h.id && s != NULL)
			snprintf(secret, sizeof(secret), "%s", s);
		json_object_del(data, NEW_SECRET_KEY);
		web_session_touch(r);
		if (secret[0] != '\0') {
			render_config(r, &h, secret);
			return;
		}
	}
	json_object_set_new(r->ctx, "host", web_host_json(&h));
	web_render(r, 200, "main/generate_secret.html");
}

static void generate_secret_post(web_req *r)
{
	store_host h;
	if (!own_host(r, &h))
		return;
	char secret[SECRET_LEN + 1];
	char hash[SECRET_HASH_MAX];
	if (secret_generate(secret) != NSUPD_OK || secret_hash(secret, hash) != NSUPD_OK) {
		web_error(r, 500, NULL);
		return;
	}
	nsupd_err e = store_host_set_secret(r->app->store, h.id, hash);
	if (e != NSUPD_OK) {
		log_error("web: storing a new secret for host %lld: %s", (long long)h.id,
			  nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	log_info("web: user %s made a new secret for host %s.%s", r->user.name, h.name, h.domain);
	render_config(r, &h, secret);
	sodium_memzero(secret, sizeof(secret));
}

/* ---- /nic/update_authorized and /nic/delete_authorized (spec 2.8) ---- */

/* The elements of myip that parse, each on its own: a bad one is skipped,
 * not fatal, as in the original. */
static size_t lenient_addrs(web_req *r, const char *myip, dd_addr *out, size_t max)
{
	size_t n = 0;
	if (myip == NULL)
		return 0;
	char *copy = arena_printf(r->a, "%s", myip);
	if (copy == NULL)
		return 0;
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL && n < max;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t got = 0;
		if (dd_parse_myip(tok, out + n, 1, &got) == NSUPD_OK && got == 1) {
			out[n].prefix = false;
			n++;
		}
	}
	return n;
}

/* The host page's buttons POST; the original's GET (spec 2.8, A18-A22)
 * works too, with the parameters in the query (web.c guards it with
 * WEB_UNSAFE_GET). */
static const char *nic_param(const web_req *r, const char *name)
{
	return r->http->post ? web_form(r, name) : web_query(r, name);
}

static void nic_answer(web_req *r, enum dd_word word, const char *body)
{
	const char *next = nic_param(r, "next");
	if (next != NULL && next[0] != '\0') {
		/* A form post without JavaScript: back to the page, with the
		 * answer as a message. */
		const char *level = word == DD_GOOD || word == DD_DELETED ? "success" :
				    word == DD_NOCHG ? "info" : "danger";
		web_flash(r, level, arena_printf(r->a, "%s %s", _(r, "Answer of the update service:"),
						 body));
		web_redirect(r, web_is_local_path(next) ? next : "/overview/");
		return;
	}
	web_text(r, 200, "text/plain", body);
}

static void nic_authorized(web_req *r, bool delete_request)
{
	const char *hostname = nic_param(r, "hostname");
	char fqdn[FQDN_MAX + 1];
	store_host h;
	if (hostname == NULL || !fqdn_normalize(hostname, fqdn, sizeof(fqdn)) ||
	    store_host_get_by_fqdn(r->app->store, fqdn, &h) != NSUPD_OK ||
	    h.owner_id != r->user.id) {
		nic_answer(r, DD_NOHOST, dd_word_text(DD_NOHOST));
		return;
	}
	store_domain d;
	nsupd_err e = store_domain_get(r->app->store, h.domain_id, &d);
	if (e != NSUPD_OK) {
		log_error("web: host %s: loading its domain: %s", fqdn, nsupd_strerror(e));
		nic_answer(r, DD_911, dd_word_text(DD_911));
		return;
	}
	dd_addr addrs[DD_MAX_ADDRS];
	size_t n = lenient_addrs(r, nic_param(r, "myip"), addrs, DD_MAX_ADDRS);
	if (n == 0) {
		addrs[0] = (dd_addr){ .addr = r->http->client, .prefix_len = -1 };
		ip_format(&addrs[0].addr, addrs[0].text);
		n = 1;
	}
	/* HEAD answers like GET and changes nothing (as HEAD /nic/update). */
	const bool dry_run = r->http->head;
	store_host_event ev = { .now = r->now };
	dd_outcome outcomes[DD_MAX_ADDRS];
	for (size_t i = 0; i < n; i++) {
		outcomes[i] = updater_apply(r->app, &h, &d, &addrs[i], delete_request, r->http->tls,
					    dry_run, &ev, r->a);
		if (dry_run || delete_request || outcomes[i].word != DD_GOOD)
			continue;
		unsigned netmask = addrs[i].addr.family == 4 ? h.netmask_ipv4 : h.netmask_ipv6;
		followup_related(r->app, &h, &d, &addrs[i].addr, netmask, false, &ev, r->a);
		if (!ip_is_network_address(&addrs[i].addr, netmask))
			followup_forward(r->app, &h, &addrs[i].addr);
	}
	dd_answer ans = dd_combine(outcomes, n, r->a);
	if (ans.client_fault)
		ev.client_faults++;
	e = dry_run ? NSUPD_OK : store_host_record(r->app->store, h.id, &ev);
	if (e != NSUPD_OK) {
		log_error("web: host %s: recording the result: %s", fqdn, nsupd_strerror(e));
		nic_answer(r, DD_911, dd_word_text(DD_911));
		return;
	}
	nic_answer(r, ans.word, ans.body);
}

static void nic_update_authorized(web_req *r)
{
	nic_authorized(r, false);
}

static void nic_delete_authorized(web_req *r)
{
	nic_authorized(r, true);
}

/* ---- the browser-based updater (spec 5.9) ---- */

static void browser_updater(web_req *r)
{
	const char *auth = http_header(r->http, "Authorization");
	char *user = NULL, *password = NULL;
	/* Like the original: the header must be there (so the browser asks
	 * for the credentials), but they are only checked by /nic/update,
	 * which the page's script calls with them. */
	if (auth == NULL || !dd_basic_auth_decode(auth, r->a, &user, &password)) {
		web_text(r, 401, "text/plain", dd_word_text(DD_BADAUTH));
		http_add_header(r->res, "WWW-Authenticate",
				"Basic realm=\"authenticate to update DNS\"");
		return;
	}
	json_object_set_new(r->ctx, "updater", json_pack("{s:s, s:s}", "fqdn", user,
		"secret", password));
	web_render(r, 200, "main/update.html");
}

static const web_page pages[] = {
	{ "/host/add/", HTTP_GET, WEB_LOGIN, host_add_get },
	{ "/host/add/", HTTP_POST, WEB_LOGIN, host_add_post },
	{ "/host/<int>/", HTTP_GET, WEB_LOGIN, host_view_get },
	{ "/host/<int>/", HTTP_POST, WEB_LOGIN, host_view_post },
	{ "/host/<int>/delete/", HTTP_GET, WEB_LOGIN, host_delete_get },
	{ "/host/<int>/delete/", HTTP_POST, WEB_LOGIN, host_delete_post },
	{ "/generate_secret/<int>/", HTTP_GET, WEB_LOGIN, generate_secret_get },
	{ "/generate_secret/<int>/", HTTP_POST, WEB_LOGIN, generate_secret_post },
	{ "/nic/update_authorized", HTTP_GET | HTTP_POST, WEB_LOGIN | WEB_UNSAFE_GET,
	  nic_update_authorized },
	{ "/nic/delete_authorized", HTTP_GET | HTTP_POST, WEB_LOGIN | WEB_UNSAFE_GET,
	  nic_delete_authorized },
	{ "/update", HTTP_GET, 0, browser_updater },
};

const web_module web_module_hosts = { pages, sizeof(pages) / sizeof(pages[0]) };
