/* The HTTP layer's pure helpers: route patterns and form bodies. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http/server.h"

START_TEST(patterns)
{
	arena *a = arena_new(1024);
	int64_t ints[HTTP_MAX_PATH_PARAMS] = { 0 };
	const char *names[HTTP_MAX_PATH_PARAMS] = { 0 };
	ck_assert(http_match_pattern("/overview/", "/overview/", ints, names, a));
	ck_assert(!http_match_pattern("/overview/", "/overview", ints, names, a));
	ck_assert(http_match_pattern("/host/<int>/", "/host/42/", ints, names, a));
	ck_assert_int_eq(ints[0], 42);
	ck_assert(http_match_pattern("/host/<int>/related/<int>/delete/", "/host/7/related/9/delete/",
				     ints, names, a));
	ck_assert_int_eq(ints[0], 7);
	ck_assert_int_eq(ints[1], 9);
	ck_assert(!http_match_pattern("/host/<int>/", "/host//", ints, names, a));
	ck_assert(!http_match_pattern("/host/<int>/", "/host/-1/", ints, names, a));
	ck_assert(!http_match_pattern("/host/<int>/", "/host/1x/", ints, names, a));
	ck_assert(!http_match_pattern("/host/<int>/", "/host/1234567890123456789/", ints, names, a));
	ck_assert(http_match_pattern("/custom/<name>", "/custom/imprint.html", ints, names, a));
	ck_assert_str_eq(names[0], "imprint.html");
	ck_assert(!http_match_pattern("/custom/<name>", "/custom/../x", ints, names, a));
	ck_assert(!http_match_pattern("/custom/<name>", "/custom/.hidden", ints, names, a));
	ck_assert(!http_match_pattern("/custom/<name>", "/custom/a/b", ints, names, a));
	ck_assert(!http_match_pattern("/custom/<name>", "/custom/", ints, names, a));
	arena_free(a);
}
END_TEST

START_TEST(form_bodies)
{
	char body[] = "a=1&b=hello+world&c=%3Cx%3E&empty=&flag&&a=2";
	http_param p[8];
	size_t n = 0;
	ck_assert(http_parse_urlencoded(body, p, 8, &n));
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(p[0].name, "a");
	ck_assert_str_eq(p[0].value, "1");
	ck_assert_str_eq(p[1].value, "hello world");
	ck_assert_str_eq(p[2].value, "<x>");
	ck_assert_str_eq(p[3].name, "empty");
	ck_assert_str_eq(p[3].value, "");
	ck_assert_str_eq(p[4].name, "flag");
	ck_assert_str_eq(p[5].value, "2");

	char nul[] = "a=x%00y";
	ck_assert(!http_parse_urlencoded(nul, p, 8, &n));
	char bad[] = "a=%zz";
	ck_assert(!http_parse_urlencoded(bad, p, 8, &n));
	char many[] = "a=1&b=2&c=3";
	ck_assert(!http_parse_urlencoded(many, p, 2, &n));
	char utf8[] = "name=J%C3%BCrgen";
	ck_assert(http_parse_urlencoded(utf8, p, 8, &n));
	ck_assert_str_eq(p[0].value, "J\xc3\xbcrgen");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("pure");
	tcase_add_test(tc, patterns);
	tcase_add_test(tc, form_bodies);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
