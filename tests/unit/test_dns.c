/* Unit tests for the DNS backend: the pure parts (server and algorithm
 * names), and the transport and answer checks against small scripted
 * servers on 127.0.0.1 that misbehave on purpose. The real nameserver
 * tests are in tests/system/test_dns_backend.py. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "core/ipaddr.h"
#include "dns/dns.h"

/* ---- dns_server_parse / dns_server_format ------------------------------- */

static const struct {
	const char *text;
	int family;
	unsigned port;
	const char *canonical;
} good_servers[] = {
	{"192.0.2.1", 4, 53, "192.0.2.1"},
	{"127.0.0.1:5353", 4, 5353, "127.0.0.1:5353"},
	{"192.0.2.1:53", 4, 53, "192.0.2.1"},
	{"10.0.0.1:65535", 4, 65535, "10.0.0.1:65535"},
	{"2001:db8::1", 6, 53, "2001:db8::1"},
	{"2001:DB8::1", 6, 53, "2001:db8::1"},
	{"::1", 6, 53, "::1"},
	{"[::1]", 6, 53, "::1"},
	{"[::1]:5353", 6, 5353, "[::1]:5353"},
	{"[2001:DB8:0::1]:1", 6, 1, "[2001:db8::1]:1"},
	{"[::ffff:192.0.2.1]:53", 6, 53, "::ffff:192.0.2.1"},
};

static const char *const bad_servers[] = {
	"", "[::1", "::1]", "[::1]:", "[::1]x", "[::1]:99999", "[::1]:0", "[192.0.2.1]:53",
	"1.2.3.4:99999", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:-1", "1.2.3.4:+53", "1.2.3.4: 53",
	"1.2.3.4:53x", "1.2.3.4:000053", "host.name", "host.name:53", "1.2.3", "01.2.3.4",
	" 1.2.3.4", "1.2.3.4 ", "1.2.3.4/24", "fe80::1%eth0", "[fe80::1%eth0]:53",
	"1.2.3.4:53:53", "[[::1]]:53",
	"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc",
};

START_TEST(test_server_parse_good)
{
	dns_server s;
	char out[IP_STRLEN + 8];

	for (size_t i = 0; i < sizeof(good_servers) / sizeof(good_servers[0]); i++) {
		memset(&s, 0xaa, sizeof(s));
		ck_assert_msg(dns_server_parse(good_servers[i].text, &s), "rejected %s",
			      good_servers[i].text);
		ck_assert_int_eq(s.addr.family, good_servers[i].family);
		ck_assert_uint_eq(s.port, good_servers[i].port);
		dns_server_format(&s, out, sizeof(out));
		ck_assert_str_eq(out, good_servers[i].canonical);

		/* The formatted text parses back to the same server. */
		dns_server back;
		ck_assert(dns_server_parse(out, &back));
		ck_assert(ip_equal(&back.addr, &s.addr));
		ck_assert_uint_eq(back.port, s.port);
	}
}
END_TEST

START_TEST(test_server_parse_bad)
{
	dns_server s;

	for (size_t i = 0; i < sizeof(bad_servers) / sizeof(bad_servers[0]); i++)
		ck_assert_msg(!dns_server_parse(bad_servers[i], &s), "accepted \"%s\"",
			      bad_servers[i]);
	ck_assert(!dns_server_parse(NULL, &s));
}
END_TEST

START_TEST(test_server_values)
{
	dns_server s;

	ck_assert(dns_server_parse("192.0.2.7:8053", &s));
	ck_assert_int_eq(s.addr.bytes[0], 192);
	ck_assert_int_eq(s.addr.bytes[3], 7);
	ck_assert(dns_server_parse("[2001:db8::2]:8053", &s));
	ck_assert_int_eq(s.addr.bytes[0], 0x20);
	ck_assert_int_eq(s.addr.bytes[15], 2);
	ck_assert_uint_eq(s.port, 8053);

	/* A small buffer truncates but stays terminated. */
	char small[6];
	dns_server_format(&s, small, sizeof(small));
	ck_assert_uint_eq(strlen(small), 5);
}
END_TEST

/* ---- algorithms ----------------------------------------------------------- */

static const struct {
	dns_algorithm alg;
	const char *name;
	const char *django;
	unsigned bits;
} algs[] = {
	{DNS_HMAC_MD5, "hmac-md5", "HMAC_MD5", 128},
	{DNS_HMAC_SHA1, "hmac-sha1", "HMAC_SHA1", 160},
	{DNS_HMAC_SHA224, "hmac-sha224", "HMAC_SHA224", 224},
	{DNS_HMAC_SHA256, "hmac-sha256", "HMAC_SHA256", 256},
	{DNS_HMAC_SHA384, "hmac-sha384", "HMAC_SHA384", 384},
	{DNS_HMAC_SHA512, "hmac-sha512", "HMAC_SHA512", 512},
};

START_TEST(test_algorithms)
{
	dns_algorithm a;

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		ck_assert(dns_algorithm_parse(algs[i].name, &a));
		ck_assert_int_eq(a, algs[i].alg);
		ck_assert(dns_algorithm_parse(algs[i].django, &a));
		ck_assert_int_eq(a, algs[i].alg);
		ck_assert_str_eq(dns_algorithm_name(algs[i].alg), algs[i].name);
		ck_assert_uint_eq(dns_algorithm_bits(algs[i].alg), algs[i].bits);
		/* Round trip through the name. */
		ck_assert(dns_algorithm_parse(dns_algorithm_name(algs[i].alg), &a));
		ck_assert_int_eq(a, algs[i].alg);
	}
	ck_assert(dns_algorithm_parse("Hmac-Sha384", &a));
	ck_assert_int_eq(a, DNS_HMAC_SHA384);
	ck_assert(dns_algorithm_parse("hmac_sha256", &a));
	ck_assert_int_eq(a, DNS_HMAC_SHA256);

	const char *bad[] = {"", "hmac", "hmac-sha", "sha512", "hmac-sha5122", "hmac-sha51",
			     "hmac sha512", " hmac-sha512", "hmac-sha512 ", "hmac-md4", "gss-tsig"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!dns_algorithm_parse(bad[i], &a), "accepted \"%s\"", bad[i]);
	ck_assert(!dns_algorithm_parse(NULL, &a));
}
END_TEST

START_TEST(test_error_is_transport)
{
	ck_assert(dns_error_is_transport(NSUPD_ERR_DNS_TIMEOUT));
	ck_assert(dns_error_is_transport(NSUPD_ERR_DNS_CONNECT));
	ck_assert(dns_error_is_transport(NSUPD_ERR_DNS_TSIG));
	ck_assert(dns_error_is_transport(NSUPD_ERR_DNS_MALFORMED));
	ck_assert(!dns_error_is_transport(NSUPD_ERR_DNS_RCODE));
	ck_assert(!dns_error_is_transport(NSUPD_ERR_DNS_KEY));
	ck_assert(!dns_error_is_transport(NSUPD_OK));
}
END_TEST

/* ---- scripted servers ------------------------------------------------------ */

#define SECRET "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"

typedef enum reply_mode {
	R_SILENT,        /* read the request, never answer */
	R_WRONG_ID,      /* answer with another message ID */
	R_GARBAGE,       /* random bytes after a matching header */
	R_REFUSED,       /* echo the question with rcode REFUSED, unsigned */
	R_ANSWER_A,      /* NOERROR with one A record 192.0.2.55 */
	R_TRUNCATED,     /* UDP: TC set; TCP: the A answer */
	R_NOERROR_UNSIGNED, /* update answered NOERROR without TSIG */
	R_SIGNED,        /* update answered NOERROR, signed with SECRET */
	R_SIGNED_TAMPERED, /* as above, then one byte changed */
	R_SHORT_CLOSE,   /* TCP: length says 100, 5 bytes follow, then close */
	R_NOT_RESPONSE,  /* echo the request with QR clear */
} reply_mode;

typedef struct fake_server {
	int udp, tcp;
	uint16_t port;
	reply_mode mode;
	uint8_t last_addr;      /* R_ANSWER_A: last byte of the address */
	volatile int stop;
	volatile int requests;
	unsigned seed;
	pthread_t thread;
} fake_server;

/* Builds the answer to req in resp; returns its length, or 0 for none. */
static size_t make_reply(fake_server *fs, const uint8_t *req, size_t len, uint8_t *resp,
			 size_t cap, bool tcp)
{
	if (len < 12 || len > cap - 64)
		return 0;
	memcpy(resp, req, len);
	knot_wire_set_qr(resp);

	switch (fs->mode) {
	case R_SILENT:
	case R_SHORT_CLOSE:
		return 0;
	case R_WRONG_ID:
		knot_wire_set_id(resp, (uint16_t)(knot_wire_get_id(req) + 1));
		return len;
	case R_NOT_RESPONSE:
		knot_wire_clear_qr(resp);
		return len;
	case R_GARBAGE: {
		size_t n = 12 + (size_t)(rand_r(&fs->seed) % 600);
		if (n > cap)
			n = cap;
		for (size_t i = 2; i < n; i++)
			resp[i] = (uint8_t)rand_r(&fs->seed);
		/* Keep ID, QR and opcode so the reply is not simply ignored. */
		knot_wire_set_qr(resp);
		knot_wire_set_opcode(resp, knot_wire_get_opcode(req));
		return n;
	}
	case R_REFUSED: {
		/* Header and question only, as servers answer refusals. */
		knot_pkt_t *q = knot_pkt_new((void *)req, (uint16_t)len, NULL);
		size_t qend = 0;
		if (q != NULL && knot_pkt_parse_question(q) == KNOT_EOK)
			qend = KNOT_WIRE_HEADER_SIZE + knot_pkt_question_size(q);
		knot_pkt_free(q);
		knot_wire_set_rcode(resp, KNOT_RCODE_REFUSED);
		knot_wire_set_ancount(resp, 0);
		knot_wire_set_nscount(resp, 0);
		knot_wire_set_arcount(resp, 0);
		return qend;
	}
	case R_TRUNCATED:
		if (!tcp) {
			knot_wire_set_tc(resp);
			return len;
		}
		/* fall through */
	case R_ANSWER_A: {
		static const uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4,
					     192, 0, 2, 55};
		knot_wire_set_aa(resp);
		knot_wire_set_ancount(resp, 1);
		memcpy(resp + len, rr, sizeof(rr));
		resp[len + sizeof(rr) - 1] = fs->last_addr != 0 ? fs->last_addr : 55;
		return len + sizeof(rr);
	}
	case R_NOERROR_UNSIGNED:
	case R_SIGNED:
	case R_SIGNED_TAMPERED: {
		knot_pkt_t *q = knot_pkt_new((void *)req, (uint16_t)len, NULL);
		size_t out = 0;
		if (q == NULL || knot_pkt_parse(q, 0) != KNOT_EOK || q->tsig_rr == NULL) {
			knot_pkt_free(q);
			return 0;
		}
		/* Answer: header plus zone section, as BIND does. */
		size_t qend = KNOT_WIRE_HEADER_SIZE + knot_pkt_question_size(q);
		knot_wire_set_qdcount(resp, 1);
		knot_wire_set_ancount(resp, 0);
		knot_wire_set_nscount(resp, 0);
		knot_wire_set_arcount(resp, 0);
		out = qend;
		if (fs->mode != R_NOERROR_UNSIGNED) {
			knot_tsig_key_t key;
			uint8_t digest[64];
			size_t dlen = sizeof(digest);
			ck_assert_int_eq(knot_tsig_key_init(&key, "hmac-sha256", "k.example.org", SECRET),
					 KNOT_EOK);
			int ret = knot_tsig_sign(resp, &out, cap, knot_tsig_rdata_mac(q->tsig_rr),
						 knot_tsig_rdata_mac_length(q->tsig_rr), digest, &dlen,
						 &key, 0, knot_tsig_rdata_time_signed(q->tsig_rr));
			knot_tsig_key_deinit(&key);
			ck_assert_int_eq(ret, KNOT_EOK);
			if (fs->mode == R_SIGNED_TAMPERED)
				resp[3] ^= 0x80; /* RA flag: covered by the MAC */
		}
		knot_pkt_free(q);
		return out;
	}
	}
	return 0;
}

static void *fake_main(void *arg)
{
	fake_server *fs = arg;
	uint8_t req[4096], resp[8192];

	while (!fs->stop) {
		struct pollfd p[2] = {{.fd = fs->udp, .events = POLLIN}, {.fd = fs->tcp, .events = POLLIN}};
		if (poll(p, 2, 20) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fs->udp, req, sizeof(req), 0, (struct sockaddr *)&from, &fl);
			if (n <= 0)
				continue;
			fs->requests++;
			size_t rl = make_reply(fs, req, (size_t)n, resp, 512, false);
			if (rl > 0)
				sendto(fs->udp, resp, rl, 0, (struct sockaddr *)&from, fl);
		}
		if (p[1].revents & POLLIN) {
			int c = accept(fs->tcp, NULL, NULL);
			if (c < 0)
				continue;
			struct timeval tv = {.tv_sec = 2};
			setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			uint8_t lb[2];
			if (recv(c, lb, 2, MSG_WAITALL) == 2) {
				size_t want = (size_t)lb[0] << 8 | lb[1];
				if (want <= sizeof(req) &&
				    recv(c, req, want, MSG_WAITALL) == (ssize_t)want) {
					fs->requests++;
					uint8_t out[2 + sizeof(resp)];
					size_t rl = make_reply(fs, req, want, out + 2, sizeof(resp), true);
					if (fs->mode == R_SHORT_CLOSE) {
						static const uint8_t part[] = {0, 100, 1, 2, 3, 4, 5};
						send(c, part, sizeof(part), MSG_NOSIGNAL);
					} else if (rl > 0) {
						out[0] = (uint8_t)(rl >> 8);
						out[1] = (uint8_t)rl;
						send(c, out, rl + 2, MSG_NOSIGNAL);
					} else {
						/* Silent: hold the connection until stopped. */
						while (!fs->stop)
							poll(NULL, 0, 20);
					}
				}
			}
			close(c);
		}
	}
	return NULL;
}

static void fake_start(fake_server *fs, reply_mode mode)
{
	memset(fs, 0, sizeof(*fs));
	fs->mode = mode;
	fs->seed = 12345;
	/* The same port for UDP and TCP, as a nameserver has. */
	for (int attempt = 0; attempt < 50; attempt++) {
		struct sockaddr_in sin = {.sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t sl = sizeof(sin);
		fs->tcp = socket(AF_INET, SOCK_STREAM, 0);
		int one = 1;
		setsockopt(fs->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		ck_assert_int_eq(bind(fs->tcp, (struct sockaddr *)&sin, sizeof(sin)), 0);
		ck_assert_int_eq(listen(fs->tcp, 8), 0);
		getsockname(fs->tcp, (struct sockaddr *)&sin, &sl);
		fs->udp = socket(AF_INET, SOCK_DGRAM, 0);
		if (bind(fs->udp, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
			fs->port = ntohs(sin.sin_port);
			ck_assert_int_eq(pthread_create(&fs->thread, NULL, fake_main, fs), 0);
			return;
		}
		close(fs->tcp);
		close(fs->udp);
	}
	ck_abort_msg("no free port pair");
}

static void fake_stop(fake_server *fs)
{
	fs->stop = 1;
	pthread_join(fs->thread, NULL);
	close(fs->udp);
	close(fs->tcp);
}

static dns_zone zone_for(uint16_t port, unsigned timeout_ms)
{
	dns_zone z = {
		.zone = "example.org",
		.key_name = "k.example.org",
		.algorithm = DNS_HMAC_SHA256,
		.secret_b64 = SECRET,
		.query_timeout_ms = timeout_ms,
		.update_timeout_ms = timeout_ms,
		.ttl = 60,
	};
	char text[32];
	snprintf(text, sizeof(text), "127.0.0.1:%u", (unsigned)port);
	ck_assert(dns_server_parse(text, &z.primary));
	return z;
}

static int64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- queries ---------------------------------------------------------------- */

/* A bound UDP socket that never answers: the query must give up in time. */
START_TEST(test_query_timeout_silent_udp)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &sl);

	dns_zone z = zone_for(ntohs(sin.sin_port), 300);
	dns_error err;
	ip_addr a;
	bool found = true;
	int64_t t0 = ms_now();
	nsupd_err rc = dns_query(&z, "host.example.org", 4, &a, &found, &err);
	int64_t took = ms_now() - t0;

	ck_assert_int_eq(rc, NSUPD_ERR_DNS_TIMEOUT);
	ck_assert(!found);
	ck_assert_int_eq(err.rcode, -1);
	ck_assert_msg(took >= 250 && took < 1000, "took %lld ms", (long long)took);
	ck_assert_msg(strstr(err.msg, "timeout after 300 ms") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "127.0.0.1:") != NULL, "%s", err.msg);
	ck_assert(dns_error_is_transport(rc));
	close(fd);
}
END_TEST

START_TEST(test_query_wrong_id_ignored)
{
	fake_server fs;
	fake_start(&fs, R_WRONG_ID);
	dns_zone z = zone_for(fs.port, 300);
	dns_error err;
	ip_addr a;
	bool found;
	ck_assert_int_eq(dns_query(&z, "host.example.org", 4, &a, &found, &err),
			 NSUPD_ERR_DNS_TIMEOUT);
	ck_assert_int_ge(fs.requests, 1);
	fake_stop(&fs);
}
END_TEST

START_TEST(test_query_not_a_response_ignored)
{
	fake_server fs;
	fake_start(&fs, R_NOT_RESPONSE);
	dns_zone z = zone_for(fs.port, 300);
	dns_error err;
	ip_addr a;
	bool found;
	ck_assert_int_eq(dns_query(&z, "host.example.org", 4, &a, &found, &err),
			 NSUPD_ERR_DNS_TIMEOUT);
	fake_stop(&fs);
}
END_TEST

START_TEST(test_query_answer)
{
	fake_server fs;
	fake_start(&fs, R_ANSWER_A);
	dns_zone z = zone_for(fs.port, 2000);
	dns_error err;
	ip_addr a;
	bool found = false;
	char text[IP_STRLEN];
	ck_assert_int_eq(dns_query(&z, "Host.Example.ORG.", 4, &a, &found, &err), NSUPD_OK);
	ck_assert(found);
	ip_format(&a, text);
	ck_assert_str_eq(text, "192.0.2.55");
	/* An A record does not answer an AAAA question. */
	ck_assert_int_eq(dns_query(&z, "host.example.org", 6, &a, &found, &err), NSUPD_OK);
	ck_assert(!found);
	fake_stop(&fs);
}
END_TEST

START_TEST(test_query_tcp_fallback)
{
	fake_server fs;
	fake_start(&fs, R_TRUNCATED);
	dns_zone z = zone_for(fs.port, 2000);
	dns_error err;
	ip_addr a;
	bool found = false;
	char text[IP_STRLEN];
	ck_assert_int_eq(dns_query(&z, "host.example.org", 4, &a, &found, &err), NSUPD_OK);
	ck_assert(found);
	ip_format(&a, text);
	ck_assert_str_eq(text, "192.0.2.55");
	ck_assert_int_eq(fs.requests, 2);
	fake_stop(&fs);
}
END_TEST

START_TEST(test_query_refused)
{
	fake_server fs;
	fake_start(&fs, R_REFUSED);
	dns_zone z = zone_for(fs.port, 2000);
	dns_error err;
	ip_addr a;
	bool found;
	ck_assert_int_eq(dns_query(&z, "host.example.org", 4, &a, &found, &err),
			 NSUPD_ERR_DNS_RCODE);
	ck_assert_int_eq(err.rcode, KNOT_RCODE_REFUSED);
	ck_assert_msg(strstr(err.msg, "REFUSED") != NULL, "%s", err.msg);
	ck_assert(!dns_error_is_transport(NSUPD_ERR_DNS_RCODE));
	fake_stop(&fs);
}
END_TEST

START_TEST(test_query_secondary_first)
{
	fake_server p, s;
	fake_start(&p, R_ANSWER_A);
	fake_start(&s, R_ANSWER_A);
	p.last_addr = 1;
	s.last_addr = 2;
	dns_zone z = zone_for(p.port, 2000);
	char text[32];
	snprintf(text, sizeof(text), "127.0.0.1:%u", (unsigned)s.port);
	ck_assert(dns_server_parse(text, &z.secondary));
	z.has_secondary = true;

	dns_error err;
	ip_addr a;
	bool found;
	ck_assert_int_eq(dns_query(&z, "host.example.org", 4, &a, &found, &err), NSUPD_OK);
	ck_assert(found);
	ck_assert_int_eq(a.bytes[3], 2);
	ck_assert_int_eq(p.requests, 0);

	/* A refusing secondary is dropped and the primary answers. */
	s.mode = R_REFUSED;
	ck_assert_int_eq(dns_query(&z, "host.example.org", 4, &a, &found, &err), NSUPD_OK);
	ck_assert_int_eq(a.bytes[3], 1);
	fake_stop(&p);
	fake_stop(&s);
}
END_TEST

/* Hostile answers with a valid header: whatever they contain, the call
 * returns an error or a result, never crashes (ASan checks the reads). */
START_TEST(test_query_garbage)
{
	fake_server fs;
	fake_start(&fs, R_GARBAGE);
	dns_zone z = zone_for(fs.port, 2000);
	for (int i = 0; i < 300; i++) {
		dns_error err;
		ip_addr a;
		bool found;
		nsupd_err rc = dns_query(&z, "host.example.org", i % 2 ? 4 : 6, &a, &found, &err);
		ck_assert(rc == NSUPD_OK || rc == NSUPD_ERR_DNS_MALFORMED ||
			  rc == NSUPD_ERR_DNS_RCODE || rc == NSUPD_ERR_DNS_TIMEOUT ||
			  rc == NSUPD_ERR_DNS_CONNECT);
	}
	fake_stop(&fs);
}
END_TEST

START_TEST(test_query_connection_refused)
{
	fake_server fs;
	fake_start(&fs, R_SILENT);
	uint16_t port = fs.port;
	ip_addr a;
	fake_stop(&fs); /* the port is closed now */
	ck_assert(ip_parse("192.0.2.9", &a));

	dns_zone z = zone_for(port, 2000);
	dns_error err;
	bool found;
	int64_t t0 = ms_now();
	nsupd_err rc = dns_query(&z, "host.example.org", 4, &a, &found, &err);
	ck_assert_msg(rc == NSUPD_ERR_DNS_CONNECT, "%d %s", rc, err.msg);
	ck_assert_msg(strstr(err.msg, "connection refused") != NULL, "%s", err.msg);
	ck_assert_int_lt(ms_now() - t0, 1500);

	rc = dns_replace(&z, "host.example.org", &a, &err);
	ck_assert_msg(rc == NSUPD_ERR_DNS_CONNECT, "%d %s", rc, err.msg);
	ck_assert_msg(strstr(err.msg, "connection refused by 127.0.0.1:") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_query_bad_args)
{
	dns_zone z = zone_for(53, 100);
	dns_error err;
	ip_addr a;
	bool found;
	ck_assert_int_eq(dns_query(&z, "host.example.org", 5, &a, &found, &err), NSUPD_ERR_INVALID);
	ck_assert_int_eq(dns_query(&z, "", 4, &a, &found, &err), NSUPD_ERR_INVALID);
	ck_assert_int_eq(dns_query(&z, "a..b", 4, &a, &found, &err), NSUPD_ERR_INVALID);
	char longname[400];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(dns_query(&z, longname, 4, &a, &found, &err), NSUPD_ERR_INVALID);
	ck_assert_int_eq(dns_delete(&z, "h.example.org", 0, &err), NSUPD_ERR_INVALID);
}
END_TEST

/* ---- updates ---------------------------------------------------------------- */

static nsupd_err replace_via(reply_mode mode, unsigned timeout_ms, dns_error *err)
{
	fake_server fs;
	ip_addr a;
	fake_start(&fs, mode);
	dns_zone z = zone_for(fs.port, timeout_ms);
	ck_assert(ip_parse("192.0.2.9", &a));
	nsupd_err rc = dns_replace(&z, "host.example.org", &a, err);
	fake_stop(&fs);
	return rc;
}

/* ---- plain questions (dns_question, dns_udp_ask, dns_tcp_ask) ---------- */

START_TEST(test_plain_question)
{
	uint8_t q[512];
	size_t len = 0;
	ck_assert_int_eq(dns_question("Mail.Example.ORG", KNOT_RRTYPE_MX, true, q, sizeof(q), &len),
			 NSUPD_OK);
	knot_pkt_t *pkt = knot_pkt_new(q, (uint16_t)len, NULL);
	ck_assert_ptr_nonnull(pkt);
	ck_assert_int_eq(knot_pkt_parse(pkt, 0), KNOT_EOK);
	ck_assert(knot_wire_get_rd(q));
	ck_assert(!knot_wire_get_qr(q));
	ck_assert_int_eq(knot_pkt_qtype(pkt), KNOT_RRTYPE_MX);
	ck_assert_int_eq(knot_pkt_qclass(pkt), KNOT_CLASS_IN);
	char name[KNOT_DNAME_TXT_MAXLEN + 1];
	ck_assert_ptr_nonnull(knot_dname_to_str(name, knot_pkt_qname(pkt), sizeof(name)));
	ck_assert_str_eq(name, "mail.example.org.");
	knot_pkt_free(pkt);

	uint8_t q2[512];
	size_t len2 = 0;
	ck_assert_int_eq(dns_question("example.org", KNOT_RRTYPE_SOA, false, q2, sizeof(q2), &len2),
			 NSUPD_OK);
	ck_assert(!knot_wire_get_rd(q2));
	ck_assert_int_eq(knot_wire_get_opcode(q2), KNOT_OPCODE_QUERY);

	ck_assert_int_eq(dns_question("a..b", KNOT_RRTYPE_A, true, q, sizeof(q), &len),
			 NSUPD_ERR_INVALID);
	ck_assert_int_eq(dns_question(NULL, KNOT_RRTYPE_A, true, q, sizeof(q), &len),
			 NSUPD_ERR_INVALID);
	ck_assert_int_eq(dns_question("example.org", KNOT_RRTYPE_A, true, q, 12, &len),
			 NSUPD_ERR_INTERNAL);
}
END_TEST

static dns_server local_server(uint16_t port)
{
	dns_server srv;
	ck_assert(dns_server_parse("127.0.0.1", &srv));
	srv.port = port;
	return srv;
}

START_TEST(test_plain_ask)
{
	uint8_t q[512], resp[4096];
	size_t qlen = 0;
	ck_assert_int_eq(dns_question("host.example.org", KNOT_RRTYPE_A, true, q, sizeof(q), &qlen),
			 NSUPD_OK);

	fake_server fs;
	fake_start(&fs, R_ANSWER_A);
	dns_server srv = local_server(fs.port);
	ssize_t n = dns_udp_ask(&srv, q, qlen, resp, sizeof(resp), 1000, dns_mono_ms() + 2000);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(knot_wire_get_id(resp), knot_wire_get_id(q));
	ck_assert(knot_wire_get_qr(resp));
	fake_stop(&fs);

	/* Answers to another question are not taken: a timeout. */
	fake_start(&fs, R_WRONG_ID);
	srv = local_server(fs.port);
	int64_t t0 = dns_mono_ms();
	ck_assert_int_eq(dns_udp_ask(&srv, q, qlen, resp, sizeof(resp), 100, t0 + 300), 0);
	ck_assert_int_ge(dns_mono_ms() - t0, 290);
	ck_assert_int_ge(fs.requests, 2);   /* resent */
	fake_stop(&fs);

	/* Truncated over UDP, whole over TCP. */
	fake_start(&fs, R_TRUNCATED);
	srv = local_server(fs.port);
	n = dns_udp_ask(&srv, q, qlen, resp, sizeof(resp), 1000, dns_mono_ms() + 2000);
	ck_assert_int_gt(n, 0);
	ck_assert(knot_wire_get_tc(resp));
	n = dns_tcp_ask(&srv, q, qlen, resp, sizeof(resp), dns_mono_ms() + 2000);
	ck_assert_int_gt(n, 0);
	ck_assert(!knot_wire_get_tc(resp));
	ck_assert_int_eq(knot_wire_get_id(resp), knot_wire_get_id(q));
	fake_stop(&fs);

	/* A TCP answer that stops short is no answer. */
	fake_start(&fs, R_SHORT_CLOSE);
	srv = local_server(fs.port);
	ck_assert_int_eq(dns_tcp_ask(&srv, q, qlen, resp, sizeof(resp), dns_mono_ms() + 2000), -1);
	fake_stop(&fs);
}
END_TEST

START_TEST(test_update_signed_ok)
{
	dns_error err;
	nsupd_err rc = replace_via(R_SIGNED, 2000, &err);
	ck_assert_msg(rc == NSUPD_OK, "%d %s", rc, err.msg);
}
END_TEST

START_TEST(test_update_tampered)
{
	dns_error err;
	ck_assert_int_eq(replace_via(R_SIGNED_TAMPERED, 2000, &err), NSUPD_ERR_DNS_TSIG);
	ck_assert_msg(strstr(err.msg, "does not verify") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_update_unsigned_success_rejected)
{
	dns_error err;
	ck_assert_int_eq(replace_via(R_NOERROR_UNSIGNED, 2000, &err), NSUPD_ERR_DNS_TSIG);
	ck_assert_msg(strstr(err.msg, "unsigned") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_update_refused)
{
	dns_error err;
	ck_assert_int_eq(replace_via(R_REFUSED, 2000, &err), NSUPD_ERR_DNS_RCODE);
	ck_assert_int_eq(err.rcode, KNOT_RCODE_REFUSED);
	ck_assert_msg(strstr(err.msg, "REFUSED from 127.0.0.1:") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_update_wrong_id)
{
	dns_error err;
	ck_assert_int_eq(replace_via(R_WRONG_ID, 2000, &err), NSUPD_ERR_DNS_MALFORMED);
	ck_assert_int_eq(replace_via(R_NOT_RESPONSE, 2000, &err), NSUPD_ERR_DNS_MALFORMED);
}
END_TEST

START_TEST(test_update_short_close)
{
	dns_error err;
	ck_assert_int_eq(replace_via(R_SHORT_CLOSE, 2000, &err), NSUPD_ERR_DNS_CONNECT);
	ck_assert_msg(strstr(err.msg, "closed") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_update_timeout)
{
	dns_error err;
	int64_t t0 = ms_now();
	ck_assert_int_eq(replace_via(R_SILENT, 300, &err), NSUPD_ERR_DNS_TIMEOUT);
	int64_t took = ms_now() - t0;
	ck_assert_msg(took >= 250 && took < 1500, "took %lld", (long long)took);
	ck_assert_msg(strstr(err.msg, "timeout after 300 ms waiting for 127.0.0.1:") != NULL, "%s",
		      err.msg);
}
END_TEST

START_TEST(test_update_garbage)
{
	fake_server fs;
	ip_addr a;
	fake_start(&fs, R_GARBAGE);
	dns_zone z = zone_for(fs.port, 2000);
	ck_assert(ip_parse("2001:db8::9", &a));
	for (int i = 0; i < 200; i++) {
		dns_error err;
		nsupd_err rc = i % 2 ? dns_replace(&z, "host.example.org", &a, &err)
				     : dns_delete(&z, "host.example.org", 4, &err);
		ck_assert(rc != NSUPD_OK);
	}
	fake_stop(&fs);
}
END_TEST

START_TEST(test_update_bad_secret)
{
	dns_zone z = zone_for(53, 100);
	dns_error err;
	ip_addr a;
	ck_assert(ip_parse("192.0.2.9", &a));
	z.secret_b64 = "not base64!";
	ck_assert_int_eq(dns_replace(&z, "host.example.org", &a, &err), NSUPD_ERR_DNS_KEY);
	ck_assert(!dns_error_is_transport(NSUPD_ERR_DNS_KEY));
	ck_assert_msg(strstr(err.msg, "base64") != NULL, "%s", err.msg);
	z.secret_b64 = "";
	ck_assert_int_eq(dns_delete(&z, "host.example.org", 6, &err), NSUPD_ERR_DNS_KEY);
}
END_TEST

/* Many threads at once against one server: no shared state to trip on. */
static void *query_thread(void *arg)
{
	dns_zone *z = arg;
	for (int i = 0; i < 50; i++) {
		dns_error err;
		ip_addr a;
		bool found;
		if (dns_query(z, "host.example.org", 4, &a, &found, &err) != NSUPD_OK || !found ||
		    a.bytes[3] != 55)
			return (void *)1;
	}
	return NULL;
}

START_TEST(test_threads)
{
	fake_server fs;
	fake_start(&fs, R_ANSWER_A);
	dns_zone z = zone_for(fs.port, 5000);
	pthread_t t[8];
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, query_thread, &z), 0);
	for (int i = 0; i < 8; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		ck_assert_ptr_null(ret);
	}
	fake_stop(&fs);
}
END_TEST

static Suite *dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *pure = tcase_create("names");
	tcase_add_test(pure, test_server_parse_good);
	tcase_add_test(pure, test_server_parse_bad);
	tcase_add_test(pure, test_server_values);
	tcase_add_test(pure, test_algorithms);
	tcase_add_test(pure, test_error_is_transport);
	suite_add_tcase(s, pure);

	TCase *q = tcase_create("query");
	tcase_set_timeout(q, 30);
	tcase_add_test(q, test_query_timeout_silent_udp);
	tcase_add_test(q, test_query_wrong_id_ignored);
	tcase_add_test(q, test_query_not_a_response_ignored);
	tcase_add_test(q, test_query_answer);
	tcase_add_test(q, test_query_tcp_fallback);
	tcase_add_test(q, test_query_refused);
	tcase_add_test(q, test_query_secondary_first);
	tcase_add_test(q, test_query_garbage);
	tcase_add_test(q, test_query_connection_refused);
	tcase_add_test(q, test_query_bad_args);
	tcase_add_test(q, test_plain_question);
	tcase_add_test(q, test_plain_ask);
	tcase_add_test(q, test_threads);
	suite_add_tcase(s, q);

	TCase *u = tcase_create("update");
	tcase_set_timeout(u, 30);
	tcase_add_test(u, test_update_signed_ok);
	tcase_add_test(u, test_update_tampered);
	tcase_add_test(u, test_update_unsigned_success_rejected);
	tcase_add_test(u, test_update_refused);
	tcase_add_test(u, test_update_wrong_id);
	tcase_add_test(u, test_update_short_close);
	tcase_add_test(u, test_update_timeout);
	tcase_add_test(u, test_update_garbage);
	tcase_add_test(u, test_update_bad_secret);
	suite_add_tcase(s, u);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dns_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
