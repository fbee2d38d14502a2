/* Judging the answers of other dyndns2 services, and the retry back-off. */
#include <check.h>
#include <stdlib.h>

#include "core/fwdpolicy.h"

START_TEST(classify)
{
	char w[32];
	ck_assert_int_eq(fwd_classify(200, "good 192.0.2.1", w, sizeof(w)), FWD_DONE);
	ck_assert_str_eq(w, "good");
	ck_assert_int_eq(fwd_classify(200, "nochg 192.0.2.1\n", w, sizeof(w)), FWD_DONE);
	ck_assert_int_eq(fwd_classify(200, "\r\n good", w, sizeof(w)), FWD_DONE);
	/* Retrying cannot fix these. */
	ck_assert_int_eq(fwd_classify(401, "badauth", w, sizeof(w)), FWD_FAILED);
	ck_assert_str_eq(w, "badauth");
	ck_assert_int_eq(fwd_classify(200, "badauth", w, sizeof(w)), FWD_FAILED);
	ck_assert_int_eq(fwd_classify(200, "nohost", w, sizeof(w)), FWD_FAILED);
	ck_assert_int_eq(fwd_classify(200, "notfqdn", w, sizeof(w)), FWD_FAILED);
	ck_assert_int_eq(fwd_classify(200, "abuse", w, sizeof(w)), FWD_FAILED);
	ck_assert_int_eq(fwd_classify(403, "abuse", w, sizeof(w)), FWD_FAILED);
	ck_assert_int_eq(fwd_classify(401, "", w, sizeof(w)), FWD_FAILED);
	ck_assert_str_eq(w, "");
	/* Temporary. */
	ck_assert_int_eq(fwd_classify(200, "911", w, sizeof(w)), FWD_RETRY);
	ck_assert_int_eq(fwd_classify(200, "dnserr", w, sizeof(w)), FWD_RETRY);
	ck_assert_int_eq(fwd_classify(500, "<html>oops</html>", w, sizeof(w)), FWD_RETRY);
	ck_assert_int_eq(fwd_classify(503, "good", w, sizeof(w)), FWD_RETRY);
	ck_assert_int_eq(fwd_classify(429, NULL, w, sizeof(w)), FWD_RETRY);
	ck_assert_int_eq(fwd_classify(0, NULL, w, sizeof(w)), FWD_RETRY);
	/* "goodness" is not "good". */
	ck_assert_int_eq(fwd_classify(200, "goodness", w, sizeof(w)), FWD_RETRY);
	/* The word is cut to the buffer and keeps printable ASCII only. */
	ck_assert_int_eq(fwd_classify(200, "abcdefghij", w, 5), FWD_RETRY);
	ck_assert_str_eq(w, "abcd");
	ck_assert_int_eq(fwd_classify(200, "x\x01y", w, sizeof(w)), FWD_RETRY);
	ck_assert_str_eq(w, "x");
}
END_TEST

START_TEST(backoff)
{
	ck_assert_int_eq(fwd_backoff(1, 60, 3600), 60);
	ck_assert_int_eq(fwd_backoff(2, 60, 3600), 120);
	ck_assert_int_eq(fwd_backoff(3, 60, 3600), 240);
	ck_assert_int_eq(fwd_backoff(7, 60, 3600), 3600);
	ck_assert_int_eq(fwd_backoff(1000, 60, 3600), 3600);
	ck_assert_int_eq(fwd_backoff(0, 60, 3600), 60);
	ck_assert_int_eq(fwd_backoff(3, 1, 2), 2);
}
END_TEST

/* What `service add` and the admin's service form accept as the server and
 * path of the update URL. */
START_TEST(server_and_path)
{
	const char *good[] = { "dyn.example.com", "dyn.example.com:8443", "10.0.0.1",
			       "[2001:db8::1]", "[2001:db8::1]:443", "a_b.example" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(fwd_server_valid(good[i]), "%s", good[i]);
	const char *bad[] = { "", "2001:db8::1", "host:0", "host:65536", "host:", "host:x",
			      "user@host", "host/path", "host?q", "host#f", "[]", "[::1",
			      "[::1]x", "ho st", "host:80:81" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!fwd_server_valid(bad[i]), "%s", bad[i]);
	ck_assert(!fwd_server_valid(NULL));

	ck_assert(fwd_path_valid("/nic/update"));
	ck_assert(fwd_path_valid("/"));
	ck_assert(!fwd_path_valid("nic/update"));
	ck_assert(!fwd_path_valid("/a b"));
	ck_assert(!fwd_path_valid("/a#b"));
	ck_assert(!fwd_path_valid("/\xc3\xa9"));
	ck_assert(!fwd_path_valid(""));
	ck_assert(!fwd_path_valid(NULL));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fwdpolicy");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, classify);
	tcase_add_test(tc, backoff);
	tcase_add_test(tc, server_and_path);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
