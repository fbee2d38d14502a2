/* The pure parts of the registration e-mail checks: the address's form,
 * the blacklist, and how the resolver setting is read. (The DNS part is
 * tested against a real named in tests/system/test_web_accounts.py.) */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "web/email_check.h"

START_TEST(syntax_good)
{
	static const char *const good[] = {
		"a@example.org", "first.last@sub.example.co", "x+tag@example.org",
		"o'neil@example.org", "user_1-2@xn--bcher-kva.example", "a@b.cd",
		"!#$%&'*+/=?^_`{|}~-@example.org", "UPPER@EXAMPLE.ORG",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(email_syntax_ok(good[i]), "%s", good[i]);
}
END_TEST

START_TEST(syntax_bad)
{
	static const char *const bad[] = {
		"", "plain", "@example.org", "a@", "a@b", "a@localhost", ".a@example.org",
		"a.@example.org", "a..b@example.org", "a b@example.org", "a@exa mple.org",
		"a@-example.org", "a@example-.org", "a@example..org", "a@example.org.",
		"a@example.o", "a@example.123", "a@[192.0.2.1]", "a\n@example.org",
		"a@example.org\r", "ä@example.org", "a@bücher.example", "a\"b@example.org",
		"a@b@example.org" /* local part may not hold @ unquoted */,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!email_syntax_ok(bad[i]), "%s", bad[i]);
	ck_assert(!email_syntax_ok(NULL));
	char longlocal[80];
	memset(longlocal, 'a', 65);
	strcpy(longlocal + 65, "@example.org");
	ck_assert(!email_syntax_ok(longlocal));
	longlocal[64] = '@';
	strcpy(longlocal + 65, "example.org");
	ck_assert(email_syntax_ok(longlocal));
	char longaddr[300];
	memset(longaddr, 'b', sizeof(longaddr));
	memcpy(longaddr, "a@", 2);
	for (size_t i = 10; i < 280; i += 10)
		longaddr[i] = '.';
	strcpy(longaddr + 280, ".org");
	ck_assert(!email_syntax_ok(longaddr));
}
END_TEST

START_TEST(blacklist)
{
	char *res[] = { "^spam[0-9]*@", "@evil\\.example$", "(unclosed", "a{2,3}x@" };
	ck_assert(email_blacklisted(res, 4, "spam7@example.org"));
	ck_assert(email_blacklisted(res, 4, "SPAM@example.org"));
	ck_assert(email_blacklisted(res, 4, "x@EVIL.example"));
	ck_assert(email_blacklisted(res, 4, "aax@example.org"));
	ck_assert(!email_blacklisted(res, 4, "nospam@example.org"));
	ck_assert(!email_blacklisted(res, 4, "x@evil.example.org"));
	ck_assert(!email_blacklisted(res, 4, "ax@example.org"));
	ck_assert(!email_blacklisted(res, 0, "spam@example.org"));
}
END_TEST

START_TEST(resolver_setting)
{
	dns_server s;
	ck_assert(!email_resolver("none", &s));
	ck_assert(email_resolver("192.0.2.53", &s));
	ck_assert_uint_eq(s.port, 53);
	ck_assert_uint_eq(s.addr.family, 4);
	ck_assert(email_resolver("127.0.0.1:5353", &s));
	ck_assert_uint_eq(s.port, 5353);
	ck_assert(email_resolver("[::1]:5300", &s));
	ck_assert_uint_eq(s.port, 5300);
	ck_assert_uint_eq(s.addr.family, 6);
	/* Empty: the system's resolver (whatever this machine has). */
	ck_assert(email_resolver("", &s));
	ck_assert_uint_eq(s.port, 53);
	ck_assert(s.addr.family == 4 || s.addr.family == 6);
}
END_TEST

static Suite *email_suite(void)
{
	Suite *s = suite_create("email_check");
	TCase *tc = tcase_create("pure");
	tcase_add_test(tc, syntax_good);
	tcase_add_test(tc, syntax_bad);
	tcase_add_test(tc, blacklist);
	tcase_add_test(tc, resolver_setting);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(email_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
