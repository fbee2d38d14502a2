/* The query for a host's current address, sent before its database lookup.
 *
 * An update request waits for three things in a row: the host's row, the
 * nameserver's answer for the current address, and the write of the result.
 * Where the lookup is a round trip of its own (PostgreSQL), the first two can
 * overlap: for a host that authenticated before, nsupd remembers which
 * nameserver its domain asks and sends that query while the lookup runs. The
 * answer is used only when the lookup then finds the same nameserver and the
 * request asks for that record; otherwise it is dropped and the normal query
 * is sent. So the database stays the only source of truth, and a request
 * that fails authentication costs at most one query for a name that once
 * authenticated.
 *
 * Ownership: a prequery has two owners, the request and the query thread;
 * whichever lets go last frees it. */
#ifndef NSUPD_API_PREQUERY_H
#define NSUPD_API_PREQUERY_H

#include <stdbool.h>

#include "api/updater.h"
#include "core/ipaddr.h"
#include "store/store.h"

typedef struct prequery prequery;

/* Notes that fqdn authenticated and its domain is d (the nameservers its
 * queries go to). */
void prequery_remember(const char *fqdn, const store_domain *d);

/* Sends the query for fqdn's A (family 4) or AAAA (6) record when fqdn was
 * remembered; NULL when it was not, or nothing could be sent. */
prequery *prequery_start(const nsupd_app *app, const char *fqdn, int family);

/* Whether pq's answer is the one the update path would get: same name,
 * same record type, same nameservers as the domain d now has. */
bool prequery_matches(const prequery *pq, const char *fqdn, int family, const store_domain *d);

/* true: the answer is in (answered: a clean answer, then found and, when
 * found, addr; not answered: the caller asks dns_query). false: not yet;
 * wake(ctx) is called once, from the query thread, when it is, and then
 * prequery_answer returns true. */
bool prequery_answer(prequery *pq, void (*wake)(void *ctx), void *ctx, bool *answered,
		     bool *found, ip_addr *addr);

/* The request lets go of pq (it may still be in flight). */
void prequery_release(prequery *pq);

#endif
