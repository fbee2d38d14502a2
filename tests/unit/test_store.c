/* Contract tests of the store against real SQLite files and, when
 * NSUPD_TEST_PG_URL names a PostgreSQL database (tests/pg/start.sh prints
 * one), against PostgreSQL: the same tests, run once per backend.
 *
 * SQLite: each test gets a fresh database in its own temporary directory;
 * the parent process owns a base directory and removes it whole at the end,
 * so a failing test (which exits its forked child early) leaves nothing
 * behind. PostgreSQL: each test gets a fresh schema (search_path and
 * application_name set through the URL); the parent drops every schema with
 * its prefix at the end, for the same reason. */
#include <check.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#ifdef NSUPD_HAVE_PG
#include <libpq-fe.h>
#endif

#include "store/store.h"
#include "store/store_backend.h"

static char base_dir[] = "/tmp/nsupd-test-store-XXXXXX";
static char db_path[512];
static char db_url[1024];
static store *st;

/* Which database the running test case uses; set by its fixtures. */
enum backend { BK_SQLITE, BK_PG };
static enum backend backend = BK_SQLITE;

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
	backend = BK_SQLITE;
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

#ifdef NSUPD_HAVE_PG
static const char *pg_base_url;      /* NSUPD_TEST_PG_URL */
static char pg_prefix[64];           /* schemas of this run: nsupdt_<parent pid>_ */
static char pg_schema[128];          /* the running test's schema */

/* One column of a generic statement's result, as text. */
typedef struct {
	char v[256];
	int rows;
} str_first;

static PGconn *pg_connect(const char *url)
{
	PGconn *c = PQconnectdb(url);
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "cannot connect to %s: %s",
		pg_base_url, PQerrorMessage(c));
	/* DROP ... CASCADE and IF NOT EXISTS send NOTICEs; keep stderr quiet. */
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	return c;
}

static void pg_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType t = PQresultStatus(r);
	ck_assert_msg(t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK, "%s: %s", sql,
		PQerrorMessage(c));
	PQclear(r);
}

/* The first column of the first row of sql, as a number. */
static long long pg_ll(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0, "%s: %s", sql,
		PQerrorMessage(c));
	long long v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

static void pg_base_setup(void)
{
	backend = BK_PG;
	/* A base directory too, for the SQLite side of test_copy_database. */
	snprintf(base_dir, sizeof(base_dir), "/tmp/nsupd-test-store-XXXXXX");
	base_setup();
	snprintf(pg_prefix, sizeof(pg_prefix), "nsupdt_%d_", (int)getpid());
}

/* Drops every schema this run made, including those of tests that failed
 * before their teardown. */
static void pg_base_teardown(void)
{
	base_teardown();
	PGconn *c = PQconnectdb(pg_base_url);
	if (PQstatus(c) == CONNECTION_OK) {
		PQclear(PQexec(c, "SET client_min_messages = warning"));
		const char *params[] = { pg_prefix };
		PGresult *r = PQexecParams(c,
			"SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)",
			1, NULL, params, NULL, NULL, 0);
		for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++) {
			char sql[256];
			snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE",
				PQgetvalue(r, i, 0));
			PQclear(PQexec(c, sql));
		}
		PQclear(r);
	}
	PQfinish(c);
}

/* Runs in the test's own process: a new schema, an open store whose
 * connections see only that schema. */
static void pg_db_setup(void)
{
	static int n;
	backend = BK_PG;
	snprintf(pg_schema, sizeof(pg_schema), "%s%d_%d", pg_prefix, (int)getpid(), n++);
	PGconn *c = pg_connect(pg_base_url);
	char sql[256];
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", pg_schema);
	pg_exec(c, sql);
	PQfinish(c);
	/* options=-c search_path=SCHEMA, percent-encoded in the URI. */
	snprintf(db_url, sizeof(db_url), "%s%soptions=-c%%20search_path%%3D%s&application_name=%s",
		pg_base_url, strchr(pg_base_url, '?') != NULL ? "&" : "?", pg_schema, pg_schema);
	char err[256];
	ck_assert_int_eq(store_open(db_url, &st, err, sizeof(err)), NSUPD_OK);
}

static void pg_db_teardown(void)
{
	store_close(st);
	st = NULL;
	PGconn *c = pg_connect(pg_base_url);
	char sql[256];
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", pg_schema);
	pg_exec(c, sql);
	PQfinish(c);
}
#endif

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
#ifdef NSUPD_HAVE_PG
	if (backend == BK_PG) {
		PGconn *c = pg_connect(db_url);
		ck_assert_int_eq(pg_ll(c, "SELECT COUNT(*) FROM schema_version"), latest);
		ck_assert_int_eq(pg_ll(c, "SELECT MAX(version) FROM schema_version"), latest);
		/* The tables went into the schema of the URL's search_path. */
		ck_assert_int_eq(pg_ll(c, "SELECT COUNT(*) FROM pg_tables WHERE "
			"schemaname = current_schema() AND tablename IN ('users', 'domains', "
			"'hosts', 'sessions', 'schema_version')"), 5);
		PQfinish(c);
		return;
	}
#endif
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
#ifdef NSUPD_HAVE_PG
	if (backend == BK_PG) {
		PGconn *c = pg_connect(db_url);
		pg_exec(c, "INSERT INTO schema_version (version, applied) VALUES (9999, 0)");
		PQfinish(c);
	} else
#endif
	{
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
		"INSERT INTO schema_version (version, applied) VALUES (9999, 0)",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	}

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

#ifdef NSUPD_HAVE_PG
	/* Nothing listens on port 1: a connection error, with a reason that
	 * names PostgreSQL and not the password. */
	ck_assert_int_eq(store_open("postgresql://u:hunter2@127.0.0.1:1/nsupd?connect_timeout=5",
		&s, err, sizeof(err)), NSUPD_ERR_DB);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "PostgreSQL"));
	ck_assert_ptr_null(strstr(err, "hunter2"));
#else
	ck_assert_int_eq(store_open("postgresql://u@localhost/nsupd", &s, err, sizeof(err)),
		NSUPD_ERR_CONFIG);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "PostgreSQL"));
#endif
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

	/* The update path's lookup returns the same host and the whole domain
	 * row, exactly as store_domain_get() does. */
	store_host with;
	store_domain dom, dom_direct;
	ck_assert_int_eq(store_host_get_with_domain(st, "MyHost.example.org", &with, &dom), NSUPD_OK);
	/* ... and what a good update has to follow up (nothing yet). */
	ck_assert(with.followups_read && !got.followups_read);
	ck_assert(!with.related_due && !with.forward_due_ipv4 && !with.forward_due_ipv6);
	with.followups_read = false;
	ck_assert_int_eq(memcmp(&with, &got, sizeof(got)), 0);
	ck_assert_int_eq(store_domain_get(st, did, &dom_direct), NSUPD_OK);
	ck_assert_int_eq(memcmp(&dom, &dom_direct, sizeof(dom)), 0);
	ck_assert_int_eq(dom.id, did);
	ck_assert_str_eq(dom.name, "example.org");
	ck_assert_int_eq(store_host_get_with_domain(st, "other.example.org", &with, &dom),
			 NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_host_get_with_domain(st, "nodot", &with, &dom), NSUPD_ERR_NOT_FOUND);

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

/* Several events at once (one UPDATE on PostgreSQL): each lands on its
 * own host, two for one host add up in order, and an unknown id gets
 * NOT_FOUND without failing the others. */
START_TEST(test_host_record_many)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t did = add_domain("example.org", uid);
	int64_t a = add_host("a", did, uid);
	int64_t b = add_host("b", did, uid);
	store_host_event ev[4];
	memset(ev, 0, sizeof(ev));
	ev[0] = (store_host_event){ .client_faults = 1, .client_msg = "first", .now = 1700000001,
				   .poke_ipv4 = true };
	ev[1] = (store_host_event){ .server_faults = 2, .server_msg = "dnserr", .now = 1700000002 };
	ev[2] = (store_host_event){ .client_faults = 4, .client_msg = "second", .now = 1700000003,
				   .poke_ipv6 = true, .tls = true };
	ev[3] = (store_host_event){ .client_faults = 9, .now = 1700000004 };
	const int64_t ids[4] = { a, b, a, 999999 };
	const store_host_event *evs[4] = { &ev[0], &ev[1], &ev[2], &ev[3] };
	nsupd_err results[4];
	store_host_record_many(st, ids, evs, 4, results);
	ck_assert_int_eq(results[0], NSUPD_OK);
	ck_assert_int_eq(results[1], NSUPD_OK);
	ck_assert_int_eq(results[2], NSUPD_OK);
	ck_assert_int_eq(results[3], NSUPD_ERR_NOT_FOUND);
	store_host got;
	ck_assert_int_eq(store_host_get(st, a, &got), NSUPD_OK);
	ck_assert_int_eq(got.client_faults, 5);
	ck_assert_str_eq(got.client_result_msg, "second");
	ck_assert_int_eq(got.last_update_ipv4, 1700000001);
	ck_assert_int_eq(got.last_update_ipv6, 1700000003);
	ck_assert(got.tls_update_ipv6);
	ck_assert_int_eq(store_host_get(st, b, &got), NSUPD_OK);
	ck_assert_int_eq(got.server_faults, 2);
	ck_assert_str_eq(got.server_result_msg, "dnserr");
	ck_assert_int_eq(got.client_faults, 0);

	/* A large batch, then single events after it on the same pool. */
	int64_t many_ids[100];
	store_host_event many_ev[100];
	const store_host_event *many_evs[100];
	nsupd_err many_res[100];
	for (int i = 0; i < 100; i++) {
		many_ids[i] = i % 2 == 0 ? a : b;
		many_ev[i] = (store_host_event){ .client_faults = 1, .now = 1700000100 + i };
		many_evs[i] = &many_ev[i];
	}
	store_host_record_many(st, many_ids, many_evs, 100, many_res);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(many_res[i], NSUPD_OK);
	ck_assert_int_eq(store_host_record(st, b, &ev[3]), NSUPD_OK);
	ck_assert_int_eq(store_host_get(st, a, &got), NSUPD_OK);
	ck_assert_int_eq(got.client_faults, 5 + 50);
	ck_assert_int_eq(store_host_get(st, b, &got), NSUPD_OK);
	ck_assert_int_eq(got.client_faults, 50 + 9);
}
END_TEST

/* Messages in a batch that need quoting in an array literal, cutting, or
 * cleaning (invalid UTF-8) come out as one by one would write them. */
START_TEST(test_host_record_many_messages)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t did = add_domain("example.org", uid);
	int64_t a = add_host("a", did, uid);
	int64_t b = add_host("b", did, uid);
	char longmsg[600];
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	store_host_event ev[3];
	memset(ev, 0, sizeof(ev));
	ev[0] = (store_host_event){ .client_msg = "quote \" back\\slash {brace,comma} NULL",
				   .server_msg = "", .now = 1700000001 };
	ev[1] = (store_host_event){ .client_msg = longmsg, .api_auth_msg = "bad \xff byte",
				   .now = 1700000002, .flag_abuse_blocked = true };
	ev[2] = (store_host_event){ .server_msg = "NULL", .now = 1700000003 };
	const int64_t ids[3] = { a, b, b };
	const store_host_event *evs[3] = { &ev[0], &ev[1], &ev[2] };
	nsupd_err results[3];
	store_host_record_many(st, ids, evs, 3, results);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(results[i], NSUPD_OK);
	store_host got;
	ck_assert_int_eq(store_host_get(st, a, &got), NSUPD_OK);
	ck_assert_str_eq(got.client_result_msg, "quote \" back\\slash {brace,comma} NULL");
	ck_assert_str_eq(got.server_result_msg, "");
	ck_assert(!got.abuse_blocked);
	ck_assert_int_eq(store_host_get(st, b, &got), NSUPD_OK);
	ck_assert_uint_eq(strlen(got.client_result_msg), 255);
	ck_assert_str_eq(got.server_result_msg, "NULL");
	ck_assert(got.abuse_blocked);
	ck_assert(strncmp(got.api_auth_result_msg, "bad ", 4) == 0);
}
END_TEST

/* Lookups from many threads at once (queued and answered in batches on
 * PostgreSQL, store_host_lookup_start): each gets its own host, exactly one
 * answer, and names that do not exist get NOT_FOUND. */
#define LOOKUP_THREADS 16
#define LOOKUP_ROUNDS 200

struct lookup_run {
	int index;
	int failures;
	int queued;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int answers;
	nsupd_err result;
};

static void lookup_answered(void *ctx, nsupd_err result)
{
	struct lookup_run *run = ctx;
	pthread_mutex_lock(&run->mu);
	run->answers++;
	run->result = result;
	pthread_cond_signal(&run->cond);
	pthread_mutex_unlock(&run->mu);
}

/* After a start call: its result in place, or else the callback's. */
static nsupd_err answer_of(struct lookup_run *run, bool in_place, nsupd_err result)
{
	if (in_place)
		return result;
	run->queued++;
	pthread_mutex_lock(&run->mu);
	while (run->answers == 0)
		pthread_cond_wait(&run->cond, &run->mu);
	result = run->result;
	pthread_mutex_unlock(&run->mu);
	return result;
}

static nsupd_err lookup_wait(struct lookup_run *run, const char *fqdn, store_host *h,
			     store_domain *d)
{
	nsupd_err result = NSUPD_ERR_INTERNAL;
	run->answers = 0;
	bool in_place = store_host_lookup_start(st, fqdn, h, d, &result, lookup_answered, run);
	return answer_of(run, in_place, result);
}

static void *lookup_thread(void *arg)
{
	struct lookup_run *run = arg;
	for (int r = 0; r < LOOKUP_ROUNDS; r++) {
		int k = (run->index + r) % 8;
		char fqdn[64];
		store_host h;
		store_domain d;
		if (k == 7) {
			snprintf(fqdn, sizeof(fqdn), "missing%d.example.org", run->index);
			if (lookup_wait(run, fqdn, &h, &d) != NSUPD_ERR_NOT_FOUND)
				run->failures++;
			continue;
		}
		snprintf(fqdn, sizeof(fqdn), "H%d.%s", k, k % 2 == 0 ? "example.org" : "example.net");
		char want[16];
		snprintf(want, sizeof(want), "h%d", k);
		if (lookup_wait(run, fqdn, &h, &d) != NSUPD_OK || strcmp(h.name, want) != 0 ||
		    strcmp(d.name, k % 2 == 0 ? "example.org" : "example.net") != 0 ||
		    h.domain_id != d.id)
			run->failures++;
	}
	return NULL;
}

START_TEST(test_host_lookup_concurrent)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t org = add_domain("example.org", uid);
	int64_t net = add_domain("example.net", uid);
	for (int k = 0; k < 7; k++) {
		char name[16];
		snprintf(name, sizeof(name), "h%d", k);
		add_host(name, k % 2 == 0 ? org : net, uid);
	}
	pthread_t t[LOOKUP_THREADS];
	struct lookup_run runs[LOOKUP_THREADS];
	for (int i = 0; i < LOOKUP_THREADS; i++) {
		runs[i] = (struct lookup_run){ .index = i };
		pthread_mutex_init(&runs[i].mu, NULL);
		pthread_cond_init(&runs[i].cond, NULL);
		ck_assert_int_eq(pthread_create(&t[i], NULL, lookup_thread, &runs[i]), 0);
	}
	int failures = 0, queued = 0;
	for (int i = 0; i < LOOKUP_THREADS; i++) {
		pthread_join(t[i], NULL);
		failures += runs[i].failures;
		queued += runs[i].queued;
		pthread_mutex_destroy(&runs[i].mu);
		pthread_cond_destroy(&runs[i].cond);
	}
	ck_assert_int_eq(failures, 0);
	/* Where lookups can wait (PostgreSQL), some of these did. */
	if (strncmp(db_url, "postgres", 8) == 0)
		ck_assert_int_gt(queued, 0);
}
END_TEST

/* Result writes from many threads at once (queued and written in batches
 * on PostgreSQL, store_host_record_start): every event counts exactly
 * once, each caller gets exactly one answer, and a host that does not
 * exist gets NOT_FOUND without failing the others in its batch. */
struct record_run {
	struct lookup_run r;
	const int64_t *ids;
	int per_host[8];
};

static nsupd_err record_wait(struct lookup_run *run, int64_t id, const store_host_event *ev)
{
	nsupd_err result = NSUPD_ERR_INTERNAL;
	run->answers = 0;
	bool in_place = store_host_record_start(st, id, ev, &result, lookup_answered, run);
	return answer_of(run, in_place, result);
}

static void *record_thread(void *arg)
{
	struct record_run *run = arg;
	for (int r = 0; r < LOOKUP_ROUNDS; r++) {
		int k = (run->r.index + r) % 8;
		char msg[32];
		snprintf(msg, sizeof(msg), "from %d round %d", run->r.index, r);
		store_host_event ev = { .client_faults = 1, .client_msg = msg,
					.poke_ipv4 = k % 2 == 0, .now = 1000 + r };
		nsupd_err e = record_wait(&run->r, run->ids[k], &ev);
		if (e != (k == 7 ? NSUPD_ERR_NOT_FOUND : NSUPD_OK))
			run->r.failures++;
		else if (k != 7)
			run->per_host[k]++;
	}
	return NULL;
}

START_TEST(test_host_record_start_concurrent)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t did = add_domain("example.org", uid);
	int64_t ids[8];
	for (int k = 0; k < 7; k++) {
		char name[16];
		snprintf(name, sizeof(name), "h%d", k);
		ids[k] = add_host(name, did, uid);
	}
	ids[7] = ids[6] + 1000;   /* no such host */
	pthread_t t[LOOKUP_THREADS];
	struct record_run runs[LOOKUP_THREADS];
	for (int i = 0; i < LOOKUP_THREADS; i++) {
		runs[i] = (struct record_run){ .r = { .index = i }, .ids = ids };
		pthread_mutex_init(&runs[i].r.mu, NULL);
		pthread_cond_init(&runs[i].r.cond, NULL);
		ck_assert_int_eq(pthread_create(&t[i], NULL, record_thread, &runs[i]), 0);
	}
	int failures = 0, queued = 0, want[8] = { 0 };
	for (int i = 0; i < LOOKUP_THREADS; i++) {
		pthread_join(t[i], NULL);
		failures += runs[i].r.failures;
		queued += runs[i].r.queued;
		for (int k = 0; k < 7; k++)
			want[k] += runs[i].per_host[k];
		pthread_mutex_destroy(&runs[i].r.mu);
		pthread_cond_destroy(&runs[i].r.cond);
	}
	ck_assert_int_eq(failures, 0);
	for (int k = 0; k < 7; k++) {
		store_host got;
		ck_assert_int_eq(store_host_get(st, ids[k], &got), NSUPD_OK);
		ck_assert_int_eq(got.client_faults, want[k]);
		ck_assert(strncmp(got.client_result_msg, "from ", 5) == 0);
		ck_assert_int_eq(got.last_update_ipv4 != 0, k % 2 == 0);
	}
	if (strncmp(db_url, "postgres", 8) == 0)
		ck_assert_int_gt(queued, 0);
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
	char sql[256];
	snprintf(sql, sizeof(sql),
		"INSERT INTO related_hosts (name, main_host_id, created, last_update) "
		"VALUES ('nas', %lld, 0, 0)", (long long)ha_in_b);
	sqlite3 *raw = NULL;
#ifdef NSUPD_HAVE_PG
	PGconn *pgraw = NULL;
	if (backend == BK_PG) {
		pgraw = pg_connect(db_url);
		pg_exec(pgraw, sql);
	} else
#endif
	{
	ck_assert_int_eq(sqlite3_open(db_path, &raw), SQLITE_OK);
	sqlite3_busy_timeout(raw, 5000);
	ck_assert_int_eq(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
	}

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

#ifdef NSUPD_HAVE_PG
	if (backend == BK_PG) {
		ck_assert_int_eq(pg_ll(pgraw, "SELECT COUNT(*) FROM related_hosts"), 0);
		PQfinish(pgraw);
	} else
#endif
	{
	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(raw, "SELECT COUNT(*) FROM related_hosts", -1, &q,
		NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(q, 0), 0);
	sqlite3_finalize(q);
	sqlite3_close(raw);
	}

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

#ifdef NSUPD_HAVE_PG
/* True when PostgreSQL's plan of the prepared statement `p`, executed with
 * args, reads any table without an index. Sequential scans are priced out
 * (enable_seqscan off), so a tiny test table still shows whether an index
 * exists at all: without one the planner has no other choice. */
static bool pg_plan_has_scan(PGconn *c, const char *sql, const char *args)
{
	pg_exec(c, "SET enable_seqscan = off");
	pg_exec(c, "DEALLOCATE ALL");
	char buf[4096];
	snprintf(buf, sizeof(buf), "PREPARE p AS %s", sql);
	pg_exec(c, buf);
	snprintf(buf, sizeof(buf), "EXPLAIN EXECUTE p%s", args);
	PGresult *r = PQexec(c, buf);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", buf, PQerrorMessage(c));
	ck_assert_int_gt(PQntuples(r), 0);
	bool scan = false;
	for (int i = 0; i < PQntuples(r); i++)
		if (strstr(PQgetvalue(r, i, 0), "Seq Scan") != NULL)
			scan = true;
	PQclear(r);
	return scan;
}
#endif

START_TEST(test_hot_path_uses_indexes)
{
	migrated();
#ifdef NSUPD_HAVE_PG
	if (backend == BK_PG) {
		PGconn *c = pg_connect(db_url);
		ck_assert(!pg_plan_has_scan(c, store_pg_sql_host_by_name(),
			"('home', 'example.org')"));
		ck_assert(!pg_plan_has_scan(c, store_pg_sql_host_record(),
			"(1, 0, 0, 'nochg', NULL, NULL, true, false, false, 1700000000, false, 7)"));
		/* The check itself can fail: a lookup on an unindexed column scans. */
		ck_assert(pg_plan_has_scan(c, "SELECT id FROM hosts WHERE comment = $1", "('x')"));
		PQfinish(c);
		return;
	}
#endif
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

/* ---- copying an installation (migrate-db) ---- */

static int64_t count_rows(const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
#ifdef NSUPD_HAVE_PG
	if (backend == BK_PG) {
		PGconn *c = pg_connect(db_url);
		int64_t n = pg_ll(c, sql);
		PQfinish(c);
		return n;
	}
#endif
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static int64_t report_rows(const store_copy_report *r, const char *table)
{
	for (int i = 0; i < r->ntables; i++)
		if (strcmp(r->tables[i].table, table) == 0)
			return r->tables[i].rows;
	ck_abort_msg("table %s not in the report", table);
	return -1;
}

/* A SQLite installation copied into this test's (empty, unmigrated)
 * database, then from there into a new SQLite file: everything but
 * sessions arrives, ids and all, and a second copy is refused. */
START_TEST(test_copy_database)
{
	/* Under base_dir, which the parent removes even if this test fails. */
	static int n;
	char dir[400];
	snprintf(dir, sizeof(dir), "%s/copy%d-%d", base_dir, (int)getpid(), n++);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	char src_url[600], back_url[600], src_path[600];
	snprintf(src_path, sizeof(src_path), "%s/src.sqlite", dir);
	snprintf(src_url, sizeof(src_url), "sqlite://%s", src_path);
	snprintf(back_url, sizeof(back_url), "sqlite://%s/back.sqlite", dir);

	/* The source, built through the store (add_* use st). */
	store *target = st;
	ck_assert_int_eq(store_open(src_url, &st, NULL, 0), NSUPD_OK);
	migrated();
	int64_t alice = add_user("alice");
	int64_t bob = add_user("bob");
	int64_t did = add_domain("example.org", alice);
	int64_t gone = add_host("gone", did, alice);
	int64_t home = add_host("home", did, alice);
	int64_t office = add_host("office", did, bob);
	ck_assert_int_eq(store_host_delete(st, gone), NSUPD_OK);   /* a gap in the ids */
	store_host_event ev = { 0 };
	ev.client_faults = 3;
	ev.client_msg = "tab\there, newline\nthere, backslash \\ caf\xc3\xa9";
	ev.poke_ipv4 = true;
	ev.tls = true;
	ev.now = 1700000123;
	ck_assert_int_eq(store_host_record(st, home, &ev), NSUPD_OK);
	store_host_settings set = { 0 };
	set.set_abuse = true;
	set.abuse = true;
	set.set_netmask_ipv6 = true;
	set.netmask_ipv6 = 56;
	ck_assert_int_eq(store_host_update_settings(st, office, &set), NSUPD_OK);
	store_close(st);
	st = target;
	sqlite3 *raw = NULL;
	ck_assert_int_eq(sqlite3_open(src_path, &raw), SQLITE_OK);
	char sql[256];
	snprintf(sql, sizeof(sql),
		"INSERT INTO sessions (id, user_id, data, created, expires) VALUES ('s1', %lld, '', 1, 2);"
		"INSERT INTO related_hosts (name, main_host_id, created, last_update) "
		"VALUES ('nas', %lld, 0, 0)", (long long)alice, (long long)home);
	ck_assert_int_eq(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);

	store_copy_report rep;
	char err[512];
	ck_assert_msg(store_copy_database(src_url, db_url, &rep, err, sizeof(err)) == NSUPD_OK,
		"copy: %s", err);
	ck_assert_int_ge(rep.ntables, 9);
	ck_assert_int_eq(report_rows(&rep, "users"), 2);
	ck_assert_int_eq(report_rows(&rep, "domains"), 1);
	ck_assert_int_eq(report_rows(&rep, "hosts"), 2);
	ck_assert_int_eq(report_rows(&rep, "related_hosts"), 1);
	ck_assert_int_eq(count_rows("sessions"), 0);
	ck_assert_int_eq(count_rows("related_hosts"), 1);

	store_host got;
	ck_assert_int_eq(store_host_get_by_fqdn(st, "home.example.org", &got), NSUPD_OK);
	ck_assert_int_eq(got.id, home);
	ck_assert_int_eq(got.owner_id, alice);
	ck_assert_int_eq(got.client_faults, 3);
	ck_assert_str_eq(got.client_result_msg, ev.client_msg);
	ck_assert_int_eq(got.last_update_ipv4, 1700000123);
	ck_assert(got.tls_update_ipv4);
	ck_assert(got.available);
	ck_assert(!got.abuse);
	ck_assert_int_eq(store_host_get_by_fqdn(st, "office.example.org", &got), NSUPD_OK);
	ck_assert_int_eq(got.id, office);
	ck_assert_int_eq(got.owner_id, bob);
	ck_assert(got.abuse);
	ck_assert_uint_eq(got.netmask_ipv6, 56);
	store_user u;
	ck_assert_int_eq(store_user_get_by_name(st, "bob", &u), NSUPD_OK);
	ck_assert_int_eq(u.id, bob);
	ck_assert_str_eq(u.password_hash, "$argon2id$dummy");

	/* New rows get ids after the copied ones. */
	int64_t fresh = add_host("fresh", did, bob);
	ck_assert_int_gt(fresh, office);
	ck_assert_int_gt(add_user("carol"), bob);

	/* The target is no longer empty: a second run is refused. */
	err[0] = '\0';
	ck_assert_int_eq(store_copy_database(src_url, db_url, &rep, err, sizeof(err)),
		NSUPD_ERR_EXISTS);
	ck_assert_ptr_nonnull(strstr(err, "not empty"));
	ck_assert_int_eq(rep.ntables, 0);
	ck_assert_int_eq(store_copy_database(db_url, db_url, &rep, err, sizeof(err)),
		NSUPD_ERR_INVALID);

	/* And back into a new SQLite file: flags and texts survive both ways. */
	ck_assert_msg(store_copy_database(db_url, back_url, &rep, err, sizeof(err)) == NSUPD_OK,
		"copy back: %s", err);
	ck_assert_int_eq(report_rows(&rep, "hosts"), 3);
	ck_assert_int_eq(report_rows(&rep, "users"), 3);
	store *back = NULL;
	ck_assert_int_eq(store_open(back_url, &back, NULL, 0), NSUPD_OK);
	ck_assert_int_eq(store_host_get_by_fqdn(back, "home.example.org", &got), NSUPD_OK);
	ck_assert_int_eq(got.id, home);
	ck_assert_str_eq(got.client_result_msg, ev.client_msg);
	ck_assert(got.tls_update_ipv4);
	ck_assert(got.available);
	ck_assert(!got.abuse);
	ck_assert_int_eq(store_host_get_by_fqdn(back, "office.example.org", &got), NSUPD_OK);
	ck_assert(got.abuse);
	ck_assert_int_eq(store_host_get_by_fqdn(back, "fresh.example.org", &got), NSUPD_OK);
	ck_assert_int_eq(got.id, fresh);
	store_close(back);
}
END_TEST

#ifdef NSUPD_HAVE_PG
/* ---- PostgreSQL only ---- */

START_TEST(test_pg_urls)
{
	char err[512];
	store *s = NULL;

	/* "postgres://" is the same as "postgresql://". */
	const char *rest = strstr(db_url, "://");
	ck_assert_ptr_nonnull(rest);
	char url[1200];
	snprintf(url, sizeof(url), "postgres%s", rest);
	ck_assert_int_eq(store_open(url, &s, err, sizeof(err)), NSUPD_OK);
	ck_assert_int_eq(store_migrate(s), NSUPD_OK);
	store_close(s);
	s = NULL;
	int version = 0, latest = 0;
	ck_assert_int_eq(store_schema_version(st, &version, &latest), NSUPD_OK);
	ck_assert_int_eq(version, latest);

	/* A wrong password: refused at open, and the reason does not quote
	 * it. Only when the URL carries user:password@. */
	const char *at = strchr(rest + 3, '@');
	const char *colon = strchr(rest + 3, ':');
	if (at != NULL && colon != NULL && colon < at) {
		snprintf(url, sizeof(url), "postgresql://%.*s:Wr0ngPassw0rd%s",
			(int)(colon - (rest + 3)), rest + 3, at);
		err[0] = '\0';
		ck_assert_int_eq(store_open(url, &s, err, sizeof(err)), NSUPD_ERR_DB);
		ck_assert_ptr_null(s);
		ck_assert_ptr_nonnull(strstr(err, "PostgreSQL"));
		ck_assert_ptr_null(strstr(err, "Wr0ngPassw0rd"));
	}

	/* libpq quotes a malformed URI whole in its message: the password
	 * must still not show. */
	err[0] = '\0';
	ck_assert_int_ne(store_open("postgresql://u:hunter2@[::1/nsupd", &s, err, sizeof(err)),
		NSUPD_OK);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "PostgreSQL"));
	ck_assert_ptr_null(strstr(err, "hunter2"));
}
END_TEST

/* Several processes running `nsupd migrate` on an empty database at once:
 * all succeed and the schema is created exactly once. */
START_TEST(test_pg_concurrent_migrate)
{
	enum { PROCS = 4 };
	int gate[2];
	ck_assert_int_eq(pipe(gate), 0);
	pid_t pids[PROCS];
	for (int i = 0; i < PROCS; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			close(gate[1]);
			store *s = NULL;
			if (store_open(db_url, &s, NULL, 0) != NSUPD_OK)
				_exit(2);
			char c;
			/* Everybody connected: go at once when the parent closes. */
			if (read(gate[0], &c, 1) != 0)
				_exit(3);
			nsupd_err err = store_migrate(s);
			store_close(s);
			_exit(err == NSUPD_OK ? 0 : 1);
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (int i = 0; i < PROCS; i++) {
		int status = 0;
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			"migrating process %d failed (status %d)", i, status);
	}
	int version = 0, latest = 0;
	ck_assert_int_eq(store_schema_version(st, &version, &latest), NSUPD_OK);
	ck_assert_int_eq(version, latest);
	PGconn *c = pg_connect(db_url);
	ck_assert_int_eq(pg_ll(c, "SELECT COUNT(*) FROM schema_version"), latest);
	PQfinish(c);
	add_user("alice");
}
END_TEST

/* Kills the server sessions of this test's store and waits until they are
 * gone, as a database restart or fail-over would. */
static void kill_store_sessions(void)
{
	PGconn *c = pg_connect(pg_base_url);
	char sql[512];
	snprintf(sql, sizeof(sql), "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
		"WHERE application_name = '%s' AND pid <> pg_backend_pid()", pg_schema);
	ck_assert_int_ge(pg_ll(c, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM pg_stat_activity "
		"WHERE application_name = '%s' AND pid <> pg_backend_pid()", pg_schema);
	int left = -1;
	for (int i = 0; i < 500 && left != 0; i++) {
		left = (int)pg_ll(c, sql);
		if (left != 0)
			usleep(10000);
	}
	ck_assert_int_eq(left, 0);
	PQfinish(c);
}

START_TEST(test_pg_reconnect)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t did = add_domain("example.org", uid);
	int64_t hid = add_host("home", did, uid);

	kill_store_sessions();
	store_user u;
	ck_assert_int_eq(store_user_get(st, uid, &u), NSUPD_OK);
	ck_assert_str_eq(u.name, "alice");

	/* A write on a dropped connection is applied once, not lost. */
	kill_store_sessions();
	store_host_event ev = { 0 };
	ev.client_faults = 1;
	ck_assert_int_eq(store_host_record(st, hid, &ev), NSUPD_OK);
	store_host h;
	ck_assert_int_eq(store_host_get(st, hid, &h), NSUPD_OK);
	ck_assert_int_eq(h.client_faults, 1);

	/* Statements prepared before are prepared again on the new session. */
	kill_store_sessions();
	ck_assert_int_eq(store_host_get_by_fqdn(st, "home.example.org", &h), NSUPD_OK);
	ck_assert_int_eq(h.id, hid);
	kill_store_sessions();
	struct list_ctx lc = { .stop_after = -1 };
	ck_assert_int_eq(store_host_list_by_domain(st, did, collect, &lc), NSUPD_OK);
	ck_assert_int_eq(lc.n, 1);
	int64_t n = 0;
	kill_store_sessions();
	ck_assert_int_eq(store_host_count(st, &n), NSUPD_OK);
	ck_assert_int_eq(n, 1);
}
END_TEST

/* ---- store_exec's prepared-statement cache (PostgreSQL) ---- */

static bool first_col(const store_row *r, void *ctx)
{
	str_first *out = ctx;
	snprintf(out->v, sizeof(out->v), "%s", r->ncols > 0 && r->col[0] != NULL ? r->col[0] : "NULL");
	out->rows++;
	return true;
}

/* Runs one generic statement; its first column of the last row, as text. */
static str_first gen1(const char *sql, const store_param *p, int np)
{
	str_first out = { .v = "" };
	store_sql q = { .sql = sql, .params = p, .n_params = np, .on_row = first_col, .ctx = &out };
	ck_assert_msg(store_exec(st, &q, 1) == NSUPD_OK, "store_exec: %s", sql);
	return out;
}

static long long gen_ll(const char *sql, const store_param *p, int np)
{
	str_first r = gen1(sql, p, np);
	ck_assert_int_eq(r.rows, 1);
	return strtoll(r.v, NULL, 10);
}

/* How often the store's session has run the prepared statement sql (it
 * sees its own session: one thread borrows the same connection), -1 when
 * that session has no such statement. */
static long long prepared_runs(const char *sql)
{
	const store_param p[] = { { .type = STORE_P_TEXT, .s = sql } };
	str_first r = gen1("SELECT generic_plans + custom_plans FROM pg_prepared_statements "
		"WHERE statement = $1", p, 1);
	ck_assert_int_le(r.rows, 1);
	return r.rows == 0 ? -1 : strtoll(r.v, NULL, 10);
}

static long long prepared_generic(void)
{
	return gen_ll("SELECT COUNT(*) FROM pg_prepared_statements WHERE name LIKE 'nsupd\\_g%'",
		NULL, 0);
}

#define HOT_SQL "SELECT CAST($1 AS BIGINT) + 1"

START_TEST(test_pg_exec_cache)
{
	migrated();
	int64_t uid = add_user("alice");

	/* Prepared once, then only executed. */
	for (int i = 0; i < 100; i++) {
		const store_param p[] = { { .type = STORE_P_INT, .i = i } };
		ck_assert_int_eq(gen_ll(HOT_SQL, p, 1), i + 1);
	}
	ck_assert_int_eq(prepared_runs(HOT_SQL), 100);

	/* Types come from the SQL, as with PQexecParams, never from the
	 * values of the first call: an integer, then text, then NULL for
	 * one parameter, and the other used as a bigint. */
	const char *typed = "SELECT COUNT(*) FROM users WHERE username = $1 OR id = CAST($2 AS BIGINT)";
	const store_param t1[] = { { .type = STORE_P_INT, .i = 7 }, { .type = STORE_P_INT, .i = uid } };
	const store_param t2[] = { { .type = STORE_P_TEXT, .s = "alice" }, { .type = STORE_P_NULL } };
	const store_param t3[] = { { .type = STORE_P_TEXT, .s = "7" }, { .type = STORE_P_INT, .i = 0 } };
	ck_assert_int_eq(gen_ll(typed, t1, 2), 1);
	ck_assert_int_eq(gen_ll(typed, t2, 2), 1);
	ck_assert_int_eq(gen_ll(typed, t3, 2), 0);
	const store_param tb[] = { { .type = STORE_P_BOOL, .i = 1 } };
	ck_assert_str_eq(gen1("SELECT CAST($1 AS BOOLEAN)", tb, 1).v, "t");
	/* A statement that fails to prepare is not cached, and the
	 * connection stays usable. */
	store_sql bad = { .sql = "SELECT no_such_column FROM users" };
	ck_assert_int_eq(store_exec(st, &bad, 1), NSUPD_ERR_DB);
	ck_assert_int_eq(gen_ll(typed, t2, 2), 1);

	/* Far more distinct texts than the cache holds, all built in one
	 * buffer (same pointer, other SQL each time), with the hot
	 * statement between them: every text gets its own answer, the
	 * session keeps a bounded number, and the hot one is never evicted. */
	char buf[128];
	for (int i = 0; i < 200; i++) {
		snprintf(buf, sizeof(buf), "SELECT CAST($1 AS BIGINT) + %d", 1000 + i);
		const store_param p[] = { { .type = STORE_P_INT, .i = 5 } };
		ck_assert_int_eq(gen_ll(buf, p, 1), 1005 + i);
		ck_assert_int_eq(gen_ll(HOT_SQL, p, 1), 6);
	}
	long long kept = prepared_generic();
	ck_assert_int_le(kept, 64);
	ck_assert_int_ge(kept, 32);
	ck_assert_int_eq(prepared_runs(HOT_SQL), 300);
	snprintf(buf, sizeof(buf), "SELECT CAST($1 AS BIGINT) + %d", 1000);
	ck_assert_int_eq(prepared_runs(buf), -1);
	const store_param p9[] = { { .type = STORE_P_INT, .i = 9 } };
	ck_assert_int_eq(gen_ll(buf, p9, 1), 1009);
	ck_assert_int_eq(prepared_runs(buf), 1);

	/* The server session dies (restart, fail-over): the cache goes with
	 * it, and the statement is prepared again on the new session. */
	kill_store_sessions();
	ck_assert_int_eq(gen_ll(HOT_SQL, p9, 1), 10);
	ck_assert_int_eq(prepared_runs(HOT_SQL), 1);
	kill_store_sessions();
	const store_param pu[] = { { .type = STORE_P_TEXT, .s = "alice" } };
	str_first r1 = { .v = "" }, r2 = { .v = "" };
	store_sql two[2] = {
		{ .sql = "SELECT COUNT(*) FROM users WHERE username = $1", .params = pu,
		  .n_params = 1, .on_row = first_col, .ctx = &r1 },
		{ .sql = HOT_SQL, .params = p9, .n_params = 1, .on_row = first_col, .ctx = &r2 },
	};
	ck_assert_int_eq(store_exec(st, two, 2), NSUPD_OK);
	ck_assert_str_eq(r1.v, "1");
	ck_assert_str_eq(r2.v, "10");
}
END_TEST

/* A migration that changes a column's type under a prepared statement
 * ("cached plan must not change result type"): the statement is prepared
 * again, for store_exec's cache and for the backend's own statements. */
START_TEST(test_pg_exec_cache_stale_plan)
{
	migrated();
	int64_t uid = add_user("alice");
	const char *sql = "SELECT email FROM users WHERE id = CAST($1 AS BIGINT)";
	const store_param p[] = { { .type = STORE_P_INT, .i = uid } };
	for (int i = 0; i < 3; i++)
		ck_assert_str_eq(gen1(sql, p, 1).v, "alice@example.org");
	store_user u;
	ck_assert_int_eq(store_user_get(st, uid, &u), NSUPD_OK);
	PGconn *c = pg_connect(db_url);
	pg_exec(c, "ALTER TABLE users ALTER COLUMN email TYPE VARCHAR(300)");
	PQfinish(c);
	ck_assert_str_eq(gen1(sql, p, 1).v, "alice@example.org");
	store_sql two[2] = {
		{ .sql = "SELECT 1" },
		{ .sql = sql, .params = p, .n_params = 1 },
	};
	ck_assert_int_eq(store_exec(st, two, 2), NSUPD_OK);
	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(store_user_get(st, uid, &u), NSUPD_OK);
	ck_assert_str_eq(u.email, "alice@example.org");
}
END_TEST

/* A table locked by someone else: the call gives up after the lock
 * timeout with NSUPD_ERR_DB_BUSY (as SQLite's busy timeout does), and
 * works again once the lock is gone. */
START_TEST(test_pg_lock_timeout)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t did = add_domain("example.org", uid);
	int64_t hid = add_host("home", did, uid);
	PGconn *c = pg_connect(db_url);
	pg_exec(c, "BEGIN");
	pg_exec(c, "LOCK TABLE hosts IN ACCESS EXCLUSIVE MODE");
	store_host_event ev = { 0 };
	ev.client_faults = 1;
	time_t t0 = time(NULL);
	ck_assert_int_eq(store_host_record(st, hid, &ev), NSUPD_ERR_DB_BUSY);
	ck_assert_int_le(time(NULL) - t0, 20);
	pg_exec(c, "ROLLBACK");
	PQfinish(c);
	ck_assert_int_eq(store_host_record(st, hid, &ev), NSUPD_OK);
	store_host h;
	ck_assert_int_eq(store_host_get(st, hid, &h), NSUPD_OK);
	ck_assert_int_eq(h.client_faults, 1);
}
END_TEST

/* SQLite stores any bytes; a UTF-8 PostgreSQL database refuses invalid
 * ones. Diagnostics (result messages, comments) are repaired so that an
 * update is never lost over them; names are refused as invalid. */
START_TEST(test_pg_invalid_utf8)
{
	migrated();
	int64_t uid = add_user("alice");
	int64_t did = add_domain("example.org", uid);
	int64_t hid = add_host("home", did, uid);
	store_host_event ev = { 0 };
	ev.client_faults = 1;
	ev.client_msg = "bad \xff\xfe bytes \xc3";
	ev.server_msg = "caf\xc3\xa9";
	ck_assert_int_eq(store_host_record(st, hid, &ev), NSUPD_OK);
	store_host h;
	ck_assert_int_eq(store_host_get(st, hid, &h), NSUPD_OK);
	ck_assert_str_eq(h.client_result_msg, "bad ?? bytes ?");
	ck_assert_str_eq(h.server_result_msg, "caf\xc3\xa9");
	ck_assert_int_eq(h.client_faults, 1);

	store_user u = { 0 };
	snprintf(u.name, sizeof(u.name), "bad\xff");
	ck_assert_int_eq(store_user_add(st, &u, NULL), NSUPD_ERR_INVALID);
	/* Too long for the column: invalid, not a database failure. */
	memset(u.email, 'e', sizeof(u.email) - 1);
	u.email[sizeof(u.email) - 1] = '\0';
	snprintf(u.name, sizeof(u.name), "longmail");
	ck_assert_int_eq(store_user_add(st, &u, NULL), NSUPD_ERR_INVALID);
}
END_TEST
#endif

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
	tcase_add_test(tc, test_host_record_many);
	tcase_add_test(tc, test_host_record_many_messages);
	tcase_add_test(tc, test_host_lookup_concurrent);
	tcase_add_test(tc, test_host_record_start_concurrent);
	tcase_add_test(tc, test_host_record_message_cut);
	tcase_add_test(tc, test_utf8_cut);
	tcase_add_test(tc, test_host_delete_count_list);
	tcase_add_test(tc, test_host_list);
	tcase_add_test(tc, test_cascade_delete);
	tcase_add_test(tc, test_hot_path_uses_indexes);
	tcase_add_test(tc, test_concurrent_record);
	tcase_add_test(tc, test_concurrent_record_two_handles);
	tcase_add_test(tc, test_copy_database);
	suite_add_tcase(s, tc);

#ifdef NSUPD_HAVE_PG
	pg_base_url = getenv("NSUPD_TEST_PG_URL");
	if (pg_base_url == NULL || pg_base_url[0] == '\0') {
		fprintf(stderr, "test_store: NSUPD_TEST_PG_URL is not set, "
			"PostgreSQL tests skipped (tests/pg/start.sh DIR prints one)\n");
		return s;
	}
	/* Every backend-neutral test again; test_urls, test_memory and
	 * test_utf8_cut are about SQLite URLs or no database at all. */
	TCase *pc = tcase_create("postgresql");
	tcase_add_unchecked_fixture(pc, pg_base_setup, pg_base_teardown);
	tcase_add_checked_fixture(pc, pg_db_setup, pg_db_teardown);
	tcase_set_timeout(pc, 60);
	tcase_add_test(pc, test_migrate_idempotent);
	tcase_add_test(pc, test_before_migrate_schema_error);
	tcase_add_test(pc, test_schema_newer_than_program);
	tcase_add_test(pc, test_user);
	tcase_add_test(pc, test_domain);
	tcase_add_test(pc, test_host_add_get);
	tcase_add_test(pc, test_host_unique_per_domain);
	tcase_add_test(pc, test_host_secret_and_settings);
	tcase_add_test(pc, test_host_record);
	tcase_add_test(pc, test_host_record_many);
	tcase_add_test(pc, test_host_record_many_messages);
	tcase_add_test(pc, test_host_lookup_concurrent);
	tcase_add_test(pc, test_host_record_start_concurrent);
	tcase_add_test(pc, test_host_record_message_cut);
	tcase_add_test(pc, test_host_delete_count_list);
	tcase_add_test(pc, test_host_list);
	tcase_add_test(pc, test_cascade_delete);
	tcase_add_test(pc, test_hot_path_uses_indexes);
	tcase_add_test(pc, test_concurrent_record);
	tcase_add_test(pc, test_concurrent_record_two_handles);
	tcase_add_test(pc, test_pg_urls);
	tcase_add_test(pc, test_pg_concurrent_migrate);
	tcase_add_test(pc, test_pg_reconnect);
	tcase_add_test(pc, test_pg_exec_cache);
	tcase_add_test(pc, test_pg_exec_cache_stale_plan);
	tcase_add_test(pc, test_pg_invalid_utf8);
	tcase_add_test(pc, test_pg_lock_timeout);
	tcase_add_test(pc, test_copy_database);
	suite_add_tcase(s, pc);
#endif
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
