/* Zone availability check for `nsupd domains --check`: does a nameserver
 * of the zone serve it? Kept apart from dns.c (the hot path of updates):
 * it runs once a day per domain, so a plain UDP exchange with one deadline
 * per server is all it needs. */
#include "dns/dns.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libknot/libknot.h>

#define SOA_DEFAULT_MS 10000

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static socklen_t to_sockaddr(const dns_server *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (s->addr.family == 6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(s->port);
		memcpy(&a->sin6_addr, s->addr.bytes, 16);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = htons(s->port);
	memcpy(&a->sin_addr, s->addr.bytes, 4);
	return sizeof(*a);
}

/* One query to one server until the deadline; resends every 2 s as a
 * resolver would. Returns 1 with the answer, 0 on timeout, -1 with errno. */
static int exchange(const dns_server *s, const uint8_t *q, size_t qlen, uint8_t *resp,
		    size_t cap, size_t *rlen, int64_t deadline)
{
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(s, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int ret = 0;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		ret = -1;
		goto out;
	}
	int64_t next_send = 0;
	for (;;) {
		int64_t now = mono_ms();
		if (now >= deadline)
			break;
		if (now >= next_send) {
			if (send(fd, q, qlen, MSG_NOSIGNAL) != (ssize_t)qlen) {
				ret = -1;
				break;
			}
			next_send = now + 2000;
		}
		int64_t until = next_send < deadline ? next_send : deadline;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, (int)(until - now > 0 ? until - now : 0));
		if (n < 0 && errno != EINTR) {
			ret = -1;
			break;
		}
		if (n <= 0)
			continue;
		ssize_t got = recv(fd, resp, cap, 0);
		if (got < 0) {
			/* ICMP port unreachable arrives as ECONNREFUSED. */
			if (errno == EINTR || errno == EAGAIN)
				continue;
			ret = -1;
			break;
		}
		/* Only an answer to our question counts; noise is ignored. */
		if ((size_t)got < KNOT_WIRE_HEADER_SIZE || knot_wire_get_id(resp) != knot_wire_get_id(q) ||
		    !knot_wire_get_qr(resp))
			continue;
		*rlen = (size_t)got;
		ret = 1;
		break;
	}
out:
	{
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return ret;
}

static nsupd_err set_err(dns_error *err, nsupd_err code, int rcode, const char *fmt,
			 const char *a, const char *b, const char *c)
{
	if (err != NULL) {
		snprintf(err->msg, sizeof(err->msg), fmt, a, b, c);
		err->rcode = rcode;
	}
	return code;
}

/* Looks at one answer: NSUPD_OK when it holds the zone's SOA. */
static nsupd_err judge(uint8_t *resp, size_t len, const knot_dname_t *qname, const char *zone,
		       const char *srv, dns_error *err)
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
	if (knot_dname_from_str(qname, z->zone, KNOT_DNAME_MAXLEN) == NULL)
		return set_err(err, NSUPD_ERR_INVALID, -1, "invalid zone name \"%s\"%s%s", z->zone,
			       "", "");
	knot_dname_to_lower(qname);
	uint8_t query[KNOT_WIRE_HEADER_SIZE + KNOT_DNAME_MAXLEN + 4];
	/* libknot builds in its own buffer; a wire passed to knot_pkt_new
	 * would be taken as a received message. */
	knot_pkt_t *pkt = knot_pkt_new(NULL, sizeof(query), NULL);
	if (pkt == NULL)
		return set_err(err, NSUPD_ERR_NOMEM, -1, "out of memory%s%s%s", "", "", "");
	knot_wire_set_id(pkt->wire, dns_random_id());
	int kr = knot_pkt_put_question(pkt, qname, KNOT_CLASS_IN, KNOT_RRTYPE_SOA);
	size_t qlen = pkt->size;
	if (kr == KNOT_EOK)
		memcpy(query, pkt->wire, qlen);
	knot_pkt_free(pkt);
	if (kr != KNOT_EOK)
		return set_err(err, NSUPD_ERR_INTERNAL, -1, "cannot build the SOA query for %s%s%s",
			       z->zone, "", "");

	/* The check asks the primary first: it is the one updates go to. */
	const dns_server *servers[2] = { &z->primary, z->has_secondary ? &z->secondary : NULL };
	int nservers = z->has_secondary ? 2 : 1;
	unsigned total = z->query_timeout_ms != 0 ? z->query_timeout_ms : SOA_DEFAULT_MS;
	int64_t start = mono_ms();
	nsupd_err e = NSUPD_ERR_DNS_TIMEOUT;
	for (int i = 0; i < nservers; i++) {
		char srv[IP_STRLEN + 8];
		dns_server_format(servers[i], srv, sizeof(srv));
		/* Each server gets its share of what is left. */
		int64_t left = start + total - mono_ms();
		if (left <= 0)
			break;
		int64_t deadline = mono_ms() + left / (nservers - i);
		uint8_t resp[4096];
		size_t rlen = 0;
		int r = exchange(servers[i], query, qlen, resp, sizeof(resp), &rlen, deadline);
		if (r == 1) {
			e = judge(resp, rlen, qname, z->zone, srv, err);
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
