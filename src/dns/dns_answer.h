/* Readers of the answers nameservers send, apart from the exchanges that
 * fetch them: pure functions of the bytes, so the fuzz targets
 * (tests/fuzz) can give them anything a broken or hostile nameserver
 * could. Internal to the module. */
#ifndef NSUPD_DNS_ANSWER_H
#define NSUPD_DNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "dns/dns.h"

typedef enum dns_answer_kind {
	DNS_ANSWER_DONE,      /* NOERROR or NXDOMAIN: *found says which */
	DNS_ANSWER_TRUNCATED, /* TC set: ask again over TCP */
	DNS_ANSWER_BAD,       /* *code and err say why */
} dns_answer_kind;

/* The answer resp[len] (at least a header, with our ID: the exchange checked)
 * to the question (qname, qtype) for the A (family 4) or AAAA (family 6)
 * records of fqdn; srv names the server in messages. On DNS_ANSWER_DONE,
 * *found tells whether *out holds the first address, following a CNAME chain
 * inside the answer. */
dns_answer_kind dns_read_address_answer(uint8_t *resp, size_t len, const knot_dname_t *qname,
					uint16_t qtype, int family, const char *srv,
					const char *fqdn, ip_addr *out, bool *found,
					nsupd_err *code, dns_error *err);

/* The answer resp[len] (at least a header) to the SOA question qname of
 * zone: NSUPD_OK when it holds the zone's SOA (or is truncated, which proves
 * the server serves the zone as well). */
nsupd_err dns_read_soa_answer(uint8_t *resp, size_t len, const knot_dname_t *qname,
			      const char *zone, const char *srv, dns_error *err);

#endif
