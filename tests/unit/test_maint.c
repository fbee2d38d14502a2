/* Pure decisions of the maintenance jobs (src/core/maint.c). */
#include <check.h>
#include <stdlib.h>

#include "core/maint.h"

#define DAY 86400
static const int64_t NOW = 1700000000;

START_TEST(test_recent_host_is_kept_or_reset)
{
	stale_decision d = stale_decide(NOW - DAY, 0, 0, 0, NOW);
	ck_assert_int_eq(d.action, STALE_KEEP);
	d = stale_decide(0, NOW - 324 * DAY, 2, NOW - 100 * DAY, NOW);
	ck_assert_int_eq(d.action, STALE_RESET);
	ck_assert_uint_eq(d.staleness, 0);
	/* The newer of the two families counts. */
	d = stale_decide(NOW - 1000 * DAY, NOW - 10 * DAY, 4, 0, NOW);
	ck_assert_int_eq(d.action, STALE_RESET);
}
END_TEST

START_TEST(test_stages)
{
	int64_t old = NOW - 325 * DAY;
	stale_decision d = stale_decide(old, 0, 0, 0, NOW);
	ck_assert_int_eq(d.action, STALE_NOTIFY);
	ck_assert_uint_eq(d.staleness, 1);
	d = stale_decide(old, 0, 1, NOW - 8 * DAY, NOW);
	ck_assert_int_eq(d.action, STALE_NOTIFY);
	ck_assert_uint_eq(d.staleness, 2);
	d = stale_decide(old, 0, 2, NOW - 9 * DAY, NOW);
	ck_assert_int_eq(d.action, STALE_UNAVAILABLE);
	ck_assert_uint_eq(d.staleness, 3);
	d = stale_decide(old, 0, 3, NOW - 9 * DAY, NOW);
	ck_assert_int_eq(d.action, STALE_UNAVAILABLE);
	ck_assert_uint_eq(d.staleness, 4);
	d = stale_decide(old, 0, 4, NOW - 9 * DAY, NOW);
	ck_assert_int_eq(d.action, STALE_DELETE);
	ck_assert_uint_eq(d.staleness, 5);
	d = stale_decide(old, 0, 7, 0, NOW);
	ck_assert_int_eq(d.action, STALE_DELETE);
}
END_TEST

START_TEST(test_time_to_react)
{
	int64_t old = NOW - 400 * DAY;
	stale_decision d = stale_decide(old, old, 1, NOW - 8 * DAY + 1, NOW);
	ck_assert_int_eq(d.action, STALE_KEEP);
	ck_assert_uint_eq(d.staleness, 1);
	/* NULL times count as 1970-01-02: never updated is stale. */
	d = stale_decide(0, 0, 0, 0, NOW);
	ck_assert_int_eq(d.action, STALE_NOTIFY);
}
END_TEST

START_TEST(test_user_age)
{
	ck_assert_int_eq(user_age(NOW - 10, NOW - 1000, NOW), 10);
	ck_assert_int_eq(user_age(0, NOW - 1000, NOW), 1000);
	ck_assert_int_eq(user_age(NOW - 5000, NOW - 1000, NOW), 1000);
	ck_assert_int_eq(user_age(0, 0, NOW), NOW - MAINT_NULL_TIME);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("maint");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_recent_host_is_kept_or_reset);
	tcase_add_test(tc, test_stages);
	tcase_add_test(tc, test_time_to_react);
	tcase_add_test(tc, test_user_age);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
