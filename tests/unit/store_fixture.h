/* Shared by the store contract tests: every test case gets a fresh store,
 * an SQLite file in a temporary directory (db_setup/db_teardown) or, when
 * NSUPD_TEST_PG_URL names a PostgreSQL database, a schema of its own
 * (pg_db_setup/pg_db_teardown). The including file defines
 * STORE_FIXTURE_DIR (a mkdtemp template) and STORE_FIXTURE_SCHEMA (a schema
 * name prefix) first, and sets pg_base_url before using the PG fixture. */
#ifndef NSUPD_TESTS_STORE_FIXTURE_H
#define NSUPD_TESTS_STORE_FIXTURE_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

#ifdef NSUPD_HAVE_PG
#include <libpq-fe.h>
#endif


static char base_dir[] = STORE_FIXTURE_DIR;
static char db_url[1024];
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

static void db_setup(void)
{
	static int n;
	char dir[400];
	snprintf(dir, sizeof(dir), "%s/t%d-%d", base_dir, (int)getpid(), n++);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(db_url, sizeof(db_url), "sqlite://%s/test.sqlite", dir);
	char err[256];
	ck_assert_int_eq(store_open(db_url, &st, err, sizeof(err)), NSUPD_OK);
	ck_assert_int_eq(store_migrate(st), NSUPD_OK);
}

static void db_teardown(void)
{
	store_close(st);
	st = NULL;
}

#ifdef NSUPD_HAVE_PG
static const char *pg_base_url;
static char pg_schema[128];

static void pg_run(const char *fmt, const char *arg)
{
	char sql[256];
	snprintf(sql, sizeof(sql), fmt, arg);
	PGconn *c = PQconnectdb(pg_base_url);
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "cannot connect: %s", PQerrorMessage(c));
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	PGresult *r = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

static void pg_db_setup(void)
{
	static int n;
	snprintf(pg_schema, sizeof(pg_schema), STORE_FIXTURE_SCHEMA "_%d_%d", (int)getpid(), n++);
	pg_run("CREATE SCHEMA %s", pg_schema);
	snprintf(db_url, sizeof(db_url), "%s%soptions=-c%%20search_path%%3D%s", pg_base_url,
		 strchr(pg_base_url, '?') != NULL ? "&" : "?", pg_schema);
	char err[256];
	ck_assert_int_eq(store_open(db_url, &st, err, sizeof(err)), NSUPD_OK);
	ck_assert_int_eq(store_migrate(st), NSUPD_OK);
}

static void pg_db_teardown(void)
{
	store_close(st);
	st = NULL;
	pg_run("DROP SCHEMA IF EXISTS %s CASCADE", pg_schema);
}
#endif

/* A suite named name with the tests add_tests adds, once on SQLite and,
 * when NSUPD_TEST_PG_URL is set (and PostgreSQL support is built), once
 * more on PostgreSQL; then runs it. Returns the exit status for main. */
static int store_fixture_run(const char *name, void (*add_tests)(TCase *tc))
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create("sqlite");
	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_checked_fixture(tc, db_setup, db_teardown);
	tcase_set_timeout(tc, 60);
	add_tests(tc);
	suite_add_tcase(s, tc);
#ifdef NSUPD_HAVE_PG
	pg_base_url = getenv("NSUPD_TEST_PG_URL");
	if (pg_base_url == NULL || pg_base_url[0] == '\0') {
		fprintf(stderr, "test_%s: NSUPD_TEST_PG_URL is not set, PostgreSQL tests skipped\n",
			name);
	} else {
		TCase *pc = tcase_create("postgresql");
		tcase_add_checked_fixture(pc, pg_db_setup, pg_db_teardown);
		tcase_set_timeout(pc, 60);
		add_tests(pc);
		suite_add_tcase(s, pc);
	}
#endif
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
