/* The original ran these inside the request, counted a related host that
 * already had its address as a client fault of the main host, and sent the
 * other services' updates while the router waited. Here a related host that
 * needs no change is simply left alone, and forwards go through a queue. */
#include "api/followup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/forwarder.h"
#include "core/ifid.h"
#include "dns/zonewriter.h"
#include "util/log.h"

static zw_options writer_options(const nsupd_app *app)
{
	return (zw_options){
		.coalesce_max = app->cfg->coalesce_max,
		.coalesce_wait_ms = app->cfg->coalesce_wait_ms,
		.max_inflight = app->cfg->max_inflight,
	};
}

static void server_fault(store_host_event *ev, arena *a, int64_t now, const char *fqdn,
			 const char *what, const dns_error *err, nsupd_err e)
{
	ev->server_faults++;
	ev->server_msg = updater_stamp(a, now,
		"related host %s: %s resulted in a dns error [%s]", fqdn, what,
		err->msg[0] != '\0' ? err->msg : nsupd_strerror(e));
}

enum dd_word followup_related(const nsupd_app *app, const store_host *h, const store_domain *d,
			      const ip_addr *prefix, unsigned len, bool dry_run,
			      store_host_event *ev, arena *a)
{
	const int64_t now = ev->now != 0 ? ev->now : (int64_t)time(NULL);
	const int family = prefix->family;
	store_related *list = arena_alloc(a, sizeof(*list) * STORE_RELATED_MAX);
	if (list == NULL)
		return DD_DNSERR;
	size_t n = 0;
	nsupd_err e = store_related_list(app->store, h->id, list, STORE_RELATED_MAX, &n);
	if (e != NSUPD_OK) {
		log_error("host %s.%s: cannot list its related hosts: %s", h->name, d->name,
			  nsupd_strerror(e));
		return DD_DNSERR;
	}
	size_t active = 0;
	for (size_t i = 0; i < n; i++)
		active += list[i].available;
	if (active == 0)
		return DD_NOCHG;

	dns_zone zone;
	dns_error err;
	e = updater_zone(app, d, now, &zone, &err);
	if (e != NSUPD_OK) {
		if (!dry_run) {
			ev->server_faults++;
			ev->server_msg = updater_stamp(a, now,
				"related hosts not updated: %s", err.msg[0] != '\0' ? err.msg :
				nsupd_strerror(e));
		}
		return DD_DNSERR;
	}
	zw_options zo = writer_options(app);
	bool changed = false, failed = false;
	for (size_t i = 0; i < n; i++) {
		const store_related *r = &list[i];
		if (!r->available)
			continue;
		char fqdn[STORE_NAME_MAX + 160];
		snprintf(fqdn, sizeof(fqdn), "%s.%s.%s", r->name, h->name, d->name);
		const char *id_text = family == 4 ? r->interface_id_ipv4 : r->interface_id_ipv6;
		bool empty = false;
		ip_addr iid, want;
		char canon[IP_STRLEN], why[160];
		if (!ifid_parse(id_text, family, &empty, &iid, canon, why, sizeof(why))) {
			/* Saved before IDs were checked (an imported database). */
			log_warn("related host %s: %s; skipped", fqdn, why);
			continue;
		}
		if (!empty && !ifid_combine(prefix, len, &iid, &want, why, sizeof(why))) {
			log_warn("related host %s: %s; skipped", fqdn, why);
			continue;
		}
		ip_addr current;
		bool found = false;
		e = dns_query(&zone, fqdn, family, &current, &found, &err);
		if (e == NSUPD_OK) {
			if (empty ? !found : (found && ip_equal(&current, &want)))
				continue;   /* already right: no change, and no fault */
			changed = true;
			if (dry_run)
				continue;
			if (empty)
				e = zw_delete(&zone, &zo, fqdn, family, &err);
			else
				e = zw_replace(&zone, &zo, fqdn, &want, &err);
		}
		if (e != NSUPD_OK) {
			failed = true;
			if (dry_run)
				continue;
			server_fault(ev, a, now, fqdn, empty ? "delete" : "update", &err, e);
			updater_note_failure(app, d, e, now);
			/* A nameserver that is down fails the others the same
			 * way, each after a full timeout. */
			if (dns_error_is_transport(e))
				break;
		}
	}
	return failed ? DD_DNSERR : changed ? DD_GOOD : DD_NOCHG;
}

nsupd_err followup_related_delete_records(const nsupd_app *app, const store_host *h,
					  const store_domain *d, const store_related *r,
					  dns_error *err)
{
	char fqdn[STORE_NAME_MAX + 160];
	snprintf(fqdn, sizeof(fqdn), "%s.%s.%s", r->name, h->name, d->name);
	return updater_delete_name(app, d, fqdn, err);
}

nsupd_err followup_related_delete_all(const nsupd_app *app, const store_host *h,
				      const store_domain *d, dns_error *err)
{
	store_related *list = calloc(STORE_RELATED_MAX, sizeof(*list));
	if (list == NULL)
		return NSUPD_ERR_NOMEM;
	size_t n = 0;
	nsupd_err first = store_related_list(app->store, h->id, list, STORE_RELATED_MAX, &n);
	if (first != NSUPD_OK)
		snprintf(err->msg, sizeof(err->msg), "cannot list the related hosts: %s",
			 nsupd_strerror(first));
	for (size_t i = 0; i < n; i++) {
		dns_error e2;
		nsupd_err e = followup_related_delete_records(app, h, d, &list[i], &e2);
		if (e != NSUPD_OK && first == NSUPD_OK) {
			first = e;
			*err = e2;
		}
	}
	free(list);
	return first;
}

bool followup_prefix_params(const char *ip6lanprefix, const char *ipv6prefix, dd_addr *list,
			    size_t max, size_t *n)
{
	const char *values[] = { ip6lanprefix, ipv6prefix };
	for (size_t i = 0; i < 2; i++) {
		if (values[i] == NULL || values[i][0] == '\0')
			continue;
		if (*n >= max || dd_parse_prefix_param(values[i], &list[*n]) != NSUPD_OK)
			return false;
		(*n)++;
	}
	return true;
}

bool followup_prefixes_consistent(const dd_addr *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n && list[i].prefix; j++)
			if (list[j].prefix && list[j].addr.family == list[i].addr.family &&
			    (!ip_equal(&list[j].addr, &list[i].addr) ||
			     list[j].prefix_len != list[i].prefix_len))
				return false;
	return true;
}

dd_outcome followup_prefix(const nsupd_app *app, const store_host *h, const store_domain *d,
			   const dd_addr *p, bool tls, bool dry_run, store_host_event *ev, arena *a)
{
	const int64_t now = ev->now != 0 ? ev->now : (int64_t)time(NULL);
	unsigned netmask = p->addr.family == 4 ? h->netmask_ipv4 : h->netmask_ipv6;
	unsigned len = p->prefix_len >= 0 ? (unsigned)p->prefix_len : netmask;
	char *text = p->prefix_len >= 0 ? arena_printf(a, "%s/%d", p->text, p->prefix_len) :
		     arena_strdup(a, p->text);
	dd_outcome o = { .word = DD_DNSERR, .text = text != NULL ? text : p->text,
			 .family = p->addr.family };
	if (h->abuse || h->abuse_blocked) {
		ev->client_msg = updater_stamp(a, now,
			"received prefix update for host with abuse / abuse_blocked flag set");
		o.word = DD_ABUSE;
		return o;
	}
	if (!h->available) {
		ev->client_msg = updater_stamp(a, now, "received prefix update for unavailable host");
		o.word = DD_NOHOST;
		return o;
	}
	/* The network part only, whatever the client sent after it. */
	ip_addr zero = { .family = p->addr.family };
	ip_addr net;
	if (len > ip_bits(&p->addr) || !ip_combine(&p->addr, len, &zero, &net)) {
		o.word = DD_DNSERR;
		return o;
	}
	o.word = followup_related(app, h, d, &net, len, dry_run, ev, a);
	if (o.word != DD_DNSERR)
		ev->client_msg = updater_stamp(a, now,
			"received %s prefix update for related hosts -> prefix: %s tls: %s",
			o.word == DD_GOOD ? "good" : "no-change", o.text, tls ? "True" : "False");
	return o;
}

void followup_forward(const nsupd_app *app, const store_host *h, const ip_addr *addr)
{
	char text[IP_STRLEN];
	ip_format(addr, text);
	int64_t now = (int64_t)time(NULL);
	int queued = 0;
	nsupd_err e = store_forward_enqueue(app->store, h->id, addr->family, text, now, now,
					    &queued);
	if (e != NSUPD_OK) {
		log_error("host %s.%s: cannot queue forwards of %s: %s", h->name, h->domain, text,
			  nsupd_strerror(e));
		return;
	}
	if (queued > 0)
		forwarder_wake();
}
