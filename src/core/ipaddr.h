/* IPv4/IPv6 addresses and prefixes: parsing, formatting, comparison and the
 * prefix arithmetic dyndns needs. Pure: no resolver, no sockets. */
#ifndef NSUPD_CORE_IPADDR_H
#define NSUPD_CORE_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest text: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" + NUL. */
#define IP_STRLEN 46

typedef struct ip_addr {
	uint8_t family;      /* 4 or 6 */
	uint8_t bytes[16];   /* network order; IPv4 uses bytes[0..3] */
} ip_addr;

typedef struct ip_prefix {
	ip_addr addr;        /* host bits are zero after ip_prefix_parse() */
	unsigned len;        /* 0..32 or 0..128 */
} ip_prefix;

/* Strict parse of one address with no surrounding space, no "/len" and no
 * "%scope": IPv4 is exactly four decimal parts without leading zeros, each
 * <= 255; IPv6 is RFC 4291 text, including an embedded dotted quad. */
bool ip_parse(const char *text, ip_addr *out);

/* Canonical text (RFC 5952 for IPv6: lowercase, longest zero run
 * compressed, IPv4-mapped written as ::ffff:a.b.c.d). */
void ip_format(const ip_addr *a, char out[IP_STRLEN]);

bool ip_equal(const ip_addr *a, const ip_addr *b);

/* Maps addresses that really are IPv4 onto IPv4: ::ffff:a.b.c.d, and the
 * deprecated IPv4-compatible ::a.b.c.d when a is not 0 (so "::" and "::1"
 * stay IPv6). Anything else is returned unchanged. */
ip_addr ip_unmap_v4(ip_addr a);

/* Address bits: 32 or 128. */
unsigned ip_bits(const ip_addr *a);

/* True when len < ip_bits(a) and every bit after the first len is zero:
 * the address names a network, not a host. */
bool ip_is_network_address(const ip_addr *a, unsigned len);

/* "a.b.c.d", "a.b.c.d/n", "x::y", "x::y/n". A prefix whose host bits are
 * not zero is accepted and the host bits are cleared. */
bool ip_prefix_parse(const char *text, ip_prefix *out);
bool ip_prefix_contains(const ip_prefix *p, const ip_addr *a);

/* The network part of addr (first len bits) combined with the host part of
 * iid (the remaining bits). Used for related hosts (later issue). Returns
 * false if iid has bits set inside the network part. */
bool ip_combine(const ip_addr *addr, unsigned len, const ip_addr *iid, ip_addr *out);

#endif
