/* RFC 2136 client: reads A/AAAA records from a zone's nameserver and
 * replaces or deletes them with TSIG-signed UPDATE messages. Blocking calls
 * with bounded time (plus dns_query_submit, which does not block); safe to
 * call from many threads at once. */
#ifndef NSUPD_DNS_DNS_H
#define NSUPD_DNS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/ipaddr.h"
#include "util/error.h"

typedef enum dns_algorithm {
	DNS_HMAC_MD5,
	DNS_HMAC_SHA1,
	DNS_HMAC_SHA224,
	DNS_HMAC_SHA256,
	DNS_HMAC_SHA384,
	DNS_HMAC_SHA512,
} dns_algorithm;

/* "hmac-sha512" etc. (case-insensitive; "HMAC_SHA512" accepted too). */
bool dns_algorithm_parse(const char *name, dns_algorithm *out);
const char *dns_algorithm_name(dns_algorithm alg);   /* "hmac-sha512" */
unsigned dns_algorithm_bits(dns_algorithm alg);      /* 128 .. 512 */

typedef struct dns_server {
	ip_addr addr;
	uint16_t port;   /* 53 unless given */
} dns_server;

/* "192.0.2.1", "192.0.2.1:5353", "2001:db8::1", "[2001:db8::1]:5353". */
bool dns_server_parse(const char *text, dns_server *out);
/* Inverse of dns_server_parse; out holds at least IP_STRLEN + 8 bytes. */
void dns_server_format(const dns_server *s, char *out, size_t outsize);

typedef struct dns_zone {
	const char *zone;          /* origin, e.g. "example.org" */
	const char *key_name;      /* TSIG key name, e.g. "example.org" */
	dns_algorithm algorithm;
	const char *secret_b64;    /* TSIG secret, base64 */
	dns_server primary;        /* updates go here */
	dns_server secondary;      /* preferred for queries when has_secondary */
	bool has_secondary;
	unsigned query_timeout_ms; /* total time for a query, over all servers and tries */
	unsigned update_timeout_ms;
	unsigned ttl;              /* of written records */
} dns_zone;

/* Why an operation failed, for the server fault message. */
typedef struct dns_error {
	char msg[256];             /* e.g. "REFUSED from 127.0.0.1:5353 (update zone example.org)" */
	int rcode;                 /* DNS rcode when the server answered, else -1 */
} dns_error;

/* Reads the A (family 4) or AAAA (family 6) RRset of fqdn with RD off, UDP
 * with TCP fallback on truncation. *found is false for NXDOMAIN/NODATA.
 * When several records exist, *out is the first one. */
nsupd_err dns_query(const dns_zone *z, const char *fqdn, int family, ip_addr *out, bool *found,
		    dns_error *err);

/* The first try of dns_query without a waiting thread, for the HTTP
 * handlers: sends the query over UDP to the server dns_query asks first and
 * returns. true: done is called exactly once, on the query thread and never
 * within this call: answered with found (and addr, when found) for a clean
 * answer (NOERROR or NXDOMAIN); answered false for anything else (silence
 * within the first try's time, a refusal, truncation, an error rcode, a
 * malformed answer), and then the caller asks dns_query, which handles all
 * of those. false: nothing was sent and done is never called. */
typedef void (*dns_query_done_fn)(void *ctx, bool answered, bool found, const ip_addr *addr);
bool dns_query_submit(const dns_zone *z, const char *fqdn, int family, dns_query_done_fn done,
		      void *ctx);
/* Ends the query thread, finishing what is in flight as not answered. */
void dns_query_shutdown(void);

/* Replaces the RRset of the address's type with the single address, in one
 * signed UPDATE (delete RRset + add) over TCP to the primary. */
nsupd_err dns_replace(const dns_zone *z, const char *fqdn, const ip_addr *addr, dns_error *err);

/* Deletes the A (4) or AAAA (6) RRset in one signed UPDATE. Deleting
 * something absent is a success. */
nsupd_err dns_delete(const dns_zone *z, const char *fqdn, int family, dns_error *err);

/* Whether a failure means "the nameserver or key is broken" (transport,
 * timeout, TSIG): such failures start the zone's back-off. Error rcodes
 * such as REFUSED or NOTAUTH do not. */
bool dns_error_is_transport(nsupd_err e);

/* ---- Building blocks for senders that keep their own connection ---------
 * (src/dns/zonewriter.c merges many changes into one message and pipelines
 * messages on one TCP connection; dns_replace/dns_delete use the same
 * builders for their single change.) */

/* One RRset change: the A (family 4) or AAAA (family 6) RRset of fqdn is
 * deleted and, when addr is not NULL, replaced by that single address. */
typedef struct dns_change {
	const char *fqdn;
	int family;
	const ip_addr *addr;       /* NULL: delete only */
} dns_change;

/* Largest message dns_build_update writes (the TCP length prefix limit). */
#define DNS_UPDATE_MAX 65535
/* Room for a domain name in text, trailing dot and NUL included. */
#define DNS_NAME_TEXT_MAX 256
/* Room to leave in a message for the header, zone section and TSIG RR. */
#define DNS_UPDATE_OVERHEAD 600

/* Upper bound of the bytes a change adds to an UPDATE; 0 when the name is
 * not a valid domain name. */
size_t dns_change_wire_size(const dns_change *c);

/* A random message ID (getrandom). */
uint16_t dns_random_id(void);
/* CLOCK_MONOTONIC in milliseconds: the deadlines of this module. */
int64_t dns_mono_ms(void);


/* Builds one TSIG-signed UPDATE of zone z holding the n changes in order
 * (each: delete RRset, then add the address), with message ID id, into
 * out[cap]. mac (64 bytes) receives the request MAC needed to verify the
 * answer. Fails with NSUPD_ERR_INVALID for bad names, NSUPD_ERR_DNS_KEY for
 * an unusable key, NSUPD_ERR_INTERNAL when the changes do not fit. */
nsupd_err dns_build_update(const dns_zone *z, const dns_change *changes, size_t n, uint16_t id,
			   uint8_t *out, size_t cap, size_t *out_len, uint8_t *mac,
			   size_t *mac_len, dns_error *err);

/* Checks the answer to a message built by dns_build_update: ID, opcode,
 * zone, TSIG signature (against the request's mac) and rcode. what names
 * the request in messages, e.g. "update h.example.org A in zone
 * example.org". NSUPD_OK only for a signed NOERROR. */
nsupd_err dns_check_update_answer(const dns_zone *z, uint8_t *resp, size_t len, uint16_t id,
				  const uint8_t *mac, size_t mac_len, const char *what,
				  dns_error *err);

/* "update h.example.org A in zone example.org" as dns_replace/dns_delete
 * write it in their messages. */
void dns_change_describe(const dns_zone *z, const dns_change *c, char *out, size_t outsize);

/* Whether a nameserver of the zone serves it (`nsupd domains --check`): a
 * SOA query for the apex with RD off over UDP, to the primary first, then
 * the secondary, within the zone's query time. NSUPD_OK as soon as one
 * answers NOERROR with the zone's SOA; else the last failure (timeout,
 * unreachable, an error rcode such as REFUSED or NXDOMAIN, or an answer
 * without the SOA as NSUPD_ERR_DNS_MALFORMED) with err saying which.
 * (src/dns/dns_soa.c) */
nsupd_err dns_check_zone(const dns_zone *z, dns_error *err);

/* ---- plain questions (src/dns/dns_plain.c) ----
 * Unsigned questions for the checks that run now and then: the zone check
 * above and the e-mail domain check at registration. Each call is one
 * blocking exchange under a deadline (dns_mono_ms). */

/* A question (name, qtype, class IN) with a random ID into buf[cap], with
 * recursion desired when rd. NSUPD_ERR_INVALID when name is no domain
 * name, NSUPD_ERR_INTERNAL when it does not fit. */
nsupd_err dns_question(const char *name, uint16_t qtype, bool rd, uint8_t *buf, size_t cap,
		       size_t *len);
/* Sends q over UDP, again every resend_ms, until an answer to it (its ID,
 * QR set) comes or the deadline passes; anything else that arrives is
 * ignored. Returns the answer's length in resp, 0 on timeout, -1 with errno
 * on a socket error (an ICMP unreachable reads as ECONNREFUSED). */
ssize_t dns_udp_ask(const dns_server *s, const uint8_t *q, size_t qlen, uint8_t *resp, size_t cap,
		    int resend_ms, int64_t deadline);
/* The same over TCP, once: the answer's length, or -1 (no connection, the
 * deadline, a short or oversized answer, or another ID). */
ssize_t dns_tcp_ask(const dns_server *s, const uint8_t *q, size_t qlen, uint8_t *resp, size_t cap,
		    int64_t deadline);

#endif
