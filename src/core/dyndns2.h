/* The dyndns2 protocol, pure: credentials, address lists, the per-address
 * plan, combining per-address outcomes into the one-line answer, and the
 * HTTP status that goes with it. The handlers in api/ do the I/O around
 * these functions. */
#ifndef NSUPD_CORE_DYNDNS2_H
#define NSUPD_CORE_DYNDNS2_H

#include <stdbool.h>
#include <stddef.h>

#include "core/ipaddr.h"
#include "util/arena.h"
#include "util/error.h"

enum dd_word {
	DD_GOOD,
	DD_NOCHG,
	DD_DELETED,
	DD_ABUSE,
	DD_BADAGENT,
	DD_BADAUTH,
	DD_NOTFQDN,
	DD_NOHOST,
	DD_DNSERR,
	DD_911,
};

/* "good", "nochg", ... "911". */
const char *dd_word_text(enum dd_word w);

/* HTTP status for an answer word: 401 for badauth, 403 for abuse caused by
 * the bad_hosts list (by_bad_hosts), 200 otherwise. */
unsigned dd_http_status(enum dd_word w, bool by_bad_hosts);

/* Decodes an Authorization header value: scheme "Basic" (any case), base64
 * payload (surrounding space ignored, characters outside the alphabet
 * skipped, bad padding rejected), bytes that are not UTF-8 dropped, split
 * at the first ':' (the password may contain ':' and may be empty).
 * Returns false when malformed. Results are allocated from a. */
bool dd_basic_auth_decode(const char *header, arena *a, char **user, char **password);

/* One element of a myip list. */
typedef struct dd_addr {
	char text[IP_STRLEN];  /* as the client wrote it, trimmed, '/' part cut */
	ip_addr addr;          /* parsed; ::ffff:a.b.c.d already mapped to IPv4 */
	int prefix_len;        /* the number after '/', or -1 when absent */
	bool prefix;           /* "net/len" with len < the address bits and all host
				* bits zero: a delegated prefix for related hosts, not
				* an address of the host itself (see dd_addr_is_prefix) */
} dd_addr;

#define DD_MAX_ADDRS 16

/* Parses a comma list ("1.2.3.4", "1.2.3.4,2001:db8::1", "2001:db8::/56").
 * Each element is trimmed and cut at '/'. Any empty or invalid element,
 * more than max elements, or a bad prefix length fails the whole list
 * (NSUPD_ERR_INVALID); nothing is written to out[] beyond *n then. */
nsupd_err dd_parse_myip(const char *value, dd_addr *out, size_t max, size_t *n);

/* The rule behind dd_addr.prefix: an element written with "/len" where len
 * is shorter than the address and every bit after the first len is zero
 * ("2001:db8:1f00::/56", the Fritz!Box <ip6lanprefix>). "192.0.2.9/24" and
 * "2001:db8::1/64" are addresses (the length is ignored). */
bool dd_addr_is_prefix(const ip_addr *addr, int prefix_len);

/* Parses the value of an ip6lanprefix= / ipv6prefix= parameter: "net/len"
 * or "net" alone (prefix_len -1: the host's netmask applies). Host bits are
 * cleared; out->prefix is true and out->text is the network as written
 * (without "/len"). NSUPD_ERR_INVALID for anything else. */
nsupd_err dd_parse_prefix_param(const char *value, dd_addr *out);

/* What the host allows, as far as the per-address plan needs it. */
typedef struct dd_host_state {
	bool available;
	bool abuse;
	bool abuse_blocked;
	unsigned netmask_ipv4;
	unsigned netmask_ipv6;
} dd_host_state;

enum dd_action {
	DD_ACT_ABUSE,          /* host flagged: answer abuse, no fault */
	DD_ACT_UNAVAILABLE,    /* host disabled by its owner: nohost, no fault */
	DD_ACT_BLACKLISTED,    /* address in bad_ips: flag abuse + abuse_blocked, client fault */
	DD_ACT_UPDATE,         /* replace the A/AAAA RRset with the address */
	DD_ACT_DELETE,         /* delete the A/AAAA RRset */
};

/* The plan for one address. For updates, an address that is the network
 * address of (addr / host netmask) deletes the record instead (the netmask
 * 32 or 128 means "one host", never a network). */
enum dd_action dd_plan(const dd_host_state *host, const ip_addr *addr, bool delete_request,
		       const ip_prefix *bad_ips, size_t n_bad_ips);

/* The outcome of one address. */
typedef struct dd_outcome {
	enum dd_word word;     /* DD_GOOD, DD_NOCHG, DD_DELETED or an error word */
	const char *text;      /* the client's address text (echoed back) */
	uint8_t family;        /* 4 or 6: for "deleted A|AAAA" */
} dd_outcome;

typedef struct dd_answer {
	enum dd_word word;     /* the word the answer starts with */
	const char *body;      /* the whole body, no trailing newline */
	bool client_fault;     /* count one client fault for the request */
} dd_answer;

/* Combines the outcomes of one request into one line:
 * - any error word: the first present of 911, abuse, badagent, badauth,
 *   notfqdn, nohost, dnserr, alone;
 * - all deleted: "deleted A,AAAA" (types in request order);
 * - otherwise "good a,b" when any address changed, else "nochg a,b",
 *   listing every address in request order.
 * Only an all-nochg answer is a client fault (one per request). */
dd_answer dd_combine(const dd_outcome *o, size_t n, arena *a);

#endif
