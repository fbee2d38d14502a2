#include "api/updater.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dns/zonewriter.h"
#include "util/log.h"

char *updater_stamp(arena *a, int64_t now, const char *fmt, ...)
{
	char stamp[32];
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S ", &tm);
	va_list ap;
	va_start(ap, fmt);
	char *msg = arena_vprintf(a, fmt, ap);
	va_end(ap);
	if (msg == NULL)
		return NULL;
	return arena_printf(a, "%s%s", stamp, msg);
}

nsupd_err updater_zone(const nsupd_app *app, const store_domain *d, int64_t now, dns_zone *z,
		       dns_error *err)
{
	memset(z, 0, sizeof(*z));
	err->rcode = -1;
	err->msg[0] = '\0';
	if (!d->available) {
		snprintf(err->msg, sizeof(err->msg),
			 "domain %s is flagged unavailable (disabled by its owner or a check)", d->name);
		return NSUPD_ERR_DNS_UNAVAILABLE;
	}
	if (d->backoff_until > now) {
		snprintf(err->msg, sizeof(err->msg),
			 "nameserver %s for domain %s was flagged unavailable after a failure; next try in %lld s",
			 d->nameserver, d->name, (long long)(d->backoff_until - now));
		return NSUPD_ERR_DNS_UNAVAILABLE;
	}
	if (!dns_algorithm_parse(d->algorithm, &z->algorithm)) {
		snprintf(err->msg, sizeof(err->msg), "domain %s has an unknown TSIG algorithm '%s'",
			 d->name, d->algorithm);
		return NSUPD_ERR_DNS_KEY;
	}
	if (!dns_server_parse(d->nameserver, &z->primary)) {
		snprintf(err->msg, sizeof(err->msg), "domain %s has a bad nameserver address '%s'",
			 d->name, d->nameserver);
		return NSUPD_ERR_INVALID;
	}
	if (d->nameserver2[0] != '\0') {
		if (!dns_server_parse(d->nameserver2, &z->secondary)) {
			snprintf(err->msg, sizeof(err->msg),
				 "domain %s has a bad secondary nameserver address '%s'", d->name,
				 d->nameserver2);
			return NSUPD_ERR_INVALID;
		}
		z->has_secondary = true;
	}
	z->zone = d->name;
	z->key_name = d->name;
	z->secret_b64 = d->secret;
	z->query_timeout_ms = app->cfg->resolver_timeout * 1000;
	z->update_timeout_ms = app->cfg->update_timeout * 1000;
	z->ttl = app->cfg->ttl;
	return NSUPD_OK;
}

void updater_note_failure(const nsupd_app *app, const store_domain *d, nsupd_err e, int64_t now)
{
	if (!dns_error_is_transport(e))
		return;
	int64_t until = now + app->cfg->unavailable_retry;
	log_warn("domain %s: %s; no DNS operations for %u s", d->name, nsupd_strerror(e),
		 app->cfg->unavailable_retry);
	nsupd_err se = store_domain_set_backoff(app->store, d->id, until);
	if (se != NSUPD_OK)
		log_error("domain %s: cannot record the back-off: %s", d->name, nsupd_strerror(se));
}

/* Changes go through the zone's writer, which merges concurrent ones into
 * one UPDATE message (see src/dns/zonewriter.h). */
static zw_options writer_options(const nsupd_app *app)
{
	return (zw_options){
		.coalesce_max = app->cfg->coalesce_max,
		.coalesce_wait_ms = app->cfg->coalesce_wait_ms,
		.max_inflight = app->cfg->max_inflight,
	};
}

static const char *rrtype_name(int family)
{
	return family == 4 ? "A" : "AAAA";
}

/* The answer to a request whose DNS part ended with e (NSUPD_OK: done). */
static dd_outcome conclude(const nsupd_app *app, const store_domain *d, const dd_addr *addr,
			   bool delete_request, bool tls, bool dry_run, store_host_event *ev,
			   arena *a, nsupd_err e, const dns_error *err)
{
	dd_outcome o = { .word = DD_DNSERR, .text = addr->text, .family = addr->addr.family };
	const int64_t now = ev->now;
	const char *verb = delete_request ? "delete" : "update";
	const char *tls_text = tls ? "True" : "False";
	if (e != NSUPD_OK) {
		if (!dry_run) {
			updater_note_failure(app, d, e, now);
			ev->server_faults++;
			ev->server_msg = updater_stamp(a, now,
				"received %s that resulted in a dns error [%s], ip: %s tls: %s", verb,
				err != NULL && err->msg[0] != '\0' ? err->msg : nsupd_strerror(e),
				addr->text, tls_text);
		}
		return o;
	}
	if (delete_request) {
		ev->client_msg = updater_stamp(a, now, "received delete for record %s tls: %s",
					       rrtype_name(addr->addr.family), tls_text);
		o.word = DD_DELETED;
	} else {
		ev->client_msg = updater_stamp(a, now, "received good update -> ip: %s tls: %s",
					       addr->text, tls_text);
		o.word = DD_GOOD;
	}
	return o;
}

bool updater_plan(const nsupd_app *app, const store_host *h, const store_domain *d,
		  const dd_addr *addr, bool delete_request, bool tls, bool dry_run,
		  store_host_event *ev, arena *a, dd_outcome *o, updater_change *w)
{
	*o = (dd_outcome){ .word = DD_DNSERR, .text = addr->text, .family = addr->addr.family };
	const int64_t now = ev->now;
	const char *verb = delete_request ? "delete" : "update";
	const dd_host_state state = {
		.available = h->available,
		.abuse = h->abuse,
		.abuse_blocked = h->abuse_blocked,
		.netmask_ipv4 = h->netmask_ipv4,
		.netmask_ipv6 = h->netmask_ipv6,
	};
	enum dd_action action = dd_plan(&state, &addr->addr, delete_request, app->cfg->bad_ips,
					app->cfg->n_bad_ips);
	switch (action) {
	case DD_ACT_ABUSE:
		ev->client_msg = updater_stamp(a, now,
			"received %s for host with abuse / abuse_blocked flag set", verb);
		o->word = DD_ABUSE;
		return true;
	case DD_ACT_UNAVAILABLE:
		ev->client_msg = updater_stamp(a, now, "received %s for unavailable host", verb);
		o->word = DD_NOHOST;
		return true;
	case DD_ACT_BLACKLISTED:
		ev->client_faults++;
		ev->client_msg = updater_stamp(a, now,
			"received update to blacklisted ip address %s, host flagged abuse", addr->text);
		if (!dry_run) {
			ev->flag_abuse_blocked = true;
			dns_error derr;
			if (updater_delete_records(app, h, d, &derr) != NSUPD_OK)
				log_warn("host %s.%s: removing records after abuse: %s", h->name,
					 d->name, derr.msg);
		}
		o->word = DD_ABUSE;
		return true;
	case DD_ACT_UPDATE:
	case DD_ACT_DELETE:
		break;
	}

	if (!dry_run) {
		if (addr->addr.family == 4)
			ev->poke_ipv4 = true;
		else
			ev->poke_ipv6 = true;
		ev->tls = tls;
	}

	snprintf(w->fqdn, sizeof(w->fqdn), "%s.%s", h->name, d->name);
	w->family = addr->addr.family;
	w->addr = NULL;
	w->delete_action = action == DD_ACT_DELETE;
	dns_error err;
	nsupd_err e = updater_zone(app, d, now, &w->zone, &err);
	if (e != NSUPD_OK) {
		*o = conclude(app, d, addr, delete_request, tls, dry_run, ev, a, e, &err);
		return true;
	}
	return false;
}

bool updater_decide(const nsupd_app *app, const store_domain *d, const dd_addr *addr,
		    bool delete_request, bool tls, bool dry_run, store_host_event *ev, arena *a,
		    nsupd_err qe, bool found, const ip_addr *current, const dns_error *qerr,
		    dd_outcome *o, updater_change *w)
{
	const char *tls_text = tls ? "True" : "False";
	*o = (dd_outcome){ .word = DD_DNSERR, .text = addr->text, .family = addr->addr.family };
	if (qe == NSUPD_OK) {
		if (w->delete_action) {
			if (found && !dry_run)
				return false;
		} else if (found && ip_equal(current, &addr->addr)) {
			ev->client_msg = updater_stamp(a, ev->now,
				"received no-change update, ip: %s tls: %s", addr->text, tls_text);
			o->word = DD_NOCHG;
			return true;
		} else if (!dry_run) {
			w->addr = &addr->addr;
			return false;
		}
	}
	*o = conclude(app, d, addr, delete_request, tls, dry_run, ev, a, qe, qerr);
	return true;
}

bool updater_begin(const nsupd_app *app, const store_host *h, const store_domain *d,
		   const dd_addr *addr, bool delete_request, bool tls, bool dry_run,
		   store_host_event *ev, arena *a, dd_outcome *o, updater_change *w)
{
	if (updater_plan(app, h, d, addr, delete_request, tls, dry_run, ev, a, o, w))
		return true;
	ip_addr current;
	bool found = false;
	dns_error err;
	nsupd_err e = dns_query(&w->zone, w->fqdn, w->family, &current, &found, &err);
	return updater_decide(app, d, addr, delete_request, tls, dry_run, ev, a, e, found,
			      &current, &err, o, w);
}

nsupd_err updater_write(const nsupd_app *app, const updater_change *w, dns_error *err)
{
	zw_options zo = writer_options(app);
	return w->addr != NULL ? zw_replace(&w->zone, &zo, w->fqdn, w->addr, err)
			       : zw_delete(&w->zone, &zo, w->fqdn, w->family, err);
}

bool updater_submit(const nsupd_app *app, const updater_change *w,
		    void (*done)(void *ctx, nsupd_err result, const dns_error *err), void *ctx)
{
	zw_options zo = writer_options(app);
	return zw_submit(&w->zone, &zo, w->fqdn, w->family, w->addr, done, ctx);
}

dd_outcome updater_finish(const nsupd_app *app, const store_domain *d, const dd_addr *addr,
			  bool delete_request, bool tls, store_host_event *ev, arena *a,
			  nsupd_err e, const dns_error *err)
{
	return conclude(app, d, addr, delete_request, tls, false, ev, a, e, err);
}

dd_outcome updater_apply(const nsupd_app *app, const store_host *h, const store_domain *d,
			 const dd_addr *addr, bool delete_request, bool tls, bool dry_run,
			 store_host_event *ev, arena *a)
{
	dd_outcome o;
	updater_change w;
	if (updater_begin(app, h, d, addr, delete_request, tls, dry_run, ev, a, &o, &w))
		return o;
	dns_error err;
	nsupd_err e = updater_write(app, &w, &err);
	return updater_finish(app, d, addr, delete_request, tls, ev, a, e, &err);
}

nsupd_err updater_delete_name(const nsupd_app *app, const store_domain *d, const char *fqdn,
			      dns_error *err)
{
	int64_t now = (int64_t)time(NULL);
	dns_zone zone;
	nsupd_err first = updater_zone(app, d, now, &zone, err);
	if (first != NSUPD_OK)
		return first;
	static const int families[] = { 4, 6 };
	for (size_t i = 0; i < 2; i++) {
		dns_error e2;
		ip_addr current;
		bool found = false;
		nsupd_err e = dns_query(&zone, fqdn, families[i], &current, &found, &e2);
		/* When the query fails, try the delete anyway: it is harmless. */
		if (e == NSUPD_OK && !found)
			continue;
		zw_options zo = writer_options(app);
		e = zw_delete(&zone, &zo, fqdn, families[i], &e2);
		if (e != NSUPD_OK) {
			updater_note_failure(app, d, e, now);
			if (first == NSUPD_OK) {
				first = e;
				*err = e2;
			}
		}
	}
	return first;
}

nsupd_err updater_delete_records(const nsupd_app *app, const store_host *h,
				 const store_domain *d, dns_error *err)
{
	char fqdn[STORE_NAME_MAX + 80];
	snprintf(fqdn, sizeof(fqdn), "%s.%s", h->name, d->name);
	return updater_delete_name(app, d, fqdn, err);
}
