/* Live A/AAAA values of hosts for display (overview and host page), read
 * from each zone's nameserver. The queries of a page run side by side on a
 * few threads under one time budget, and a nameserver that fails a query
 * is not asked again during the same page, so a dead nameserver costs the
 * page about one query timeout, not one per host. */
#ifndef NSUPD_WEB_HOSTDNS_H
#define NSUPD_WEB_HOSTDNS_H

#include <stddef.h>

#include <jansson.h>

#include "api/updater.h"
#include "core/ipaddr.h"
#include "store/store.h"

typedef enum hostdns_state {
	HOSTDNS_NONE,       /* no such record */
	HOSTDNS_FOUND,      /* addr holds the (first) record */
	HOSTDNS_ERROR,      /* the query failed or the zone is unusable */
} hostdns_state;

typedef struct hostdns_query {
	const store_domain *domain;   /* in: the host's zone */
	const char *fqdn;             /* in */
	int family;                   /* in: 4 (A) or 6 (AAAA) */
	hostdns_state state;          /* out */
	char addr[IP_STRLEN];         /* out, when HOSTDNS_FOUND */
} hostdns_query;

/* Runs the n queries; each waits at most min(resolver_timeout, budget_ms),
 * and queries not started within budget_ms end as HOSTDNS_ERROR. */
void hostdns_run(const nsupd_app *app, hostdns_query *q, size_t n, unsigned budget_ms);

/* {"state": "found"|"none"|"error", "addr": "..."} for templates. */
json_t *hostdns_json(const hostdns_query *q);

#endif
