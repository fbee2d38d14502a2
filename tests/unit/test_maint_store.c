/* The maintenance jobs' store operations (store_maint.c) against a real
 * SQLite file and, when NSUPD_TEST_PG_URL names a PostgreSQL database,
 * against PostgreSQL in a schema of its own. */
#include <check.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_FIXTURE_DIR "/tmp/nsupd-test-maint-XXXXXX"
#define STORE_FIXTURE_SCHEMA "nsupdm"
#include "store_fixture.h"


static int64_t user_id(const char *name)
{
	store_user u = { 0 };
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.email, sizeof(u.email), "%s@example.org", name);
	u.active = true;
	int64_t id = 0;
	ck_assert_int_eq(store_user_add(st, &u, &id), NSUPD_OK);
	return id;
}

static int64_t domain_id(const char *name, int64_t owner, bool available)
{
	store_domain d = { 0 };
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.nameserver, sizeof(d.nameserver), "127.0.0.1:53");
	snprintf(d.algorithm, sizeof(d.algorithm), "hmac-sha512");
	d.owner_id = owner;
	d.available = available;
	d.public_ = true;
	int64_t id = 0;
	ck_assert_int_eq(store_domain_add(st, &d, &id), NSUPD_OK);
	return id;
}

static int64_t host_id(const char *name, int64_t domain, int64_t owner)
{
	store_host h;
	store_host_init(&h);
	snprintf(h.name, sizeof(h.name), "%s", name);
	h.domain_id = domain;
	h.owner_id = owner;
	int64_t id = 0;
	ck_assert_int_eq(store_host_add(st, &h, &id), NSUPD_OK);
	return id;
}

static void add_faults(int64_t id, int client, int server, int api)
{
	store_host_event ev = { .client_faults = client, .server_faults = server,
				.api_auth_faults = api, .now = 1000 };
	ck_assert_int_eq(store_host_record(st, id, &ev), NSUPD_OK);
}

START_TEST(test_faults)
{
	int64_t u = user_id("alice");
	int64_t d = domain_id("example.org", u, true);
	int64_t a = host_id("a", d, u), b = host_id("b", d, u);
	add_faults(a, 151, 2, 3);
	add_faults(b, 150, 0, 0);

	store_faults_op op = { .flag_abuse_over = 150 };
	bool flagged = true;
	int64_t faults = 0;
	ck_assert_int_eq(store_host_faults(st, b, &op, &flagged, &faults), NSUPD_OK);
	ck_assert(!flagged);
	ck_assert_int_eq(faults, 150);
	ck_assert_int_eq(store_host_faults(st, a, &op, &flagged, &faults), NSUPD_OK);
	ck_assert(flagged);
	ck_assert_int_eq(faults, 151);
	store_host h;
	ck_assert_int_eq(store_host_get(st, a, &h), NSUPD_OK);
	ck_assert(h.abuse && !h.abuse_blocked);
	ck_assert_int_eq(h.client_faults, 0);
	ck_assert_int_eq(h.server_faults, 2);

	/* Resets, each on its own column. */
	store_host_settings set = { .set_abuse_blocked = true, .abuse_blocked = true,
				    .set_available = true, .available = false };
	ck_assert_int_eq(store_host_update_settings(st, a, &set), NSUPD_OK);
	store_faults_op r1 = { .flag_abuse_over = -1, .reset_server = true };
	ck_assert_int_eq(store_host_faults(st, a, &r1, NULL, NULL), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, a, &h), NSUPD_OK);
	ck_assert_int_eq(h.server_faults, 0);
	ck_assert_int_eq(h.api_auth_faults, 3);
	ck_assert(h.abuse && h.abuse_blocked && !h.available);
	store_faults_op r2 = { .flag_abuse_over = -1, .reset_api_auth = true, .reset_abuse = true,
			       .reset_abuse_blocked = true, .reset_available = true };
	ck_assert_int_eq(store_host_faults(st, a, &r2, NULL, NULL), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, a, &h), NSUPD_OK);
	ck_assert_int_eq(h.api_auth_faults, 0);
	ck_assert(!h.abuse && !h.abuse_blocked && h.available);

	/* Flag first, then reset in the same transaction. */
	add_faults(b, 1, 0, 0);
	store_faults_op both = { .flag_abuse_over = 150, .reset_client = true, .reset_abuse = true };
	ck_assert_int_eq(store_host_faults(st, b, &both, &flagged, &faults), NSUPD_OK);
	ck_assert(flagged);
	ck_assert_int_eq(faults, 151);
	ck_assert_int_eq(store_host_get(st, b, &h), NSUPD_OK);
	ck_assert(!h.abuse);

	ck_assert_int_eq(store_host_faults(st, 999999, &op, NULL, NULL), NSUPD_ERR_NOT_FOUND);

	/* Listing with owners, ordered by domain and name. */
	store_host_info hi;
	ck_assert_int_eq(store_host_info_get(st, a, &hi), NSUPD_OK);
	ck_assert_str_eq(hi.owner_name, "alice");
	ck_assert_str_eq(hi.owner_email, "alice@example.org");
	ck_assert_str_eq(hi.host.domain, "example.org");
	int64_t *ids = NULL;
	size_t n = 0;
	ck_assert_int_eq(store_host_ids(st, &ids, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ids[0], a);
	ck_assert_int_eq(ids[1], b);
	free(ids);
}
END_TEST

/* The job resets client faults over and over while other threads count
 * API auth faults: none of those may be lost. */
struct counter_arg {
	int64_t id;
	int n;
};

static void *count_faults(void *p)
{
	struct counter_arg *c = p;
	for (int i = 0; i < c->n; i++) {
		store_host_event ev = { .client_faults = 1, .api_auth_faults = 1, .now = 1000 };
		nsupd_err e;
		do
			e = store_host_record(st, c->id, &ev);
		while (e == NSUPD_ERR_DB_BUSY);
		ck_assert_int_eq(e, NSUPD_OK);
	}
	return NULL;
}

START_TEST(test_faults_concurrent)
{
	int64_t u = user_id("bob");
	int64_t d = domain_id("example.net", u, true);
	int64_t h = host_id("busy", d, u);
	enum { THREADS = 4, EACH = 100 };
	pthread_t t[THREADS];
	struct counter_arg arg = { h, EACH };
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, count_faults, &arg), 0);
	store_faults_op op = { .flag_abuse_over = -1, .reset_client = true };
	for (int i = 0; i < 50; i++) {
		nsupd_err e;
		do
			e = store_host_faults(st, h, &op, NULL, NULL);
		while (e == NSUPD_ERR_DB_BUSY);
		ck_assert_int_eq(e, NSUPD_OK);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	store_host x;
	ck_assert_int_eq(store_host_get(st, h, &x), NSUPD_OK);
	ck_assert_int_eq(x.api_auth_faults, THREADS * EACH);
	ck_assert_int_le(x.client_faults, THREADS * EACH);
}
END_TEST

START_TEST(test_staleness)
{
	int64_t u = user_id("carol");
	int64_t d = domain_id("example.com", u, true);
	int64_t h = host_id("old", d, u);
	store_host_event ev = { .poke_ipv4 = true, .now = 5000 };
	ck_assert_int_eq(store_host_record(st, h, &ev), NSUPD_OK);

	store_stale_op op = { .seen_last_ipv4 = 5000, .seen_last_ipv6 = 0, .seen_staleness = 0,
			      .staleness = 1, .notified = 7000 };
	bool applied = false;
	ck_assert_int_eq(store_host_set_staleness(st, h, &op, &applied), NSUPD_OK);
	ck_assert(applied);
	store_host_info hi;
	ck_assert_int_eq(store_host_info_get(st, h, &hi), NSUPD_OK);
	ck_assert_uint_eq(hi.staleness, 1);
	ck_assert_int_eq(hi.staleness_notified, 7000);
	ck_assert(hi.host.available);

	/* Stale view (staleness moved on): not applied. */
	ck_assert_int_eq(store_host_set_staleness(st, h, &op, &applied), NSUPD_OK);
	ck_assert(!applied);

	/* A client update in between wins. */
	ev.now = 6000;
	ck_assert_int_eq(store_host_record(st, h, &ev), NSUPD_OK);
	store_stale_op op2 = { .seen_last_ipv4 = 5000, .seen_staleness = 1, .staleness = 3,
			       .notified = 8000, .make_unavailable = true };
	ck_assert_int_eq(store_host_set_staleness(st, h, &op2, &applied), NSUPD_OK);
	ck_assert(!applied);
	op2.seen_last_ipv4 = 6000;
	ck_assert_int_eq(store_host_set_staleness(st, h, &op2, &applied), NSUPD_OK);
	ck_assert(applied);
	ck_assert_int_eq(store_host_info_get(st, h, &hi), NSUPD_OK);
	ck_assert_uint_eq(hi.staleness, 3);
	ck_assert(!hi.host.available);
	ck_assert_int_eq(hi.staleness_notified, 8000);

	/* notified 0 keeps the time. */
	store_stale_op op3 = { .seen_last_ipv4 = 6000, .seen_staleness = 3, .staleness = 0 };
	ck_assert_int_eq(store_host_set_staleness(st, h, &op3, &applied), NSUPD_OK);
	ck_assert(applied);
	ck_assert_int_eq(store_host_info_get(st, h, &hi), NSUPD_OK);
	ck_assert_int_eq(hi.staleness_notified, 8000);

	bool deleted = true;
	ck_assert_int_eq(store_host_delete_stale(st, h, 5000, 0, &deleted), NSUPD_OK);
	ck_assert(!deleted);
	ck_assert_int_eq(store_host_delete_stale(st, h, 6000, 0, &deleted), NSUPD_OK);
	ck_assert(deleted);
	ck_assert_int_eq(store_host_get(st, h, &hi.host), NSUPD_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_domains_and_users)
{
	int64_t u = user_id("dave");
	int64_t idle = user_id("idle");
	int64_t live = domain_id("live.example", u, true);
	int64_t dead = domain_id("dead.example", u, true);
	host_id("h", live, u);

	bool changed = false;
	ck_assert_int_eq(store_domain_mark_dead(st, dead, &changed), NSUPD_OK);
	ck_assert(changed);
	ck_assert_int_eq(store_domain_mark_dead(st, dead, &changed), NSUPD_OK);
	ck_assert(!changed);
	store_domain dd;
	ck_assert_int_eq(store_domain_get(st, dead, &dd), NSUPD_OK);
	ck_assert(!dd.available && !dd.public_);

	int64_t n = -1;
	ck_assert_int_eq(store_domain_host_count(st, live, &n), NSUPD_OK);
	ck_assert_int_eq(n, 1);
	bool deleted = true;
	ck_assert_int_eq(store_domain_delete_if_dead(st, live, &deleted), NSUPD_OK);
	ck_assert(!deleted);
	ck_assert_int_eq(store_domain_delete_if_dead(st, dead, &deleted), NSUPD_OK);
	ck_assert(deleted);

	int64_t users = 0, hosts = 0, domains = 0;
	ck_assert_int_eq(store_counts(st, &users, &hosts, &domains), NSUPD_OK);
	ck_assert_int_eq(users, 2);
	ck_assert_int_eq(hosts, 1);
	ck_assert_int_eq(domains, 1);
	ck_assert_int_eq(store_user_usage(st, u, &hosts, &domains), NSUPD_OK);
	ck_assert_int_eq(hosts, 1);
	ck_assert_int_eq(domains, 1);
	ck_assert_int_eq(store_user_delete_if_unused(st, u, &deleted), NSUPD_OK);
	ck_assert(!deleted);
	ck_assert_int_eq(store_user_delete_if_unused(st, idle, &deleted), NSUPD_OK);
	ck_assert(deleted);

	/* Never-activated registrations older than the limit go. */
	store_user r = { .active = false, .created = 1000 };
	snprintf(r.name, sizeof(r.name), "pending-old");
	int64_t rid = 0;
	ck_assert_int_eq(store_user_add(st, &r, &rid), NSUPD_OK);
	store_user r2 = { .active = false, .created = 5000 };
	snprintf(r2.name, sizeof(r2.name), "pending-new");
	ck_assert_int_eq(store_user_add(st, &r2, &rid), NSUPD_OK);
	store_user r3 = { .active = false, .created = 1000, .last_login = 1500 };
	snprintf(r3.name, sizeof(r3.name), "disabled");
	ck_assert_int_eq(store_user_add(st, &r3, &rid), NSUPD_OK);
	ck_assert_int_eq(store_user_delete_unactivated(st, 2000, &n), NSUPD_OK);
	ck_assert_int_eq(n, 1);
	store_user got;
	ck_assert_int_eq(store_user_get_by_name(st, "pending-old", &got), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_user_get_by_name(st, "pending-new", &got), NSUPD_OK);
	ck_assert_int_eq(store_user_get_by_name(st, "disabled", &got), NSUPD_OK);

	int64_t *ids = NULL;
	size_t k = 0;
	ck_assert_int_eq(store_domain_ids(st, &ids, &k), NSUPD_OK);
	ck_assert_uint_eq(k, 1);
	free(ids);
	ck_assert_int_eq(store_user_ids(st, &ids, &k), NSUPD_OK);
	ck_assert_uint_eq(k, 3);
	free(ids);
}
END_TEST

static bool count_bl(const store_blacklist *b, void *ctx)
{
	(void)b;
	(*(int *)ctx)++;
	return true;
}

START_TEST(test_blacklist)
{
	int64_t u = user_id("admin");
	ck_assert_int_eq(store_blacklist_add(st, "^evil", u, NULL), NSUPD_OK);
	ck_assert_int_eq(store_blacklist_add(st, "spam[0-9]+$", u, NULL), NSUPD_OK);
	ck_assert_int_eq(store_blacklist_add(st, "^evil", u, NULL), NSUPD_ERR_EXISTS);
	ck_assert_int_eq(store_blacklist_add(st, "(", u, NULL), NSUPD_ERR_INVALID);
	ck_assert_int_eq(store_blacklist_add(st, "", u, NULL), NSUPD_ERR_INVALID);
	int n = 0;
	ck_assert_int_eq(store_blacklist_each(st, count_bl, &n), NSUPD_OK);
	ck_assert_int_eq(n, 2);
	bool hit = false;
	char which[STORE_NAME_MAX];
	ck_assert_int_eq(store_blacklist_match(st, "evilcorp", &hit, which, sizeof(which)),
			 NSUPD_OK);
	ck_assert(hit);
	ck_assert_str_eq(which, "^evil");
	ck_assert_int_eq(store_blacklist_match(st, "myspam42", &hit, which, sizeof(which)),
			 NSUPD_OK);
	ck_assert(hit);
	ck_assert_str_eq(which, "spam[0-9]+$");
	ck_assert_int_eq(store_blacklist_match(st, "notevil", &hit, NULL, 0), NSUPD_OK);
	ck_assert(!hit);
	ck_assert_int_eq(store_blacklist_delete(st, "^evil"), NSUPD_OK);
	ck_assert_int_eq(store_blacklist_delete(st, "^evil"), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_blacklist_match(st, "evilcorp", &hit, NULL, 0), NSUPD_OK);
	ck_assert(!hit);
}
END_TEST

START_TEST(test_mail_queue)
{
	ck_assert_int_eq(store_mail_enqueue(st, "a@example.org", "Subject: x\r\n\r\nbody\r\n", 100,
					    400, "refused"), NSUPD_OK);
	ck_assert_int_eq(store_mail_enqueue(st, "b@example.org", "m2", 100, 900, "down"),
			 NSUPD_OK);
	int64_t n = 0;
	ck_assert_int_eq(store_mail_count(st, &n), NSUPD_OK);
	ck_assert_int_eq(n, 2);
	store_mail *m = calloc(4, sizeof(*m));
	size_t got = 9;
	ck_assert_int_eq(store_mail_claim(st, 399, 60, m, 4, &got), NSUPD_OK);
	ck_assert_uint_eq(got, 0);
	ck_assert_int_eq(store_mail_claim(st, 500, 60, m, 4, &got), NSUPD_OK);
	ck_assert_uint_eq(got, 1);
	ck_assert_str_eq(m[0].rcpt, "a@example.org");
	ck_assert_str_eq(m[0].message, "Subject: x\r\n\r\nbody\r\n");
	ck_assert_int_eq(m[0].attempts, 2);
	ck_assert_str_eq(m[0].last_error, "refused");
	/* Claimed: a second run does not get it. */
	ck_assert_int_eq(store_mail_claim(st, 500, 60, m + 1, 3, &got), NSUPD_OK);
	ck_assert_uint_eq(got, 0);
	ck_assert_int_eq(store_mail_retry(st, m[0].id, 2000, "still refused"), NSUPD_OK);
	ck_assert_int_eq(store_mail_make_due(st, 1000), NSUPD_OK);
	ck_assert_int_eq(store_mail_claim(st, 1000, 60, m, 4, &got), NSUPD_OK);
	ck_assert_uint_eq(got, 2);
	ck_assert_int_eq(store_mail_done(st, m[0].id), NSUPD_OK);
	ck_assert_int_eq(store_mail_done(st, m[1].id), NSUPD_OK);
	ck_assert_int_eq(store_mail_count(st, &n), NSUPD_OK);
	ck_assert_int_eq(n, 0);
	free(m);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, test_faults);
	tcase_add_test(tc, test_faults_concurrent);
	tcase_add_test(tc, test_staleness);
	tcase_add_test(tc, test_domains_and_users);
	tcase_add_test(tc, test_blacklist);
	tcase_add_test(tc, test_mail_queue);
}

int main(void)
{
	return store_fixture_run("maint_store", add_tests);
}
