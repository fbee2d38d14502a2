/* Contract tests of the store against real SQLite files. Each test gets a
 * fresh database in its own temporary directory; the parent process owns a
 * base directory and removes it whole at the end, so a failing test (which
 * exits its forked child early) leaves nothing behind. */
#include <check.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"
#include "store/store_backend.h"

static char base_dir[] = "/tmp/nsupd-test-store-XXXXXX";
static char db_path[512];
static char db_url[600];
static store *st;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static void base_setup(void)
{
	if (mkdtemp(base_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static void base_teardown(void)
{
	nftw(base_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs in the test's own process: a new directory, an open store. */
static void db_setup(void)
{
	static int n;
	char dir[400];
	snprintf(dir, sizeof(dir), "%s/t%d-%d", base_dir, (int)getpid(), n++);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(db_path, sizeof(db_path), "%s/test.sqlite", dir);
	snprintf(db_url, sizeof(db_url), "sqlite://%s", db_path);
	char err[256];
	ck_assert_int_eq(store_open(db_url, &st, err, sizeof(err)), NSUPD_OK);
}

static void db_teardown(void)
{
	store_close(st);
	st = NULL;
}

static void migrated(void)
{
	ck_assert_int_eq(store_migrate(st), NSUPD_OK);
}

static int64_t add_user(const char *name)
{
	store_user u = { 0 };
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.email, sizeof(u.email), "%s@example.org", name);
	snprintf(u.password_hash, sizeof(u.password_hash), "$argon2id$dummy");
	u.active = true;
	int64_t id = 0;
	ck_assert_int_eq(store_user_add(st, &u, &id), NSUPD_OK);
	ck_assert_int_gt(id, 0);
	return id;
}

static int64_t add_domain(const char *name, int64_t owner)
{
	store_domain d = { 0 };
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.nameserver, sizeof(d.nameserver), "127.0.0.1:5353");
	snprintf(d.algorithm, sizeof(d.algorithm), "hmac-sha512");
	snprintf(d.secret, sizeof(d.secret), "c2VjcmV0");
	d.owner_id = owner;
	int64_t id = 0;
	ck_assert_int_eq(store_domain_add(st, &d, &id), NSUPD_OK);
	ck_assert_int_gt(id, 0);
	return id;
}

static int64_t add_host(const char *name, int64_t domain, int64_t owner)
{
	store_host h;
	store_host_init(&h);
	snprintf(h.name, sizeof(h.name), "%s", name);
	h.domain_id = domain;
	h.owner_id = owner;
	int64_t id = 0;
	ck_assert_int_eq(store_host_add(st, &h, &id), NSUPD_OK);
	ck_assert_int_gt(id, 0);
	return id;
}

/* ---- schema ---- */

START_TEST(test_migrate_idempotent)
{
	int version = -1, latest = -1;
	ck_assert_int_eq(store_schema_version(st, &version, &latest), NSUPD_OK);
	ck_assert_int_eq(version, 0);
	ck_assert_int_ge(latest, 1);

	ck_assert_int_eq(store_migrate(st), NSUPD_OK);
	ck_assert_int_eq(store_schema_version(st, &version, &latest), NSUPD_OK);
	ck_assert_int_eq(version, latest);

	int64_t uid = add_user("alice");
	ck_assert_int_eq(store_migrate(st), NSUPD_OK);
	ck_assert_int_eq(store_schema_version(st, &version, &latest), NSUPD_OK);
	ck_assert_int_eq(version, latest);
	/* A second migrate kept the data. */
	store_user u;
	ck_assert_int_eq(store_user_get(st, uid, &u), NSUPD_OK);

	/* A second store on the same file sees the schema as ready. */
	store *other = NULL;
	ck_assert_int_eq(store_open(db_url, &other, NULL, 0), NSUPD_OK);
	ck_assert_int_eq(store_user_get_by_name(other, "alice", &u), NSUPD_OK);
	ck_assert_int_eq(store_migrate(other), NSUPD_OK);
	store_close(other);

	/* One row per applied migration, and WAL is on. */
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db,
		"SELECT COUNT(*), MAX(version) FROM schema_version", -1, &q, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(q, 0), latest);
	ck_assert_int_eq(sqlite3_column_int(q, 1), latest);
	sqlite3_finalize(q);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_before_migrate_schema_error)
{
	store_user u = { 0 };
	snprintf(u.name, sizeof(u.name), "bob");
	store_host h;
	int64_t id = 0, n = 0;
	ck_assert_int_eq(store_user_add(st, &u, &id), NSUPD_ERR_SCHEMA);
	ck_assert_int_eq(store_user_get_by_name(st, "bob", &u), NSUPD_ERR_SCHEMA);
	ck_assert_int_eq(store_host_get_by_fqdn(st, "a.example.org", &h), NSUPD_ERR_SCHEMA);
	ck_assert_int_eq(store_host_count(st, &n), NSUPD_ERR_SCHEMA);
	ck_assert_int_eq(store_user_delete(st, 1), NSUPD_ERR_SCHEMA);

	/* Migrating through another handle (another process, say) is picked
	 * up without reopening. */
	store *other = NULL;
	ck_assert_int_eq(store_open(db_url, &other, NULL, 0), NSUPD_OK);
	ck_assert_int_eq(store_migrate(other), NSUPD_OK);
	store_close(other);
	ck_assert_int_eq(store_user_add(st, &u, &id), NSUPD_OK);
	ck_assert_int_eq(store_host_count(st, &n), NSUPD_OK);
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(test_schema_newer_than_program)
{
	migrated();
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
		"INSERT INTO schema_version (version, applied) VALUES (9999, 0)",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	store *other = NULL;
	ck_assert_int_eq(store_open(db_url, &other, NULL, 0), NSUPD_OK);
	int64_t n;
	ck_assert_int_eq(store_host_count(other, &n), NSUPD_ERR_SCHEMA);
	ck_assert_int_eq(store_migrate(other), NSUPD_ERR_SCHEMA);
	int version = 0, latest = 0;
	ck_assert_int_eq(store_schema_version(other, &version, &latest), NSUPD_OK);
	ck_assert_int_eq(version, 9999);
	ck_assert_int_lt(latest, 9999);
	store_close(other);
}
END_TEST

/* ---- URLs ---- */

START_TEST(test_urls)
{
	char err[256];
	store *s = NULL;

	ck_assert_int_eq(store_open("postgresql://u@localhost/nsupd", &s, err, sizeof(err)),
		NSUPD_ERR_CONFIG);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "PostgreSQL"));
	ck_assert_int_eq(store_open("mysql://x", &s, err, sizeof(err)), NSUPD_ERR_CONFIG);
	ck_assert_int_eq(store_open("sqlite:", &s, err, sizeof(err)), NSUPD_ERR_CONFIG);
	ck_assert_int_eq(store_open("", &s, err, sizeof(err)), NSUPD_ERR_CONFIG);

	/* A directory that does not exist: fails at open, with a reason. */
	err[0] = '\0';
	ck_assert_int_ne(store_open("sqlite:///nonexistent-dir-nsupd/x.sqlite", &s, err,
		sizeof(err)), NSUPD_OK);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "nonexistent-dir-nsupd"));

	/* Absolute, "sqlite:PATH" and relative "sqlite://PATH" forms. */
	char dir[400], url[600], path[600];
	snprintf(dir, sizeof(dir), "%s", db_path);
	*strrchr(dir, '/') = '\0';
	snprintf(url, sizeof(url), "sqlite:///%s/abs.sqlite", dir + 1);
	ck_assert_int_eq(store_open(url, &s, err, sizeof(err)), NSUPD_OK);
	store_close(s);
	snprintf(path, sizeof(path), "%s/abs.sqlite", dir);
	ck_assert_int_eq(access(path, F_OK), 0);

	snprintf(url, sizeof(url), "sqlite:%s/plain.sqlite", dir);
	ck_assert_int_eq(store_open(url, &s, err, sizeof(err)), NSUPD_OK);
	store_close(s);
	snprintf(path, sizeof(path), "%s/plain.sqlite", dir);
	ck_assert_int_eq(access(path, F_OK), 0);

	ck_assert_int_eq(chdir(dir), 0); /* this test runs in its own process */
	ck_assert_int_eq(store_open("sqlite://rel.sqlite", &s, err, sizeof(err)), NSUPD_OK);
	store_close(s);
	ck_assert_int_eq(store_open("sqlite:rel2.sqlite", &s, err, sizeof(err)), NSUPD_OK);
	store_close(s);
	snprintf(path, sizeof(path), "%s/rel.sqlite", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/rel2.sqlite", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
}
END_TEST

START_TEST(test_memory)
{
	store *s = NULL;
	ck_assert_int_eq(store_open("sqlite::memory:", &s, NULL, 0), NSUPD_OK);
	ck_assert_int_eq(store_migrate(s), NSUPD_OK);
	store_user u = { 0 };
	snprintf(u.name, sizeof(u.name), "mem");
	int64_t id = 0;
	ck_assert_int_eq(store_user_add(s, &u, &id), NSUPD_OK);
	store_user got;
	ck_assert_int_eq(store_user_get(s, id, &got), NSUPD_OK);
	ck_assert_str_eq(got.name, "mem");
	store_close(s);
}
END_TEST

/* ---- users ---- */

START_TEST(test_user)
{
	migrated();
	store_user u = { 0 };
	snprintf(u.name, sizeof(u.name), "alice");
	snprintf(u.email, sizeof(u.email), "alice@example.org");
	snprintf(u.password_hash, sizeof(u.password_hash), "$argon2id$v=19$xyz");
	u.staff = true;
	u.active = true;
	u.created = 1700000000;
	int64_t id = 0;
	ck_assert_int_eq(store_user_add(st, &u, &id), NSUPD_OK);

	store_user got;
	ck_assert_int_eq(store_user_get_by_name(st, "alice", &got), NSUPD_OK);
	ck_assert_int_eq(got.id, id);
	ck_assert_str_eq(got.email, "alice@example.org");
	ck_assert_str_eq(got.password_hash, "$argon2id$v=19$xyz");
	ck_assert(got.staff);
	ck_assert(got.active);
	ck_assert_int_eq(got.created, 1700000000);
	ck_assert_int_eq(got.last_login, 0);

	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(store_user_get(st, id, &got), NSUPD_OK);
	ck_assert_str_eq(got.name, "alice");

	int64_t id2 = 0;
	ck_assert_int_eq(store_user_add(st, &u, &id2), NSUPD_ERR_EXISTS);
	ck_assert_int_eq(store_user_get_by_name(st, "nobody", &got), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_user_get(st, id + 100, &got), NSUPD_ERR_NOT_FOUND);

	/* created 0 means "now". */
	store_user v = { 0 };
	snprintf(v.name, sizeof(v.name), "bob");
	ck_assert_int_eq(store_user_add(st, &v, &id2), NSUPD_OK);
	ck_assert_int_eq(store_user_get(st, id2, &got), NSUPD_OK);
	ck_assert_int_gt(got.created, 1700000000);
	ck_assert(!got.staff);
	ck_assert_str_eq(got.password_hash, "");

	ck_assert_int_eq(store_user_delete(st, id2), NSUPD_OK);
	ck_assert_int_eq(store_user_get(st, id2, &got), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_user_delete(st, id2), NSUPD_ERR_NOT_FOUND);
}
END_TEST

/* ---- domains ---- */

START_TEST(test_domain)
{
	migrated();
	int64_t uid = add_user("alice");
	store_domain d = { 0 };
	snprintf(d.name, sizeof(d.name), "Dyn.Example.ORG");
	snprintf(d.nameserver, sizeof(d.nameserver), "[::1]:5353");
	snprintf(d.nameserver2, sizeof(d.nameserver2), "127.0.0.1");
	snprintf(d.algorithm, sizeof(d.algorithm), "hmac-sha256");
	snprintf(d.secret, sizeof(d.secret), "YWJjZGVmZ2g=");
	snprintf(d.comment, sizeof(d.comment), "a zone");
	d.public_ = true;
	d.owner_id = uid;
	int64_t id = 0;
	ck_assert_int_eq(store_domain_add(st, &d, &id), NSUPD_OK);

	store_domain got;
	ck_assert_int_eq(store_domain_get_by_name(st, "dyn.example.org", &got), NSUPD_OK);
	ck_assert_int_eq(got.id, id);
	ck_assert_str_eq(got.name, "dyn.example.org");   /* stored lowercase */
	ck_assert_str_eq(got.nameserver, "[::1]:5353");
	ck_assert_str_eq(got.nameserver2, "127.0.0.1");
	ck_assert_str_eq(got.algorithm, "hmac-sha256");
	ck_assert_str_eq(got.secret, "YWJjZGVmZ2g=");
	ck_assert_str_eq(got.comment, "a zone");
	ck_assert(got.public_);
	ck_assert(!got.available);
	ck_assert_int_eq(got.backoff_until, 0);
	ck_assert_int_eq(got.owner_id, uid);
	ck_assert_int_gt(got.created, 0);
	ck_assert_int_eq(store_domain_get_by_name(st, "DYN.example.org.", &got), NSUPD_OK);
	ck_assert_int_eq(got.id, id);
	ck_assert_int_eq(store_domain_get(st, id, &got), NSUPD_OK);
	ck_assert_str_eq(got.name, "dyn.example.org");

	/* Unique regardless of the case it was given in. */
	snprintf(d.name, sizeof(d.name), "dyn.example.org");
	ck_assert_int_eq(store_domain_add(st, &d, NULL), NSUPD_ERR_EXISTS);
	/* An owner that does not exist. */
	snprintf(d.name, sizeof(d.name), "other.example.org");
	d.owner_id = uid + 1000;
	ck_assert_int_eq(store_domain_add(st, &d, NULL), NSUPD_ERR_NOT_FOUND);

	ck_assert_int_eq(store_domain_get_by_name(st, "nope.example.org", &got), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_domain_get(st, id + 1000, &got), NSUPD_ERR_NOT_FOUND);

	ck_assert_int_eq(store_domain_set_backoff(st, id, 1800000000), NSUPD_OK);
	ck_assert_int_eq(store_domain_set_available(st, id, true), NSUPD_OK);
	ck_assert_int_eq(store_domain_get(st, id, &got), NSUPD_OK);
	ck_assert_int_eq(got.backoff_until, 1800000000);
	ck_assert(got.available);
	ck_assert_int_eq(store_domain_set_backoff(st, id, 0), NSUPD_OK);
	ck_assert_int_eq(store_domain_set_available(st, id, false), NSUPD_OK);
	ck_assert_int_eq(store_domain_get(st, id, &got), NSUPD_OK);
	ck_assert_int_eq(got.backoff_until, 0);
	ck_assert(!got.available);
	ck_assert_int_eq(store_domain_set_backoff(st, id + 1000, 5), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_domain_set_available(st, id + 1000, true), NSUPD_ERR_NOT_FOUND);
}
END_TEST

/* ---- hosts ---- */

START_TEST(test_host_add_get)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t did = add_domain("example.org", uid);
	store_host h;
	store_host_init(&h);
	snprintf(h.name, sizeof(h.name), "MyHost");
	snprintf(h.comment, sizeof(h.comment), "the router");
	h.domain_id = did;
	h.owner_id = uid;
	int64_t hid = 0;
	ck_assert_int_eq(store_host_add(st, &h, &hid), NSUPD_OK);

	store_host got;
	ck_assert_int_eq(store_host_get_by_fqdn(st, "myhost.example.org", &got), NSUPD_OK);
	ck_assert_int_eq(got.id, hid);
	ck_assert_str_eq(got.name, "myhost");
	ck_assert_str_eq(got.domain, "example.org");
	ck_assert_int_eq(got.domain_id, did);
	ck_assert_int_eq(got.owner_id, uid);
	ck_assert_str_eq(got.comment, "the router");
	ck_assert_str_eq(got.secret_hash, "");
	ck_assert(got.available);
	ck_assert(!got.abuse);
	ck_assert(!got.abuse_blocked);
	ck_assert_uint_eq(got.netmask_ipv4, 32);
	ck_assert_uint_eq(got.netmask_ipv6, 64);
	ck_assert_int_eq(got.client_faults, 0);
	ck_assert_int_eq(got.last_update_ipv4, 0);
	ck_assert_int_eq(got.last_update_ipv6, 0);
	ck_assert_int_gt(got.created, 0);

	/* DNS names compare case-insensitively. */
	ck_assert_int_eq(store_host_get_by_fqdn(st, "MyHost.Example.ORG", &got), NSUPD_OK);
	ck_assert_int_eq(got.id, hid);
	ck_assert_int_eq(store_host_get_by_fqdn(st, "myhost.example.org.", &got), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert_str_eq(got.domain, "example.org");

	ck_assert_int_eq(store_host_get_by_fqdn(st, "other.example.org", &got), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_get_by_fqdn(st, "myhost.example.com", &got), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_get_by_fqdn(st, "nodot", &got), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_get_by_fqdn(st, "", &got), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_get_by_fqdn(st, ".example.org", &got), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_get_by_fqdn(st, "myhost.", &got), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_get_by_fqdn(st, "myhost.example", &got), NSUPD_ERR_NOT_FOUND);
	char longname[2000];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[5] = '.';
	ck_assert_int_eq(store_host_get_by_fqdn(st, longname, &got), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_get(st, hid + 100, &got), NSUPD_ERR_NOT_FOUND);

	/* A name with a dot could never be found again. */
	snprintf(h.name, sizeof(h.name), "a.b");
	ck_assert_int_eq(store_host_add(st, &h, NULL), NSUPD_ERR_INVALID);
	/* The domain must exist. */
	snprintf(h.name, sizeof(h.name), "orphan");
	h.domain_id = did + 100;
	ck_assert_int_eq(store_host_add(st, &h, NULL), NSUPD_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_host_unique_per_domain)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t d1 = add_domain("example.org", uid);
	int64_t d2 = add_domain("example.net", uid);
	int64_t h1 = add_host("home", d1, uid);
	store_host h;
	store_host_init(&h);
	snprintf(h.name, sizeof(h.name), "HOME");
	h.domain_id = d1;
	h.owner_id = uid;
	ck_assert_int_eq(store_host_add(st, &h, NULL), NSUPD_ERR_EXISTS);
	/* The same label in another domain is another host. */
	int64_t h2 = add_host("home", d2, uid);
	ck_assert_int_ne(h1, h2);
	store_host got;
	ck_assert_int_eq(store_host_get_by_fqdn(st, "home.example.net", &got), NSUPD_OK);
	ck_assert_int_eq(got.id, h2);
	ck_assert_int_eq(store_host_get_by_fqdn(st, "home.example.org", &got), NSUPD_OK);
	ck_assert_int_eq(got.id, h1);
}
END_TEST

START_TEST(test_host_secret_and_settings)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t did = add_domain("example.org", uid);
	int64_t hid = add_host("home", did, uid);
	store_host got;

	ck_assert_int_eq(store_host_set_secret(st, hid, "$argon2id$v=19$abc"), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert_str_eq(got.secret_hash, "$argon2id$v=19$abc");
	ck_assert_int_eq(store_host_set_secret(st, hid + 9, "x"), NSUPD_ERR_NOT_FOUND);

	store_host_settings set = { 0 };
	set.set_netmask_ipv6 = true;
	set.netmask_ipv6 = 56;
	set.abuse = true;          /* set_abuse false: must be ignored */
	ck_assert_int_eq(store_host_update_settings(st, hid, &set), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert_uint_eq(got.netmask_ipv6, 56);
	ck_assert_uint_eq(got.netmask_ipv4, 32);
	ck_assert(!got.abuse);
	ck_assert(got.available);
	ck_assert_str_eq(got.secret_hash, "$argon2id$v=19$abc");

	memset(&set, 0, sizeof(set));
	set.set_available = true;
	set.available = false;
	set.set_abuse = true;
	set.abuse = true;
	set.set_abuse_blocked = true;
	set.abuse_blocked = true;
	set.set_netmask_ipv4 = true;
	set.netmask_ipv4 = 24;
	set.set_comment = true;
	set.comment = "new comment";
	ck_assert_int_eq(store_host_update_settings(st, hid, &set), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert(!got.available);
	ck_assert(got.abuse);
	ck_assert(got.abuse_blocked);
	ck_assert_uint_eq(got.netmask_ipv4, 24);
	ck_assert_uint_eq(got.netmask_ipv6, 56);
	ck_assert_str_eq(got.comment, "new comment");

	memset(&set, 0, sizeof(set));
	set.set_abuse = true;
	set.abuse = false;
	ck_assert_int_eq(store_host_update_settings(st, hid, &set), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert(!got.abuse);
	ck_assert(got.abuse_blocked);
	ck_assert_str_eq(got.comment, "new comment");

	set.set_netmask_ipv4 = true;
	set.netmask_ipv4 = 33;
	ck_assert_int_eq(store_host_update_settings(st, hid, &set), NSUPD_ERR_INVALID);
	memset(&set, 0, sizeof(set));
	ck_assert_int_eq(store_host_update_settings(st, hid + 9, &set), NSUPD_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_host_record)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t did = add_domain("example.org", uid);
	int64_t hid = add_host("home", did, uid);
	store_host got;

	store_host_event ev = { 0 };
	ev.client_faults = 2;
	ev.api_auth_faults = 1;
	ev.client_msg = "2024-01-01 00:00:00 nochg (no change)";
	ev.poke_ipv4 = true;
	ev.tls = true;
	ev.now = 1700000100;
	ck_assert_int_eq(store_host_record(st, hid, &ev), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert_int_eq(got.client_faults, 2);
	ck_assert_int_eq(got.server_faults, 0);
	ck_assert_int_eq(got.api_auth_faults, 1);
	ck_assert_str_eq(got.client_result_msg, "2024-01-01 00:00:00 nochg (no change)");
	ck_assert_str_eq(got.server_result_msg, "");
	ck_assert_int_eq(got.last_update_ipv4, 1700000100);
	ck_assert(got.tls_update_ipv4);
	ck_assert_int_eq(got.last_update_ipv6, 0);
	ck_assert(!got.tls_update_ipv6);

	/* Counters add up; NULL messages stay; poking IPv6 keeps IPv4. */
	memset(&ev, 0, sizeof(ev));
	ev.client_faults = 3;
	ev.server_faults = 1;
	ev.server_msg = "dnserr";
	ev.poke_ipv6 = true;
	ev.tls = false;
	ev.now = 1700000200;
	ck_assert_int_eq(store_host_record(st, hid, &ev), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert_int_eq(got.client_faults, 5);
	ck_assert_int_eq(got.server_faults, 1);
	ck_assert_int_eq(got.api_auth_faults, 1);
	ck_assert_str_eq(got.client_result_msg, "2024-01-01 00:00:00 nochg (no change)");
	ck_assert_str_eq(got.server_result_msg, "dnserr");
	ck_assert_int_eq(got.last_update_ipv4, 1700000100);
	ck_assert(got.tls_update_ipv4);
	ck_assert_int_eq(got.last_update_ipv6, 1700000200);
	ck_assert(!got.tls_update_ipv6);
	ck_assert(!got.abuse);

	/* Poke IPv4 only: IPv6 untouched. */
	memset(&ev, 0, sizeof(ev));
	ev.poke_ipv4 = true;
	ev.now = 1700000300;
	ck_assert_int_eq(store_host_record(st, hid, &ev), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert_int_eq(got.last_update_ipv4, 1700000300);
	ck_assert(!got.tls_update_ipv4);
	ck_assert_int_eq(got.last_update_ipv6, 1700000200);

	/* An empty message is a value, not "unchanged". */
	memset(&ev, 0, sizeof(ev));
	ev.server_msg = "";
	ck_assert_int_eq(store_host_record(st, hid, &ev), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert_str_eq(got.server_result_msg, "");

	memset(&ev, 0, sizeof(ev));
	ev.flag_abuse_blocked = true;
	ev.client_faults = 1;
	ck_assert_int_eq(store_host_record(st, hid, &ev), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert(got.abuse);
	ck_assert(got.abuse_blocked);
	ck_assert_int_eq(got.client_faults, 6);

	ck_assert_int_eq(store_host_record(st, hid + 50, &ev), NSUPD_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_host_record_message_cut)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t did = add_domain("example.org", uid);
	int64_t hid = add_host("home", did, uid);
	store_host got;
	store_host_event ev = { 0 };
	char msg[600];

	/* 254 ASCII bytes then "é" (2 bytes): byte 255 would split it. */
	memset(msg, 'x', 254);
	strcpy(msg + 254, "\xc3\xa9 tail");
	ev.client_msg = msg;
	ck_assert_int_eq(store_host_record(st, hid, &ev), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert_uint_eq(strlen(got.client_result_msg), 254);
	ck_assert_int_eq(memcmp(got.client_result_msg, msg, 254), 0);

	/* 253 ASCII bytes then "é": both bytes fit in 255. */
	memset(msg, 'y', 253);
	strcpy(msg + 253, "\xc3\xa9 tail");
	ck_assert_int_eq(store_host_record(st, hid, &ev), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert_uint_eq(strlen(got.client_result_msg), 255);
	ck_assert_int_eq(memcmp(got.client_result_msg, msg, 255), 0);

	/* Long 4-byte sequences: never more than 255, always whole. */
	msg[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(msg, "\xf0\x9f\x98\x80");   /* U+1F600 */
	ev.client_msg = NULL;
	ev.api_auth_msg = msg;
	ck_assert_int_eq(store_host_record(st, hid, &ev), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert_uint_eq(strlen(got.api_auth_result_msg), 252);
	ck_assert_int_eq(memcmp(got.api_auth_result_msg, msg, 252), 0);
	/* client message untouched by a NULL. */
	ck_assert_uint_eq(strlen(got.client_result_msg), 255);

	/* Exactly 255 ASCII bytes stay whole. */
	memset(msg, 'z', 255);
	msg[255] = '\0';
	ev.api_auth_msg = msg;
	ck_assert_int_eq(store_host_record(st, hid, &ev), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert_str_eq(got.api_auth_result_msg, msg);
}
END_TEST

START_TEST(test_utf8_cut)
{
	ck_assert_uint_eq(store_utf8_cut("abc", 255), 3);
	ck_assert_uint_eq(store_utf8_cut("abcdef", 3), 3);
	ck_assert_uint_eq(store_utf8_cut("ab\xc3\xa9", 3), 2);
	ck_assert_uint_eq(store_utf8_cut("ab\xc3\xa9", 4), 4);
	ck_assert_uint_eq(store_utf8_cut("a\xe2\x82\xac" "b", 2), 1);
	ck_assert_uint_eq(store_utf8_cut("a\xe2\x82\xac" "b", 3), 1);
	ck_assert_uint_eq(store_utf8_cut("a\xe2\x82\xac" "b", 4), 4);
	/* Not UTF-8 at all: a plain byte cut rather than eating everything. */
	ck_assert_uint_eq(store_utf8_cut("\x80\x80\x80\x80\x80\x80\x80", 6), 6);
}
END_TEST

START_TEST(test_host_delete_count_list)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t d1 = add_domain("example.org", uid);
	int64_t d2 = add_domain("example.net", uid);
	add_host("charlie", d1, uid);
	int64_t a = add_host("alpha", d1, uid);
	add_host("bravo", d1, uid);
	add_host("other", d2, uid);
	int64_t n = 0;
	ck_assert_int_eq(store_host_count(st, &n), NSUPD_OK);
	ck_assert_int_eq(n, 4);

	ck_assert_int_eq(store_host_delete(st, a), NSUPD_OK);
	store_host got;
	ck_assert_int_eq(store_host_get(st, a, &got), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_get_by_fqdn(st, "alpha.example.org", &got), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_delete(st, a), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_count(st, &n), NSUPD_OK);
	ck_assert_int_eq(n, 3);
}
END_TEST

struct list_ctx {
	char names[8][64];
	int n;
	int stop_after;
};

static bool collect(const store_host *h, void *p)
{
	struct list_ctx *lc = p;
	ck_assert_str_eq(h->domain, "example.org");
	snprintf(lc->names[lc->n], sizeof(lc->names[0]), "%s", h->name);
	lc->n++;
	return lc->n != lc->stop_after;
}

START_TEST(test_host_list)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t d1 = add_domain("example.org", uid);
	int64_t d2 = add_domain("example.net", uid);
	add_host("charlie", d1, uid);
	add_host("alpha", d1, uid);
	add_host("bravo", d1, uid);
	add_host("other", d2, uid);

	struct list_ctx lc = { .stop_after = -1 };
	ck_assert_int_eq(store_host_list_by_domain(st, d1, collect, &lc), NSUPD_OK);
	ck_assert_int_eq(lc.n, 3);
	ck_assert_str_eq(lc.names[0], "alpha");
	ck_assert_str_eq(lc.names[1], "bravo");
	ck_assert_str_eq(lc.names[2], "charlie");

	memset(&lc, 0, sizeof(lc));
	lc.stop_after = 2;
	ck_assert_int_eq(store_host_list_by_domain(st, d1, collect, &lc), NSUPD_OK);
	ck_assert_int_eq(lc.n, 2);

	memset(&lc, 0, sizeof(lc));
	lc.stop_after = -1;
	ck_assert_int_eq(store_host_list_by_domain(st, d1 + 100, collect, &lc), NSUPD_OK);
	ck_assert_int_eq(lc.n, 0);
	/* The connection that served the early stop is usable again. */
	int64_t n = 0;
	ck_assert_int_eq(store_host_count(st, &n), NSUPD_OK);
	ck_assert_int_eq(n, 4);
}
END_TEST

/* ---- cascades ---- */

START_TEST(test_cascade_delete)
{
	migrated();
	int64_t alice = add_user("alice");
	int64_t bob = add_user("bob");
	int64_t da = add_domain("alice.example", alice);
	int64_t db_ = add_domain("bob.example", bob);
	int64_t ha = add_host("one", da, alice);
	int64_t hb_in_a = add_host("bobs", da, bob);     /* bob's host in alice's zone */
	int64_t ha_in_b = add_host("alices", db_, alice); /* alice's host in bob's zone */
	int64_t hb = add_host("two", db_, bob);

	/* Related rows hang off hosts: they go with them too. */
	sqlite3 *raw = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &raw), SQLITE_OK);
	sqlite3_busy_timeout(raw, 5000);
	char sql[256];
	snprintf(sql, sizeof(sql),
		"INSERT INTO related_hosts (name, main_host_id, created, last_update) "
		"VALUES ('nas', %lld, 0, 0)", (long long)ha_in_b);
	ck_assert_int_eq(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);

	ck_assert_int_eq(store_user_delete(st, alice), NSUPD_OK);
	store_user u;
	store_domain d;
	store_host h;
	ck_assert_int_eq(store_user_get(st, alice, &u), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_domain_get(st, da, &d), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_get(st, ha, &h), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_get(st, hb_in_a, &h), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_get(st, ha_in_b, &h), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_get(st, hb, &h), NSUPD_OK);
	ck_assert_int_eq(store_domain_get(st, db_, &d), NSUPD_OK);
	ck_assert_int_eq(store_user_get(st, bob, &u), NSUPD_OK);

	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(raw, "SELECT COUNT(*) FROM related_hosts", -1, &q,
		NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(q, 0), 0);
	sqlite3_finalize(q);
	sqlite3_close(raw);

	ck_assert_int_eq(store_domain_delete(st, db_), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, hb, &h), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_user_get(st, bob, &u), NSUPD_OK);
	ck_assert_int_eq(store_domain_delete(st, db_), NSUPD_ERR_NOT_FOUND);
	int64_t n = -1;
	ck_assert_int_eq(store_host_count(st, &n), NSUPD_OK);
	ck_assert_int_eq(n, 0);
}
END_TEST

/* ---- query plans ---- */

/* True when the plan of sql reads any table without an index. */
static bool plan_has_scan(sqlite3 *db, const char *sql)
{
	char eqp[4096];
	snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, eqp, -1, &q, NULL), SQLITE_OK);
	bool scan = false;
	int rows = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(q, 3);
		rows++;
		if (strncmp(detail, "SCAN", 4) == 0)
			scan = true;
	}
	sqlite3_finalize(q);
	ck_assert_int_gt(rows, 0);
	return scan;
}

START_TEST(test_hot_path_uses_indexes)
{
	migrated();
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert(!plan_has_scan(db, store_sqlite_sql_host_by_name()));
	ck_assert(!plan_has_scan(db, store_sqlite_sql_host_record()));
	/* The check itself can fail: a lookup on an unindexed column scans. */
	ck_assert(plan_has_scan(db, "SELECT id FROM hosts WHERE comment = ?1"));
	sqlite3_close(db);
}
END_TEST

/* ---- concurrency ---- */

struct worker {
	store *s;
	int64_t host;
	int n;
	int errors;
	nsupd_err last_err;
};

static void *record_worker(void *p)
{
	struct worker *w = p;
	store_host_event ev = { 0 };
	ev.client_faults = 1;
	ev.client_msg = "concurrent";
	for (int i = 0; i < w->n; i++) {
		nsupd_err err = store_host_record(w->s, w->host, &ev);
		if (err != NSUPD_OK) {
			w->errors++;
			w->last_err = err;
		}
		/* Interleave reads, as the update path does. */
		store_host h;
		err = store_host_get_by_fqdn(w->s, "busy.example.org", &h);
		if (err != NSUPD_OK) {
			w->errors++;
			w->last_err = err;
		}
	}
	return NULL;
}

static void run_workers(store *stores[], int nstores, int64_t hid)
{
	enum { THREADS = 8, EACH = 500 };
	pthread_t t[THREADS];
	struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .s = stores[i % nstores], .host = hid, .n = EACH };
		ck_assert_int_eq(pthread_create(&t[i], NULL, record_worker, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(w[i].errors == 0, "thread %d: %d errors, last %s", i, w[i].errors,
			nsupd_strerror(w[i].last_err));
	}
	store_host got;
	ck_assert_int_eq(store_host_get(st, hid, &got), NSUPD_OK);
	ck_assert_int_eq(got.client_faults, THREADS * EACH);
}

START_TEST(test_concurrent_record)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t did = add_domain("example.org", uid);
	int64_t hid = add_host("busy", did, uid);
	store *stores[] = { st };
	run_workers(stores, 1, hid);
}
END_TEST

/* Two handles on one file stand in for two processes: their writers meet
 * in SQLite's own locking, so the busy timeout has to absorb them. */
START_TEST(test_concurrent_record_two_handles)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t did = add_domain("example.org", uid);
	int64_t hid = add_host("busy", did, uid);
	store *other = NULL;
	ck_assert_int_eq(store_open(db_url, &other, NULL, 0), NSUPD_OK);
	store *stores[] = { st, other };
	run_workers(stores, 2, hid);
	store_close(other);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("sqlite");
	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_checked_fixture(tc, db_setup, db_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_migrate_idempotent);
	tcase_add_test(tc, test_before_migrate_schema_error);
	tcase_add_test(tc, test_schema_newer_than_program);
	tcase_add_test(tc, test_urls);
	tcase_add_test(tc, test_memory);
	tcase_add_test(tc, test_user);
	tcase_add_test(tc, test_domain);
	tcase_add_test(tc, test_host_add_get);
	tcase_add_test(tc, test_host_unique_per_domain);
	tcase_add_test(tc, test_host_secret_and_settings);
	tcase_add_test(tc, test_host_record);
	tcase_add_test(tc, test_host_record_message_cut);
	tcase_add_test(tc, test_utf8_cut);
	tcase_add_test(tc, test_host_delete_count_list);
	tcase_add_test(tc, test_host_list);
	tcase_add_test(tc, test_cascade_delete);
	tcase_add_test(tc, test_hot_path_uses_indexes);
	tcase_add_test(tc, test_concurrent_record);
	tcase_add_test(tc, test_concurrent_record_two_handles);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
