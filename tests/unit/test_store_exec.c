/* The generic statement path (store_exec) that the later store modules use:
 * results stay right when statements are kept prepared per connection,
 * when more distinct texts are used than a connection keeps, when the
 * schema changes under a kept statement, and inside a failing transaction.
 * Runs on SQLite and, with NSUPD_TEST_PG_URL, on PostgreSQL. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORE_FIXTURE_DIR "/tmp/nsupd-test-exec-XXXXXX"
#define STORE_FIXTURE_SCHEMA "nsupde"
#include "store_fixture.h"
#include "store/store_backend.h"

static bool grab_int(const store_row *row, void *ctx)
{
	ck_assert_int_ge(row->ncols, 1);
	ck_assert_ptr_nonnull(row->col[0]);
	*(long long *)ctx = atoll(row->col[0]);
	return false;
}

/* Runs one single-row, single-column SELECT with one integer parameter. */
static long long select_int(const char *sql, long long param)
{
	const store_param p[] = { { .type = STORE_P_INT, .i = param } };
	long long out = -1;
	store_sql q = { .sql = sql, .params = p, .n_params = 1, .on_row = grab_int, .ctx = &out };
	ck_assert_int_eq(store_exec(st, &q, 1), NSUPD_OK);
	return out;
}

static nsupd_err run(const char *sql)
{
	store_sql q = { .sql = sql };
	return store_exec(st, &q, 1);
}

START_TEST(test_same_statement_many_times)
{
	for (long long i = 0; i < 500; i++)
		ck_assert_int_eq(select_int("SELECT CAST($1 AS BIGINT) * 2", i), i * 2);
}
END_TEST

/* More distinct texts than any connection keeps (64 today): every one,
 * first use or evicted and prepared again, still gives its own answer. */
START_TEST(test_more_texts_than_kept)
{
	char sql[200][64];
	for (int i = 0; i < 200; i++)
		snprintf(sql[i], sizeof(sql[i]), "SELECT CAST($1 AS BIGINT) + %d", i);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 200; i++)
			ck_assert_int_eq(select_int(sql[i], 1000), 1000 + i);
	/* Text in a reused buffer: the cache must key on the text, not on
	 * where it lives. */
	char buf[64];
	for (int i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "SELECT CAST($1 AS BIGINT) - %d", i);
		ck_assert_int_eq(select_int(buf, 1000), 1000 - i);
	}
}
END_TEST

START_TEST(test_schema_change_under_kept_statement)
{
	ck_assert_int_eq(run("CREATE TABLE exec_probe (a BIGINT)"), NSUPD_OK);
	ck_assert_int_eq(run("INSERT INTO exec_probe (a) VALUES (7)"), NSUPD_OK);
	const char *sel = "SELECT COUNT(*) + CAST($1 AS BIGINT) FROM exec_probe";
	ck_assert_int_eq(select_int(sel, 0), 1);
	ck_assert_int_eq(run("ALTER TABLE exec_probe ADD COLUMN b BIGINT"), NSUPD_OK);
	ck_assert_int_eq(run("INSERT INTO exec_probe (a, b) VALUES (8, 9)"), NSUPD_OK);
	ck_assert_int_eq(select_int(sel, 0), 2);
	ck_assert_int_eq(run("DROP TABLE exec_probe"), NSUPD_OK);
	ck_assert_int_eq(run("CREATE TABLE exec_probe (a BIGINT)"), NSUPD_OK);
	ck_assert_int_eq(select_int(sel, 5), 5);
}
END_TEST

/* A failing statement in a transaction rolls back the earlier ones, and
 * the kept statements work afterwards. */
START_TEST(test_failed_transaction_then_reuse)
{
	ck_assert_int_eq(run("CREATE TABLE exec_probe (a BIGINT PRIMARY KEY)"), NSUPD_OK);
	const store_param p1[] = { { .type = STORE_P_INT, .i = 1 } };
	store_sql q[2] = {
		{ .sql = "INSERT INTO exec_probe (a) VALUES ($1)", .params = p1, .n_params = 1 },
		{ .sql = "INSERT INTO exec_probe (a) VALUES ($1)", .params = p1, .n_params = 1 },
	};
	ck_assert_int_eq(store_exec(st, q, 2), NSUPD_ERR_EXISTS);
	const char *count = "SELECT COUNT(*) + CAST($1 AS BIGINT) FROM exec_probe";
	ck_assert_int_eq(select_int(count, 0), 0);
	ck_assert_int_eq(store_exec(st, q, 1), NSUPD_OK);
	ck_assert_int_eq(q[0].changes, 1);
	ck_assert_int_eq(select_int(count, 0), 1);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, test_same_statement_many_times);
	tcase_add_test(tc, test_more_texts_than_kept);
	tcase_add_test(tc, test_schema_change_under_kept_statement);
	tcase_add_test(tc, test_failed_transaction_then_reuse);
}

int main(void)
{
	return store_fixture_run("store_exec", add_tests);
}
