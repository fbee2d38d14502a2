/* Related hosts (spec 5.7) and the updates a host forwards to other dyndns2
 * services (spec 5.8), with the original's URLs:
 *   /host/<id>/related/                  list
 *   /host/<id>/related/add/              add
 *   /host/<id>/related/<id>/             edit
 *   /host/<id>/related/<id>/delete/      confirm, delete (and its records)
 *   /updater_hostconfig_overview/<host>/ list and add
 *   /updater_hostconfig/<id>/            edit
 *   /updater_hostconfig/<id>/delete/     confirm, delete
 *
 * Differences from the original, on purpose: interface IDs are checked when
 * saved (and "1" is accepted, #704/#710); a duplicate related host name is
 * a form error, not a server error; renaming or deleting a related host
 * removes the records of its old name; the other service's password is
 * never sent back to the browser (an empty field on edit keeps it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api/followup.h"
#include "core/fqdn.h"
#include "core/ifid.h"
#include "util/log.h"
#include "util/strutil.h"
#include "web/hostdns.h"
#include "web/web_internal.h"

/* The list waits at most this long for the related hosts' live values. */
#define RELATED_DNS_BUDGET_MS 2000

/* ---- helpers ---- */

static void internal_error(web_req *r, const char *what, nsupd_err e)
{
	log_error("web: %s: %s", what, nsupd_strerror(e));
	web_error(r, 500, NULL);
}

/* The logged-in user's host with id `id`; false after a 404 (someone
 * else's host and a missing one look the same) or a 500. */
static bool own_host_id(web_req *r, int64_t id, store_host *h)
{
	nsupd_err e = store_host_get(r->app->store, id, h);
	if (e == NSUPD_OK && h->owner_id == r->user.id)
		return true;
	if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND)
		internal_error(r, "loading a host", e);
	else
		web_error(r, 404, NULL);
	return false;
}

/* Host and domain of the path's first <int>. */
static bool own_host_domain(web_req *r, store_host *h, store_domain *d)
{
	if (!own_host_id(r, web_path_int(r, 0), h))
		return false;
	nsupd_err e = store_domain_get(r->app->store, h->domain_id, d);
	if (e != NSUPD_OK) {
		internal_error(r, "loading a host's domain", e);
		return false;
	}
	return true;
}

/* The related host of the path's second <int>, which must belong to the
 * host of the first (another host's related host is a 404 even when the
 * user owns both). */
static bool own_related(web_req *r, store_host *h, store_domain *d, store_related *rh)
{
	if (!own_host_domain(r, h, d))
		return false;
	nsupd_err e = store_related_get_id(r->app->store, web_path_int(r, 1), rh);
	if (e == NSUPD_OK && rh->main_host_id == h->id)
		return true;
	if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND)
		internal_error(r, "loading a related host", e);
	else
		web_error(r, 404, NULL);
	return false;
}

/* At most max bytes of valid UTF-8 without control characters: what the
 * database columns and the templates (through jansson) can hold. */
static bool valid_text(const char *s, size_t max)
{
	if (strlen(s) > max)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	json_t *t = json_string(s);
	json_decref(t);
	return t != NULL;
}

static void set_error(json_t *errors, const char *field, const char *msg)
{
	if (json_object_get(errors, field) == NULL)
		json_object_set_new(errors, field, json_string(msg));
}

/* A string for a template; "" for text jansson refuses (never NULL, so
 * json_pack cannot fail on stored data). */
static json_t *jstr(const char *s)
{
	json_t *t = json_string(s != NULL ? s : "");
	return t != NULL ? t : json_string("");
}

/* The form again as the user filled it in, to show with its errors. */
static json_t *related_form_values(const store_related *rh)
{
	return json_pack("{s:o, s:o, s:b, s:o, s:o}", "name", jstr(rh->name), "comment",
			 jstr(rh->comment), "available", rh->available, "interface_id_ipv4",
			 jstr(rh->interface_id_ipv4), "interface_id_ipv6",
			 jstr(rh->interface_id_ipv6));
}

static void name_taken(web_req *r, json_t *errors)
{
	set_error(errors, "name", _(r, "This host already has a related host with this name."));
}

static const char *host_fqdn(web_req *r, const store_host *h)
{
	return arena_printf(r->a, "%s.%s", h->name, h->domain);
}

static const char *related_fqdn(web_req *r, const store_host *h, const store_related *rh)
{
	return arena_printf(r->a, "%s.%s.%s", rh->name, h->name, h->domain);
}

/* ---- related hosts: list ---- */

static json_t *related_json(web_req *r, const store_host *h, const store_related *rh)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(rh->id));
	json_object_set_new(o, "name", jstr(rh->name));
	json_object_set_new(o, "fqdn", jstr(related_fqdn(r, h, rh)));
	json_object_set_new(o, "comment", jstr(rh->comment));
	json_object_set_new(o, "available", json_boolean(rh->available));
	json_object_set_new(o, "interface_id_ipv4", jstr(rh->interface_id_ipv4));
	json_object_set_new(o, "interface_id_ipv6", jstr(rh->interface_id_ipv6));
	return o;
}

static void related_list(web_req *r)
{
	store_host h;
	store_domain d;
	if (!own_host_domain(r, &h, &d))
		return;
	store_related *all = arena_alloc(r->a, STORE_RELATED_MAX * sizeof(*all));
	hostdns_query *q = arena_alloc(r->a, 2 * STORE_RELATED_MAX * sizeof(*q));
	if (all == NULL || q == NULL) {
		web_error(r, 500, NULL);
		return;
	}
	size_t n = 0;
	nsupd_err e = store_related_list(r->app->store, h.id, all, STORE_RELATED_MAX, &n);
	if (e != NSUPD_OK) {
		internal_error(r, "listing related hosts", e);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *fqdn = related_fqdn(r, &h, &all[i]);
		q[2 * i] = (hostdns_query){ .domain = &d, .fqdn = fqdn, .family = 4 };
		q[2 * i + 1] = (hostdns_query){ .domain = &d, .fqdn = fqdn, .family = 6 };
	}
	if (n > 0)
		hostdns_run(r->app, q, 2 * n, RELATED_DNS_BUDGET_MS);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = related_json(r, &h, &all[i]);
		json_object_set_new(o, "dns_a", hostdns_json(&q[2 * i]));
		json_object_set_new(o, "dns_aaaa", hostdns_json(&q[2 * i + 1]));
		json_array_append_new(list, o);
	}
	json_object_set_new(r->ctx, "host", web_host_json(&h));
	json_object_set_new(r->ctx, "related", list);
	json_object_set_new(r->ctx, "related_full", json_boolean(n >= STORE_RELATED_MAX));
	web_render(r, 200, "main/related_hosts.html");
}

/* ---- related hosts: add and edit ---- */

/* Checks one interface ID field; canon gets what is stored. The core's
 * reasons are English, so each kind gets a translated message here. */
static bool check_ifid(web_req *r, const char *text, int family, bool *empty, ip_addr *id,
		       char canon[IP_STRLEN], const char **msg)
{
	char why[200];
	if (ifid_parse(text, family, empty, id, canon, why, sizeof(why)))
		return true;
	if (strstr(why, "too large") != NULL)
		*msg = _(r, "This interface ID is too large for IPv4: the largest is "
			 "255.255.255.255.");
	else if (strstr(why, "too long") != NULL)
		*msg = _(r, "This interface ID is too long.");
	else if (family == 4)
		*msg = _(r, "Enter a valid IPv4 interface ID: a dotted quad like 0.0.0.1, or a "
			 "number like 1.");
	else
		*msg = _(r, "Enter a valid IPv6 interface ID: IPv6 notation like ::1 or "
			 "::216:3eff:fe00:1, hex groups like 216:3eff:fe00:1, or a number like 1.");
	return false;
}

/* true when the ID has bits inside the host's network part for that family
 * (then only a shorter prefix sent by the router makes use of it). */
static bool ifid_too_big(const store_host *h, int family, const ip_addr *id)
{
	char why[120];
	ip_addr zero = { .family = (uint8_t)family }, out;
	unsigned netmask = family == 4 ? h->netmask_ipv4 : h->netmask_ipv6;
	return !ifid_combine(&zero, netmask, id, &out, why, sizeof(why));
}

static void related_form(web_req *r, const store_host *h, const store_related *rh,
			 unsigned status, json_t *form, json_t *errors)
{
	json_object_set_new(r->ctx, "host", web_host_json(h));
	if (rh != NULL)
		json_object_set_new(r->ctx, "related", related_json(r, h, rh));
	if (form == NULL) {
		form = json_object();
		json_object_set_new(form, "name", jstr(rh != NULL ? rh->name : ""));
		json_object_set_new(form, "comment", jstr(rh != NULL ? rh->comment : ""));
		json_object_set_new(form, "available", json_boolean(rh == NULL || rh->available));
		json_object_set_new(form, "interface_id_ipv4",
				    jstr(rh != NULL ? rh->interface_id_ipv4 : ""));
		json_object_set_new(form, "interface_id_ipv6",
				    jstr(rh != NULL ? rh->interface_id_ipv6 : ""));
	}
	json_object_set_new(r->ctx, "form", form);
	json_object_set_new(r->ctx, "errors", errors != NULL ? errors : json_object());
	web_render(r, status, "main/related_host.html");
}

/* Reads and checks the form into out (id and main_host_id untouched). On
 * errors *form gets the values as typed, for showing them again. */
static bool related_read_form(web_req *r, const store_host *h, store_related *out,
			      json_t *errors, json_t **form, unsigned *warn)
{
	char *name = web_form_trimmed(r, "name");
	char *comment = web_form_trimmed(r, "comment");
	char *id4 = web_form_trimmed(r, "interface_id_ipv4");
	char *id6 = web_form_trimmed(r, "interface_id_ipv6");
	bool available = web_form(r, "available") != NULL;
	if (name == NULL || comment == NULL || id4 == NULL || id6 == NULL)
		return false;
	str_ascii_lower(name);
	*warn = 0;

	if (name[0] == '\0')
		set_error(errors, "name", _(r, "This field is required."));
	else if (!fqdn_valid_host_label(name))
		set_error(errors, "name", _(r, "Use letters a-z, digits and hyphens (not at the "
			  "start or end), at most 63 characters."));
	else if (strlen(name) + 1 + strlen(h->name) + 1 + strlen(h->domain) > FQDN_MAX)
		set_error(errors, "name", _(r, "The full name would be longer than 253 "
			  "characters."));
	if (!valid_text(comment, 255))
		set_error(errors, "comment", _(r, "Ensure this value has at most 255 characters."));

	bool empty4 = true, empty6 = true;
	ip_addr v4, v6;
	char canon4[IP_STRLEN] = "", canon6[IP_STRLEN] = "";
	const char *msg = NULL;
	/* Text that is no interface ID at all (control characters, broken
	 * UTF-8) gets the "not valid" message through ifid_parse too. */
	if (!check_ifid(r, valid_text(id4, 4096) ? id4 : "?", 4, &empty4, &v4, canon4, &msg))
		set_error(errors, "interface_id_ipv4", msg);
	if (!check_ifid(r, valid_text(id6, 4096) ? id6 : "?", 6, &empty6, &v6, canon6, &msg))
		set_error(errors, "interface_id_ipv6", msg);

	if (json_object_size(errors) != 0) {
		*form = json_object();
		json_object_set_new(*form, "name", jstr(name));
		json_object_set_new(*form, "comment", jstr(comment));
		json_object_set_new(*form, "available", json_boolean(available));
		json_object_set_new(*form, "interface_id_ipv4", jstr(id4));
		json_object_set_new(*form, "interface_id_ipv6", jstr(id6));
		return true;
	}
	str_copy(out->name, name, sizeof(out->name));
	str_copy(out->comment, comment, sizeof(out->comment));
	str_copy(out->interface_id_ipv4, canon4, sizeof(out->interface_id_ipv4));
	str_copy(out->interface_id_ipv6, canon6, sizeof(out->interface_id_ipv6));
	out->available = available;
	if (!empty4 && ifid_too_big(h, 4, &v4))
		*warn |= 1;
	if (!empty6 && ifid_too_big(h, 6, &v6))
		*warn |= 2;
	return true;
}

static void flash_fit_warnings(web_req *r, unsigned warn)
{
	if (warn & 1)
		web_flash(r, "warning", _(r, "The IPv4 interface ID does not fit behind the host's "
			  "IPv4 netmask; it is only used when the router sends a shorter prefix."));
	if (warn & 2)
		web_flash(r, "warning", _(r, "The IPv6 interface ID does not fit behind the host's "
			  "IPv6 netmask; it is only used when the router sends a shorter prefix."));
}

static void related_add_get(web_req *r)
{
	store_host h;
	store_domain d;
	if (own_host_domain(r, &h, &d))
		related_form(r, &h, NULL, 200, NULL, NULL);
}

static void related_add_post(web_req *r)
{
	store_host h;
	store_domain d;
	if (!own_host_domain(r, &h, &d))
		return;
	json_t *errors = json_object();
	json_t *form = NULL;
	store_related rh = { .main_host_id = h.id, .created = r->now };
	unsigned warn = 0;
	if (!related_read_form(r, &h, &rh, errors, &form, &warn)) {
		json_decref(errors);
		web_error(r, 500, NULL);
		return;
	}
	if (form == NULL) {
		size_t n = 0;
		store_related *all = arena_alloc(r->a, STORE_RELATED_MAX * sizeof(*all));
		nsupd_err e = all != NULL ?
			store_related_list(r->app->store, h.id, all, STORE_RELATED_MAX, &n) :
			NSUPD_ERR_NOMEM;
		if (e == NSUPD_OK && n >= STORE_RELATED_MAX)
			set_error(errors, "name", _(r, "This host already has the most related hosts "
				  "allowed."));
		else if (e == NSUPD_OK)
			e = store_related_add(r->app->store, &rh, &rh.id);
		if (e == NSUPD_ERR_EXISTS) {
			name_taken(r, errors);
		} else if (e != NSUPD_OK) {
			json_decref(errors);
			internal_error(r, "adding a related host", e);
			return;
		}
		if (json_object_size(errors) != 0)
			form = related_form_values(&rh);
	}
	if (form != NULL) {
		related_form(r, &h, NULL, 200, form, errors);
		return;
	}
	json_decref(errors);
	log_info("web: user %s added related host %s", r->user.name, related_fqdn(r, &h, &rh));
	web_flash(r, "success", _(r, "Related host added. Its records are written at the next "
		  "update of the main host."));
	flash_fit_warnings(r, warn);
	web_redirect(r, arena_printf(r->a, "/host/%lld/related/", (long long)h.id));
}

static void related_edit_get(web_req *r)
{
	store_host h;
	store_domain d;
	store_related rh;
	if (own_related(r, &h, &d, &rh))
		related_form(r, &h, &rh, 200, NULL, NULL);
}

static void related_edit_post(web_req *r)
{
	store_host h;
	store_domain d;
	store_related old;
	if (!own_related(r, &h, &d, &old))
		return;
	json_t *errors = json_object();
	json_t *form = NULL;
	store_related rh = old;
	unsigned warn = 0;
	if (!related_read_form(r, &h, &rh, errors, &form, &warn)) {
		json_decref(errors);
		web_error(r, 500, NULL);
		return;
	}
	if (form == NULL) {
		nsupd_err e = store_related_update(r->app->store, &rh);
		if (e == NSUPD_ERR_EXISTS) {
			name_taken(r, errors);
			form = related_form_values(&rh);
		} else if (e == NSUPD_ERR_NOT_FOUND) {
			json_decref(errors);
			web_error(r, 404, NULL);
			return;
		} else if (e != NSUPD_OK) {
			json_decref(errors);
			internal_error(r, "updating a related host", e);
			return;
		}
	}
	if (form != NULL) {
		related_form(r, &h, &old, 200, form, errors);
		return;
	}
	json_decref(errors);
	/* The old name's records would otherwise stay in the zone for good:
	 * nothing updates a name that no related host has any more. */
	if (strcmp(old.name, rh.name) != 0) {
		dns_error derr;
		if (followup_related_delete_records(r->app, &h, &d, &old, &derr) != NSUPD_OK) {
			log_warn("web: removing the records of %s: %s", related_fqdn(r, &h, &old),
				 derr.msg);
			web_flash(r, "warning", _(r, "The records of the old name could not be "
				  "removed from the name server."));
		}
	}
	log_info("web: user %s changed related host %s", r->user.name, related_fqdn(r, &h, &rh));
	web_flash(r, "success", _(r, "Related host updated. Its records change at the next "
		  "update of the main host."));
	flash_fit_warnings(r, warn);
	web_redirect(r, arena_printf(r->a, "/host/%lld/related/", (long long)h.id));
}

/* ---- related hosts: delete ---- */

static void related_delete_get(web_req *r)
{
	store_host h;
	store_domain d;
	store_related rh;
	if (!own_related(r, &h, &d, &rh))
		return;
	json_object_set_new(r->ctx, "host", web_host_json(&h));
	json_object_set_new(r->ctx, "related", related_json(r, &h, &rh));
	web_render(r, 200, "main/related_host_delete.html");
}

static void related_delete_post(web_req *r)
{
	store_host h;
	store_domain d;
	store_related rh;
	if (!own_related(r, &h, &d, &rh))
		return;
	dns_error derr;
	bool dns_ok = followup_related_delete_records(r->app, &h, &d, &rh, &derr) == NSUPD_OK;
	if (!dns_ok)
		log_warn("web: removing the records of %s: %s", related_fqdn(r, &h, &rh), derr.msg);
	nsupd_err e = store_related_delete(r->app->store, rh.id);
	if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND) {
		internal_error(r, "deleting a related host", e);
		return;
	}
	log_info("web: user %s deleted related host %s", r->user.name, related_fqdn(r, &h, &rh));
	if (dns_ok)
		web_flash(r, "success", _(r, "Related host deleted."));
	else
		web_flash(r, "warning", _(r, "Related host deleted, but its DNS records could not "
			  "be removed from the name server."));
	web_redirect(r, arena_printf(r->a, "/host/%lld/related/", (long long)h.id));
}

/* ---- other services: shared ---- */

json_t *web_forwards_json(web_req *r, int64_t host_id)
{
	store_forward *all = arena_alloc(r->a, STORE_FORWARD_MAX * sizeof(*all));
	size_t n = 0;
	json_t *list = json_array();
	if (all == NULL)
		return list;
	nsupd_err e = store_forward_list(r->app->store, host_id, all, STORE_FORWARD_MAX, &n);
	if (e != NSUPD_OK) {
		log_error("web: listing the forwards of host %lld: %s", (long long)host_id,
			  nsupd_strerror(e));
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		const store_forward *f = &all[i];
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(f->id));
		json_object_set_new(o, "service", json_pack("{s:I, s:o, s:o, s:o, s:b, s:b, s:b}",
			"id", (json_int_t)f->service.id, "name", jstr(f->service.name),
			"server", jstr(f->service.server), "comment", jstr(f->service.comment),
			"secure", f->service.secure, "accept_ipv4", f->service.accept_ipv4,
			"accept_ipv6", f->service.accept_ipv6));
		json_object_set_new(o, "hostname", f->has_hostname ? jstr(f->hostname) : json_null());
		json_object_set_new(o, "has_hostname", json_boolean(f->has_hostname));
		json_object_set_new(o, "login", jstr(f->login));
		json_object_set_new(o, "comment", jstr(f->comment));
		json_object_set_new(o, "give_ipv4", json_boolean(f->give_ipv4));
		json_object_set_new(o, "give_ipv6", json_boolean(f->give_ipv6));
		json_object_set_new(o, "pending", json_integer(f->pending));
		if (f->last_forward != 0)
			json_object_set_new(o, "last", json_pack("{s:I, s:I, s:o, s:o, s:o}",
				"time", (json_int_t)f->last_forward,
				"http_status", (json_int_t)f->last_http_status,
				"result", jstr(f->last_result), "state", jstr(f->last_state),
				"address", jstr(f->last_address)));
		json_array_append_new(list, o);
	}
	/* The other services' passwords do not stay in memory longer than
	 * needed (the arena is not wiped when it is freed). */
	sodium_memzero(all, STORE_FORWARD_MAX * sizeof(*all));
	return list;
}

/* The configuration of the path's <int> when its host is the user's. */
static bool own_forward(web_req *r, store_forward *f, store_host *h)
{
	nsupd_err e = store_forward_get(r->app->store, web_path_int(r, 0), f);
	if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND) {
		internal_error(r, "loading a forward", e);
		return false;
	}
	if (e == NSUPD_OK) {
		sodium_memzero(f->password, sizeof(f->password));
		e = store_host_get(r->app->store, f->host_id, h);
	}
	/* The host decides, not who added the row (an administrator may have
	 * added it for the user). */
	if (e == NSUPD_OK && h->owner_id == r->user.id)
		return true;
	if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND)
		internal_error(r, "loading a host", e);
	else
		web_error(r, 404, NULL);
	return false;
}

/* Reads the fields both forms share. Checks all; errors go to errors. */
static bool forward_read_form(web_req *r, store_forward *f, bool require_password,
			      bool *set_password, json_t *errors, json_t *form)
{
	char *hostname = web_form_trimmed(r, "hostname");
	char *login = web_form_trimmed(r, "name");
	char *comment = web_form_trimmed(r, "comment");
	const char *password = web_form(r, "password");
	if (hostname == NULL || login == NULL || comment == NULL)
		return false;
	if (password == NULL)
		password = "";
	f->give_ipv4 = web_form(r, "give_ipv4") != NULL;
	f->give_ipv6 = web_form(r, "give_ipv6") != NULL;

	if (!valid_text(hostname, 255) || strchr(hostname, ' ') != NULL)
		set_error(errors, "hostname", _(r, "Enter a host name without spaces, at most 255 "
			  "characters."));
	if (login[0] == '\0')
		set_error(errors, "name", _(r, "This field is required."));
	else if (!valid_text(login, 255))
		set_error(errors, "name", _(r, "Ensure this value has at most 255 characters."));
	if (password[0] == '\0' && require_password)
		set_error(errors, "password", _(r, "This field is required."));
	else if (!valid_text(password, 255))
		set_error(errors, "password", _(r, "Ensure this value has at most 255 characters."));
	if (!valid_text(comment, 255))
		set_error(errors, "comment", _(r, "Ensure this value has at most 255 characters."));

	/* The password never goes back into the form. */
	json_object_set_new(form, "hostname", jstr(hostname));
	json_object_set_new(form, "name", jstr(login));
	json_object_set_new(form, "comment", jstr(comment));
	json_object_set_new(form, "give_ipv4", json_boolean(f->give_ipv4));
	json_object_set_new(form, "give_ipv6", json_boolean(f->give_ipv6));
	if (json_object_size(errors) != 0)
		return true;
	/* As the original: an empty host name is not sent at all. */
	f->has_hostname = hostname[0] != '\0';
	str_copy(f->hostname, hostname, sizeof(f->hostname));
	str_copy(f->login, login, sizeof(f->login));
	str_copy(f->comment, comment, sizeof(f->comment));
	str_copy(f->password, password, sizeof(f->password));
	*set_password = password[0] != '\0';
	return true;
}

/* Warnings about a configuration that forwards nothing or less than the
 * user asked for. */
static void forward_warnings(web_req *r, const store_forward *f, const store_service *sv)
{
	if (!f->give_ipv4 && !f->give_ipv6)
		web_flash(r, "warning", _(r, "Neither IPv4 nor IPv6 is given to this service: "
			  "nothing will be forwarded."));
	else if ((f->give_ipv4 && !sv->accept_ipv4) || (f->give_ipv6 && !sv->accept_ipv6))
		web_flash(r, "warning", _(r, "The service does not accept every address family "
			  "you chose; only the families it accepts are forwarded."));
}

/* ---- other services: list and add ---- */

static void forward_overview(web_req *r, const store_host *h, unsigned status, json_t *form,
			     json_t *errors, int64_t selected)
{
	store_service *sv = arena_alloc(r->a, 128 * sizeof(*sv));
	size_t n = 0;
	nsupd_err e = sv != NULL ? store_service_list(r->app->store, sv, 128, &n) :
		      NSUPD_ERR_NOMEM;
	if (e != NSUPD_OK) {
		json_decref(form);
		json_decref(errors);
		internal_error(r, "listing services", e);
		return;
	}
	json_t *services = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(services, json_pack("{s:I, s:o, s:o, s:b, s:b, s:b, s:b}",
			"id", (json_int_t)sv[i].id, "name", jstr(sv[i].name),
			"comment", jstr(sv[i].comment), "secure", sv[i].secure,
			"accept_ipv4", sv[i].accept_ipv4, "accept_ipv6", sv[i].accept_ipv6,
			"selected", sv[i].id == selected));
	if (form == NULL)
		form = json_pack("{s:s, s:s, s:s, s:b, s:b}", "hostname", "", "name", "",
				 "comment", "", "give_ipv4", true, "give_ipv6", true);
	json_object_set_new(r->ctx, "host", web_host_json(h));
	json_object_set_new(r->ctx, "forwards", web_forwards_json(r, h->id));
	json_object_set_new(r->ctx, "services", services);
	json_object_set_new(r->ctx, "form", form);
	json_object_set_new(r->ctx, "errors", errors != NULL ? errors : json_object());
	web_render(r, status, "main/updater_hostconfig_overview.html");
}

static void forward_overview_get(web_req *r)
{
	store_host h;
	if (own_host_id(r, web_path_int(r, 0), &h))
		forward_overview(r, &h, 200, NULL, NULL, 0);
}

static void forward_overview_post(web_req *r)
{
	store_host h;
	if (!own_host_id(r, web_path_int(r, 0), &h))
		return;
	json_t *errors = json_object();
	json_t *form = json_object();
	store_forward f = { .host_id = h.id, .owner_id = r->user.id, .created = r->now };
	bool set_password = false;
	const char *sid = web_form(r, "service");
	int64_t service_id = sid != NULL ? strtoll(sid, NULL, 10) : 0;
	store_service sv;
	if (service_id <= 0 || store_service_get(r->app->store, service_id, &sv) != NSUPD_OK) {
		set_error(errors, "service", _(r, "Select a valid choice. That choice is not one of "
			  "the available choices."));
		service_id = 0;
	}
	if (!forward_read_form(r, &f, true, &set_password, errors, form)) {
		json_decref(errors);
		json_decref(form);
		web_error(r, 500, NULL);
		return;
	}
	if (json_object_size(errors) != 0) {
		forward_overview(r, &h, 200, form, errors, service_id);
		return;
	}
	json_decref(errors);
	json_decref(form);
	f.service_id = sv.id;
	nsupd_err e = store_forward_add(r->app->store, &f, &f.id);
	sodium_memzero(f.password, sizeof(f.password));
	if (e != NSUPD_OK) {
		internal_error(r, "adding a forward", e);
		return;
	}
	log_info("web: user %s added a forward of %s to service %s", r->user.name,
		 host_fqdn(r, &h), sv.name);
	web_flash(r, "success", _(r, "Service configuration added."));
	forward_warnings(r, &f, &sv);
	web_redirect(r, arena_printf(r->a, "/updater_hostconfig_overview/%lld/", (long long)h.id));
}

/* ---- other services: edit ---- */

static void forward_edit_page(web_req *r, const store_forward *f, const store_host *h,
			      unsigned status, json_t *form, json_t *errors)
{
	if (form == NULL)
		form = json_pack("{s:o, s:o, s:o, s:b, s:b}",
			"hostname", jstr(f->has_hostname ? f->hostname : ""),
			"name", jstr(f->login), "comment", jstr(f->comment),
			"give_ipv4", f->give_ipv4, "give_ipv6", f->give_ipv6);
	json_object_set_new(r->ctx, "host", web_host_json(h));
	json_object_set_new(r->ctx, "config", json_pack("{s:I, s:o, s:o, s:b, s:b, s:b}",
		"id", (json_int_t)f->id, "service", jstr(f->service.name),
		"server", jstr(f->service.server), "secure", f->service.secure,
		"accept_ipv4", f->service.accept_ipv4, "accept_ipv6", f->service.accept_ipv6));
	json_object_set_new(r->ctx, "form", form);
	json_object_set_new(r->ctx, "errors", errors != NULL ? errors : json_object());
	web_render(r, status, "main/updater_hostconfig.html");
}

static void forward_edit_get(web_req *r)
{
	store_forward f;
	store_host h;
	if (own_forward(r, &f, &h))
		forward_edit_page(r, &f, &h, 200, NULL, NULL);
}

static void forward_edit_post(web_req *r)
{
	store_forward f;
	store_host h;
	if (!own_forward(r, &f, &h))
		return;
	json_t *errors = json_object();
	json_t *form = json_object();
	bool set_password = false;
	if (!forward_read_form(r, &f, false, &set_password, errors, form)) {
		json_decref(errors);
		json_decref(form);
		web_error(r, 500, NULL);
		return;
	}
	if (json_object_size(errors) != 0) {
		forward_edit_page(r, &f, &h, 200, form, errors);
		return;
	}
	json_decref(errors);
	json_decref(form);
	nsupd_err e = store_forward_update(r->app->store, &f, set_password);
	sodium_memzero(f.password, sizeof(f.password));
	if (e == NSUPD_ERR_NOT_FOUND) {
		web_error(r, 404, NULL);
		return;
	}
	if (e != NSUPD_OK) {
		internal_error(r, "updating a forward", e);
		return;
	}
	log_info("web: user %s changed forward %lld of %s", r->user.name, (long long)f.id,
		 host_fqdn(r, &h));
	web_flash(r, "success", _(r, "Service configuration updated."));
	forward_warnings(r, &f, &f.service);
	web_redirect(r, arena_printf(r->a, "/updater_hostconfig_overview/%lld/", (long long)h.id));
}

/* ---- other services: delete ---- */

static void forward_delete_get(web_req *r)
{
	store_forward f;
	store_host h;
	if (!own_forward(r, &f, &h))
		return;
	json_object_set_new(r->ctx, "host", web_host_json(&h));
	json_object_set_new(r->ctx, "config", json_pack("{s:I, s:o, s:o}", "id", (json_int_t)f.id,
		"service", jstr(f.service.name), "login", jstr(f.login)));
	web_render(r, 200, "main/updater_hostconfig_delete.html");
}

static void forward_delete_post(web_req *r)
{
	store_forward f;
	store_host h;
	if (!own_forward(r, &f, &h))
		return;
	nsupd_err e = store_forward_delete(r->app->store, f.id);
	if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND) {
		internal_error(r, "deleting a forward", e);
		return;
	}
	log_info("web: user %s deleted forward %lld of %s", r->user.name, (long long)f.id,
		 host_fqdn(r, &h));
	web_flash(r, "success", _(r, "Service configuration deleted."));
	web_redirect(r, arena_printf(r->a, "/updater_hostconfig_overview/%lld/", (long long)h.id));
}

static const web_page pages[] = {
	{ "/host/<int>/related/", HTTP_GET, WEB_LOGIN, related_list },
	{ "/host/<int>/related/add/", HTTP_GET, WEB_LOGIN, related_add_get },
	{ "/host/<int>/related/add/", HTTP_POST, WEB_LOGIN, related_add_post },
	{ "/host/<int>/related/<int>/", HTTP_GET, WEB_LOGIN, related_edit_get },
	{ "/host/<int>/related/<int>/", HTTP_POST, WEB_LOGIN, related_edit_post },
	{ "/host/<int>/related/<int>/delete/", HTTP_GET, WEB_LOGIN, related_delete_get },
	{ "/host/<int>/related/<int>/delete/", HTTP_POST, WEB_LOGIN, related_delete_post },
	{ "/updater_hostconfig_overview/<int>/", HTTP_GET, WEB_LOGIN, forward_overview_get },
	{ "/updater_hostconfig_overview/<int>/", HTTP_POST, WEB_LOGIN, forward_overview_post },
	{ "/updater_hostconfig/<int>/", HTTP_GET, WEB_LOGIN, forward_edit_get },
	{ "/updater_hostconfig/<int>/", HTTP_POST, WEB_LOGIN, forward_edit_post },
	{ "/updater_hostconfig/<int>/delete/", HTTP_GET, WEB_LOGIN, forward_delete_get },
	{ "/updater_hostconfig/<int>/delete/", HTTP_POST, WEB_LOGIN, forward_delete_post },
};

const web_module web_module_related = { pages, sizeof(pages) / sizeof(pages[0]) };
