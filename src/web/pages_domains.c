/* Domain pages: add, edit (with the connectivity test that guards the
 * "available" flag), delete, and the TSIG secret page with ready-made BIND9
 * configuration (spec 4.6, 4.8, 5.5, 5.6). Another user's domain is a 404,
 * never a 403: ids must not reveal what exists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api/followup.h"
#include "core/fqdn.h"
#include "dns/dns.h"
#include "util/log.h"
#include "util/strutil.h"
#include "web/web_internal.h"

#define CONNECTIVITY_LABEL "connectivity-test"

/* The form's algorithm choices, strongest first (the default). */
static const dns_algorithm algorithms[] = {
	DNS_HMAC_SHA512, DNS_HMAC_SHA384, DNS_HMAC_SHA256,
	DNS_HMAC_SHA224, DNS_HMAC_SHA1, DNS_HMAC_MD5,
};
#define N_ALGORITHMS (sizeof(algorithms) / sizeof(algorithms[0]))

/* ---- small helpers ---- */

static const char *form_text(const web_req *r, const char *name)
{
	const char *v = web_form(r, name);
	return v != NULL ? v : "";
}

/* Trims blanks at both ends into the request arena. */
static const char *trimmed(web_req *r, const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
			 s[n - 1] == '\n'))
		n--;
	char *out = arena_alloc(r->a, n + 1);
	if (out == NULL)
		return "";
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

static json_t *algorithm_choices(const char *current)
{
	json_t *list = json_array();
	for (size_t i = 0; i < N_ALGORITHMS; i++) {
		const char *name = dns_algorithm_name(algorithms[i]);
		char label[32];
		size_t k = 0;
		for (const char *p = name; *p && k + 1 < sizeof(label); p++)
			label[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		label[k] = '\0';
		json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "value", name, "label", label,
			"selected", current != NULL && strcmp(current, name) == 0));
	}
	return list;
}

static json_t *domain_json(const store_domain *d)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:b, s:I}",
		"id", (json_int_t)d->id, "name", d->name, "nameserver", d->nameserver,
		"nameserver2", d->nameserver2, "algorithm", d->algorithm, "public", d->public_,
		"available", d->available, "comment", d->comment, "has_secret", d->secret[0] != '\0',
		"created", (json_int_t)d->created);
}

/* The domain of the path's <int> when it belongs to the user; otherwise
 * the 404 page is already sent. */
static bool own_domain(web_req *r, store_domain *d)
{
	int64_t id = web_path_int(r, 0);
	nsupd_err e = store_domain_get(r->app->store, id, d);
	if (e == NSUPD_OK && d->owner_id == r->user.id)
		return true;
	if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND) {
		log_error("web: loading domain %lld: %s", (long long)id, nsupd_strerror(e));
		web_error(r, 500, NULL);
		return false;
	}
	web_error(r, 404, NULL);
	return false;
}

/* Nameserver field: "" is allowed only when optional. On success out holds
 * the canonical text. */
static bool parse_nameserver(const char *text, bool optional, char *out, size_t outsize)
{
	if (text[0] == '\0') {
		out[0] = '\0';
		return optional;
	}
	dns_server s;
	if (!dns_server_parse(text, &s))
		return false;
	dns_server_format(&s, out, outsize);
	return true;
}

static bool parse_algorithm(const char *text, char *out, size_t outsize)
{
	dns_algorithm a;
	if (!dns_algorithm_parse(text, &a))
		return false;
	str_copy(out, dns_algorithm_name(a), outsize);
	return true;
}

/* A TSIG secret as users paste it: standard base64 of at least one byte. */
static bool valid_secret(const char *b64)
{
	unsigned char bin[128];
	size_t len = 0, n = strlen(b64);
	if (n == 0 || n >= sizeof(((store_domain *)0)->secret))
		return false;
	return sodium_base642bin(bin, sizeof(bin), b64, n, NULL, &len, NULL,
				 sodium_base64_VARIANT_ORIGINAL) == 0 && len > 0;
}

/* spec 3.1 generate_ns_secret: bits/8 characters from an alphabet without
 * look-alike characters; the ASCII text itself is the key, stored and shown
 * as base64. */
static void generate_ns_secret(const char *algorithm, char *out, size_t outsize)
{
	static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	dns_algorithm a = DNS_HMAC_SHA512;
	dns_algorithm_parse(algorithm, &a);
	size_t len = dns_algorithm_bits(a) / 8;
	unsigned char text[64];
	if (len > sizeof(text))
		len = sizeof(text);
	for (size_t i = 0; i < len; i++)
		text[i] = (unsigned char)alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	sodium_bin2base64(out, outsize, text, len, sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(text, sizeof(text));
}

/* msg with its first placeholder replaced by value (for C-side messages
 * that use the templates' %(name)s syntax, so translators see one style). */
static const char *subst(web_req *r, const char *msg, const char *placeholder,
			 const char *value)
{
	const char *p = strstr(msg, placeholder);
	if (p == NULL)
		return msg;
	char *out = arena_printf(r->a, "%.*s%s%s", (int)(p - msg), msg, value,
				 p + strlen(placeholder));
	return out != NULL ? out : msg;
}

/* Renders a form page again with its errors and the values as typed. */
static void form_again(web_req *r, const char *tpl, json_t *errors, json_t *form)
{
	json_object_set_new(r->ctx, "errors", errors);
	json_object_set_new(r->ctx, "form", form);
	web_render(r, 200, tpl);
}

/* ---- add ---- */

static void domain_add(web_req *r)
{
	if (!r->http->post) {
		json_object_set_new(r->ctx, "algorithms", algorithm_choices("hmac-sha512"));
		json_object_set_new(r->ctx, "form", json_object());
		json_object_set_new(r->ctx, "errors", json_object());
		web_render(r, 200, "main/add_domain.html");
		return;
	}
	const char *name = trimmed(r, form_text(r, "name"));
	const char *ns = trimmed(r, form_text(r, "nameserver"));
	const char *ns2 = trimmed(r, form_text(r, "nameserver2"));
	const char *alg = form_text(r, "algorithm");
	const char *comment = trimmed(r, form_text(r, "comment"));
	json_t *errors = json_object();
	store_domain d;
	memset(&d, 0, sizeof(d));
	if (!fqdn_valid_zone(name) || !fqdn_normalize(name, d.name, sizeof(d.name)))
		json_object_set_new(errors, "name", json_string(_(r,
			"Enter a valid domain name, e.g. dyn.example.org: two or more labels of "
			"letters, digits, hyphens and underscores.")));
	if (!parse_nameserver(ns, false, d.nameserver, sizeof(d.nameserver)))
		json_object_set_new(errors, "nameserver", json_string(_(r,
			"Enter the IP address of the primary nameserver, optionally with a port: "
			"192.0.2.1, 192.0.2.1:5353, 2001:db8::1 or [2001:db8::1]:5353.")));
	if (!parse_nameserver(ns2, true, d.nameserver2, sizeof(d.nameserver2)))
		json_object_set_new(errors, "nameserver2", json_string(_(r,
			"Enter an IP address with an optional port, or leave the field empty.")));
	if (!parse_algorithm(alg, d.algorithm, sizeof(d.algorithm)))
		json_object_set_new(errors, "algorithm", json_string(_(r, "Choose an algorithm.")));
	if (strlen(comment) >= sizeof(d.comment))
		json_object_set_new(errors, "comment", json_string(_(r,
			"The comment is too long (255 characters at most).")));
	else
		str_copy(d.comment, comment, sizeof(d.comment));
	if (json_object_size(errors) == 0) {
		/* New domains start unavailable and private (spec 5.5): the
		 * nameserver does not know the key yet. The secret is made
		 * now, as this is the POST that creates the domain. */
		d.owner_id = r->user.id;
		d.created = r->now;
		generate_ns_secret(d.algorithm, d.secret, sizeof(d.secret));
		int64_t id = 0;
		nsupd_err e = store_domain_add(r->app->store, &d, &id);
		if (e == NSUPD_OK) {
			log_info("web: user %s added domain %s", r->user.name, d.name);
			web_flash(r, "success", _(r, "Domain added."));
			web_redirect(r, arena_printf(r->a, "/generate_ns_secret/%lld/", (long long)id));
			json_decref(errors);
			return;
		}
		if (e == NSUPD_ERR_EXISTS) {
			json_object_set_new(errors, "name", json_string(_(r,
				"This domain is already registered with this service.")));
		} else {
			log_error("web: adding domain %s: %s", d.name, nsupd_strerror(e));
			json_decref(errors);
			web_error(r, 500, NULL);
			return;
		}
	}
	json_object_set_new(r->ctx, "algorithms", algorithm_choices(alg));
	form_again(r, "main/add_domain.html", errors, json_pack("{s:s, s:s, s:s, s:s}",
		"name", name, "nameserver", ns, "nameserver2", ns2, "comment", comment));
}

/* ---- edit ---- */

/* spec 4.6: add connectivity-test.<zone> A <random address> with the
 * settings of d, as if the domain were available. The record is left in
 * place: it shows the owner the test came through. */
static bool connectivity_test(web_req *r, const store_domain *d, dns_error *err)
{
	store_domain t = *d;
	t.available = true;
	t.backoff_until = 0;
	dns_zone z;
	nsupd_err e = updater_zone(r->app, &t, r->now, &z, err);
	if (e == NSUPD_OK) {
		ip_addr a = { .family = 4 };
		uint32_t v = randombytes_uniform(UINT32_MAX) + 1;   /* 1 .. 2^32-1 */
		a.bytes[0] = (uint8_t)(v >> 24);
		a.bytes[1] = (uint8_t)(v >> 16);
		a.bytes[2] = (uint8_t)(v >> 8);
		a.bytes[3] = (uint8_t)v;
		char fqdn[STORE_NAME_MAX + 32];
		snprintf(fqdn, sizeof(fqdn), "%s.%s", CONNECTIVITY_LABEL, d->name);
		e = dns_replace(&z, fqdn, &a, err);
	}
	if (e != NSUPD_OK && err->msg[0] == '\0')
		str_copy(err->msg, nsupd_strerror(e), sizeof(err->msg));
	return e == NSUPD_OK;
}

static void edit_page(web_req *r, const store_domain *d, json_t *errors, json_t *form)
{
	json_object_set_new(r->ctx, "domain", domain_json(d));
	json_object_set_new(r->ctx, "algorithms", algorithm_choices(
		json_string_value(json_object_get(form, "algorithm"))));
	form_again(r, "main/domain.html", errors, form);
}

static void domain_edit(web_req *r)
{
	store_domain d;
	if (!own_domain(r, &d))
		return;
	if (!r->http->post) {
		edit_page(r, &d, json_object(), json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}",
			"nameserver", d.nameserver, "nameserver2", d.nameserver2,
			"algorithm", d.algorithm, "comment", d.comment, "public", d.public_,
			"available", d.available));
		return;
	}
	const char *ns = trimmed(r, form_text(r, "nameserver"));
	const char *ns2 = trimmed(r, form_text(r, "nameserver2"));
	const char *alg = form_text(r, "algorithm");
	const char *secret = trimmed(r, form_text(r, "secret"));
	const char *comment = trimmed(r, form_text(r, "comment"));
	bool want_public = web_form_checked(r, "public");
	bool want_available = web_form_checked(r, "available");
	json_t *errors = json_object();
	store_domain n = d;    /* the domain as the form would leave it */
	if (!parse_nameserver(ns, false, n.nameserver, sizeof(n.nameserver)))
		json_object_set_new(errors, "nameserver", json_string(_(r,
			"Enter the IP address of the primary nameserver, optionally with a port: "
			"192.0.2.1, 192.0.2.1:5353, 2001:db8::1 or [2001:db8::1]:5353.")));
	if (!parse_nameserver(ns2, true, n.nameserver2, sizeof(n.nameserver2)))
		json_object_set_new(errors, "nameserver2", json_string(_(r,
			"Enter an IP address with an optional port, or leave the field empty.")));
	if (!parse_algorithm(alg, n.algorithm, sizeof(n.algorithm)))
		json_object_set_new(errors, "algorithm", json_string(_(r, "Choose an algorithm.")));
	if (secret[0] != '\0') {
		if (!valid_secret(secret))
			json_object_set_new(errors, "secret", json_string(_(r,
				"Enter a valid secret in base64 format.")));
		else
			str_copy(n.secret, secret, sizeof(n.secret));
	}
	if (strlen(comment) >= sizeof(n.comment))
		json_object_set_new(errors, "comment", json_string(_(r,
			"The comment is too long (255 characters at most).")));
	else
		str_copy(n.comment, comment, sizeof(n.comment));
	if (want_public && !want_available)
		json_object_set_new(errors, "public", json_string(_(r,
			"Domain must be available to be public.")));
	/* The test runs when the domain is switched on, and again whenever the
	 * settings it depends on change while it stays on: an owner must not
	 * be able to point an available domain at a nameserver that refuses
	 * it without being told. */
	bool dns_changed = strcmp(n.nameserver, d.nameserver) != 0 ||
			   strcmp(n.algorithm, d.algorithm) != 0 || strcmp(n.secret, d.secret) != 0;
	if (json_object_size(errors) == 0 && want_available && (!d.available || dns_changed)) {
		if (n.secret[0] == '\0') {
			json_object_set_new(errors, "available", json_string(_(r,
				"The domain has no secret yet: generate one first.")));
		} else {
			dns_error err = { .rcode = -1 };
			if (!connectivity_test(r, &n, &err)) {
				log_info("web: connectivity test of domain %s failed: %s", n.name, err.msg);
				const char *msg = _(r, "Failed to add/delete host %(host)s, check your DNS "
					"server configuration. This is a requirement for setting the "
					"available flag.");
				char host[STORE_NAME_MAX + 32];
				snprintf(host, sizeof(host), "%s.%s", CONNECTIVITY_LABEL, n.name);
				json_object_set_new(errors, "available",
					json_string(subst(r, msg, "%(host)s", host)));
				json_object_set_new(r->ctx, "dns_detail", json_string(err.msg));
			}
		}
	}
	if (json_object_size(errors) != 0) {
		edit_page(r, &d, errors, json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}",
			"nameserver", ns, "nameserver2", ns2, "algorithm", alg, "comment", comment,
			"public", want_public, "available", want_available));
		return;
	}
	json_decref(errors);
	store_domain_settings set = {
		.nameserver = n.nameserver, .nameserver2 = n.nameserver2, .algorithm = n.algorithm,
		.secret = secret[0] != '\0' ? n.secret : NULL, .comment = n.comment,
		.set_public = true, .public_ = want_public,
		.set_available = true, .available = want_available,
	};
	nsupd_err e = store_domain_update(r->app->store, d.id, &set);
	if (e != NSUPD_OK) {
		log_error("web: updating domain %s: %s", d.name, nsupd_strerror(e));
		web_error(r, e == NSUPD_ERR_NOT_FOUND ? 404 : 500, NULL);
		return;
	}
	web_flash(r, "success", _(r, "Domain updated."));
	web_redirect(r, "/overview/");
}

/* ---- delete ---- */

struct host_ids {
	int64_t *v;
	size_t n, cap;
	bool oom;
};

static bool collect_host(const store_host *h, void *ctx)
{
	struct host_ids *l = ctx;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		int64_t *nv = realloc(l->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			l->oom = true;
			return false;
		}
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = h->id;
	return true;
}

static void domain_delete(web_req *r)
{
	store_domain d;
	if (!own_domain(r, &d))
		return;
	struct host_ids ids = { 0 };
	nsupd_err e = store_host_list_by_domain(r->app->store, d.id, collect_host, &ids);
	if (e == NSUPD_OK && ids.oom)
		e = NSUPD_ERR_NOMEM;
	if (e != NSUPD_OK) {
		free(ids.v);
		log_error("web: listing the hosts of domain %s: %s", d.name, nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	if (!r->http->post) {
		json_object_set_new(r->ctx, "domain", domain_json(&d));
		json_object_set_new(r->ctx, "host_count", json_integer((json_int_t)ids.n));
		free(ids.v);
		web_render(r, 200, "main/delete_domain.html");
		return;
	}
	/* Records first, rows after: once the rows are gone nothing knows the
	 * records exist. A nameserver that does not answer must not keep the
	 * owner from deleting the domain, so failures are only reported. */
	size_t failed = 0;
	for (size_t i = 0; i < ids.n; i++) {
		store_host h;
		if (store_host_get(r->app->store, ids.v[i], &h) != NSUPD_OK)
			continue;
		dns_error err = { .rcode = -1 };
		nsupd_err e1 = followup_related_delete_all(r->app, &h, &d, &err);
		if (e1 != NSUPD_OK)
			log_warn("web: deleting related records of %s.%s: %s", h.name, d.name, err.msg);
		nsupd_err e2 = updater_delete_records(r->app, &h, &d, &err);
		if (e2 != NSUPD_OK)
			log_warn("web: deleting the records of %s.%s: %s", h.name, d.name, err.msg);
		if (e1 != NSUPD_OK || e2 != NSUPD_OK)
			failed++;
	}
	free(ids.v);
	e = store_domain_delete(r->app->store, d.id);
	if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND) {
		log_error("web: deleting domain %s: %s", d.name, nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	log_info("web: user %s deleted domain %s", r->user.name, d.name);
	web_flash(r, "success", _(r, "Domain deleted."));
	if (failed > 0)
		web_flash(r, "warning", _(r, "Some DNS records could not be removed because the "
					    "nameserver did not accept the deletion."));
	web_redirect(r, "/overview/");
}

/* ---- TSIG secret and BIND9 configuration ---- */

/* The named.conf part of spec 4.8: the key, and a zone whose update policy
 * lets the key change every name below the zone except the ones a
 * dynamic host must never take over, plus the connectivity test's A. */
static char *bind_config(web_req *r, const store_domain *d)
{
	const char *z = d->name;
	return arena_printf(r->a,
		"key \"%s.\" {\n"
		"\talgorithm %s;\n"
		"\tsecret \"%s\";\n"
		"};\n"
		"\n"
		"zone \"%s\" {\n"
		"\ttype primary;\n"
		"\tfile \"/var/lib/bind/%s.db\";\n"
		"\tupdate-policy {\n"
		"\t\tdeny %s. name %s. ANY;\n"
		"\t\tdeny %s. name www.%s. ANY;\n"
		"\t\tdeny %s. name ipv4.%s. ANY;\n"
		"\t\tdeny %s. name ipv6.%s. ANY;\n"
		"\t\tgrant %s. name " CONNECTIVITY_LABEL ".%s. A;\n"
		"\t\tgrant %s. subdomain %s. A AAAA;\n"
		"\t};\n"
		"};\n",
		z, d->algorithm, d->secret, z, z, z, z, z, z, z, z, z, z, z, z, z, z);
}

/* A starting zone file with the real names: the nameserver's address goes
 * into the glue of ns1 (or a placeholder when it is not a plain address). */
static char *zone_file(web_req *r, const store_domain *d)
{
	dns_server s;
	char ns_line[128];
	if (dns_server_parse(d->nameserver, &s)) {
		char ip[IP_STRLEN];
		ip_format(&s.addr, ip);
		snprintf(ns_line, sizeof(ns_line), "ns1\tIN\t%s\t%s", s.addr.family == 4 ? "A" : "AAAA",
			 ip);
	} else {
		snprintf(ns_line, sizeof(ns_line), "ns1\tIN\tA\t192.0.2.53");
	}
	return arena_printf(r->a,
		"$ORIGIN %s.\n"
		"$TTL 3600\n"
		"@\tIN\tSOA\tns1.%s. hostmaster.%s. (\n"
		"\t\t1\t; serial (named increments it on every update)\n"
		"\t\t3600\t; refresh\n"
		"\t\t900\t; retry\n"
		"\t\t604800\t; expire\n"
		"\t\t60 )\t; negative answers are cached for 60 s\n"
		"\tIN\tNS\tns1.%s.\n"
		"%s\n"
		"; dynamic hosts are added below by %s\n",
		d->name, d->name, d->name, d->name, ns_line, r->app->cfg->site_name);
}

static void ns_secret(web_req *r)
{
	store_domain d;
	if (!own_domain(r, &d))
		return;
	if (r->http->post) {
		/* Every new secret is a POST (unlike the original's GET): a
		 * prefetching browser or a crawler must not break a working
		 * nameserver configuration. */
		char secret[sizeof(d.secret)];
		generate_ns_secret(d.algorithm, secret, sizeof(secret));
		store_domain_settings set = { .secret = secret };
		nsupd_err e = store_domain_update(r->app->store, d.id, &set);
		sodium_memzero(secret, sizeof(secret));
		if (e != NSUPD_OK) {
			log_error("web: new secret for domain %s: %s", d.name, nsupd_strerror(e));
			web_error(r, 500, NULL);
			return;
		}
		log_info("web: user %s made a new TSIG secret for domain %s", r->user.name, d.name);
		web_flash(r, "success", _(r, "A new secret was generated. Put it into your "
					    "nameserver's configuration: the old one no longer works "
					    "with this service."));
		web_redirect(r, arena_printf(r->a, "/generate_ns_secret/%lld/", (long long)d.id));
		return;
	}
	json_object_set_new(r->ctx, "domain", domain_json(&d));
	if (d.secret[0] != '\0') {
		json_object_set_new(r->ctx, "secret", json_string(d.secret));
		json_object_set_new(r->ctx, "bind_config", web_json_str(bind_config(r, &d)));
		json_object_set_new(r->ctx, "zone_file", web_json_str(zone_file(r, &d)));
		dns_server srv;
		char server[IP_STRLEN + 8] = "192.0.2.53 53";
		if (dns_server_parse(d.nameserver, &srv)) {
			char ip[IP_STRLEN];
			ip_format(&srv.addr, ip);
			snprintf(server, sizeof(server), "%s %u", ip, (unsigned)srv.port);
		}
		char *nsupdate = arena_printf(r->a,
			"nsupdate -y %s:%s.:%s <<EOF\n"
			"server %s\n"
			"zone %s.\n"
			"update add " CONNECTIVITY_LABEL ".%s. 60 A 192.0.2.1\n"
			"send\n"
			"EOF\n",
			d.algorithm, d.name, d.secret, server, d.name, d.name);
		json_object_set_new(r->ctx, "nsupdate_example", web_json_str(nsupdate));
	}
	web_render(r, 200, "main/generate_ns_secret.html");
}

static const web_page pages[] = {
	{ "/domain/add/", HTTP_GET | HTTP_POST, WEB_LOGIN, domain_add },
	{ "/domain/<int>/", HTTP_GET | HTTP_POST, WEB_LOGIN, domain_edit },
	{ "/domain/<int>/delete/", HTTP_GET | HTTP_POST, WEB_LOGIN, domain_delete },
	{ "/generate_ns_secret/<int>/", HTTP_GET | HTTP_POST, WEB_LOGIN, ns_secret },
};

const web_module web_module_domains = { pages, sizeof(pages) / sizeof(pages[0]) };
