/* Unit tests for the per-zone writer: the batch planning rules (pure), the
 * multi-change UPDATE builder, and the writer itself against a scripted
 * TCP nameserver on 127.0.0.1 that signs its answers, refuses chosen names,
 * counts messages and connections, or stays silent. The real nameserver
 * tests are in tests/system/test_coalescing.py. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "core/ipaddr.h"
#include "dns/dns.h"
#include "dns/zonewriter.h"

/* ---- zw_plan ---------------------------------------------------------------- */

#define ITEM(name, fam) { .fqdn = name, .family = fam, .wire_size = 50, .solo = false }

START_TEST(plan_takes_all_distinct)
{
	zw_plan_item q[] = {ITEM("a.z", 4), ITEM("b.z", 4), ITEM("a.z", 6), ITEM("c.z", 4)};
	size_t chosen[8];
	bool full;
	size_t k = zw_plan(q, 4, NULL, 0, 8, 60000, chosen, &full);
	ck_assert_uint_eq(k, 4);
	ck_assert(!full);
	for (size_t i = 0; i < k; i++)
		ck_assert_uint_eq(chosen[i], i);
}
END_TEST

START_TEST(plan_same_rrset_split)
{
	/* Two changes of a.z A: the second waits for the next message, and
	 * nothing of the same RRset overtakes it later either. */
	zw_plan_item q[] = {ITEM("a.z", 4), ITEM("b.z", 4), ITEM("A.Z.", 4), ITEM("c.z", 4),
			    ITEM("a.z", 4)};
	size_t chosen[8];
	bool full;
	size_t k = zw_plan(q, 5, NULL, 0, 8, 60000, chosen, &full);
	ck_assert_uint_eq(k, 3);
	ck_assert_uint_eq(chosen[0], 0);
	ck_assert_uint_eq(chosen[1], 1);
	ck_assert_uint_eq(chosen[2], 3);

	/* The next message, once the first is answered: the second a.z only. */
	zw_plan_item rest[] = {ITEM("A.Z.", 4), ITEM("a.z", 4)};
	k = zw_plan(rest, 2, NULL, 0, 8, 60000, chosen, &full);
	ck_assert_uint_eq(k, 1);
	ck_assert_uint_eq(chosen[0], 0);
}
END_TEST

START_TEST(plan_busy_blocks)
{
	zw_plan_item busy[] = {ITEM("a.z", 4)};
	zw_plan_item q[] = {ITEM("a.z", 4), ITEM("a.z", 6), ITEM("b.z", 4), ITEM("a.z", 4)};
	size_t chosen[8];
	bool full;
	size_t k = zw_plan(q, 4, busy, 1, 8, 60000, chosen, &full);
	ck_assert_uint_eq(k, 2);
	ck_assert_uint_eq(chosen[0], 1);
	ck_assert_uint_eq(chosen[1], 2);

	/* Everything blocked: nothing to send. */
	k = zw_plan(q, 1, busy, 1, 8, 60000, chosen, &full);
	ck_assert_uint_eq(k, 0);
}
END_TEST

START_TEST(plan_max_changes)
{
	zw_plan_item q[100];
	char names[100][16];
	for (int i = 0; i < 100; i++) {
		snprintf(names[i], sizeof(names[i]), "h%d.z", i);
		q[i] = (zw_plan_item)ITEM(names[i], 4);
	}
	size_t chosen[64];
	bool full;
	size_t k = zw_plan(q, 100, NULL, 0, 64, 60000, chosen, &full);
	ck_assert_uint_eq(k, 64);
	ck_assert(full);
	ck_assert_uint_eq(chosen[63], 63);
	/* coalesce_max = 1: one change per message. */
	k = zw_plan(q, 100, NULL, 0, 1, 60000, chosen, &full);
	ck_assert_uint_eq(k, 1);
	ck_assert(full);
	ck_assert_uint_eq(chosen[0], 0);
}
END_TEST

START_TEST(plan_max_bytes)
{
	zw_plan_item q[] = {ITEM("a.z", 4), ITEM("b.z", 4), ITEM("c.z", 4)};
	size_t chosen[8];
	bool full;
	size_t k = zw_plan(q, 3, NULL, 0, 8, 120, chosen, &full);
	ck_assert_uint_eq(k, 2);
	ck_assert(full);
	/* One change always goes, even when bigger than the room. */
	k = zw_plan(q, 3, NULL, 0, 8, 10, chosen, &full);
	ck_assert_uint_eq(k, 1);
	ck_assert(full);
}
END_TEST

START_TEST(plan_solo)
{
	zw_plan_item q[] = {ITEM("a.z", 4), ITEM("b.z", 4), ITEM("c.z", 4)};
	q[0].solo = true;
	q[1].solo = true;
	size_t chosen[8];
	bool full;
	size_t k = zw_plan(q, 3, NULL, 0, 8, 60000, chosen, &full);
	ck_assert_uint_eq(k, 1);
	ck_assert_uint_eq(chosen[0], 0);
	ck_assert(full);
	/* A solo change behind others is left for a message of its own. */
	q[0].solo = false;
	k = zw_plan(q, 3, NULL, 0, 8, 60000, chosen, &full);
	ck_assert_uint_eq(k, 2);
	ck_assert_uint_eq(chosen[0], 0);
	ck_assert_uint_eq(chosen[1], 2);
}
END_TEST

/* ---- dns_build_update ------------------------------------------------------ */

#define SECRET "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"

static dns_zone zone_at(uint16_t port, unsigned timeout_ms)
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

START_TEST(build_many_changes)
{
	dns_zone z = zone_at(53, 1000);
	ip_addr a4, a6;
	ck_assert(ip_parse("192.0.2.1", &a4));
	ck_assert(ip_parse("2001:db8::1", &a6));
	dns_change c[3] = {
		{.fqdn = "a.example.org", .family = 4, .addr = &a4},
		{.fqdn = "b.example.org", .family = 6, .addr = &a6},
		{.fqdn = "c.example.org", .family = 4, .addr = NULL},
	};
	uint8_t buf[DNS_UPDATE_MAX], mac[64];
	size_t len = 0, mac_len = sizeof(mac);
	dns_error err;
	ck_assert_int_eq(dns_build_update(&z, c, 3, 0x1234, buf, sizeof(buf), &len, mac, &mac_len,
					  &err), NSUPD_OK);
	ck_assert_uint_eq(mac_len, 32);
	knot_pkt_t *pkt = knot_pkt_new(buf, (uint16_t)len, NULL);
	ck_assert_int_eq(knot_pkt_parse(pkt, 0), KNOT_EOK);
	ck_assert_uint_eq(knot_wire_get_id(pkt->wire), 0x1234);
	ck_assert_uint_eq(knot_wire_get_opcode(pkt->wire), KNOT_OPCODE_UPDATE);
	ck_assert_ptr_nonnull(pkt->tsig_rr);
	const knot_pktsection_t *ns = knot_pkt_section(pkt, KNOT_AUTHORITY);
	/* delete+add, delete+add, delete: in the order given. */
	ck_assert_uint_eq(ns->count, 5);
	static const uint16_t types[] = {KNOT_RRTYPE_A, KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA,
					 KNOT_RRTYPE_AAAA, KNOT_RRTYPE_A};
	static const uint16_t classes[] = {KNOT_CLASS_ANY, KNOT_CLASS_IN, KNOT_CLASS_ANY,
					   KNOT_CLASS_IN, KNOT_CLASS_ANY};
	for (uint16_t i = 0; i < ns->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(ns, i);
		ck_assert_uint_eq(rr->type, types[i]);
		ck_assert_uint_eq(rr->rclass, classes[i]);
	}
	knot_pkt_free(pkt);

	/* The size estimate is an upper bound. */
	size_t est = 0;
	for (int i = 0; i < 3; i++)
		est += dns_change_wire_size(&c[i]);
	ck_assert_uint_le(len, est + DNS_UPDATE_OVERHEAD);

	dns_change bad = {.fqdn = "a..example.org", .family = 4, .addr = &a4};
	ck_assert_uint_eq(dns_change_wire_size(&bad), 0);
	ck_assert_int_eq(dns_build_update(&z, &bad, 1, 1, buf, sizeof(buf), &len, mac, &mac_len,
					  &err), NSUPD_ERR_INVALID);
}
END_TEST

START_TEST(build_too_many_fails_cleanly)
{
	dns_zone z = zone_at(53, 1000);
	ip_addr a4;
	ck_assert(ip_parse("192.0.2.1", &a4));
	static char names[400][80];
	static dns_change c[400];
	for (int i = 0; i < 400; i++) {
		snprintf(names[i], sizeof(names[i]), "a-rather-long-host-name-%03d.example.org", i);
		c[i] = (dns_change){.fqdn = names[i], .family = 4, .addr = &a4};
	}
	uint8_t buf[4096], mac[64];
	size_t len = 0, mac_len = sizeof(mac);
	dns_error err;
	ck_assert_int_eq(dns_build_update(&z, c, 400, 1, buf, sizeof(buf), &len, mac, &mac_len,
					  &err), NSUPD_ERR_INTERNAL);
}
END_TEST

/* ---- a scripted TCP nameserver ---------------------------------------------- */

typedef struct fake_ns {
	int lfd;
	uint16_t port;
	volatile int stop;
	bool silent;                 /* read, never answer */
	int close_after;             /* close each connection after this many answers (0: never) */
	const char *refuse;          /* REFUSED for any message naming this owner */
	unsigned delay_ms;           /* before each answer: lets changes pile up */
	pthread_mutex_t mu;
	int messages, changes, connections, max_batch;
	pthread_t thread;
} fake_ns;

/* Answers one request; returns the answer length or 0. */
static size_t fake_answer(fake_ns *fs, const uint8_t *req, size_t len, uint8_t *resp, size_t cap)
{
	knot_pkt_t *q = knot_pkt_new((void *)req, (uint16_t)len, NULL);
	size_t out = 0;
	bool refuse = false;
	int changes = 0;

	if (q == NULL || knot_pkt_parse(q, 0) != KNOT_EOK || q->tsig_rr == NULL) {
		knot_pkt_free(q);
		return 0;
	}
	const knot_pktsection_t *ns = knot_pkt_section(q, KNOT_AUTHORITY);
	for (uint16_t i = 0; i < ns->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(ns, i);
		if (rr->rclass == KNOT_CLASS_ANY)
			changes++;
		char owner[KNOT_DNAME_TXT_MAXLEN];
		knot_dname_to_str(owner, rr->owner, sizeof(owner));
		if (fs->refuse != NULL && strncmp(owner, fs->refuse, strlen(fs->refuse)) == 0)
			refuse = true;
	}
	pthread_mutex_lock(&fs->mu);
	fs->messages++;
	fs->changes += changes;
	if (changes > fs->max_batch)
		fs->max_batch = changes;
	pthread_mutex_unlock(&fs->mu);

	size_t qend = KNOT_WIRE_HEADER_SIZE + knot_pkt_question_size(q);
	memcpy(resp, req, qend);
	knot_wire_set_qr(resp);
	knot_wire_set_qdcount(resp, 1);
	knot_wire_set_ancount(resp, 0);
	knot_wire_set_nscount(resp, 0);
	knot_wire_set_arcount(resp, 0);
	out = qend;
	if (refuse) {
		knot_wire_set_rcode(resp, KNOT_RCODE_REFUSED);
	} else {
		knot_tsig_key_t key;
		uint8_t digest[64];
		size_t dlen = sizeof(digest);
		knot_tsig_key_init(&key, "hmac-sha256", "k.example.org", SECRET);
		int ret = knot_tsig_sign(resp, &out, cap, knot_tsig_rdata_mac(q->tsig_rr),
					 knot_tsig_rdata_mac_length(q->tsig_rr), digest, &dlen, &key, 0,
					 knot_tsig_rdata_time_signed(q->tsig_rr));
		knot_tsig_key_deinit(&key);
		if (ret != KNOT_EOK)
			out = 0;
	}
	knot_pkt_free(q);
	return out;
}

typedef struct conn {
	int fd;
	uint8_t buf[2 + 65535];
	size_t len;
	int answers;
} conn;

static void *fake_main(void *arg)
{
	fake_ns *fs = arg;
	conn *c[8] = {0};
	static uint8_t resp[2 + 65535];

	while (!fs->stop) {
		struct pollfd p[9];
		p[0] = (struct pollfd){.fd = fs->lfd, .events = POLLIN};
		for (int i = 0; i < 8; i++)
			p[i + 1] = (struct pollfd){.fd = c[i] != NULL ? c[i]->fd : -1, .events = POLLIN};
		if (poll(p, 9, 20) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int fd = accept(fs->lfd, NULL, NULL);
			for (int i = 0; fd >= 0 && i < 8; i++) {
				if (c[i] == NULL) {
					c[i] = calloc(1, sizeof(*c[i]));
					c[i]->fd = fd;
					fd = -1;
					pthread_mutex_lock(&fs->mu);
					fs->connections++;
					pthread_mutex_unlock(&fs->mu);
				}
			}
			if (fd >= 0)
				close(fd);
		}
		for (int i = 0; i < 8; i++) {
			if (c[i] == NULL || !(p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = recv(c[i]->fd, c[i]->buf + c[i]->len, sizeof(c[i]->buf) - c[i]->len, 0);
			bool drop = n <= 0;
			if (n > 0)
				c[i]->len += (size_t)n;
			while (!drop && c[i]->len >= 2) {
				size_t want = (size_t)c[i]->buf[0] << 8 | c[i]->buf[1];
				if (c[i]->len < 2 + want)
					break;
				if (!fs->silent) {
					if (fs->delay_ms > 0)
						poll(NULL, 0, (int)fs->delay_ms);
					size_t rl = fake_answer(fs, c[i]->buf + 2, want, resp + 2,
								sizeof(resp) - 2);
					resp[0] = (uint8_t)(rl >> 8);
					resp[1] = (uint8_t)rl;
					if (rl > 0)
						send(c[i]->fd, resp, rl + 2, MSG_NOSIGNAL);
					c[i]->answers++;
				}
				memmove(c[i]->buf, c[i]->buf + 2 + want, c[i]->len - 2 - want);
				c[i]->len -= 2 + want;
				if (fs->close_after > 0 && c[i]->answers >= fs->close_after)
					drop = true;
			}
			if (drop) {
				close(c[i]->fd);
				free(c[i]);
				c[i] = NULL;
			}
		}
	}
	for (int i = 0; i < 8; i++) {
		if (c[i] != NULL) {
			close(c[i]->fd);
			free(c[i]);
		}
	}
	return NULL;
}

static void fake_start(fake_ns *fs)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	int one = 1;

	pthread_mutex_init(&fs->mu, NULL);
	fs->lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fs->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(bind(fs->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fs->lfd, 64), 0);
	getsockname(fs->lfd, (struct sockaddr *)&sin, &sl);
	fs->port = ntohs(sin.sin_port);
	ck_assert_int_eq(pthread_create(&fs->thread, NULL, fake_main, fs), 0);
}

static void fake_stop(fake_ns *fs)
{
	fs->stop = 1;
	pthread_join(fs->thread, NULL);
	close(fs->lfd);
}

static int64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct worker {
	dns_zone z;
	zw_options opt;
	int first, count;         /* hosts h<first>..h<first+count-1> */
	int rounds;
	int failures;
	int refused;              /* REFUSED answers */
	const char *refuse_prefix;
	char msg[256];
} worker;

static void *worker_main(void *arg)
{
	worker *w = arg;
	for (int r = 0; r < w->rounds; r++) {
		for (int i = w->first; i < w->first + w->count; i++) {
			char fqdn[64];
			snprintf(fqdn, sizeof(fqdn), "h%d.example.org", i);
			ip_addr a = {.family = 4, .bytes = {10, (uint8_t)r, (uint8_t)(i >> 8), (uint8_t)i}};
			dns_error err;
			nsupd_err e = zw_replace(&w->z, &w->opt, fqdn, &a, &err);
			bool should_refuse = w->refuse_prefix != NULL &&
					     strncmp(fqdn, w->refuse_prefix, strlen(w->refuse_prefix)) == 0;
			if (e == NSUPD_ERR_DNS_RCODE && err.rcode == KNOT_RCODE_REFUSED && should_refuse) {
				w->refused++;
				/* The message names this caller's own change. */
				if (strstr(err.msg, fqdn) == NULL)
					snprintf(w->msg, sizeof(w->msg), "refusal without own name: %s", err.msg);
			} else if (e != NSUPD_OK || should_refuse) {
				w->failures++;
				snprintf(w->msg, sizeof(w->msg), "%s: %s: %s", fqdn, nsupd_strerror(e), err.msg);
			}
		}
	}
	return NULL;
}

static void run_workers(dns_zone z, zw_options opt, int nthreads, int per, int rounds,
			const char *refuse, worker *w)
{
	pthread_t t[64];
	for (int i = 0; i < nthreads; i++) {
		w[i] = (worker){.z = z, .opt = opt, .first = i * per, .count = per, .rounds = rounds,
				.refuse_prefix = refuse};
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
}

START_TEST(writer_coalesces)
{
	fake_ns fs = {0};
	fs.delay_ms = 2;
	fake_start(&fs);
	dns_zone z = zone_at(fs.port, 5000);
	zw_options opt = {.coalesce_max = 64, .coalesce_wait_ms = 2, .max_inflight = 2};
	worker w[32];
	run_workers(z, opt, 32, 2, 5, NULL, w);
	for (int i = 0; i < 32; i++)
		ck_assert_msg(w[i].failures == 0, "%s", w[i].msg);
	zw_stats st;
	zw_get_stats(&st);
	ck_assert_uint_eq(st.changes, 32 * 2 * 5);
	pthread_mutex_lock(&fs.mu);
	int messages = fs.messages, changes = fs.changes, conns = fs.connections;
	int max_batch = fs.max_batch;
	pthread_mutex_unlock(&fs.mu);
	ck_assert_int_eq(changes, 320);
	ck_assert_uint_eq(st.messages, (uint64_t)messages);
	/* 32 callers at once over a slow server: real merging, one connection. */
	ck_assert_msg(messages * 4 <= changes, "%d messages for %d changes", messages, changes);
	ck_assert_int_gt(max_batch, 4);
	ck_assert_int_le(max_batch, 32);
	ck_assert_int_eq(conns, 1);
	zw_shutdown();
	fake_stop(&fs);
}
END_TEST

START_TEST(writer_no_coalescing)
{
	fake_ns fs = {0};
	fake_start(&fs);
	dns_zone z = zone_at(fs.port, 5000);
	zw_options opt = {.coalesce_max = 1, .coalesce_wait_ms = 2, .max_inflight = 4};
	worker w[8];
	run_workers(z, opt, 8, 2, 3, NULL, w);
	for (int i = 0; i < 8; i++)
		ck_assert_msg(w[i].failures == 0, "%s", w[i].msg);
	ck_assert_int_eq(fs.messages, 48);
	ck_assert_int_eq(fs.max_batch, 1);
	ck_assert_int_eq(fs.connections, 1);
	zw_shutdown();
	fake_stop(&fs);
}
END_TEST

START_TEST(writer_refusal_split)
{
	/* Every message naming h7... is refused: h7's caller gets REFUSED, the
	 * callers merged with it still succeed. */
	fake_ns fs = {0};
	fs.delay_ms = 2;
	fs.refuse = "h7.";
	fake_start(&fs);
	dns_zone z = zone_at(fs.port, 5000);
	zw_options opt = {.coalesce_max = 64, .coalesce_wait_ms = 5, .max_inflight = 1};
	worker w[16];
	run_workers(z, opt, 16, 1, 4, "h7.", w);
	int refused = 0;
	for (int i = 0; i < 16; i++) {
		ck_assert_msg(w[i].failures == 0, "%s", w[i].msg);
		ck_assert_msg(w[i].msg[0] == '\0', "%s", w[i].msg);
		refused += w[i].refused;
	}
	ck_assert_int_eq(refused, 4);
	zw_stats st;
	zw_get_stats(&st);
	ck_assert_uint_gt(st.split_retries, 0);
	zw_shutdown();
	fake_stop(&fs);
}
END_TEST

START_TEST(writer_reconnects)
{
	/* The server closes the connection after every second answer: the
	 * writer opens new ones, and nothing is lost. */
	fake_ns fs = {0};
	fs.close_after = 2;
	fake_start(&fs);
	dns_zone z = zone_at(fs.port, 5000);
	zw_options opt = {.coalesce_max = 8, .coalesce_wait_ms = 1, .max_inflight = 1};
	worker w[4];
	run_workers(z, opt, 4, 3, 4, NULL, w);
	for (int i = 0; i < 4; i++)
		ck_assert_msg(w[i].failures == 0, "%s", w[i].msg);
	ck_assert_int_gt(fs.connections, 1);
	zw_shutdown();
	fake_stop(&fs);
}
END_TEST

START_TEST(writer_connection_refused)
{
	/* A port nobody listens on (bound, not listening). */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(s, (struct sockaddr *)&sin, &sl);
	dns_zone z = zone_at(ntohs(sin.sin_port), 3000);
	ip_addr a;
	ck_assert(ip_parse("192.0.2.9", &a));
	dns_error err;
	int64_t t0 = ms_now();
	ck_assert_int_eq(zw_replace(&z, NULL, "x.example.org", &a, &err), NSUPD_ERR_DNS_CONNECT);
	ck_assert_int_lt(ms_now() - t0, 1000);
	ck_assert_msg(strstr(err.msg, "connection refused by 127.0.0.1:") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "update x.example.org A in zone example.org") != NULL, "%s",
		      err.msg);
	ck_assert(dns_error_is_transport(NSUPD_ERR_DNS_CONNECT));
	close(s);
	zw_shutdown();
}
END_TEST

START_TEST(writer_silent_server_times_out)
{
	fake_ns fs = {0};
	fs.silent = true;
	fake_start(&fs);
	dns_zone z = zone_at(fs.port, 700);
	zw_options opt = {.coalesce_max = 64, .coalesce_wait_ms = 2, .max_inflight = 1};
	worker w[8];
	int64_t t0 = ms_now();
	run_workers(z, opt, 8, 1, 1, NULL, w);
	int64_t took = ms_now() - t0;
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(w[i].failures, 1);
		ck_assert_msg(strstr(w[i].msg, "Timeout") != NULL ||
			      strstr(w[i].msg, "timeout after 700 ms") != NULL, "%s", w[i].msg);
	}
	/* Every caller within its own timeout (plus scheduling slack). */
	ck_assert_int_lt(took, 700 + 500);
	ck_assert_int_ge(took, 650);
	zw_shutdown();
	fake_stop(&fs);
}
END_TEST

/* ---- zw_submit: the asynchronous form ------------------------------------- */

typedef struct async_results {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int done;
	int ok;
	int calls[256];           /* callbacks per change: exactly one each */
	char last_err[256];
	pthread_t caller;         /* must not be the thread that submitted */
	bool on_submitter;
} async_results;

typedef struct async_ctx {
	async_results *res;
	int index;
} async_ctx;

static void async_done(void *ctx, nsupd_err result, const dns_error *err)
{
	async_ctx *c = ctx;
	async_results *r = c->res;
	pthread_mutex_lock(&r->mu);
	r->calls[c->index]++;
	if (pthread_equal(pthread_self(), r->caller))
		r->on_submitter = true;
	if (result == NSUPD_OK)
		r->ok++;
	else if (err != NULL)
		snprintf(r->last_err, sizeof(r->last_err), "%s", err->msg);
	r->done++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
}

static void async_wait(async_results *r, int n)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&r->mu);
	while (r->done < n)
		if (pthread_cond_timedwait(&r->cond, &r->mu, &until) != 0)
			break;
	pthread_mutex_unlock(&r->mu);
	ck_assert_int_eq(r->done, n);
}

START_TEST(writer_async_submit_merges_and_calls_back_once)
{
	fake_ns fs = {0};
	fs.delay_ms = 5;
	fake_start(&fs);
	dns_zone z = zone_at(fs.port, 5000);
	zw_options opt = {.coalesce_max = 64, .coalesce_wait_ms = 2, .max_inflight = 1};
	async_results r = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
			   .caller = pthread_self()};
	static async_ctx ctx[200];
	/* One thread queues 200 changes without waiting for any of them. */
	for (int i = 0; i < 200; i++) {
		char fqdn[64];
		snprintf(fqdn, sizeof(fqdn), "a%d.example.org", i);
		ip_addr a = {.family = 4, .bytes = {10, 9, (uint8_t)(i >> 8), (uint8_t)i}};
		ctx[i] = (async_ctx){.res = &r, .index = i};
		ck_assert(zw_submit(&z, &opt, fqdn, 4, &a, async_done, &ctx[i]));
	}
	async_wait(&r, 200);
	ck_assert_int_eq(r.ok, 200);
	for (int i = 0; i < 200; i++)
		ck_assert_int_eq(r.calls[i], 1);
	ck_assert(!r.on_submitter);
	pthread_mutex_lock(&fs.mu);
	int messages = fs.messages, changes = fs.changes;
	pthread_mutex_unlock(&fs.mu);
	ck_assert_int_eq(changes, 200);
	ck_assert_msg(messages <= 20, "%d messages for 200 changes", messages);
	zw_shutdown();
	fake_stop(&fs);
}
END_TEST

START_TEST(writer_async_timeout_and_shutdown)
{
	fake_ns fs = {0};
	fs.silent = true;
	fake_start(&fs);
	dns_zone z = zone_at(fs.port, 600);
	zw_options opt = {.coalesce_max = 64, .coalesce_wait_ms = 2, .max_inflight = 1};
	async_results r = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
			   .caller = pthread_self()};
	static async_ctx ctx[8];
	int64_t t0 = ms_now();
	for (int i = 0; i < 8; i++) {
		char fqdn[64];
		snprintf(fqdn, sizeof(fqdn), "s%d.example.org", i);
		ctx[i] = (async_ctx){.res = &r, .index = i};
		/* Deletes (addr NULL) take the same path. */
		ck_assert(zw_submit(&z, &opt, fqdn, 6, NULL, async_done, &ctx[i]));
	}
	async_wait(&r, 8);
	/* Timed out in one message, or two when the first left before the
	 * others were queued (a loaded machine), never one each (8 x 600 ms). */
	ck_assert_int_lt(ms_now() - t0, 3 * 600);
	ck_assert_int_eq(r.ok, 0);
	ck_assert_msg(strstr(r.last_err, "timeout after 600 ms") != NULL, "%s", r.last_err);

	/* Queued at shutdown: failed, each called back once. */
	async_results r2 = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
			    .caller = pthread_self()};
	static async_ctx ctx2[4];
	dns_zone z2 = zone_at(fs.port, 30000);
	for (int i = 0; i < 4; i++) {
		ip_addr a = {.family = 4, .bytes = {10, 8, 0, (uint8_t)i}};
		ctx2[i] = (async_ctx){.res = &r2, .index = i};
		ck_assert(zw_submit(&z2, &opt, "t.example.org", 4, &a, async_done, &ctx2[i]));
	}
	zw_shutdown();
	async_wait(&r2, 4);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(r2.calls[i], 1);
	ck_assert_int_eq(r2.ok, 0);
	fake_stop(&fs);
}
END_TEST

START_TEST(writer_async_refuses_bad_arguments)
{
	dns_zone z = zone_at(9, 500);
	async_results r = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	async_ctx c = {.res = &r};
	ip_addr v6;
	ck_assert(ip_parse("2001:db8::1", &v6));
	ck_assert(!zw_submit(&z, NULL, "x.example.org", 4, &v6, async_done, &c));   /* family */
	ck_assert(!zw_submit(&z, NULL, "x.example.org", 5, NULL, async_done, &c));
	ck_assert(!zw_submit(&z, NULL, NULL, 4, NULL, async_done, &c));
	ck_assert(!zw_submit(&z, NULL, "x.example.org", 4, NULL, NULL, &c));
	char longname[400];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert(!zw_submit(&z, NULL, longname, 4, NULL, async_done, &c));
	dns_zone broken = z;
	broken.secret_b64 = NULL;
	ck_assert(!zw_submit(&broken, NULL, "x.example.org", 4, NULL, async_done, &c));
	ck_assert_int_eq(r.done, 0);
}
END_TEST

START_TEST(writer_bad_arguments)
{
	dns_zone z = zone_at(9, 500);
	ip_addr a;
	dns_error err;
	ck_assert(ip_parse("192.0.2.9", &a));
	ck_assert_int_eq(zw_replace(&z, NULL, "bad..name", &a, &err), NSUPD_ERR_INVALID);
	ck_assert_int_eq(zw_delete(&z, NULL, "x.example.org", 5, &err), NSUPD_ERR_INVALID);
	ck_assert_int_eq(zw_replace(&z, NULL, "x.example.org", NULL, &err), NSUPD_ERR_INVALID);
	dns_zone nokey = z;
	nokey.secret_b64 = "";
	ck_assert_int_eq(zw_replace(&nokey, NULL, "x.example.org", &a, &err), NSUPD_ERR_DNS_KEY);
	zw_shutdown();
}
END_TEST

static Suite *zonewriter_suite(void)
{
	Suite *s = suite_create("zonewriter");
	TCase *plan = tcase_create("plan");
	tcase_add_test(plan, plan_takes_all_distinct);
	tcase_add_test(plan, plan_same_rrset_split);
	tcase_add_test(plan, plan_busy_blocks);
	tcase_add_test(plan, plan_max_changes);
	tcase_add_test(plan, plan_max_bytes);
	tcase_add_test(plan, plan_solo);
	tcase_add_test(plan, build_many_changes);
	tcase_add_test(plan, build_too_many_fails_cleanly);
	suite_add_tcase(s, plan);

	TCase *w = tcase_create("writer");
	tcase_set_timeout(w, 30);
	tcase_add_test(w, writer_coalesces);
	tcase_add_test(w, writer_no_coalescing);
	tcase_add_test(w, writer_refusal_split);
	tcase_add_test(w, writer_reconnects);
	tcase_add_test(w, writer_connection_refused);
	tcase_add_test(w, writer_silent_server_times_out);
	tcase_add_test(w, writer_bad_arguments);
	tcase_add_test(w, writer_async_submit_merges_and_calls_back_once);
	tcase_add_test(w, writer_async_timeout_and_shutdown);
	tcase_add_test(w, writer_async_refuses_bad_arguments);
	suite_add_tcase(s, w);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(zonewriter_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
