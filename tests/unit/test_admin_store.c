/* Store contract of the administration pages (store_admin.c): listing with
 * search, filters, sorting and paging, reading, changing whitelisted
 * columns, deleting and the audit log, against a real SQLite file and,
 * when NSUPD_TEST_PG_URL names a PostgreSQL database (tests/pg/start.sh
 * prints one), against PostgreSQL in a schema of its own. */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_FIXTURE_DIR "/tmp/nsupd-test-admin-XXXXXX"
#define STORE_FIXTURE_SCHEMA "nsupda"
#include "store_fixture.h"

/* ---- helpers ---- */

#define T0 1700000000LL

static int64_t add_user(const char *name, bool staff)
{
	store_user u = { .active = true, .staff = staff, .created = T0 };
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.email, sizeof(u.email), "%s@example.org", name);
	int64_t id;
	ck_assert_int_eq(store_user_add(st, &u, &id), NSUPD_OK);
	return id;
}

static int64_t add_domain(const char *name, int64_t owner)
{
	store_domain d = { .owner_id = owner, .created = T0, .available = true };
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.nameserver, sizeof(d.nameserver), "127.0.0.1:53");
	snprintf(d.algorithm, sizeof(d.algorithm), "hmac-sha256");
	snprintf(d.secret, sizeof(d.secret), "c2VjcmV0");
	int64_t id;
	ck_assert_int_eq(store_domain_add(st, &d, &id), NSUPD_OK);
	return id;
}

static int64_t add_host(const char *name, int64_t domain, int64_t owner, int64_t created)
{
	store_host h;
	store_host_init(&h);
	snprintf(h.name, sizeof(h.name), "%s", name);
	h.domain_id = domain;
	h.owner_id = owner;
	h.created = created;
	int64_t id;
	ck_assert_int_eq(store_host_add(st, &h, &id), NSUPD_OK);
	return id;
}

struct rows {
	int n;
	char names[64][80];
	char col[64][80];       /* the value of `want` */
	const char *want;
	char types[40];
	int ncols;
};

static bool collect(const store_admin_row *row, void *ctx)
{
	struct rows *r = ctx;
	if (r->n >= 64)
		return false;
	r->ncols = row->ncols;
	snprintf(r->types, sizeof(r->types), "%s", row->types);
	for (int i = 0; i < row->ncols; i++) {
		if (strcmp(row->names[i], "fqdn") == 0 || strcmp(row->names[i], "username") == 0 ||
		    strcmp(row->names[i], "action") == 0 || strcmp(row->names[i], "name_re") == 0)
			snprintf(r->names[r->n], sizeof(r->names[0]), "%s",
				 row->col[i] != NULL ? row->col[i] : "(null)");
		if (r->want != NULL && strcmp(row->names[i], r->want) == 0)
			snprintf(r->col[r->n], sizeof(r->col[0]), "%s",
				 row->col[i] != NULL ? row->col[i] : "(null)");
	}
	r->n++;
	return true;
}

static int64_t list(store_admin_query *q, struct rows *r)
{
	int64_t total = -1;
	const char *want = r->want;
	memset(r, 0, sizeof(*r));
	r->want = want;
	ck_assert_int_eq(store_admin_list(st, q, &total, collect, r), NSUPD_OK);
	return total;
}

/* 30 hosts h00..h29 in a.example.org (owner alice) created one day apart;
 * h00..h02 abuse, h03..h04 abuse-blocked, h05..h08 unavailable; one host
 * "zz" of bob's in b.example.org. */
static int64_t alice, bob, dom_a, dom_b;
static int64_t ids[30];

static void fill(void)
{
	alice = add_user("alice", false);
	bob = add_user("Bob_Admin", true);
	dom_a = add_domain("a.example.org", alice);
	dom_b = add_domain("b.example.org", bob);
	for (int i = 0; i < 30; i++) {
		char name[8];
		snprintf(name, sizeof(name), "h%02d", i);
		ids[i] = add_host(name, dom_a, alice, T0 + i * 86400);
		store_host_settings set = { 0 };
		if (i < 3) {
			set.set_abuse = true;
			set.abuse = true;
		} else if (i < 5) {
			set.set_abuse_blocked = true;
			set.abuse_blocked = true;
		} else if (i < 9) {
			set.set_available = true;
			set.available = false;
		}
		ck_assert_int_eq(store_host_update_settings(st, ids[i], &set), NSUPD_OK);
	}
	add_host("zz", dom_b, bob, T0);
}

/* ---- tests ---- */

START_TEST(test_list_search_filter_sort_page)
{
	fill();
	struct rows r = { 0 };
	store_admin_query q = { .kind = STORE_ADM_HOST, .limit = 50 };
	ck_assert_int_eq(list(&q, &r), 31);
	ck_assert_int_eq(r.n, 31);
	/* Default: newest first (id descending). */
	ck_assert_str_eq(r.names[0], "zz.b.example.org");
	ck_assert_str_eq(r.names[1], "h29.a.example.org");
	ck_assert_str_eq(r.types, "isssssbbbiiiiisssttbbitiiii");

	/* Search: the full name, case-insensitive; the owner; literal % and _. */
	q.search = "H17.A.EXAMPLE";
	ck_assert_int_eq(list(&q, &r), 1);
	ck_assert_str_eq(r.names[0], "h17.a.example.org");
	q.search = "bob_admin";
	ck_assert_int_eq(list(&q, &r), 1);
	ck_assert_str_eq(r.names[0], "zz.b.example.org");
	q.search = "h1%";
	ck_assert_int_eq(list(&q, &r), 0);
	q.search = "h_1";
	ck_assert_int_eq(list(&q, &r), 0);
	q.search = NULL;

	/* Filters. */
	q.filters = STORE_ADM_F_ABUSE;
	ck_assert_int_eq(list(&q, &r), 3);
	q.filters = STORE_ADM_F_ABUSE_BLOCKED;
	ck_assert_int_eq(list(&q, &r), 2);
	ck_assert_str_eq(r.names[0], "h04.a.example.org");
	q.filters = STORE_ADM_F_UNAVAILABLE;
	ck_assert_int_eq(list(&q, &r), 4);
	q.filters = STORE_ADM_F_UNAVAILABLE | STORE_ADM_F_ABUSE;
	ck_assert_int_eq(list(&q, &r), 0);
	q.filters = 0;

	/* Creation period [from, to). */
	q.created_from = T0 + 10 * 86400;
	q.created_to = T0 + 13 * 86400;
	ck_assert_int_eq(list(&q, &r), 3);
	q.created_from = q.created_to = 0;

	/* Id filters. */
	q.owner_id = bob;
	ck_assert_int_eq(list(&q, &r), 1);
	q.owner_id = 0;
	q.domain_id = dom_a;
	ck_assert_int_eq(list(&q, &r), 30);
	q.domain_id = 0;

	/* Sorting and paging: pages of 7 by name cover every row once. */
	q.sort = "name";
	q.limit = 7;
	char seen[40][80];
	int k = 0;
	for (q.offset = 0; q.offset < 35; q.offset += 7) {
		ck_assert_int_eq(list(&q, &r), 31);
		for (int i = 0; i < r.n; i++)
			snprintf(seen[k++], sizeof(seen[0]), "%s", r.names[i]);
	}
	ck_assert_int_eq(k, 31);
	ck_assert_str_eq(seen[0], "h00.a.example.org");
	ck_assert_str_eq(seen[29], "h29.a.example.org");
	ck_assert_str_eq(seen[30], "zz.b.example.org");
	q.desc = true;
	q.offset = 0;
	list(&q, &r);
	ck_assert_str_eq(r.names[0], "zz.b.example.org");
	ck_assert_str_eq(r.names[1], "h29.a.example.org");
	/* A page past the end: empty, the total still right. */
	q.offset = 70;
	ck_assert_int_eq(list(&q, &r), 31);
	ck_assert_int_eq(r.n, 0);

	/* Sort keys and id filters outside the kind's tables are refused. */
	q.offset = 0;
	q.sort = "secret_hash";
	ck_assert_int_eq(store_admin_list(st, &q, NULL, collect, &r), NSUPD_ERR_INVALID);
	q.sort = NULL;
	store_admin_query bad = { .kind = STORE_ADM_USER, .host_id = 1, .limit = 10 };
	ck_assert_int_eq(store_admin_list(st, &bad, NULL, collect, &r), NSUPD_ERR_INVALID);
	bad = (store_admin_query){ .kind = STORE_ADM_USER, .limit = 0 };
	ck_assert_int_eq(store_admin_list(st, &bad, NULL, collect, &r), NSUPD_ERR_INVALID);

	/* Other kinds: users with counts, domains with host counts. */
	store_admin_query uq = { .kind = STORE_ADM_USER, .limit = 10, .filters = STORE_ADM_F_STAFF };
	r.want = "hosts";
	ck_assert_int_eq(list(&uq, &r), 1);
	ck_assert_str_eq(r.names[0], "Bob_Admin");
	ck_assert_str_eq(r.col[0], "1");
	store_admin_query dq = { .kind = STORE_ADM_DOMAIN, .limit = 10 };
	r.want = "hosts";
	ck_assert_int_eq(list(&dq, &r), 2);
	ck_assert_str_eq(r.col[0], "30");       /* a.example.org first by name */
	r.want = NULL;
}
END_TEST

/* Pages of every size, in every sort order, with and without a search
 * (which makes the inner page query join the other tables), concatenate
 * to the one big page: the page's rows are picked by a narrow inner query
 * and then read (store_admin.c), and both must agree on the order, ties
 * included. The counting columns are right on a deep page too. */
START_TEST(test_paging_is_consistent)
{
	fill();
	/* Ties: groups of equal client_faults; one host with two related
	 * hosts (the count column on a deep page). */
	for (int i = 0; i < 30; i++) {
		store_admin_set set = { "client_faults", NULL, i % 4 };
		ck_assert_int_eq(store_admin_update(st, STORE_ADM_HOST, ids[i], &set, 1),
				 NSUPD_OK);
	}
	for (int i = 0; i < 2; i++) {
		store_related rel = { .main_host_id = ids[3], .available = true, .created = T0 };
		snprintf(rel.name, sizeof(rel.name), "rel%d", i);
		ck_assert_int_eq(store_related_add(st, &rel, NULL), NSUPD_OK);
	}
	static const char *const keys[] = { "id", "name", "domain", "owner", "created",
		"client_faults", "last_update_ipv4", "staleness", NULL };
	static const char *const searches[] = { NULL, "example" };
	static struct rows all, page;
	for (int k = 0; keys[k] != NULL; k++)
		for (int desc = 0; desc < 2; desc++)
			for (int sr = 0; sr < 2; sr++) {
				store_admin_query q = { .kind = STORE_ADM_HOST, .limit = 1000,
					.sort = keys[k], .desc = desc, .search = searches[sr] };
				all.want = "related";
				ck_assert_int_eq(list(&q, &all), 31);
				ck_assert_int_eq(all.n, 31);
				for (int size = 1; size <= 8; size += 3) {
					int seen = 0;
					q.limit = size;
					for (q.offset = 0; q.offset < 31; q.offset += size) {
						page.want = "related";
						ck_assert_int_eq(list(&q, &page), 31);
						for (int i = 0; i < page.n; i++, seen++) {
							ck_assert_msg(strcmp(page.names[i],
								all.names[seen]) == 0,
								"sort %s desc %d search %s size %d: row "
								"%d is %s, not %s", keys[k], desc,
								searches[sr] ? searches[sr] : "-", size,
								seen, page.names[i], all.names[seen]);
							ck_assert_str_eq(page.col[i], all.col[seen]);
						}
					}
					ck_assert_int_eq(seen, 31);
				}
			}
	/* The deepest page of the default order: h00 with its count. */
	store_admin_query q = { .kind = STORE_ADM_HOST, .limit = 3, .offset = 27 };
	page.want = "related";
	ck_assert_int_eq(list(&q, &page), 31);
	ck_assert_int_eq(page.n, 3);
	ck_assert_str_eq(page.names[0], "h03.a.example.org");
	ck_assert_str_eq(page.col[0], "2");
	ck_assert_str_eq(page.names[2], "h01.a.example.org");
	ck_assert_str_eq(page.col[2], "0");
	/* Other kinds, through the narrow (users by name) and the joined
	 * (domains by owner) inner query. */
	store_admin_query uq = { .kind = STORE_ADM_USER, .limit = 10, .sort = "username" };
	all.want = page.want = "hosts";
	ck_assert_int_eq(list(&uq, &all), 2);
	uq.limit = 1;
	uq.offset = 1;
	ck_assert_int_eq(list(&uq, &page), 2);
	ck_assert_str_eq(page.names[0], all.names[1]);
	ck_assert_str_eq(page.col[0], all.col[1]);
	store_admin_query dq = { .kind = STORE_ADM_DOMAIN, .limit = 10, .sort = "owner",
				 .desc = true };
	all.want = page.want = "name";
	ck_assert_int_eq(list(&dq, &all), 2);
	dq.limit = 1;
	dq.offset = 1;
	ck_assert_int_eq(list(&dq, &page), 2);
	ck_assert_int_eq(page.n, 1);
	ck_assert_str_eq(page.col[0], all.col[1]);
	ck_assert_str_ne(all.col[0], all.col[1]);
}
END_TEST

static bool take_col(const store_admin_row *row, void *ctx)
{
	char **want = ctx;   /* want[0] = column name, want[1] = out buffer (80) */
	for (int i = 0; i < row->ncols; i++)
		if (strcmp(row->names[i], want[0]) == 0)
			snprintf(want[1], 80, "%s", row->col[i] != NULL ? row->col[i] : "(null)");
	return false;
}

static const char *get_col(store_admin_kind kind, int64_t id, const char *col)
{
	static char buf[80];
	char *want[2] = { (char *)col, buf };
	buf[0] = '\0';
	ck_assert_int_eq(store_admin_get(st, kind, id, take_col, want), NSUPD_OK);
	return buf;
}

START_TEST(test_get_update_delete)
{
	fill();
	char buf[80];
	char *want[2] = { "id", buf };
	ck_assert_int_eq(store_admin_get(st, STORE_ADM_HOST, 999999, take_col, want),
			 NSUPD_ERR_NOT_FOUND);
	ck_assert_str_eq(get_col(STORE_ADM_HOST, ids[3], "abuse_blocked"), "1");
	ck_assert_str_eq(get_col(STORE_ADM_HOST, ids[3], "last_update_ipv4"), "(null)");

	store_admin_set hs[] = { { "comment", "admin note", 0 }, { "netmask_ipv4", NULL, 24 },
				 { "abuse_blocked", NULL, 0 } };
	ck_assert_int_eq(store_admin_update(st, STORE_ADM_HOST, ids[3], hs, 3), NSUPD_OK);
	ck_assert_str_eq(get_col(STORE_ADM_HOST, ids[3], "comment"), "admin note");
	ck_assert_str_eq(get_col(STORE_ADM_HOST, ids[3], "netmask_ipv4"), "24");
	ck_assert_str_eq(get_col(STORE_ADM_HOST, ids[3], "abuse_blocked"), "0");
	/* Columns outside the whitelist, or a missing row. */
	store_admin_set evil = { "secret_hash", "x", 0 };
	ck_assert_int_eq(store_admin_update(st, STORE_ADM_HOST, ids[3], &evil, 1),
			 NSUPD_ERR_INVALID);
	store_admin_set owner = { "owner_id", NULL, bob };
	ck_assert_int_eq(store_admin_update(st, STORE_ADM_HOST, ids[3], &owner, 1),
			 NSUPD_ERR_INVALID);
	ck_assert_int_eq(store_admin_update(st, STORE_ADM_HOST, 999999, hs, 1),
			 NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_admin_update(st, STORE_ADM_AUDIT, 1, hs, 0), NSUPD_ERR_INVALID);

	/* Users: flags. */
	store_admin_set us[] = { { "staff", NULL, 1 }, { "active", NULL, 0 } };
	ck_assert_int_eq(store_admin_update(st, STORE_ADM_USER, alice, us, 2), NSUPD_OK);
	store_user u;
	ck_assert_int_eq(store_user_get(st, alice, &u), NSUPD_OK);
	ck_assert(u.staff && !u.active);

	/* Domains: a nullable time goes back to NULL. */
	ck_assert_int_eq(store_domain_set_backoff(st, dom_a, T0 + 99), NSUPD_OK);
	ck_assert_str_eq(get_col(STORE_ADM_DOMAIN, dom_a, "backoff_until"), "1700000099");
	store_admin_set ds[] = { { "backoff_until", NULL, 0 }, { "public", NULL, 1 } };
	ck_assert_int_eq(store_admin_update(st, STORE_ADM_DOMAIN, dom_a, ds, 2), NSUPD_OK);
	ck_assert_str_eq(get_col(STORE_ADM_DOMAIN, dom_a, "backoff_until"), "(null)");
	ck_assert_str_eq(get_col(STORE_ADM_DOMAIN, dom_a, "public"), "1");
	ck_assert_str_eq(get_col(STORE_ADM_DOMAIN, dom_a, "has_secret"), "1");

	/* Services: a unique clash is EXISTS. */
	store_service sv = { .owner_id = bob, .secure = true };
	snprintf(sv.name, sizeof(sv.name), "one");
	snprintf(sv.server, sizeof(sv.server), "example.net");
	snprintf(sv.path, sizeof(sv.path), "/nic/update");
	int64_t s1, s2;
	ck_assert_int_eq(store_service_add(st, &sv, &s1), NSUPD_OK);
	snprintf(sv.name, sizeof(sv.name), "two");
	ck_assert_int_eq(store_service_add(st, &sv, &s2), NSUPD_OK);
	store_admin_set ss = { "name", "one", 0 };
	ck_assert_int_eq(store_admin_update(st, STORE_ADM_SERVICE, s2, &ss, 1), NSUPD_ERR_EXISTS);

	/* Delete: a host, a service, a blacklist entry; the audit log stays. */
	ck_assert_int_eq(store_admin_delete(st, STORE_ADM_HOST, ids[0]), NSUPD_OK);
	ck_assert_int_eq(store_admin_get(st, STORE_ADM_HOST, ids[0], take_col, want),
			 NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_admin_delete(st, STORE_ADM_SERVICE, s1), NSUPD_OK);
	ck_assert_int_eq(store_admin_delete(st, STORE_ADM_SERVICE, s1), NSUPD_ERR_NOT_FOUND);
	int64_t b;
	ck_assert_int_eq(store_blacklist_add(st, "^bad", bob, &b), NSUPD_OK);
	ck_assert_int_eq(store_admin_delete(st, STORE_ADM_BLACKLIST, b), NSUPD_OK);
	ck_assert_int_eq(store_admin_delete(st, STORE_ADM_AUDIT, 1), NSUPD_ERR_INVALID);
	/* A domain takes its hosts along. */
	ck_assert_int_eq(store_admin_delete(st, STORE_ADM_DOMAIN, dom_a), NSUPD_OK);
	struct rows r = { 0 };
	store_admin_query q = { .kind = STORE_ADM_HOST, .limit = 50 };
	ck_assert_int_eq(list(&q, &r), 1);
}
END_TEST

START_TEST(test_audit_log)
{
	fill();
	store_audit a = { .at = T0, .user_id = bob, .actor = "Bob_Admin", .action = "host.change",
			  .object = "host 1 h00.a.example.org", .before = "{\"comment\":\"\"}",
			  .after = "{\"comment\":\"x\"}" };
	ck_assert_int_eq(store_audit_add(st, &a), NSUPD_OK);
	store_audit cli = { .actor = "cli", .action = "user.change", .object = "user 1 alice",
			    .after = "{\"staff\":true}" };
	ck_assert_int_eq(store_audit_add(st, &cli), NSUPD_OK);
	store_audit bad = { .actor = "x" };
	ck_assert_int_eq(store_audit_add(st, &bad), NSUPD_ERR_INVALID);

	struct rows r = { .want = "before" };
	store_admin_query q = { .kind = STORE_ADM_AUDIT, .limit = 10 };
	ck_assert_int_eq(list(&q, &r), 2);
	/* Newest first: the CLI entry (at = now) before the older one. */
	ck_assert_str_eq(r.names[0], "user.change");
	ck_assert_str_eq(r.col[0], "(null)");
	ck_assert_str_eq(r.names[1], "host.change");
	ck_assert_str_eq(r.col[1], "{\"comment\":\"\"}");
	q.owner_id = bob;
	r.want = "user_id";
	ck_assert_int_eq(list(&q, &r), 1);
	q.owner_id = 0;
	q.search = "H00.A";
	ck_assert_int_eq(list(&q, &r), 1);
	/* The actor's name stays when the user goes. */
	ck_assert_int_eq(store_user_delete(st, bob), NSUPD_OK);
	q.search = "bob_admin";
	r.want = "user_id";
	ck_assert_int_eq(list(&q, &r), 1);
	ck_assert_str_eq(r.col[0], "(null)");
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, test_list_search_filter_sort_page);
	tcase_add_test(tc, test_paging_is_consistent);
	tcase_add_test(tc, test_get_update_delete);
	tcase_add_test(tc, test_audit_log);
}

int main(void)
{
	return store_fixture_run("admin_store", add_tests);
}
