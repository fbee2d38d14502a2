/* Interface IDs of related hosts and the prefix forms of myip. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/dyndns2.h"
#include "core/ifid.h"

static void parse_ok(const char *text, int family, const char *want_canon)
{
	bool empty = true;
	ip_addr a;
	char canon[IP_STRLEN];
	char err[200];
	ck_assert_msg(ifid_parse(text, family, &empty, &a, canon, err, sizeof(err)),
		      "'%s' (family %d) refused: %s", text, family, err);
	ck_assert(!empty);
	ck_assert_int_eq(a.family, family);
	ck_assert_str_eq(canon, want_canon);
}

static void parse_bad(const char *text, int family, const char *want_in_msg)
{
	bool empty = false;
	ip_addr a;
	char canon[IP_STRLEN];
	char err[200] = "";
	ck_assert_msg(!ifid_parse(text, family, &empty, &a, canon, err, sizeof(err)),
		      "'%s' (family %d) accepted", text, family);
	ck_assert_msg(strstr(err, want_in_msg) != NULL, "message for '%s': %s", text, err);
}

START_TEST(ifid_forms_v6)
{
	parse_ok("::1", 6, "::1");
	parse_ok("::216:3eff:fe00:1", 6, "::216:3eff:fe00:1");
	parse_ok("216:3eff:fe00:1", 6, "::216:3eff:fe00:1");
	parse_ok("a:b", 6, "::a:b");
	parse_ok("1", 6, "::1");
	parse_ok("0", 6, "::");
	parse_ok("  ::2  ", 6, "::2");
	parse_ok("0x1f", 6, "::1f");
	parse_ok("300", 6, "::12c");
	parse_ok("0.0.0.1", 6, "::1");   /* the value counts */
	/* Largest decimal value: 2^128 - 1. */
	parse_ok("340282366920938463463374607431768211455", 6,
		 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	/* Eight groups are a whole address, so the canonical text of a large
	 * ID (the edit form shows it) reads back as the same ID (found by
	 * fuzzing: it was refused). */
	parse_ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6,
		 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	parse_ok("0x1fff1fffffffffffffffffffffffff", 6, "1f:ff1f:ffff:ffff:ffff:ffff:ffff:ffff");
	parse_ok("1f:ff1f:ffff:ffff:ffff:ffff:ffff:ffff", 6, "1f:ff1f:ffff:ffff:ffff:ffff:ffff:ffff");
}
END_TEST

START_TEST(ifid_forms_v4)
{
	parse_ok("0.0.0.1", 4, "0.0.0.1");
	parse_ok("0.0.0.0", 4, "0.0.0.0");
	parse_ok("1", 4, "0.0.0.1");
	parse_ok("0", 4, "0.0.0.0");
	parse_ok("258", 4, "0.0.1.2");
	parse_ok("::1", 4, "0.0.0.1");
	parse_ok("0xff", 4, "0.0.0.255");
	parse_ok("4294967295", 4, "255.255.255.255");
}
END_TEST

START_TEST(ifid_empty)
{
	bool empty = false;
	ip_addr a;
	char canon[IP_STRLEN] = "x";
	char err[100];
	ck_assert(ifid_parse("", 6, &empty, &a, canon, err, sizeof(err)));
	ck_assert(empty);
	ck_assert_str_eq(canon, "");
	empty = false;
	ck_assert(ifid_parse("   ", 4, &empty, &a, canon, err, sizeof(err)));
	ck_assert(empty);
	ck_assert(ifid_parse(NULL, 4, &empty, &a, canon, err, sizeof(err)));
	ck_assert(empty);
}
END_TEST

START_TEST(ifid_refused)
{
	parse_bad("x", 6, "is not valid");
	parse_bad("abc", 6, "is not valid");   /* bare hex: ambiguous with decimal */
	parse_bad("1:2:3:4:5", 6, "is not valid");   /* 5 to 7 groups: which bits? */
	parse_bad("1:2:3:4:5:6:7", 6, "is not valid");
	parse_bad("1:2:3:4:5:6:7:8:9", 6, "is not valid");
	parse_bad("1:2:3:4:5:6:1.2.3.4", 6, "is not valid");
	parse_bad("::1::2", 6, "is not valid");
	parse_bad("1.2.3", 4, "is not valid");
	parse_bad("01.2.3.4", 4, "is not valid");
	parse_bad("-1", 4, "is not valid");
	parse_bad("1e3", 4, "is not valid");
	parse_bad("0x", 4, "is not valid");
	parse_bad("4294967296", 4, "too large for IPv4");
	parse_bad("::1:0:0", 4, "too large for IPv4");
	parse_bad("340282366920938463463374607431768211456", 6, "is not valid");
	parse_bad("0.0.0.1/24", 4, "is not valid");
	parse_bad("::1%eth0", 6, "is not valid");
}
END_TEST

static ip_addr A(const char *s)
{
	ip_addr a;
	ck_assert_msg(ip_parse(s, &a), "bad test address %s", s);
	return a;
}

static void combine_ok(const char *prefix, unsigned len, const char *iid, int family,
		       const char *want)
{
	bool empty;
	ip_addr id, out;
	char canon[IP_STRLEN], err[200], got[IP_STRLEN];
	ck_assert(ifid_parse(iid, family, &empty, &id, canon, err, sizeof(err)));
	ip_addr p = A(prefix);
	ck_assert_msg(ifid_combine(&p, len, &id, &out, err, sizeof(err)), "%s/%u + %s: %s", prefix,
		      len, iid, err);
	ip_format(&out, got);
	ck_assert_str_eq(got, want);
}

START_TEST(combine)
{
	/* The examples of the original's tests. */
	combine_ok("1.2.3.4", 29, "0.0.0.1", 4, "1.2.3.1");
	combine_ok("2000::3", 64, "::1", 6, "2000::1");
	/* The forms it refused. */
	combine_ok("1.2.3.4", 29, "1", 4, "1.2.3.1");
	combine_ok("2001:db8:1:2::3", 64, "1", 6, "2001:db8:1:2::1");
	/* /56 delegated prefix with an EUI-64 ID. */
	combine_ok("2001:db8:1f00::", 56, "216:3eff:fe00:1", 6, "2001:db8:1f00:0:216:3eff:fe00:1");
	/* Host bits of the address are replaced, network bits kept. */
	combine_ok("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64, "::5", 6, "2001:db8:1:2::5");
	combine_ok("192.0.2.77", 24, "0.0.0.9", 4, "192.0.2.9");
	/* Zero ID gives the network address. */
	combine_ok("192.0.2.77", 24, "0", 4, "192.0.2.0");
	/* Netmask 32: the ID must be zero to fit. */
	combine_ok("192.0.2.77", 32, "0", 4, "192.0.2.77");
}
END_TEST

START_TEST(combine_refused)
{
	bool empty;
	ip_addr id, out;
	char canon[IP_STRLEN], err[200];
	ck_assert(ifid_parse("0.0.1.0", 4, &empty, &id, canon, err, sizeof(err)));
	ip_addr p = A("192.0.2.77");
	ck_assert(!ifid_combine(&p, 24, &id, &out, err, sizeof(err)));
	ck_assert_msg(strstr(err, "/24") != NULL, "%s", err);
	ck_assert(ifid_parse("::1", 6, &empty, &id, canon, err, sizeof(err)));
	ck_assert(!ifid_combine(&p, 24, &id, &out, err, sizeof(err)));   /* families */
	ck_assert(ifid_parse("1:0:0:0:0", 6, &empty, &id, canon, err, sizeof(err)) == false);
	ck_assert(ifid_parse("1:0:0:0", 6, &empty, &id, canon, err, sizeof(err)));
	p = A("2001:db8::");
	ck_assert(!ifid_combine(&p, 96, &id, &out, err, sizeof(err)));
	ck_assert(ifid_combine(&p, 64, &id, &out, err, sizeof(err)));
}
END_TEST

START_TEST(myip_prefix_classification)
{
	dd_addr out[DD_MAX_ADDRS];
	size_t n = 0;
	ck_assert_int_eq(dd_parse_myip("2001:db8::5,2001:db8:1f00::/56", out, DD_MAX_ADDRS, &n),
			 NSUPD_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert(!out[0].prefix);
	ck_assert(out[1].prefix);
	ck_assert_int_eq(out[1].prefix_len, 56);
	ck_assert_str_eq(out[1].text, "2001:db8:1f00::");
	/* Host bits set: an address with a length, as before. */
	ck_assert_int_eq(dd_parse_myip("192.0.2.9/24,2001:db8::1/64", out, DD_MAX_ADDRS, &n),
			 NSUPD_OK);
	ck_assert(!out[0].prefix);
	ck_assert(!out[1].prefix);
	/* Full length: one host, not a prefix. */
	ck_assert_int_eq(dd_parse_myip("2001:db8::/128,192.0.2.0/32", out, DD_MAX_ADDRS, &n),
			 NSUPD_OK);
	ck_assert(!out[0].prefix);
	ck_assert(!out[1].prefix);
	/* No length: never a prefix (the netmask rule of the original applies). */
	ck_assert_int_eq(dd_parse_myip("2001:db8:1:2::", out, DD_MAX_ADDRS, &n), NSUPD_OK);
	ck_assert(!out[0].prefix);
	/* IPv4 prefixes work the same way. */
	ck_assert_int_eq(dd_parse_myip("198.51.100.0/24", out, DD_MAX_ADDRS, &n), NSUPD_OK);
	ck_assert(out[0].prefix);
	ck_assert_int_eq(out[0].addr.family, 4);
	ck_assert(dd_addr_is_prefix(&out[0].addr, 24));
	ck_assert(!dd_addr_is_prefix(&out[0].addr, -1));
}
END_TEST

START_TEST(prefix_param)
{
	dd_addr d;
	char buf[IP_STRLEN];
	ck_assert_int_eq(dd_parse_prefix_param("2001:db8:1f00::/56", &d), NSUPD_OK);
	ck_assert(d.prefix);
	ck_assert_int_eq(d.prefix_len, 56);
	ck_assert_str_eq(d.text, "2001:db8:1f00::");
	/* Host bits are cleared for the parameter. */
	ck_assert_int_eq(dd_parse_prefix_param(" 2001:db8:1f00::1/56 ", &d), NSUPD_OK);
	ip_format(&d.addr, buf);
	ck_assert_str_eq(buf, "2001:db8:1f00::");
	ck_assert_str_eq(d.text, "2001:db8:1f00::");
	/* Without a length the host's netmask applies later. */
	ck_assert_int_eq(dd_parse_prefix_param("2001:db8:1:2::", &d), NSUPD_OK);
	ck_assert_int_eq(d.prefix_len, -1);
	ck_assert(d.prefix);
	ck_assert_int_eq(dd_parse_prefix_param("", &d), NSUPD_ERR_INVALID);
	ck_assert_int_eq(dd_parse_prefix_param("2001:db8::/129", &d), NSUPD_ERR_INVALID);
	ck_assert_int_eq(dd_parse_prefix_param("2001:db8::/128", &d), NSUPD_ERR_INVALID);
	ck_assert_int_eq(dd_parse_prefix_param("2001:db8::/56,2001:db9::/56", &d),
			 NSUPD_ERR_INVALID);
	ck_assert_int_eq(dd_parse_prefix_param("<ip6lanprefix>", &d), NSUPD_ERR_INVALID);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ifid");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, ifid_forms_v6);
	tcase_add_test(tc, ifid_forms_v4);
	tcase_add_test(tc, ifid_empty);
	tcase_add_test(tc, ifid_refused);
	tcase_add_test(tc, combine);
	tcase_add_test(tc, combine_refused);
	tcase_add_test(tc, myip_prefix_classification);
	tcase_add_test(tc, prefix_param);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
