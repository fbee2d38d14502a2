/* Interface identifiers of related hosts: what users type into the
 * "interface ID" fields, and the address a related host gets from a prefix
 * plus its ID. Pure: no I/O. */
#ifndef NSUPD_CORE_IFID_H
#define NSUPD_CORE_IFID_H

#include <stdbool.h>
#include <stddef.h>

#include "core/ipaddr.h"

/* Parses an interface ID for family 4 (A records) or 6 (AAAA records).
 * Surrounding whitespace is ignored. Accepted forms:
 *   ""                     no ID: *empty is set, the record type is deleted
 *   "0.0.0.1"              dotted quad
 *   "::1", "::216:3eff:fe00:1"   IPv6 text (the original's forms)
 *   "216:3eff:fe00:1", "a:b"     1 to 4 hex groups without "::": the low
 *                          bits, as if written with a leading "::"
 *   "1", "300"             a decimal number (the original refused these)
 *   "0x1f"                 a hexadecimal number
 * For family 4 the value must fit in 32 bits: "::1" is accepted as 1, since
 * only the value counts. On success out holds the value as an address of the
 * family and canon its canonical text ("0.0.0.1", "::1"; "" when empty). On
 * failure errbuf gets a one-line reason for the user. */
bool ifid_parse(const char *text, int family, bool *empty, ip_addr *out, char canon[IP_STRLEN],
		char *errbuf, size_t errsize);

/* The address of a related host: the first len bits of prefix followed by
 * the remaining bits of iid. Fails (reason in errbuf) when the families
 * differ, len is out of range, or iid has bits set inside the first len
 * bits (the ID is too large for that prefix length). */
bool ifid_combine(const ip_addr *prefix, unsigned len, const ip_addr *iid, ip_addr *out,
		  char *errbuf, size_t errsize);

#endif
