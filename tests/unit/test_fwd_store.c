/* Store contract of related hosts, services, forward configurations and the
 * forward queue, against a real SQLite file and, when NSUPD_TEST_PG_URL
 * names a PostgreSQL database (tests/pg/start.sh prints one), against
 * PostgreSQL in a schema of its own. */
#include <check.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_FIXTURE_DIR "/tmp/nsupd-test-fwd-XXXXXX"
#define STORE_FIXTURE_SCHEMA "nsupdf"
#include "store_fixture.h"

/* A user, a domain and a host; returns the host id. */
static int64_t owner_id;
static int64_t make_host(const char *label)
{
	store_user u = { 0 };
	snprintf(u.name, sizeof(u.name), "u-%s", label);
	u.active = true;
	ck_assert_int_eq(store_user_add(st, &u, &owner_id), NSUPD_OK);
	store_domain d = { 0 };
	snprintf(d.name, sizeof(d.name), "%s.example.org", label);
	snprintf(d.nameserver, sizeof(d.nameserver), "127.0.0.1:53");
	snprintf(d.algorithm, sizeof(d.algorithm), "hmac-sha512");
	d.owner_id = owner_id;
	int64_t did = 0;
	ck_assert_int_eq(store_domain_add(st, &d, &did), NSUPD_OK);
	store_host h;
	store_host_init(&h);
	snprintf(h.name, sizeof(h.name), "%s", label);
	h.domain_id = did;
	h.owner_id = owner_id;
	int64_t hid = 0;
	ck_assert_int_eq(store_host_add(st, &h, &hid), NSUPD_OK);
	return hid;
}

START_TEST(test_related)
{
	int64_t h = make_host("main");
	store_related r = { .main_host_id = h, .available = true };
	snprintf(r.name, sizeof(r.name), "NAS");
	snprintf(r.interface_id_ipv4, sizeof(r.interface_id_ipv4), "0.0.0.1");
	snprintf(r.interface_id_ipv6, sizeof(r.interface_id_ipv6), "::216:3eff:fe00:1");
	int64_t id1 = 0, id2 = 0;
	ck_assert_int_eq(store_related_add(st, &r, &id1), NSUPD_OK);
	ck_assert_int_gt(id1, 0);
	ck_assert_int_eq(store_related_add(st, &r, NULL), NSUPD_ERR_EXISTS);
	snprintf(r.name, sizeof(r.name), "cam");
	r.interface_id_ipv4[0] = '\0';
	r.available = false;
	ck_assert_int_eq(store_related_add(st, &r, &id2), NSUPD_OK);

	store_related got;
	ck_assert_int_eq(store_related_get(st, h, "nas", &got), NSUPD_OK);
	ck_assert_int_eq(got.id, id1);
	ck_assert_str_eq(got.name, "nas");
	ck_assert_str_eq(got.interface_id_ipv4, "0.0.0.1");
	ck_assert_str_eq(got.interface_id_ipv6, "::216:3eff:fe00:1");
	ck_assert(got.available);
	ck_assert_int_gt(got.created, 0);
	ck_assert_int_eq(store_related_get(st, h, "nope", &got), NSUPD_ERR_NOT_FOUND);

	store_related list[4];
	size_t n = 0;
	ck_assert_int_eq(store_related_list(st, h, list, 4, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0].name, "cam");
	ck_assert(!list[0].available);
	ck_assert_str_eq(list[0].interface_id_ipv4, "");
	ck_assert_str_eq(list[1].name, "nas");
	ck_assert_int_eq(store_related_list(st, h, list, 1, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 1);

	ck_assert_int_eq(store_related_delete(st, id2), NSUPD_OK);
	ck_assert_int_eq(store_related_delete(st, id2), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_related_list(st, h, list, 4, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 1);
	/* Cascade with the main host. */
	ck_assert_int_eq(store_host_delete(st, h), NSUPD_OK);
	ck_assert_int_eq(store_related_list(st, h, list, 4, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 0);
	/* A host that does not exist. */
	snprintf(r.name, sizeof(r.name), "x");
	ck_assert_int_eq(store_related_add(st, &r, NULL), NSUPD_ERR_NOT_FOUND);
}
END_TEST

static int64_t add_service(const char *name, bool v4, bool v6)
{
	store_service sv = { .secure = false, .accept_ipv4 = v4, .accept_ipv6 = v6,
			     .owner_id = owner_id };
	snprintf(sv.name, sizeof(sv.name), "%s", name);
	snprintf(sv.server, sizeof(sv.server), "127.0.0.1:8080");
	int64_t id = 0;
	ck_assert_int_eq(store_service_add(st, &sv, &id), NSUPD_OK);
	return id;
}

static int64_t add_forward(int64_t host, int64_t service, bool v4, bool v6, const char *hostname)
{
	store_forward f = { .host_id = host, .service_id = service, .give_ipv4 = v4,
			    .give_ipv6 = v6, .owner_id = owner_id };
	snprintf(f.login, sizeof(f.login), "login");
	snprintf(f.password, sizeof(f.password), "pa'ss\"word");
	if (hostname != NULL) {
		f.has_hostname = true;
		snprintf(f.hostname, sizeof(f.hostname), "%s", hostname);
	}
	int64_t id = 0;
	ck_assert_int_eq(store_forward_add(st, &f, &id), NSUPD_OK);
	return id;
}

START_TEST(test_services_and_configs)
{
	int64_t h = make_host("fwd");
	int64_t s1 = add_service("other", true, false);
	store_service sv = { .owner_id = owner_id };
	snprintf(sv.name, sizeof(sv.name), "other");
	snprintf(sv.server, sizeof(sv.server), "x");
	ck_assert_int_eq(store_service_add(st, &sv, NULL), NSUPD_ERR_EXISTS);
	store_service got;
	ck_assert_int_eq(store_service_get_by_name(st, "other", &got), NSUPD_OK);
	ck_assert_int_eq(got.id, s1);
	ck_assert_str_eq(got.path, "/nic/update");
	ck_assert(!got.secure);
	ck_assert(got.accept_ipv4);
	ck_assert(!got.accept_ipv6);
	ck_assert_int_eq(store_service_get_by_name(st, "none", &got), NSUPD_ERR_NOT_FOUND);
	store_service all[4];
	size_t n = 0;
	add_service("another", false, true);
	ck_assert_int_eq(store_service_list(st, all, 4, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(all[0].name, "another");

	int64_t c1 = add_forward(h, s1, true, true, NULL);
	int64_t c2 = add_forward(h, s1, true, false, "");
	store_forward f;
	ck_assert_int_eq(store_forward_get(st, c1, &f), NSUPD_OK);
	ck_assert(!f.has_hostname);
	ck_assert_str_eq(f.password, "pa'ss\"word");
	ck_assert_str_eq(f.service.name, "other");
	ck_assert_int_eq(f.last_forward, 0);
	ck_assert_str_eq(f.last_state, "");
	ck_assert_int_eq(f.pending, 0);
	ck_assert_int_eq(store_forward_get(st, c2, &f), NSUPD_OK);
	ck_assert(f.has_hostname);
	ck_assert_str_eq(f.hostname, "");
	store_forward list[4];
	ck_assert_int_eq(store_forward_list(st, h, list, 4, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(list[0].id, c1);
}
END_TEST

START_TEST(test_queue)
{
	int64_t h = make_host("q");
	int64_t s4 = add_service("v4only", true, false);
	int64_t s6 = add_service("v6only", false, true);
	int queued = -1;
	/* No configuration: nothing. */
	ck_assert_int_eq(store_forward_enqueue(st, h, 4, "192.0.2.1", 1000, 1000, &queued), NSUPD_OK);
	ck_assert_int_eq(queued, 0);

	int64_t c4 = add_forward(h, s4, true, true, "a.example");   /* service takes v4 only */
	int64_t c6 = add_forward(h, s6, true, false, "b.example");  /* gives v4 only: never */
	(void)c6;
	ck_assert_int_eq(store_forward_enqueue(st, h, 6, "2001:db8::1", 1000, 1000, &queued), NSUPD_OK);
	ck_assert_int_eq(queued, 0);
	ck_assert_int_eq(store_forward_enqueue(st, h, 4, "192.0.2.1", 1000, 1000, &queued), NSUPD_OK);
	ck_assert_int_eq(queued, 1);
	/* A newer address replaces the queued one. */
	ck_assert_int_eq(store_forward_enqueue(st, h, 4, "192.0.2.2", 1001, 1001, &queued), NSUPD_OK);
	ck_assert_int_eq(queued, 1);
	store_forward f;
	ck_assert_int_eq(store_forward_get(st, c4, &f), NSUPD_OK);
	ck_assert_int_eq(f.pending, 1);

	store_forward_job jobs[8];
	size_t n = 9;
	/* Not due yet. */
	ck_assert_int_eq(store_forward_claim(st, 1000, 60, jobs, 8, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(store_forward_claim(st, 1002, 60, jobs, 8, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(jobs[0].address, "192.0.2.2");
	ck_assert_int_eq(jobs[0].family, 4);
	ck_assert_int_eq(jobs[0].attempts, 1);
	ck_assert_int_eq(jobs[0].config_id, c4);
	ck_assert_int_eq(jobs[0].host_id, h);
	/* Held: nobody else gets it, and enqueue does not replace it. */
	store_forward_job other[8];
	ck_assert_int_eq(store_forward_claim(st, 1003, 60, other, 8, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 0);

	/* Retry: released until retry_at, result recorded. */
	store_forward_result res = { .state = STORE_FWD_RETRY, .time = 1004, .http_status = 200,
				     .result = "911\x01 bad", .retry_at = 1100 };
	ck_assert_int_eq(store_forward_finish(st, &jobs[0], &res), NSUPD_OK);
	ck_assert_int_eq(store_forward_get(st, c4, &f), NSUPD_OK);
	ck_assert_str_eq(f.last_state, "retrying");
	ck_assert_str_eq(f.last_result, "911? bad");
	ck_assert_int_eq(f.last_http_status, 200);
	ck_assert_int_eq(f.last_forward, 1004);
	ck_assert_str_eq(f.last_address, "192.0.2.2");
	ck_assert_int_eq(store_forward_claim(st, 1099, 60, jobs, 8, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(store_forward_claim(st, 1100, 60, jobs, 8, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(jobs[0].attempts, 2);

	/* Done: the job is gone. */
	res = (store_forward_result){ .state = STORE_FWD_DONE, .time = 1101, .http_status = 200,
				      .result = "good" };
	ck_assert_int_eq(store_forward_finish(st, &jobs[0], &res), NSUPD_OK);
	ck_assert_int_eq(store_forward_get(st, c4, &f), NSUPD_OK);
	ck_assert_str_eq(f.last_state, "done");
	ck_assert_int_eq(f.pending, 0);
	ck_assert_int_eq(store_forward_claim(st, 5000, 60, jobs, 8, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 0);

	/* A failing job that a newer address overtook is dropped, not retried. */
	ck_assert_int_eq(store_forward_enqueue(st, h, 4, "192.0.2.3", 2000, 2000, &queued), NSUPD_OK);
	ck_assert_int_eq(store_forward_claim(st, 2000, 60, jobs, 8, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(store_forward_enqueue(st, h, 4, "192.0.2.4", 2001, 2001, &queued), NSUPD_OK);
	ck_assert_int_eq(queued, 1);
	res = (store_forward_result){ .state = STORE_FWD_RETRY, .time = 2002, .result = "timeout",
				      .retry_at = 2060 };
	ck_assert_int_eq(store_forward_finish(st, &jobs[0], &res), NSUPD_OK);
	ck_assert_int_eq(store_forward_claim(st, 3000, 60, jobs, 8, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(jobs[0].address, "192.0.2.4");
	/* An expired claim (a worker that died) can be taken again. */
	ck_assert_int_eq(store_forward_claim(st, 3061, 60, jobs, 8, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 1);
	res = (store_forward_result){ .state = STORE_FWD_FAILED, .time = 3062, .http_status = 401,
				      .result = "badauth" };
	ck_assert_int_eq(store_forward_finish(st, &jobs[0], &res), NSUPD_OK);
	ck_assert_int_eq(store_forward_get(st, c4, &f), NSUPD_OK);
	ck_assert_str_eq(f.last_state, "failed");
	ck_assert_int_eq(f.pending, 0);
}
END_TEST

/* Several workers (threads here, processes in production) claim the same
 * due jobs at once: every job goes to exactly one of them. */
#define WORKERS 6
#define JOBS 40
struct claimer {
	int64_t ids[JOBS];
	size_t n;
	nsupd_err err;
};

static void *claim_all(void *arg)
{
	struct claimer *c = arg;
	for (;;) {
		store_forward_job jobs[4];
		size_t n = 0;
		c->err = store_forward_claim(st, 10000, 60, jobs, 4, &n);
		if (c->err != NSUPD_OK || n == 0)
			break;
		for (size_t i = 0; i < n && c->n < JOBS; i++)
			c->ids[c->n++] = jobs[i].id;
	}
	return NULL;
}

START_TEST(test_concurrent_claim)
{
	int64_t h = make_host("cc");
	int64_t s = add_service("svc", true, false);
	for (int i = 0; i < JOBS; i++)
		add_forward(h, s, true, false, NULL);
	int queued = 0;
	ck_assert_int_eq(store_forward_enqueue(st, h, 4, "192.0.2.9", 9000, 9000, &queued), NSUPD_OK);
	ck_assert_int_eq(queued, JOBS);
	struct claimer cl[WORKERS];
	pthread_t t[WORKERS];
	memset(cl, 0, sizeof(cl));
	for (int i = 0; i < WORKERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, claim_all, &cl[i]), 0);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	int64_t seen[JOBS];
	size_t total = 0;
	for (int i = 0; i < WORKERS; i++) {
		ck_assert_int_eq(cl[i].err, NSUPD_OK);
		for (size_t k = 0; k < cl[i].n; k++) {
			for (size_t j = 0; j < total; j++)
				ck_assert_msg(seen[j] != cl[i].ids[k], "job %lld claimed twice",
					      (long long)cl[i].ids[k]);
			ck_assert_uint_lt(total, JOBS);
			seen[total++] = cl[i].ids[k];
		}
	}
	ck_assert_uint_eq(total, JOBS);
}
END_TEST

static void ignore_lookup(void *ctx, nsupd_err result)
{
	(void)ctx;
	(void)result;
}

/* The update path's lookup reads the same answer along with the host (and
 * other reads of a host do not claim to know it). */
static void check_lookup_flags(int64_t id)
{
	store_host plain, h;
	store_domain d;
	ck_assert_int_eq(store_host_get(st, id, &plain), NSUPD_OK);
	ck_assert(!plain.followups_read);
	char fqdn[2 * STORE_NAME_MAX];
	snprintf(fqdn, sizeof(fqdn), "%s.%s", plain.name, plain.domain);
	for (int way = 0; way < 2; way++) {
		memset(&h, 0, sizeof(h));
		if (way == 0) {
			ck_assert_int_eq(store_host_get_with_domain(st, fqdn, &h, &d), NSUPD_OK);
		} else {
			/* Alone, the lookup runs in place. */
			nsupd_err result = NSUPD_ERR_INTERNAL;
			ck_assert(store_host_lookup_start(st, fqdn, &h, &d, &result, ignore_lookup,
							  NULL));
			ck_assert_int_eq(result, NSUPD_OK);
		}
		ck_assert(h.followups_read);
		for (int family = 4; family <= 6; family += 2) {
			bool rel, fwd;
			ck_assert_int_eq(store_followups_due(st, id, family, &rel, &fwd), NSUPD_OK);
			ck_assert_int_eq(h.related_due, rel);
			ck_assert_int_eq(family == 4 ? h.forward_due_ipv4 : h.forward_due_ipv6, fwd);
		}
	}
}

/* store_followups_due answers what store_related_list and
 * store_forward_enqueue would find, per family. */
START_TEST(test_followups_due)
{
	int64_t h = make_host("due");
	int64_t other = make_host("other");
	bool rel = true, fwd = true;
	ck_assert_int_eq(store_followups_due(st, h, 4, &rel, &fwd), NSUPD_OK);
	ck_assert(!rel && !fwd);
	ck_assert_int_eq(store_followups_due(st, h, 5, &rel, &fwd), NSUPD_ERR_INVALID);
	check_lookup_flags(h);

	/* An unavailable related host has nothing to follow. */
	store_related r = { .main_host_id = h, .available = false };
	snprintf(r.name, sizeof(r.name), "cam");
	ck_assert_int_eq(store_related_add(st, &r, NULL), NSUPD_OK);
	ck_assert_int_eq(store_followups_due(st, h, 4, &rel, &fwd), NSUPD_OK);
	ck_assert(!rel && !fwd);
	snprintf(r.name, sizeof(r.name), "nas");
	r.available = true;
	ck_assert_int_eq(store_related_add(st, &r, NULL), NSUPD_OK);
	ck_assert_int_eq(store_followups_due(st, h, 6, &rel, &fwd), NSUPD_OK);
	ck_assert(rel && !fwd);
	ck_assert_int_eq(store_followups_due(st, other, 6, &rel, &fwd), NSUPD_OK);
	ck_assert(!rel && !fwd);
	check_lookup_flags(h);
	check_lookup_flags(other);

	/* A v4-only service: forwards for IPv4 only. */
	int64_t s4 = add_service("v4svc", true, false);
	add_forward(h, s4, true, true, "a.example");
	ck_assert_int_eq(store_followups_due(st, h, 4, &rel, &fwd), NSUPD_OK);
	ck_assert(rel && fwd);
	ck_assert_int_eq(store_followups_due(st, h, 6, &rel, &fwd), NSUPD_OK);
	ck_assert(rel && !fwd);
	ck_assert_int_eq(store_followups_due(st, other, 4, &rel, &fwd), NSUPD_OK);
	ck_assert(!rel && !fwd);
	check_lookup_flags(h);
	check_lookup_flags(other);

	/* And a service for both families. */
	int64_t s46 = add_service("v46svc", true, true);
	add_forward(other, s46, true, true, "b.example");
	check_lookup_flags(other);
	ck_assert_int_eq(store_followups_due(st, other, 6, &rel, &fwd), NSUPD_OK);
	ck_assert(!rel && fwd);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, test_related);
	tcase_add_test(tc, test_services_and_configs);
	tcase_add_test(tc, test_queue);
	tcase_add_test(tc, test_followups_due);
	tcase_add_test(tc, test_concurrent_claim);
}

int main(void)
{
	return store_fixture_run("fwd_store", add_tests);
}
