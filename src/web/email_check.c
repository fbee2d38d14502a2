/* E-mail address checks for registration; see email_check.h. The DNS part
 * asks the configured resolver (which does the recursion) MX, A and AAAA
 * questions with dns_udp_ask (dns_tcp_ask when an answer comes back
 * truncated) under one deadline for the whole check, and reads the answers
 * with libknot's packet functions. */
#include "web/email_check.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

#include <libknot/libknot.h>

#include "config/config.h"

#define MAX_MX 8
#define RESEND_MS 1000

/* ---- the address's form ---- */

static bool atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

static bool alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool label_char(unsigned char c)
{
	return alpha(c) || (c >= '0' && c <= '9') || c == '-';
}

bool email_syntax_ok(const char *addr)
{
	if (addr == NULL)
		return false;
	size_t len = strlen(addr);
	const char *at = strrchr(addr, '@');
	if (len == 0 || len > EMAIL_MAX || at == NULL)
		return false;
	size_t local = (size_t)(at - addr);
	if (local == 0 || local > 64 || addr[0] == '.' || at[-1] == '.')
		return false;
	for (size_t i = 0; i < local; i++) {
		unsigned char c = (unsigned char)addr[i];
		if (c == '.') {
			if (addr[i + 1] == '.')
				return false;
		} else if (!atext(c)) {
			return false;
		}
	}
	/* Domain: labels of 1..63 label characters, no hyphen at either
	 * end, at least two labels, the last one alphabetic (or an IDNA
	 * "xn--" label). */
	const char *d = at + 1;
	size_t dlen = strlen(d);
	if (dlen == 0 || dlen > 253)
		return false;
	size_t labels = 0;
	const char *last = d;
	for (const char *p = d;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n > 63 || p[0] == '-' || p[n - 1] == '-')
			return false;
		for (size_t i = 0; i < n; i++)
			if (!label_char((unsigned char)p[i]))
				return false;
		labels++;
		last = p;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	if (labels < 2)
		return false;
	if (strncmp(last, "xn--", 4) == 0 || strncmp(last, "XN--", 4) == 0)
		return strlen(last) > 4;
	for (const char *p = last; *p; p++)
		if (!alpha((unsigned char)*p))
			return false;
	return strlen(last) >= 2;
}

bool email_blacklisted(char *const *res, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++) {
		regex_t re;
		if (regcomp(&re, res[i], REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
			continue;
		bool hit = regexec(&re, addr, 0, NULL, 0) == 0;
		regfree(&re);
		if (hit)
			return true;
	}
	return false;
}

/* ---- resolver ---- */

bool email_resolver(const char *value, dns_server *out)
{
	if (value != NULL && strcmp(value, "none") == 0)
		return false;
	if (value != NULL && value[0] != '\0') {
		char host[IP_STRLEN];
		uint16_t port;
		if (config_parse_hostport(value, 53, host, sizeof(host), &port) &&
		    ip_parse(host, &out->addr)) {
			out->port = port;
			return true;
		}
	}
	/* The system's resolver, as the rest of the machine uses it. */
	out->port = 53;
	ip_parse("127.0.0.1", &out->addr);
	FILE *f = fopen("/etc/resolv.conf", "re");
	if (f == NULL)
		return true;
	char line[256];
	while (fgets(line, sizeof(line), f) != NULL) {
		char word[32], addr[64];
		if (sscanf(line, " %31s %63s", word, addr) == 2 && strcmp(word, "nameserver") == 0) {
			char *pct = strchr(addr, '%');   /* fe80::1%eth0: scope not supported */
			if (pct == NULL && ip_parse(addr, &out->addr))
				break;
		}
	}
	fclose(f);
	return true;
}

/* The answer to (name, qtype), parsed, in *out (knot_pkt_free it; it
 * points into resp). NSUPD_OK also for error rcodes: the caller looks. */
static nsupd_err ask(const dns_server *srv, const char *name, uint16_t qtype, int64_t deadline,
		     uint8_t *resp, size_t cap, knot_pkt_t **out, char *why, size_t whysize)
{
	uint8_t query[KNOT_WIRE_HEADER_SIZE + KNOT_DNAME_MAXLEN + 4];
	size_t qlen = 0;
	nsupd_err qe = dns_question(name, qtype, true, query, sizeof(query), &qlen);
	if (qe != NSUPD_OK) {
		if (qe == NSUPD_ERR_INVALID)
			snprintf(why, whysize, "not a domain name: %s", name);
		else
			snprintf(why, whysize, "cannot build a query for %s", name);
		return qe;
	}
	ssize_t n = dns_udp_ask(srv, query, qlen, resp, cap, RESEND_MS, deadline);
	if (n > 0 && knot_wire_get_tc(resp))
		n = dns_tcp_ask(srv, query, qlen, resp, cap, deadline);
	if (n <= 0) {
		char s[IP_STRLEN + 8];
		dns_server_format(srv, s, sizeof(s));
		snprintf(why, whysize, "%s from resolver %s asking for %s",
			 n == 0 ? "no answer" : "no usable answer", s, name);
		return n == 0 ? NSUPD_ERR_DNS_TIMEOUT : NSUPD_ERR_DNS_CONNECT;
	}
	knot_pkt_t *pkt = knot_pkt_new(resp, (uint16_t)n, NULL);
	if (pkt == NULL)
		return NSUPD_ERR_NOMEM;
	if (knot_pkt_parse(pkt, 0) != KNOT_EOK) {
		knot_pkt_free(pkt);
		snprintf(why, whysize, "malformed answer asking for %s", name);
		return NSUPD_ERR_DNS_MALFORMED;
	}
	*out = pkt;
	return NSUPD_OK;
}

/* Whether one of the A (or, when there is none, AAAA) records of target
 * is a usable address. */
static nsupd_err target_usable(const dns_server *srv, const char *target, int64_t deadline,
			       bool *usable, char *why, size_t whysize)
{
	static const uint16_t types[2] = { KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA };
	*usable = false;
	for (int t = 0; t < 2; t++) {
		uint8_t resp[4096];
		knot_pkt_t *pkt = NULL;
		nsupd_err e = ask(srv, target, types[t], deadline, resp, sizeof(resp), &pkt, why,
				  whysize);
		if (e != NSUPD_OK)
			return e;
		bool any = false;
		const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
		for (uint16_t i = 0; i < an->count && knot_wire_get_rcode(pkt->wire) == 0; i++) {
			const knot_rrset_t *rr = knot_pkt_rr(an, i);
			if (rr->type != types[t])
				continue;
			for (uint16_t j = 0; j < rr->rrs.count; j++) {
				const knot_rdata_t *rd = knot_rdataset_at(&rr->rrs, j);
				ip_addr a = { 0 };
				a.family = t == 0 ? 4 : 6;
				if (rd->len != (t == 0 ? 4 : 16))
					continue;
				memcpy(a.bytes, rd->data, rd->len);
				any = true;
				char text[IP_STRLEN];
				ip_format(&a, text);
				if (strcmp(text, "127.0.0.1") != 0 && strcmp(text, "0.0.0.0") != 0 &&
				    strcmp(text, "::1") != 0 && strcmp(text, "::") != 0)
					*usable = true;
			}
		}
		knot_pkt_free(pkt);
		if (any) {
			if (!*usable)
				snprintf(why, whysize, "mail server %s has only a loopback or null address",
					 target);
			return NSUPD_OK;
		}
	}
	snprintf(why, whysize, "mail server %s has no address", target);
	return NSUPD_OK;
}

nsupd_err email_domain_deliverable(const dns_server *srv, unsigned timeout_ms, const char *domain,
				   bool *ok, char *why, size_t whysize)
{
	*ok = false;
	if (whysize > 0)
		why[0] = '\0';
	int64_t deadline = dns_mono_ms() + (timeout_ms != 0 ? timeout_ms : EMAIL_CHECK_TIMEOUT_MS);
	uint8_t resp[4096];
	knot_pkt_t *pkt = NULL;
	nsupd_err e = ask(srv, domain, KNOT_RRTYPE_MX, deadline, resp, sizeof(resp), &pkt, why,
			  whysize);
	if (e == NSUPD_ERR_INVALID) {
		return NSUPD_OK;   /* not a name: not deliverable, no failure */
	}
	if (e != NSUPD_OK)
		return e;
	int rcode = knot_wire_get_rcode(pkt->wire);
	char targets[MAX_MX][KNOT_DNAME_TXT_MAXLEN + 1];
	size_t nt = 0;
	if (rcode == KNOT_RCODE_NOERROR) {
		const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
		for (uint16_t i = 0; i < an->count; i++) {
			const knot_rrset_t *rr = knot_pkt_rr(an, i);
			if (rr->type != KNOT_RRTYPE_MX)
				continue;
			for (uint16_t j = 0; j < rr->rrs.count && nt < MAX_MX; j++) {
				const knot_dname_t *name = knot_mx_name(knot_rdataset_at(&rr->rrs, j));
				/* "MX 0 ." (RFC 7505): the domain takes no mail. */
				if (name == NULL || name[0] == 0)
					continue;
				if (knot_dname_to_str(targets[nt], name, sizeof(targets[nt])) != NULL)
					nt++;
			}
		}
	}
	knot_pkt_free(pkt);
	if (rcode != KNOT_RCODE_NOERROR) {
		const knot_lookup_t *rn = knot_lookup_by_id(knot_rcode_names, rcode);
		snprintf(why, whysize, "%s asking for the MX of %s", rn != NULL ? rn->name : "error",
			 domain);
		/* SERVFAIL and REFUSED say nothing about the domain. */
		if (rcode == KNOT_RCODE_SERVFAIL || rcode == KNOT_RCODE_REFUSED)
			return NSUPD_ERR_DNS_RCODE;
		return NSUPD_OK;
	}
	if (nt == 0) {
		snprintf(why, whysize, "%s has no MX record", domain);
		return NSUPD_OK;
	}
	nsupd_err last = NSUPD_OK;
	for (size_t i = 0; i < nt; i++) {
		bool usable = false;
		e = target_usable(srv, targets[i], deadline, &usable, why, whysize);
		if (e == NSUPD_OK && usable) {
			*ok = true;
			if (whysize > 0)
				why[0] = '\0';
			return NSUPD_OK;
		}
		if (e != NSUPD_OK)
			last = e;
	}
	return last;
}
