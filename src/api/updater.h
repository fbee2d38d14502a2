/* Changing a host's records: the glue between core (what to do), dns (doing
 * it) and store (remembering it). Used by the API handlers and the CLI. */
#ifndef NSUPD_API_UPDATER_H
#define NSUPD_API_UPDATER_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/dyndns2.h"
#include "dns/dns.h"
#include "store/store.h"
#include "util/arena.h"

struct web;

typedef struct nsupd_app {
	const nsupd_config *cfg;
	store *store;
	struct web *web;          /* the web interface (src/web), NULL outside `serve` */
} nsupd_app;

/* Fills z from the domain (pointers into d, which must outlive z). Fails
 * with NSUPD_ERR_DNS_UNAVAILABLE (message in err) while the domain is
 * disabled or in its back-off window, NSUPD_ERR_DNS_KEY for a bad
 * algorithm, NSUPD_ERR_INVALID for a bad nameserver address. */
nsupd_err updater_zone(const nsupd_app *app, const store_domain *d, int64_t now, dns_zone *z,
		       dns_error *err);

/* After a DNS failure: start the zone's back-off when the failure says the
 * nameserver or key is broken. */
void updater_note_failure(const nsupd_app *app, const store_domain *d, nsupd_err e, int64_t now);

/* Runs one address of an update or delete request for host h in domain d.
 * Adds what happened to ev (counters, messages, pokes) without writing it;
 * the caller stores ev once per request. With dry_run, nothing is changed
 * anywhere: the answer tells what would happen. */
dd_outcome updater_apply(const nsupd_app *app, const store_host *h, const store_domain *d,
			 const dd_addr *addr, bool delete_request, bool tls, bool dry_run,
			 store_host_event *ev, arena *a);

/* updater_apply in two halves, for callers that wait for the nameserver
 * without holding a thread (src/api/nic.c):
 *
 *   if (!updater_begin(..., &o, &w)) {
 *           e = updater_write(app, &w, &err);      (or updater_submit)
 *           o = updater_finish(..., e, &err);
 *   }
 *
 * updater_begin decides (and queries the current record); true when the
 * outcome is already known (o set), false when the change in w must be
 * written first. w points into h, d and addr, which must outlive it. */
typedef struct updater_change {
	dns_zone zone;
	char fqdn[STORE_NAME_MAX + 80];
	int family;
	const ip_addr *addr;        /* NULL: delete the family's records */
	bool delete_action;         /* the plan is a delete (also a network address) */
} updater_change;

bool updater_begin(const nsupd_app *app, const store_host *h, const store_domain *d,
		   const dd_addr *addr, bool delete_request, bool tls, bool dry_run,
		   store_host_event *ev, arena *a, dd_outcome *o, updater_change *w);
/* updater_begin in two halves around the query for the current record
 * (dns_query, or dns_query_submit without a waiting thread):
 * updater_plan is true when the outcome is known without asking the
 * nameserver (o set); false when w->zone, w->fqdn and w->family are to be
 * queried and the result given to updater_decide, which then answers like
 * updater_begin. */
bool updater_plan(const nsupd_app *app, const store_host *h, const store_domain *d,
		  const dd_addr *addr, bool delete_request, bool tls, bool dry_run,
		  store_host_event *ev, arena *a, dd_outcome *o, updater_change *w);
bool updater_decide(const nsupd_app *app, const store_domain *d, const dd_addr *addr,
		    bool delete_request, bool tls, bool dry_run, store_host_event *ev, arena *a,
		    nsupd_err qe, bool found, const ip_addr *current, const dns_error *qerr,
		    dd_outcome *o, updater_change *w);
/* Writes w through the zone's writer and waits for the answer. */
nsupd_err updater_write(const nsupd_app *app, const updater_change *w, dns_error *err);
/* Queues w on the zone's writer; see zw_submit for done and false. */
bool updater_submit(const nsupd_app *app, const updater_change *w,
		    void (*done)(void *ctx, nsupd_err result, const dns_error *err), void *ctx);
/* The outcome of a write that updater_begin asked for (e, err: its result). */
dd_outcome updater_finish(const nsupd_app *app, const store_domain *d, const dd_addr *addr,
			  bool delete_request, bool tls, store_host_event *ev, arena *a,
			  nsupd_err e, const dns_error *err);

/* Deletes the A and AAAA records of fqdn in domain d's zone, through the
 * zone writer (errors are reported, not fatal: err gets the first failure,
 * and a failure counts for the zone's back-off like an update's). */
nsupd_err updater_delete_name(const nsupd_app *app, const store_domain *d, const char *fqdn,
			      dns_error *err);
/* The same for host h's name. */
nsupd_err updater_delete_records(const nsupd_app *app, const store_host *h,
				 const store_domain *d, dns_error *err);

/* "YYYY-MM-DD HH:MM:SS " + msg, as stored in the *_result_msg fields. */
char *updater_stamp(arena *a, int64_t now, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
