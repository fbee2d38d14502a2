/* Zone availability check for `nsupd domains --check`: does a nameserver
 * of the zone serve it? Kept apart from dns.c (the hot path of updates):
 * it runs once a day per domain, so a plain UDP exchange with one deadline
 * per server is all it needs. */
#include "dns/dns.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libknot/libknot.h>

#include "dns/dns_answer.h"

#define SOA_DEFAULT_MS 10000

static nsupd_err set_err(dns_error *err, nsupd_err code, int rcode, const char *fmt,
			 const char *a, const char *b, const char *c)
{
	if (err != NULL) {
		snprintf(err->msg, sizeof(err->msg), fmt, a, b, c);
		err->rcode = rcode;
	}
	return code;
}

nsupd_err dns_read_soa_answer(uint8_t *resp, size_t len, const knot_dname_t *qname,
			      const char *zone, const char *srv, dns_error *err)
{
	knot_pkt_t *pkt = knot_pkt_new(resp, (uint16_t)len, NULL);
	if (pkt == NULL)
		return set_err(err, NSUPD_ERR_NOMEM, -1, "out of memory%s%s%s", "", "", "");
	nsupd_err e;
	if (knot_wire_get_tc(resp)) {
		/* A truncated SOA answer still proves the server serves it. */
		e = NSUPD_OK;
	} else if (knot_pkt_parse(pkt, 0) != KNOT_EOK) {
		e = set_err(err, NSUPD_ERR_DNS_MALFORMED, -1, "malformed answer from %s (SOA %s)%s",
			    srv, zone, "");
	} else {
		int rcode = knot_wire_get_rcode(pkt->wire);
		const knot_lookup_t *name = knot_lookup_by_id(knot_rcode_names, rcode);
		if (rcode != KNOT_RCODE_NOERROR) {
			e = set_err(err, NSUPD_ERR_DNS_RCODE, rcode, "%s from %s (SOA %s)",
				    name != NULL ? name->name : "error", srv, zone);
		} else {
			e = set_err(err, NSUPD_ERR_DNS_MALFORMED, -1, "no SOA of %s in the answer from %s%s",
				    zone, srv, "");
			const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
			for (uint16_t i = 0; i < an->count; i++) {
				const knot_rrset_t *rr = knot_pkt_rr(an, i);
				if (rr->type == KNOT_RRTYPE_SOA &&
				    knot_dname_is_case_equal(rr->owner, qname)) {
					e = NSUPD_OK;
					break;
				}
			}
		}
	}
	knot_pkt_free(pkt);
	return e;
}

nsupd_err dns_check_zone(const dns_zone *z, dns_error *err)
{
	if (err != NULL) {
		err->msg[0] = '\0';
		err->rcode = -1;
	}
	if (z == NULL || z->zone == NULL)
		return set_err(err, NSUPD_ERR_INVALID, -1, "no zone%s%s%s", "", "", "");
	knot_dname_storage_t qname;
	uint8_t query[KNOT_WIRE_HEADER_SIZE + KNOT_DNAME_MAXLEN + 4];
	size_t qlen = 0;
	nsupd_err qe = dns_question(z->zone, KNOT_RRTYPE_SOA, false, query, sizeof(query), &qlen);
	if (qe == NSUPD_ERR_INVALID ||
	    knot_dname_from_str(qname, z->zone, KNOT_DNAME_MAXLEN) == NULL)
		return set_err(err, NSUPD_ERR_INVALID, -1, "invalid zone name \"%s\"%s%s", z->zone,
			       "", "");
	knot_dname_to_lower(qname);
	if (qe != NSUPD_OK)
		return set_err(err, qe, -1, "cannot build the SOA query for %s%s%s", z->zone, "",
			       "");

	/* The check asks the primary first: it is the one updates go to. */
	const dns_server *servers[2] = { &z->primary, z->has_secondary ? &z->secondary : NULL };
	int nservers = z->has_secondary ? 2 : 1;
	unsigned total = z->query_timeout_ms != 0 ? z->query_timeout_ms : SOA_DEFAULT_MS;
	int64_t start = dns_mono_ms();
	nsupd_err e = NSUPD_ERR_DNS_TIMEOUT;
	for (int i = 0; i < nservers; i++) {
		char srv[IP_STRLEN + 8];
		dns_server_format(servers[i], srv, sizeof(srv));
		/* Each server gets its share of what is left. */
		int64_t left = start + total - dns_mono_ms();
		if (left <= 0)
			break;
		int64_t deadline = dns_mono_ms() + left / (nservers - i);
		uint8_t resp[4096];
		/* Resent every 2 s, as a resolver would. */
		ssize_t r = dns_udp_ask(servers[i], query, qlen, resp, sizeof(resp), 2000, deadline);
		if (r > 0) {
			e = dns_read_soa_answer(resp, (size_t)r, qname, z->zone, srv, err);
			if (e == NSUPD_OK) {
				if (err != NULL)
					err->msg[0] = '\0';
				return NSUPD_OK;
			}
		} else if (r == 0) {
			e = set_err(err, NSUPD_ERR_DNS_TIMEOUT, -1, "timeout waiting for %s (SOA %s)%s",
				    srv, z->zone, "");
		} else {
			e = set_err(err, NSUPD_ERR_DNS_CONNECT, -1, "%s: %s (SOA %s)", srv,
				    strerror(errno), z->zone);
		}
	}
	return e;
}
