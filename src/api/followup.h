/* What follows a good update of a host: its related hosts get the new
 * prefix plus their interface IDs, and the address is queued for the other
 * dyndns2 services the host forwards to (sent later by src/api/forwarder.c,
 * never while the router waits). */
#ifndef NSUPD_API_FOLLOWUP_H
#define NSUPD_API_FOLLOWUP_H

#include <stdbool.h>

#include "api/updater.h"

/* Sets the related hosts' records of prefix->family to the first len bits
 * of prefix followed by each one's interface ID (an empty ID deletes the
 * record type). Records that already hold the address are left alone and
 * are no fault; a DNS failure is a server fault of the main host (added to
 * ev, message naming the related host). Returns DD_GOOD when some record
 * changed, DD_NOCHG when none had to, DD_DNSERR when a DNS operation failed
 * or the zone could not be used. With dry_run nothing is written. */
enum dd_word followup_related(const nsupd_app *app, const store_host *h, const store_domain *d,
			      const ip_addr *prefix, unsigned len, bool dry_run,
			      store_host_event *ev, arena *a);

/* ---- Prefixes sent with an update (the router's delegated LAN prefix) ----
 * An update may carry, besides its addresses, a prefix per family for the
 * related hosts: a myip element "net/len" whose host bits are all zero (see
 * dd_addr_is_prefix), or a parameter ip6lanprefix= / ipv6prefix= ("net/len"
 * or "net": the host's netmask then gives the length). The host's own
 * records are not touched by a prefix. */

/* Appends the values of the prefix parameters (NULL or "" = absent) to
 * list. false for a malformed value or when list is full. */
bool followup_prefix_params(const char *ip6lanprefix, const char *ipv6prefix, dd_addr *list,
			    size_t max, size_t *n);

/* false when the list holds two different prefixes of one family (the
 * same prefix repeated is fine). */
bool followup_prefixes_consistent(const dd_addr *list, size_t n);

/* Runs one prefix element: host flags as for an address (abuse, nohost),
 * then followup_related() with it. The outcome's text is the prefix as the
 * client wrote it, "/len" included. No fault for nochg. */
dd_outcome followup_prefix(const nsupd_app *app, const store_host *h, const store_domain *d,
			   const dd_addr *p, bool tls, bool dry_run, store_host_event *ev, arena *a);

/* Deletes the A and AAAA records of related host r of h (when present).
 * err gets the first failure. */
nsupd_err followup_related_delete_records(const nsupd_app *app, const store_host *h,
					  const store_domain *d, const store_related *r,
					  dns_error *err);

/* The same for every related host of h (before h is deleted: the rows go
 * with it, the records would stay). err gets the first failure. */
nsupd_err followup_related_delete_all(const nsupd_app *app, const store_host *h,
				      const store_domain *d, dns_error *err);

/* Queues addr (text as it goes to the other service) for every forward of
 * the host that gives and whose service accepts its family, and wakes the
 * forwarder. Failures are logged, never fatal. */
void followup_forward(const nsupd_app *app, const store_host *h, const ip_addr *addr);

#endif
