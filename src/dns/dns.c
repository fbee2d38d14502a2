/* RFC 2136 client on top of libknot: libknot builds, parses and signs the
 * messages; the transport (UDP with TCP fallback for queries, TCP for
 * updates) is ours, because libknot has no client networking.
 *
 * Every call owns its buffers and sockets, so calls on different threads
 * share nothing. Every wait is a poll() against one deadline taken from the
 * zone's timeout, so no call runs longer than it was given. */
#include "dns/dns.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "dns/dns_answer.h"
#include "dns/dns_io.h"
#include "util/log.h"
#include "util/strutil.h"

/* dnspython's per-try timeout, which the original service relied on. */
#define DNS_TRY_MS 2000
/* Used when a zone says 0, which can only be a configuration slip. */
#define DNS_DEFAULT_QUERY_MS 10000
#define DNS_DEFAULT_UPDATE_MS 20000
/* Queries carry no EDNS, so a UDP answer is at most 512 bytes; a bigger
 * buffer lets us notice (and drop) oversized garbage instead of cutting it. */
#define DNS_UDP_BUF 4096
#define DNS_MSG_MAX 65535
/* Room for one UPDATE: header, zone, two RRs of at most 255-byte names and
 * the TSIG RR (longest key and algorithm names, 64-byte MAC). */
#define DNS_UPDATE_BUF 2048
#define DNS_CNAME_HOPS 8

typedef struct alg_info {
	dns_algorithm alg;
	const char *name;
	unsigned bits;
} alg_info;

static const alg_info algorithms[] = {
	{DNS_HMAC_MD5, "hmac-md5", 128},
	{DNS_HMAC_SHA1, "hmac-sha1", 160},
	{DNS_HMAC_SHA224, "hmac-sha224", 224},
	{DNS_HMAC_SHA256, "hmac-sha256", 256},
	{DNS_HMAC_SHA384, "hmac-sha384", 384},
	{DNS_HMAC_SHA512, "hmac-sha512", 512},
};

#define N_ALGORITHMS (sizeof(algorithms) / sizeof(algorithms[0]))

static const alg_info *alg_lookup(dns_algorithm alg)
{
	for (size_t i = 0; i < N_ALGORITHMS; i++) {
		if (algorithms[i].alg == alg)
			return &algorithms[i];
	}
	return NULL;
}

/* The original stored Django choice names such as HMAC_SHA512, while BIND
 * spells hmac-sha512; both appear in configurations. */
bool dns_algorithm_parse(const char *name, dns_algorithm *out)
{
	if (name == NULL)
		return false;
	for (size_t i = 0; i < N_ALGORITHMS; i++) {
		const char *a = name, *b = algorithms[i].name;
		for (; *a != '\0' && *b != '\0'; a++, b++) {
			char c = *a;
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c == '_')
				c = '-';
			if (c != *b)
				break;
		}
		if (*a == '\0' && *b == '\0') {
			if (out != NULL)
				*out = algorithms[i].alg;
			return true;
		}
	}
	return false;
}

const char *dns_algorithm_name(dns_algorithm alg)
{
	const alg_info *ai = alg_lookup(alg);
	return ai != NULL ? ai->name : "unknown";
}

unsigned dns_algorithm_bits(dns_algorithm alg)
{
	const alg_info *ai = alg_lookup(alg);
	return ai != NULL ? ai->bits : 0;
}

/* ------------------------------------------------------------------ */
/* Server addresses                                                    */

static bool parse_port(const char *s, uint16_t *out)
{
	unsigned long v = 0;
	size_t n = 0;
	for (; s[n] != '\0'; n++) {
		if (s[n] < '0' || s[n] > '9' || n >= 5)
			return false;
		v = v * 10 + (unsigned long)(s[n] - '0');
	}
	if (n == 0 || v == 0 || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

bool dns_server_parse(const char *text, dns_server *out)
{
	char buf[IP_STRLEN + 8];
	dns_server s = {.port = 53};

	if (text == NULL || str_copy(buf, text, sizeof(buf)) >= sizeof(buf))
		return false;

	if (buf[0] == '[') {
		char *end = strchr(buf, ']');
		if (end == NULL)
			return false;
		*end = '\0';
		if (!ip_parse(buf + 1, &s.addr) || s.addr.family != 6)
			return false;
		if (end[1] != '\0' && (end[1] != ':' || !parse_port(end + 2, &s.port)))
			return false;
	} else {
		char *colon = strchr(buf, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			/* Exactly one colon: only IPv4 with a port can look like that. */
			*colon = '\0';
			if (!parse_port(colon + 1, &s.port))
				return false;
			if (!ip_parse(buf, &s.addr) || s.addr.family != 4)
				return false;
		} else if (!ip_parse(buf, &s.addr)) {
			return false;
		}
	}
	if (out != NULL)
		*out = s;
	return true;
}

void dns_server_format(const dns_server *s, char *out, size_t outsize)
{
	char ip[IP_STRLEN];

	if (outsize == 0)
		return;
	ip_format(&s->addr, ip);
	if (s->port == 53)
		snprintf(out, outsize, "%s", ip);
	else if (s->addr.family == 6)
		snprintf(out, outsize, "[%s]:%u", ip, (unsigned)s->port);
	else
		snprintf(out, outsize, "%s:%u", ip, (unsigned)s->port);
}

bool dns_error_is_transport(nsupd_err e)
{
	switch (e) {
	case NSUPD_ERR_DNS_TIMEOUT:
	case NSUPD_ERR_DNS_CONNECT:
	case NSUPD_ERR_DNS_TSIG:
	case NSUPD_ERR_DNS_MALFORMED:
		return true;
	default:
		return false;
	}
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */

__attribute__((format(printf, 4, 5)))
static nsupd_err fail(dns_error *err, nsupd_err code, int rcode, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->rcode = rcode;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

static void clear_error(dns_error *err)
{
	if (err != NULL) {
		err->msg[0] = '\0';
		err->rcode = -1;
	}
}

static const char *rcode_name(int rcode)
{
	const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
	return l != NULL ? l->name : "unknown rcode";
}

/* ------------------------------------------------------------------ */
/* Transport                                                           */

typedef enum xfer_status {
	XFER_OK,
	XFER_TIMEOUT,
	XFER_CONNECT,   /* refused, unreachable, reset, closed early */
} xfer_status;

typedef struct xfer_result {
	xfer_status status;
	int sys_errno;   /* for XFER_CONNECT; 0 means the peer closed the connection */
} xfer_result;

int64_t dns_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

socklen_t dns_server_sockaddr(const dns_server *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (s->addr.family == 6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(s->port);
		memcpy(&sin6->sin6_addr, s->addr.bytes, 16);
		return sizeof(*sin6);
	}
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(s->port);
	memcpy(&sin->sin_addr, s->addr.bytes, 4);
	return sizeof(*sin);
}

int dns_wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - dns_mono_ms();
		if (left <= 0)
			return 0;
		struct pollfd pfd = {.fd = fd, .events = events};
		int n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static xfer_result xfer_err(int e)
{
	return (xfer_result){.status = XFER_CONNECT, .sys_errno = e};
}

static int open_connected(const dns_server *s, int type, int *fd_out, int64_t deadline,
			  xfer_result *res)
{
	struct sockaddr_storage ss;
	socklen_t sl = dns_server_sockaddr(s, &ss);
	int fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		*res = xfer_err(errno);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		if (errno != EINPROGRESS) {
			*res = xfer_err(errno);
			close(fd);
			return -1;
		}
		int r = dns_wait_fd(fd, POLLOUT, deadline);
		if (r <= 0) {
			*res = r == 0 ? (xfer_result){.status = XFER_TIMEOUT} : xfer_err(errno);
			close(fd);
			return -1;
		}
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			soerr = errno;
		if (soerr != 0) {
			*res = xfer_err(soerr);
			close(fd);
			return -1;
		}
	}
	*fd_out = fd;
	return 0;
}

/* A datagram is only ours if it echoes our ID and opcode as a response;
 * anything else (stale answers, spoofing attempts, noise) is ignored and
 * we keep listening until the deadline. */
static bool header_matches(const uint8_t *q, const uint8_t *r, size_t rlen)
{
	return rlen >= KNOT_WIRE_HEADER_SIZE && knot_wire_get_id(r) == knot_wire_get_id(q) &&
	       knot_wire_get_qr(r) && knot_wire_get_opcode(r) == knot_wire_get_opcode(q);
}

static xfer_result udp_exchange(const dns_server *s, const uint8_t *msg, size_t len,
				uint8_t *resp, size_t cap, size_t *resp_len, int64_t deadline)
{
	xfer_result res = {.status = XFER_OK};
	int fd;

	if (open_connected(s, SOCK_DGRAM, &fd, deadline, &res) < 0)
		return res;
	if (send(fd, msg, len, MSG_NOSIGNAL) != (ssize_t)len) {
		res = xfer_err(errno);
		close(fd);
		return res;
	}
	for (;;) {
		int r = dns_wait_fd(fd, POLLIN, deadline);
		if (r <= 0) {
			res = r == 0 ? (xfer_result){.status = XFER_TIMEOUT} : xfer_err(errno);
			break;
		}
		ssize_t n = recv(fd, resp, cap, MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				continue;
			res = xfer_err(errno);
			break;
		}
		if ((size_t)n > cap || !header_matches(msg, resp, (size_t)n))
			continue;
		*resp_len = (size_t)n;
		break;
	}
	close(fd);
	return res;
}

static xfer_result tcp_exchange(const dns_server *s, const uint8_t *msg, size_t len,
				uint8_t *resp, size_t *resp_len, int64_t deadline)
{
	xfer_result res = {.status = XFER_OK};
	uint8_t out[2 + DNS_UPDATE_BUF];
	size_t out_len = len + 2, done = 0;
	uint8_t lenbuf[2];
	size_t want = 2, got = 0;
	int fd;

	if (len > DNS_UPDATE_BUF)
		return xfer_err(EMSGSIZE);
	if (open_connected(s, SOCK_STREAM, &fd, deadline, &res) < 0)
		return res;

	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	memcpy(out + 2, msg, len);
	while (done < out_len) {
		ssize_t n = send(fd, out + done, out_len - done, MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			res = xfer_err(errno);
			goto out;
		}
		int r = dns_wait_fd(fd, POLLOUT, deadline);
		if (r <= 0) {
			res = r == 0 ? (xfer_result){.status = XFER_TIMEOUT} : xfer_err(errno);
			goto out;
		}
	}

	/* First the two length bytes, then exactly that many message bytes. */
	for (int stage = 0; stage < 2; stage++) {
		uint8_t *dst = stage == 0 ? lenbuf : resp;
		if (stage == 1) {
			want = (size_t)lenbuf[0] << 8 | lenbuf[1];
			got = 0;
		}
		while (got < want) {
			ssize_t n = recv(fd, dst + got, want - got, 0);
			if (n > 0) {
				got += (size_t)n;
				continue;
			}
			if (n == 0) {
				res = xfer_err(0);
				goto out;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				res = xfer_err(errno);
				goto out;
			}
			int r = dns_wait_fd(fd, POLLIN, deadline);
			if (r <= 0) {
				res = r == 0 ? (xfer_result){.status = XFER_TIMEOUT} : xfer_err(errno);
				goto out;
			}
		}
	}
	*resp_len = want;
out:
	close(fd);
	return res;
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */

static uint16_t random_id(void)
{
	uint16_t id;
	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		id = (uint16_t)(ts.tv_nsec ^ (ts.tv_nsec >> 16) ^ getpid());
	}
	return id;
}

static bool make_dname(const char *text, knot_dname_storage_t out)
{
	if (text == NULL || text[0] == '\0')
		return false;
	if (knot_dname_from_str(out, text, KNOT_DNAME_MAXLEN) == NULL)
		return false;
	knot_dname_to_lower(out);
	return true;
}

/* Builds a question with RD off (the header is all zero apart from the ID),
 * as the original did: the zone's own nameserver answers authoritatively. */
static int build_query(const knot_dname_t *qname, uint16_t qtype, uint16_t id,
		       uint8_t *out, size_t cap, size_t *out_len)
{
	knot_pkt_t *pkt = knot_pkt_new(NULL, (uint16_t)cap, NULL);
	if (pkt == NULL)
		return KNOT_ENOMEM;
	knot_wire_set_id(pkt->wire, id);
	int ret = knot_pkt_put_question(pkt, qname, KNOT_CLASS_IN, qtype);
	if (ret == KNOT_EOK) {
		memcpy(out, pkt->wire, pkt->size);
		*out_len = pkt->size;
	}
	knot_pkt_free(pkt);
	return ret;
}

/* Whether the parsed answer's question is the one we asked. */
static bool question_matches(const knot_pkt_t *pkt, const knot_dname_t *qname, uint16_t qtype)
{
	return knot_wire_get_qdcount(pkt->wire) == 1 && knot_pkt_qname(pkt) != NULL &&
	       knot_dname_is_case_equal(knot_pkt_qname(pkt), qname) &&
	       knot_pkt_qtype(pkt) == qtype && knot_pkt_qclass(pkt) == KNOT_CLASS_IN;
}

/* The first address of qname's RRset in the answer section, following a
 * CNAME chain inside the answer as a resolver would. */
static bool extract_address(const knot_pkt_t *pkt, const knot_dname_t *qname, uint16_t qtype,
			    int family, ip_addr *out)
{
	const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
	const knot_dname_t *cur = qname;
	size_t alen = family == 4 ? 4 : 16;

	for (int hop = 0; hop <= DNS_CNAME_HOPS; hop++) {
		const knot_dname_t *next = NULL;
		for (uint16_t i = 0; i < an->count; i++) {
			const knot_rrset_t *rr = knot_pkt_rr(an, i);
			if (rr->rclass != KNOT_CLASS_IN || !knot_dname_is_case_equal(rr->owner, cur))
				continue;
			if (rr->type == qtype) {
				for (uint16_t j = 0; j < rr->rrs.count; j++) {
					const knot_rdata_t *rd = knot_rdataset_at(&rr->rrs, j);
					if (rd == NULL || rd->len != alen)
						continue;
					memset(out, 0, sizeof(*out));
					out->family = (uint8_t)family;
					memcpy(out->bytes, rd->data, alen);
					return true;
				}
			} else if (rr->type == KNOT_RRTYPE_CNAME && rr->rrs.count > 0 && next == NULL) {
				next = knot_cname_name(rr->rrs.rdata);
			}
		}
		if (next == NULL)
			return false;
		cur = next;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */

dns_answer_kind dns_read_address_answer(uint8_t *resp, size_t len, const knot_dname_t *qname,
					uint16_t qtype, int family, const char *srv,
					const char *fqdn, ip_addr *out, bool *found,
					nsupd_err *code, dns_error *err)
{
	const char *tname = family == 4 ? "A" : "AAAA";
	knot_pkt_t *pkt = knot_pkt_new(resp, (uint16_t)len, NULL);
	dns_answer_kind kind = DNS_ANSWER_BAD;

	if (pkt == NULL) {
		*code = fail(err, NSUPD_ERR_NOMEM, -1, "out of memory parsing answer from %s", srv);
		return DNS_ANSWER_BAD;
	}
	/* A truncated answer may be cut anywhere, so only its header counts. */
	if (knot_wire_get_tc(resp)) {
		kind = DNS_ANSWER_TRUNCATED;
		goto out;
	}
	if (knot_pkt_parse(pkt, 0) != KNOT_EOK) {
		*code = fail(err, NSUPD_ERR_DNS_MALFORMED, -1,
			     "malformed answer from %s (query %s %s)", srv, fqdn, tname);
		goto out;
	}
	int rcode = knot_wire_get_rcode(pkt->wire);
	if (rcode != KNOT_RCODE_NOERROR && rcode != KNOT_RCODE_NXDOMAIN) {
		*code = fail(err, NSUPD_ERR_DNS_RCODE, rcode, "%s from %s (query %s %s)",
			     rcode_name(rcode), srv, fqdn, tname);
		goto out;
	}
	if (!question_matches(pkt, qname, qtype)) {
		*code = fail(err, NSUPD_ERR_DNS_MALFORMED, -1,
			     "answer from %s does not match the question (query %s %s)", srv,
			     fqdn, tname);
		goto out;
	}
	*found = rcode == KNOT_RCODE_NOERROR && extract_address(pkt, qname, qtype, family, out);
	*code = NSUPD_OK;
	kind = DNS_ANSWER_DONE;
out:
	knot_pkt_free(pkt);
	return kind;
}

nsupd_err dns_query(const dns_zone *z, const char *fqdn, int family, ip_addr *out, bool *found,
		    dns_error *err)
{
	knot_dname_storage_t qname;
	uint8_t query[KNOT_WIRE_HEADER_SIZE + KNOT_DNAME_MAXLEN + 4];
	size_t qlen = 0;
	uint16_t qtype = family == 4 ? KNOT_RRTYPE_A : KNOT_RRTYPE_AAAA;
	const dns_server *servers[2];
	bool alive[2] = {true, true};
	int nservers = 0;
	char srv[2][IP_STRLEN + 8];
	nsupd_err code = NSUPD_ERR_DNS_TIMEOUT;
	bool timed_out = false;
	uint8_t *tcpbuf = NULL;

	clear_error(err);
	if (found != NULL)
		*found = false;
	if (z == NULL || out == NULL || found == NULL || (family != 4 && family != 6))
		return fail(err, NSUPD_ERR_INVALID, -1, "invalid query arguments");
	if (!make_dname(fqdn, qname))
		return fail(err, NSUPD_ERR_INVALID, -1, "invalid domain name \"%s\"", fqdn);
	if (build_query(qname, qtype, random_id(), query, sizeof(query), &qlen) != KNOT_EOK)
		return fail(err, NSUPD_ERR_INTERNAL, -1, "cannot build query for %s", fqdn);

	/* Like the original's resolver: the secondary takes the load of reads. */
	if (z->has_secondary)
		servers[nservers++] = &z->secondary;
	servers[nservers++] = &z->primary;
	for (int i = 0; i < nservers; i++)
		dns_server_format(servers[i], srv[i], sizeof(srv[i]));

	unsigned total = z->query_timeout_ms != 0 ? z->query_timeout_ms : DNS_DEFAULT_QUERY_MS;
	int64_t deadline = dns_mono_ms() + total;
	const char *tname = family == 4 ? "A" : "AAAA";

	/* Servers that answer badly are dropped, as dnspython does; servers that
	 * stay silent are retried until the total time is used up. */
	for (;;) {
		bool any = false;
		for (int i = 0; i < nservers; i++) {
			if (!alive[i])
				continue;
			int64_t left = deadline - dns_mono_ms();
			if (left <= 0)
				goto done;
			any = true;
			int64_t try_deadline = dns_mono_ms() + (left < DNS_TRY_MS ? left : DNS_TRY_MS);

			uint8_t resp[DNS_UDP_BUF];
			size_t rlen = 0;
			xfer_result xr = udp_exchange(servers[i], query, qlen, resp, sizeof(resp),
						      &rlen, try_deadline);
			if (xr.status == XFER_TIMEOUT) {
				timed_out = true;
				continue;
			}
			if (xr.status == XFER_CONNECT) {
				code = fail(err, NSUPD_ERR_DNS_CONNECT, -1, "%s %s (query %s %s)",
					    xr.sys_errno == ECONNREFUSED ? "connection refused by"
									 : "cannot reach",
					    srv[i], fqdn, tname);
				alive[i] = false;
				continue;
			}
			dns_answer_kind kind = dns_read_address_answer(resp, rlen, qname, qtype,
				family, srv[i], fqdn, out, found, &code, err);
			if (kind == DNS_ANSWER_TRUNCATED) {
				if (tcpbuf == NULL && (tcpbuf = malloc(DNS_MSG_MAX)) == NULL) {
					code = fail(err, NSUPD_ERR_NOMEM, -1, "out of memory");
					goto done;
				}
				left = deadline - dns_mono_ms();
				if (left <= 0)
					goto done;
				try_deadline = dns_mono_ms() + (left < DNS_TRY_MS ? left : DNS_TRY_MS);
				xr = tcp_exchange(servers[i], query, qlen, tcpbuf, &rlen, try_deadline);
				if (xr.status == XFER_TIMEOUT) {
					timed_out = true;
					continue;
				}
				if (xr.status == XFER_CONNECT) {
					code = fail(err, NSUPD_ERR_DNS_CONNECT, -1,
						    "TCP to %s failed: %s (query %s %s)", srv[i],
						    xr.sys_errno != 0 ? strerror(xr.sys_errno)
								      : "connection closed",
						    fqdn, tname);
					alive[i] = false;
					continue;
				}
				if (!header_matches(query, tcpbuf, rlen)) {
					code = fail(err, NSUPD_ERR_DNS_MALFORMED, -1,
						    "TCP answer from %s does not match the query (query %s %s)",
						    srv[i], fqdn, tname);
					alive[i] = false;
					continue;
				}
				kind = dns_read_address_answer(tcpbuf, rlen, qname, qtype, family,
							       srv[i], fqdn, out, found, &code, err);
				if (kind == DNS_ANSWER_TRUNCATED) {
					code = fail(err, NSUPD_ERR_DNS_MALFORMED, -1,
						    "truncated TCP answer from %s (query %s %s)",
						    srv[i], fqdn, tname);
					kind = DNS_ANSWER_BAD;
				}
			}
			if (kind == DNS_ANSWER_DONE) {
				clear_error(err);
				goto done;
			}
			alive[i] = false;
		}
		if (!any)
			break;
	}
done:
	free(tcpbuf);
	if (code == NSUPD_ERR_DNS_TIMEOUT || (code != NSUPD_OK && timed_out && dns_mono_ms() >= deadline)) {
		/* Some server stayed silent to the end: that is what the operator
		 * needs to hear, not an earlier refusal from the other one. */
		code = fail(err, NSUPD_ERR_DNS_TIMEOUT, -1,
			    "timeout after %u ms waiting for %s%s%s (query %s %s)", total, srv[0],
			    nservers > 1 ? ", " : "", nservers > 1 ? srv[1] : "", fqdn, tname);
	}
	return code;
}

/* ------------------------------------------------------------------ */
/* Updates                                                             */

/* RFC 2136 2.5.2: "delete an RRset" is the owner with class ANY, TTL 0 and
 * no RDATA. libknot writes nothing for an RRset without RDATA, so this one
 * RR is written by hand, uncompressed, right after the zone section. */
static int put_delete_rrset(knot_pkt_t *pkt, const knot_dname_t *owner, uint16_t type)
{
	size_t nlen = knot_dname_size(owner);
	size_t need = nlen + 10;

	if (pkt->size + need > pkt->max_size)
		return KNOT_ESPACE;
	uint8_t *p = pkt->wire + pkt->size;
	if (knot_dname_to_wire(p, owner, nlen) != (int)nlen)
		return KNOT_EINVAL;
	p += nlen;
	knot_wire_write_u16(p, type);
	knot_wire_write_u16(p + 2, KNOT_CLASS_ANY);
	knot_wire_write_u32(p + 4, 0);
	knot_wire_write_u16(p + 8, 0);
	pkt->size += need;
	knot_wire_set_nscount(pkt->wire, (uint16_t)(knot_wire_get_nscount(pkt->wire) + 1));
	return KNOT_EOK;
}

static int put_update_rrs(knot_pkt_t *pkt, const knot_dname_t *owner, uint16_t type,
			  const ip_addr *addr, uint32_t ttl)
{
	knot_rrset_t rr;
	int ret;

	ret = put_delete_rrset(pkt, owner, type);
	if (ret != KNOT_EOK || addr == NULL)
		return ret;

	knot_rrset_init(&rr, (knot_dname_t *)owner, type, KNOT_CLASS_IN, ttl);
	ret = knot_rrset_add_rdata(&rr, addr->bytes, addr->family == 4 ? 4 : 16, NULL);
	if (ret != KNOT_EOK)
		return ret;
	ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &rr, 0);
	knot_rdataset_clear(&rr.rrs, NULL);
	return ret;
}

static const char *tsig_error_text(int tsig_rcode, bool *known)
{
	*known = true;
	switch (tsig_rcode) {
	case KNOT_RCODE_BADSIG:
		return "TSIG bad signature from %s: shared secret mismatch? (zone %s, key %s, %s)";
	case KNOT_RCODE_BADKEY:
		return "TSIG bad key from %s: the server does not know this key name and algorithm (zone %s, key %s, %s)";
	case KNOT_RCODE_BADTIME:
		return "TSIG bad time from %s: clocks differ by more than 300 s? (zone %s, key %s, %s)";
	case KNOT_RCODE_BADTRUNC:
		return "TSIG bad truncation from %s (zone %s, key %s, %s)";
	default:
		*known = false;
		return NULL;
	}
}

nsupd_err dns_check_update_answer(const dns_zone *z, uint8_t *resp, size_t len, uint16_t id,
				  const uint8_t *mac, size_t mac_len, const char *what,
				  dns_error *err)
{
	knot_dname_storage_t zone;
	knot_tsig_key_t key = {0};
	char srv[IP_STRLEN + 8];
	const char *alg = dns_algorithm_name(z->algorithm);
	knot_pkt_t *pkt = NULL;
	nsupd_err code;
	bool known;
	int ret;

	clear_error(err);
	dns_server_format(&z->primary, srv, sizeof(srv));
	if (!make_dname(z->zone, zone))
		return fail(err, NSUPD_ERR_INVALID, -1, "invalid zone name \"%s\"", z->zone);
	if (len < KNOT_WIRE_HEADER_SIZE || knot_wire_get_id(resp) != id || !knot_wire_get_qr(resp) ||
	    knot_wire_get_opcode(resp) != KNOT_OPCODE_UPDATE)
		return fail(err, NSUPD_ERR_DNS_MALFORMED, -1,
			    "answer from %s does not match the request (%s)", srv, what);
	ret = knot_tsig_key_init(&key, alg, z->key_name, z->secret_b64);
	if (ret != KNOT_EOK)
		return fail(err, NSUPD_ERR_DNS_KEY, -1, "unusable TSIG key %s (zone %s, %s): %s",
			    z->key_name, z->zone, alg, knot_strerror(ret));
	pkt = knot_pkt_new(resp, (uint16_t)len, NULL);
	if (pkt == NULL) {
		code = fail(err, NSUPD_ERR_NOMEM, -1, "out of memory");
		goto out;
	}
	if (knot_pkt_parse(pkt, 0) != KNOT_EOK) {
		code = fail(err, NSUPD_ERR_DNS_MALFORMED, -1, "malformed answer from %s (%s)", srv,
			    what);
		goto out;
	}
	int rcode = knot_wire_get_rcode(pkt->wire);

	if (pkt->tsig_rr != NULL) {
		int tsig_rcode = knot_tsig_rdata_error(pkt->tsig_rr);
		if (tsig_rcode != KNOT_RCODE_NOERROR) {
			/* The server rejected our signature; its answer is not signed
			 * in a way we could check, and need not be. */
			const char *fmt = tsig_error_text(tsig_rcode, &known);
			if (known)
				code = fail(err, NSUPD_ERR_DNS_TSIG, rcode, fmt, srv, z->zone,
					    z->key_name, alg);
			else
				code = fail(err, NSUPD_ERR_DNS_TSIG, rcode,
					    "TSIG error %d from %s (zone %s, key %s, %s)", tsig_rcode,
					    srv, z->zone, z->key_name, alg);
			goto out;
		}
		ret = knot_tsig_client_check(pkt->tsig_rr, pkt->wire, pkt->size, mac, mac_len,
					     &key, 0);
		if (ret != KNOT_EOK) {
			code = fail(err, NSUPD_ERR_DNS_TSIG, rcode,
				    "TSIG signature of the answer from %s does not verify: %s (zone %s, key %s, %s)",
				    srv, knot_strerror(ret), z->zone, z->key_name, alg);
			goto out;
		}
	} else if (rcode == KNOT_RCODE_NOERROR) {
		/* Success must be signed, or anyone on the path could fake it. */
		code = fail(err, NSUPD_ERR_DNS_TSIG, rcode,
			    "unsigned answer from %s to a signed update (zone %s, key %s, %s)", srv,
			    z->zone, z->key_name, alg);
		goto out;
	}

	if (rcode != KNOT_RCODE_NOERROR) {
		code = fail(err, NSUPD_ERR_DNS_RCODE, rcode, "%s from %s (%s)", rcode_name(rcode),
			    srv, what);
		goto out;
	}
	if (knot_wire_get_qdcount(pkt->wire) != 1 || knot_pkt_qname(pkt) == NULL ||
	    !knot_dname_is_case_equal(knot_pkt_qname(pkt), zone) ||
	    knot_pkt_qtype(pkt) != KNOT_RRTYPE_SOA) {
		code = fail(err, NSUPD_ERR_DNS_MALFORMED, -1,
			    "answer from %s names another zone (%s)", srv, what);
		goto out;
	}
	code = NSUPD_OK;
out:
	knot_pkt_free(pkt);
	knot_tsig_key_deinit(&key);
	return code;
}

uint16_t dns_random_id(void)
{
	return random_id();
}

static uint16_t change_type(const dns_change *c)
{
	return c->family == 4 ? KNOT_RRTYPE_A : KNOT_RRTYPE_AAAA;
}

size_t dns_change_wire_size(const dns_change *c)
{
	knot_dname_storage_t owner;

	if (c == NULL || (c->family != 4 && c->family != 6) || !make_dname(c->fqdn, owner))
		return 0;
	size_t nlen = knot_dname_size(owner);
	/* The delete RR, and the added RR written without name compression. */
	size_t size = nlen + 10;
	if (c->addr != NULL)
		size += nlen + 10 + (c->family == 4 ? 4 : 16);
	return size;
}

void dns_change_describe(const dns_zone *z, const dns_change *c, char *out, size_t outsize)
{
	snprintf(out, outsize, "%s %.80s %s in zone %.60s", c->addr != NULL ? "update" : "delete",
		 c->fqdn != NULL ? c->fqdn : "?", c->family == 4 ? "A" : "AAAA",
		 z != NULL && z->zone != NULL ? z->zone : "?");
}

nsupd_err dns_build_update(const dns_zone *z, const dns_change *changes, size_t n, uint16_t id,
			   uint8_t *out, size_t cap, size_t *out_len, uint8_t *mac,
			   size_t *mac_len, dns_error *err)
{
	knot_dname_storage_t zone, owner;
	knot_tsig_key_t key = {0};
	knot_pkt_t *pkt = NULL;
	nsupd_err code;
	int ret;

	clear_error(err);
	if (z == NULL || z->zone == NULL || z->key_name == NULL || z->secret_b64 == NULL ||
	    changes == NULL || n == 0 || out == NULL || out_len == NULL || mac == NULL ||
	    mac_len == NULL)
		return fail(err, NSUPD_ERR_INVALID, -1, "invalid update arguments");
	if (cap > DNS_UPDATE_MAX)
		cap = DNS_UPDATE_MAX;
	if (!make_dname(z->zone, zone))
		return fail(err, NSUPD_ERR_INVALID, -1, "invalid zone name \"%s\"", z->zone);
	for (size_t i = 0; i < n; i++) {
		if (!make_dname(changes[i].fqdn, owner))
			return fail(err, NSUPD_ERR_INVALID, -1, "invalid domain name \"%s\"",
				    changes[i].fqdn != NULL ? changes[i].fqdn : "");
		if (changes[i].family != 4 && changes[i].family != 6)
			return fail(err, NSUPD_ERR_INVALID, -1, "invalid address family %d",
				    changes[i].family);
		if (changes[i].addr != NULL && changes[i].addr->family != changes[i].family)
			return fail(err, NSUPD_ERR_INVALID, -1, "invalid address family");
	}
	if (alg_lookup(z->algorithm) == NULL)
		return fail(err, NSUPD_ERR_DNS_KEY, -1, "unknown TSIG algorithm for zone %s", z->zone);
	if (z->secret_b64[0] == '\0')
		return fail(err, NSUPD_ERR_DNS_KEY, -1, "empty TSIG secret for key %s (zone %s)",
			    z->key_name, z->zone);
	ret = knot_tsig_key_init(&key, dns_algorithm_name(z->algorithm), z->key_name, z->secret_b64);
	if (ret != KNOT_EOK)
		return fail(err, NSUPD_ERR_DNS_KEY, -1,
			    "unusable TSIG key %s (zone %s, %s): %s; is the secret valid base64?",
			    z->key_name, z->zone, dns_algorithm_name(z->algorithm),
			    knot_strerror(ret));

	pkt = knot_pkt_new(NULL, (uint16_t)cap, NULL);
	if (pkt == NULL) {
		code = fail(err, NSUPD_ERR_NOMEM, -1, "out of memory");
		goto out;
	}
	knot_wire_set_id(pkt->wire, id);
	knot_wire_set_opcode(pkt->wire, KNOT_OPCODE_UPDATE);
	/* Zone section: the zone's SOA (RFC 2136 2.3); no prerequisites; the
	 * update section is the authority section on the wire. */
	ret = knot_pkt_put_question(pkt, zone, KNOT_CLASS_IN, KNOT_RRTYPE_SOA);
	if (ret == KNOT_EOK)
		ret = knot_pkt_begin(pkt, KNOT_AUTHORITY);
	/* RFC 2136 3.4.2: the server applies the update RRs in order, so each
	 * change's delete comes before its add, and changes stay in order. */
	for (size_t i = 0; i < n && ret == KNOT_EOK; i++) {
		make_dname(changes[i].fqdn, owner);
		ret = put_update_rrs(pkt, owner, change_type(&changes[i]), changes[i].addr, z->ttl);
	}
	if (ret != KNOT_EOK) {
		code = fail(err, NSUPD_ERR_INTERNAL, -1, "cannot build update of %zu change%s in zone %s: %s",
			    n, n == 1 ? "" : "s", z->zone, knot_strerror(ret));
		goto out;
	}
	if (pkt->size > cap) {
		code = fail(err, NSUPD_ERR_INTERNAL, -1, "update does not fit");
		goto out;
	}
	size_t len = pkt->size;
	memcpy(out, pkt->wire, len);
	*mac_len = 64;
	ret = knot_tsig_sign(out, &len, cap, NULL, 0, mac, mac_len, &key, 0, 0);
	if (ret != KNOT_EOK) {
		code = fail(err, ret == KNOT_ESPACE ? NSUPD_ERR_INTERNAL : NSUPD_ERR_DNS_KEY, -1,
			    "cannot sign update with key %s (%s): %s", z->key_name,
			    dns_algorithm_name(z->algorithm), knot_strerror(ret));
		goto out;
	}
	*out_len = len;
	code = NSUPD_OK;
out:
	knot_pkt_free(pkt);
	knot_tsig_key_deinit(&key);
	return code;
}

/* One signed UPDATE: delete the RRset of type, then (when addr is given)
 * add addr, in one message so the change is atomic on the server. */
static nsupd_err update(const dns_zone *z, const char *fqdn, int family, const ip_addr *addr,
			dns_error *err)
{
	const dns_change c = {.fqdn = fqdn, .family = family, .addr = addr};
	uint8_t msg[DNS_UPDATE_BUF];
	uint8_t mac[64];
	size_t msg_len = 0, mac_len = sizeof(mac);
	uint8_t *resp = NULL;
	size_t resp_len = 0;
	char srv[IP_STRLEN + 8];
	char what[200];
	uint16_t id = random_id();
	nsupd_err code;

	clear_error(err);
	if (z == NULL || z->zone == NULL || z->key_name == NULL || z->secret_b64 == NULL)
		return fail(err, NSUPD_ERR_INVALID, -1, "invalid update arguments");
	code = dns_build_update(z, &c, 1, id, msg, sizeof(msg), &msg_len, mac, &mac_len, err);
	if (code != NSUPD_OK)
		return code;
	dns_server_format(&z->primary, srv, sizeof(srv));
	dns_change_describe(z, &c, what, sizeof(what));

	resp = malloc(DNS_MSG_MAX);
	if (resp == NULL)
		return fail(err, NSUPD_ERR_NOMEM, -1, "out of memory");
	unsigned total = z->update_timeout_ms != 0 ? z->update_timeout_ms : DNS_DEFAULT_UPDATE_MS;
	xfer_result xr = tcp_exchange(&z->primary, msg, msg_len, resp, &resp_len, dns_mono_ms() + total);
	if (xr.status == XFER_TIMEOUT) {
		code = fail(err, NSUPD_ERR_DNS_TIMEOUT, -1, "timeout after %u ms waiting for %s (%s)",
			    total, srv, what);
		goto out;
	}
	if (xr.status == XFER_CONNECT) {
		if (xr.sys_errno == ECONNREFUSED)
			code = fail(err, NSUPD_ERR_DNS_CONNECT, -1, "connection refused by %s (%s)",
				    srv, what);
		else if (xr.sys_errno == 0)
			code = fail(err, NSUPD_ERR_DNS_CONNECT, -1,
				    "connection closed by %s without an answer (%s)", srv, what);
		else
			code = fail(err, NSUPD_ERR_DNS_CONNECT, -1, "cannot reach %s: %s (%s)", srv,
				    strerror(xr.sys_errno), what);
		goto out;
	}
	code = dns_check_update_answer(z, resp, resp_len, id, mac, mac_len, what, err);
out:
	free(resp);
	return code;
}

nsupd_err dns_replace(const dns_zone *z, const char *fqdn, const ip_addr *addr, dns_error *err)
{
	if (addr == NULL || (addr->family != 4 && addr->family != 6)) {
		clear_error(err);
		return fail(err, NSUPD_ERR_INVALID, -1, "invalid address family");
	}
	return update(z, fqdn, addr->family, addr, err);
}

nsupd_err dns_delete(const dns_zone *z, const char *fqdn, int family, dns_error *err)
{
	if (family != 4 && family != 6) {
		clear_error(err);
		return fail(err, NSUPD_ERR_INVALID, -1, "invalid address family %d", family);
	}
	return update(z, fqdn, family, NULL, err);
}

/* ------------------------------------------------------------------ */
/* Queries without a waiting thread                                    */

/* One query in flight. The submitting thread sends it and hands it to the
 * query thread, which owns it from then on: it reads the answer (or sees
 * the try time run out), calls done and frees it. */
typedef struct async_query {
	struct async_query *next;
	int fd;
	int64_t deadline;
	uint8_t query[KNOT_WIRE_HEADER_SIZE + KNOT_DNAME_MAXLEN + 4];
	size_t qlen;
	knot_dname_storage_t qname;
	uint16_t qtype;
	int family;
	char srv[IP_STRLEN + 8];
	char fqdn[KNOT_DNAME_TXT_MAXLEN + 1];
	dns_query_done_fn done;
	void *ctx;
} async_query;

static pthread_mutex_t aq_mu = PTHREAD_MUTEX_INITIALIZER;
static async_query *aq_pending;     /* every query in flight, for the deadlines */
static int aq_epfd = -1;
static int aq_stopfd = -1;
static bool aq_running, aq_stopping;
static pthread_t aq_thread;

/* Query thread: the query is over; nobody else can reach it any more. */
static void aq_finish(async_query *q, bool answered, bool found, const ip_addr *addr)
{
	pthread_mutex_lock(&aq_mu);
	for (async_query **pp = &aq_pending; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	pthread_mutex_unlock(&aq_mu);
	epoll_ctl(aq_epfd, EPOLL_CTL_DEL, q->fd, NULL);
	close(q->fd);
	q->done(q->ctx, answered, found, addr);
	free(q);
}

/* Query thread: the socket is readable. Anything but a clean answer sends
 * the caller to dns_query, which knows every other case. */
static void aq_readable(async_query *q)
{
	for (;;) {
		uint8_t resp[DNS_UDP_BUF];
		ssize_t n = recv(q->fd, resp, sizeof(resp), MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			aq_finish(q, false, false, NULL);   /* e.g. ICMP port unreachable */
			return;
		}
		if ((size_t)n > sizeof(resp) || !header_matches(q->query, resp, (size_t)n))
			continue;   /* not ours: keep listening, as dns_query does */
		ip_addr addr;
		bool found = false;
		nsupd_err code = NSUPD_OK;
		dns_error err;
		dns_answer_kind kind = dns_read_address_answer(resp, (size_t)n, q->qname,
			q->qtype, q->family, q->srv, q->fqdn, &addr, &found, &code, &err);
		if (kind == DNS_ANSWER_DONE)
			aq_finish(q, true, found, found ? &addr : NULL);
		else
			aq_finish(q, false, false, NULL);
		return;
	}
}

static void *aq_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct epoll_event ev[64];
		/* Deadlines are seconds away, so a tenth of a second is precise
		 * enough and no wake-up is needed when one is added. */
		int n = epoll_wait(aq_epfd, ev, 64, 100);
		if (n < 0 && errno != EINTR) {
			log_error("dns: epoll_wait: %s", strerror(errno));
			poll(NULL, 0, 10);
		}
		bool stop = false;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == NULL)
				stop = true;
			else
				aq_readable(ev[i].data.ptr);
		}
		int64_t now = dns_mono_ms();
		for (;;) {
			async_query *late = NULL;
			pthread_mutex_lock(&aq_mu);
			for (async_query *q = aq_pending; q != NULL && late == NULL; q = q->next)
				if (stop || q->deadline <= now)
					late = q;
			pthread_mutex_unlock(&aq_mu);
			if (late == NULL)
				break;
			aq_finish(late, false, false, NULL);
		}
		if (stop)
			break;
	}
	return NULL;
}

/* With aq_mu held. */
static bool aq_start(void)
{
	if (aq_stopping)
		return false;
	if (aq_running)
		return true;
	aq_epfd = epoll_create1(EPOLL_CLOEXEC);
	aq_stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	if (aq_epfd < 0 || aq_stopfd < 0 || epoll_ctl(aq_epfd, EPOLL_CTL_ADD, aq_stopfd, &ev) < 0 ||
	    pthread_create(&aq_thread, NULL, aq_main, NULL) != 0) {
		log_error("dns: cannot start the query thread: %s", strerror(errno));
		if (aq_epfd >= 0)
			close(aq_epfd);
		if (aq_stopfd >= 0)
			close(aq_stopfd);
		aq_epfd = aq_stopfd = -1;
		return false;
	}
	aq_running = true;
	return true;
}

bool dns_query_submit(const dns_zone *z, const char *fqdn, int family, dns_query_done_fn done,
		      void *ctx)
{
	if (z == NULL || fqdn == NULL || done == NULL || (family != 4 && family != 6) ||
	    strlen(fqdn) > KNOT_DNAME_TXT_MAXLEN)
		return false;
	async_query *q = calloc(1, sizeof(*q));
	if (q == NULL)
		return false;
	q->fd = -1;
	q->family = family;
	q->qtype = family == 4 ? KNOT_RRTYPE_A : KNOT_RRTYPE_AAAA;
	q->done = done;
	q->ctx = ctx;
	memcpy(q->fqdn, fqdn, strlen(fqdn) + 1);
	/* The first server dns_query would ask, for its first try. */
	const dns_server *s = z->has_secondary ? &z->secondary : &z->primary;
	dns_server_format(s, q->srv, sizeof(q->srv));
	unsigned total = z->query_timeout_ms != 0 ? z->query_timeout_ms : DNS_DEFAULT_QUERY_MS;
	int64_t now = dns_mono_ms();
	q->deadline = now + (total < DNS_TRY_MS ? total : DNS_TRY_MS);
	xfer_result xr;
	if (!make_dname(fqdn, q->qname) ||
	    build_query(q->qname, q->qtype, random_id(), q->query, sizeof(q->query), &q->qlen) !=
		    KNOT_EOK ||
	    open_connected(s, SOCK_DGRAM, &q->fd, q->deadline, &xr) < 0 ||
	    send(q->fd, q->query, q->qlen, MSG_NOSIGNAL) != (ssize_t)q->qlen) {
		if (q->fd >= 0)
			close(q->fd);
		free(q);
		return false;
	}
	/* Listed and registered under the lock: the query thread cannot
	 * finish (and free) q before both are done. */
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = q };
	pthread_mutex_lock(&aq_mu);
	bool ok = aq_start() && epoll_ctl(aq_epfd, EPOLL_CTL_ADD, q->fd, &ev) == 0;
	if (ok) {
		q->next = aq_pending;
		aq_pending = q;
	}
	pthread_mutex_unlock(&aq_mu);
	if (ok)
		return true;
	close(q->fd);
	free(q);
	return false;
}

void dns_query_shutdown(void)
{
	pthread_mutex_lock(&aq_mu);
	bool running = aq_running;
	aq_stopping = true;
	pthread_mutex_unlock(&aq_mu);
	if (!running)
		return;
	uint64_t one = 1;
	if (write(aq_stopfd, &one, sizeof(one)) < 0)
		log_error("dns: eventfd: %s", strerror(errno));
	pthread_join(aq_thread, NULL);
	close(aq_epfd);
	close(aq_stopfd);
	pthread_mutex_lock(&aq_mu);
	aq_epfd = aq_stopfd = -1;
	aq_running = false;
	aq_stopping = false;
	pthread_mutex_unlock(&aq_mu);
}
