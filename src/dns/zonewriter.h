/* Per-zone writer: merges record changes for the same zone that arrive
 * close together into one RFC 2136 UPDATE, keeps a persistent TCP
 * connection to the zone's primary, and pipelines a few messages on it.
 *
 * A nameserver applies a message with 16 changes nearly as fast as one with
 * a single change, so under load this multiplies the update rate; every
 * caller still blocks until its own change is acknowledged or has failed,
 * and gets its own result. Safe to call from many threads at once. */
#ifndef NSUPD_DNS_ZONEWRITER_H
#define NSUPD_DNS_ZONEWRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"

typedef struct zw_options {
	unsigned coalesce_max;     /* changes per message; 1 sends each alone */
	unsigned coalesce_wait_ms; /* longest a change waits for others to join it */
	unsigned max_inflight;     /* messages per zone awaiting their answer */
} zw_options;

#define ZW_DEFAULT_COALESCE_MAX 64
#define ZW_DEFAULT_COALESCE_WAIT_MS 2
#define ZW_DEFAULT_MAX_INFLIGHT 1
/* Upper limits of the options (the configuration enforces them too). */
#define ZW_LIMIT_COALESCE_MAX 1024
#define ZW_LIMIT_COALESCE_WAIT_MS 1000
#define ZW_LIMIT_MAX_INFLIGHT 64

/* Like dns_replace / dns_delete (same arguments, errors and messages), but
 * through the zone's writer. opt NULL means the defaults. The zone's
 * update_timeout_ms bounds the whole wait, queueing included. Zones are
 * told apart by name, primary, key name, algorithm, secret and TTL: a
 * domain whose settings change gets a new writer. */
nsupd_err zw_replace(const dns_zone *z, const zw_options *opt, const char *fqdn,
		     const ip_addr *addr, dns_error *err);
nsupd_err zw_delete(const dns_zone *z, const zw_options *opt, const char *fqdn, int family,
		    dns_error *err);

/* The asynchronous form, for callers that must not hold a thread while
 * the nameserver answers (the HTTP handlers). Queues the change (addr NULL:
 * delete the family's RRset) and returns at once. true: done(ctx, result,
 * err) is called exactly once, on the writer's thread and never from
 * within this call, with what zw_replace/zw_delete would have returned;
 * err lives only during the call. false: nothing was queued (bad
 * arguments, a name too long, no writer could be started) and done is
 * never called: use zw_replace/zw_delete, which say why. */
typedef void (*zw_done_fn)(void *ctx, nsupd_err result, const dns_error *err);
bool zw_submit(const dns_zone *z, const zw_options *opt, const char *fqdn, int family,
	       const ip_addr *addr, zw_done_fn done, void *ctx);

/* Counters since start, for logs and tests. */
typedef struct zw_stats {
	uint64_t messages;       /* UPDATE messages sent */
	uint64_t changes;        /* changes carried by them (retries counted again) */
	uint64_t max_batch;      /* most changes in one message */
	uint64_t split_retries;  /* changes re-sent alone after their batch got an error rcode */
	uint64_t resends;        /* changes re-sent after a kept-alive connection broke */
	uint64_t connections;    /* TCP connections opened */
	uint64_t writers;        /* writers started */
} zw_stats;

void zw_get_stats(zw_stats *out);

/* Fails whatever is queued (NSUPD_ERR_DNS_UNAVAILABLE), closes every
 * connection and waits for the writer threads to end. Later calls start
 * new writers. */
void zw_shutdown(void);

/* ---- Batch planning (pure; exposed for the unit tests) ------------------ */

typedef struct zw_plan_item {
	const char *fqdn;
	int family;
	size_t wire_size;   /* dns_change_wire_size() */
	bool solo;          /* must go in a message of its own */
} zw_plan_item;

/* Chooses the next message from the queued changes, oldest first: at most
 * max_changes changes of at most max_bytes in total (one change is always
 * allowed); never two changes of the same name and type, and never one
 * whose name and type is in busy (messages awaiting an answer) or that
 * would overtake an earlier queued change of the same name and type. A solo
 * change is only chosen first and alone. Writes the chosen indices in
 * ascending order to chosen (room for max_changes) and returns how many;
 * *full says the message cannot take more (size, count or solo). */
size_t zw_plan(const zw_plan_item *queued, size_t n, const zw_plan_item *busy, size_t nbusy,
	       size_t max_changes, size_t max_bytes, size_t *chosen, bool *full);

#endif
