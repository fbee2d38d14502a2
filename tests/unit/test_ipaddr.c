#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/fqdn.h"
#include "core/ipaddr.h"

/* ---- ip_parse ------------------------------------------------------ */

static const struct {
	const char *text;
	int family;
} valid_addrs[] = {
	{ "1.2.3.4", 4 },
	{ "0.0.0.0", 4 },
	{ "255.255.255.255", 4 },
	{ "192.0.2.10", 4 },
	{ "10.0.100.9", 4 },
	{ "::", 6 },
	{ "::1", 6 },
	{ "1::", 6 },
	{ "::ffff:1.2.3.4", 6 },
	{ "::1.2.3.4", 6 },
	{ "2001:DB8::1", 6 },
	{ "2001:db8::1", 6 },
	{ "1:2:3:4:5:6:7:8", 6 },
	{ "1:2:3:4:5:6:7::", 6 },
	{ "::2:3:4:5:6:7:8", 6 },
	{ "1:2:3:4:5:6:1.2.3.4", 6 },
	{ "1::1.2.3.4", 6 },
	{ "2001:0DB8:0000:0000:0000:0000:0000:0001", 6 },
	{ "fe80::1", 6 },
	{ "FFFF:ffff:FfFf:ffff:ffff:ffff:255.255.255.255", 6 },
	{ "2000:0::3", 6 },
};

static const char *const invalid_addrs[] = {
	"",
	"1.2.3",
	"1234",
	"1.2.3.256",
	"01.2.3.4",
	"1.02.3.4",
	"1.2.3.00",
	"1.2.3.4.5",
	"1.2.3.",
	".1.2.3",
	"1..2.3",
	"1.2.3.-4",
	"+1.2.3.4",
	"1.2.3.4 ",
	" 1.2.3.4",
	"1.2.3.4/32",
	"0x1.2.3.4",
	"1.2.3.1000",
	"fe80::1%eth0",
	"1::2::3",
	"1:2:3:4:5:6:7:8:9",
	"1:2:3:4:5:6:7",
	"1:2:3:4:5:6:7:8::",
	"::1:2:3:4:5:6:7:8",
	"1:2:3:4::5:6:7:8",
	":::",
	":1::",
	"1::2:",
	":1:2:3:4:5:6:7:8",
	"1:2:3:4:5:6:7:8:",
	"12345::",
	"g::1",
	"2001:db8::/64",
	"2001:db8:: 1",
	"::1.2.3",
	"::01.2.3.4",
	"::1.2.3.4:5",
	"1:2:3:4:5:6:7:1.2.3.4",
	"::ffff:1.2.3.256",
	"1.2.3.4::",
	"äüö",
	"localhost",
	"2001:db8::1\n",
	"::ffff:1.2.3.4.5",
	":",
	".",
};

START_TEST(test_parse_valid)
{
	ip_addr a;
	ck_assert_msg(ip_parse(valid_addrs[_i].text, &a), "should parse: %s", valid_addrs[_i].text);
	ck_assert_int_eq(a.family, valid_addrs[_i].family);
}
END_TEST

START_TEST(test_parse_invalid)
{
	ip_addr a;
	memset(&a, 0x5a, sizeof(a));
	ip_addr before = a;
	ck_assert_msg(!ip_parse(invalid_addrs[_i], &a), "should reject: '%s'", invalid_addrs[_i]);
	ck_assert_msg(memcmp(&a, &before, sizeof(a)) == 0, "output written on failure");
}
END_TEST

START_TEST(test_parse_null_and_long)
{
	ip_addr a;
	ck_assert(!ip_parse(NULL, &a));
	char big[4096];
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert(!ip_parse(big, &a));
	/* 4 KB of "1:" is long but must still be rejected quickly. */
	for (size_t i = 0; i + 1 < sizeof(big); i += 2) {
		big[i] = '1';
		big[i + 1] = ':';
	}
	ck_assert(!ip_parse(big, &a));
}
END_TEST

START_TEST(test_parse_bytes)
{
	ip_addr a;
	ck_assert(ip_parse("192.0.2.255", &a));
	ck_assert_int_eq(a.family, 4);
	ck_assert_int_eq(a.bytes[0], 192);
	ck_assert_int_eq(a.bytes[1], 0);
	ck_assert_int_eq(a.bytes[2], 2);
	ck_assert_int_eq(a.bytes[3], 255);

	ck_assert(ip_parse("2001:db8::102:304", &a));
	static const uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 };
	ck_assert_mem_eq(a.bytes, want, 16);

	ip_addr b;
	ck_assert(ip_parse("2001:db8::1.2.3.4", &b));
	ck_assert(ip_equal(&a, &b));

	ck_assert(ip_parse("1:2:3:4:5:6:7:8", &a));
	for (int k = 0; k < 8; k++) {
		ck_assert_int_eq(a.bytes[2 * k], 0);
		ck_assert_int_eq(a.bytes[2 * k + 1], k + 1);
	}
	ck_assert(ip_parse("abcd::", &a));
	ck_assert_int_eq(a.bytes[0], 0xab);
	ck_assert_int_eq(a.bytes[1], 0xcd);
	for (int k = 2; k < 16; k++)
		ck_assert_int_eq(a.bytes[k], 0);
}
END_TEST

/* ---- ip_format ----------------------------------------------------- */

static const struct {
	const char *in;
	const char *out;
} formats[] = {
	{ "1.2.3.4", "1.2.3.4" },
	{ "0.0.0.0", "0.0.0.0" },
	{ "255.255.255.255", "255.255.255.255" },
	{ "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
	{ "2001:DB8::1", "2001:db8::1" },
	{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
	{ "2001:0:0:1:0:0:0:1", "2001:0:0:1::1" },
	{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
	{ "1:0:0:2:0:0:3:4", "1::2:0:0:3:4" },
	{ "::", "::" },
	{ "::1", "::1" },
	{ "1::", "1::" },
	{ "0:0:0:0:0:0:0:1", "::1" },
	{ "1:0:0:0:0:0:0:0", "1::" },
	{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
	{ "0:1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7" },
	{ "1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0" },
	{ "0:0:1:2:3:4:5:6", "::1:2:3:4:5:6" },
	{ "::ffff:1.2.3.4", "::ffff:1.2.3.4" },
	{ "::FFFF:102:304", "::ffff:1.2.3.4" },
	{ "::1.2.3.4", "::102:304" },
	{ "2000:0::3", "2000::3" },
	{ "fe80:0000::00AB", "fe80::ab" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	{ "2001:db8:1:2::", "2001:db8:1:2::" },
};

START_TEST(test_format)
{
	ip_addr a, b;
	char buf[IP_STRLEN];
	ck_assert_msg(ip_parse(formats[_i].in, &a), "parse %s", formats[_i].in);
	ip_format(&a, buf);
	ck_assert_str_eq(buf, formats[_i].out);
	/* The canonical text parses back to the same address. */
	ck_assert(ip_parse(buf, &b));
	ck_assert(ip_equal(&a, &b));
}
END_TEST

START_TEST(test_equal)
{
	ip_addr a, b;
	ck_assert(ip_parse("2001:DB8::1", &a));
	ck_assert(ip_parse("2001:db8::1", &b));
	ck_assert(ip_equal(&a, &b));
	ck_assert(ip_parse("2001:db8::2", &b));
	ck_assert(!ip_equal(&a, &b));
	/* Mapped IPv6 and plain IPv4 are different values until unmapped. */
	ck_assert(ip_parse("::ffff:1.2.3.4", &a));
	ck_assert(ip_parse("1.2.3.4", &b));
	ck_assert(!ip_equal(&a, &b));
	ip_addr u = ip_unmap_v4(a);
	ck_assert(ip_equal(&u, &b));
}
END_TEST

/* ---- ip_unmap_v4 --------------------------------------------------- */

static const struct {
	const char *in;
	int family;
	const char *out;
} unmaps[] = {
	{ "::ffff:1.2.3.4", 4, "1.2.3.4" },
	{ "::ffff:0.0.0.0", 4, "0.0.0.0" },
	{ "::1.2.3.4", 4, "1.2.3.4" },
	{ "::192.0.2.1", 4, "192.0.2.1" },
	{ "::1", 6, "::1" },
	{ "::", 6, "::" },
	{ "::0.0.0.5", 6, "::5" },
	{ "::0.1.2.3", 6, "::1:203" },
	{ "2001:db8::1.2.3.4", 6, "2001:db8::102:304" },
	{ "::fffe:1.2.3.4", 6, "::fffe:102:304" },
	{ "1.2.3.4", 4, "1.2.3.4" },
	{ "64:ff9b::1.2.3.4", 6, "64:ff9b::102:304" },
};

START_TEST(test_unmap)
{
	ip_addr a;
	char buf[IP_STRLEN];
	ck_assert(ip_parse(unmaps[_i].in, &a));
	ip_addr u = ip_unmap_v4(a);
	ck_assert_int_eq(u.family, unmaps[_i].family);
	ip_format(&u, buf);
	ck_assert_str_eq(buf, unmaps[_i].out);
}
END_TEST

/* ---- networks and prefixes ---------------------------------------- */

static bool is_net(const char *text, unsigned len)
{
	ip_addr a;
	ck_assert_msg(ip_parse(text, &a), "parse %s", text);
	return ip_is_network_address(&a, len);
}

START_TEST(test_network_address)
{
	ck_assert(is_net("1.2.3.0", 29));
	ck_assert(is_net("1.2.3.8", 29));
	ck_assert(!is_net("1.2.3.4", 29));
	ck_assert(!is_net("1.2.3.1", 29));
	ck_assert(!is_net("1.2.3.0", 32));
	ck_assert(!is_net("0.0.0.0", 32));
	ck_assert(!is_net("0.0.0.0", 33));
	ck_assert(is_net("0.0.0.0", 0));
	ck_assert(!is_net("0.0.0.1", 0));
	ck_assert(is_net("10.0.0.0", 8));
	ck_assert(is_net("10.0.0.0", 7));
	ck_assert(!is_net("11.0.0.0", 7));

	ck_assert(is_net("2001:db8:1:2::", 64));
	ck_assert(is_net("::", 64));
	ck_assert(!is_net("2001:db8:1:2::1", 64));
	ck_assert(!is_net("2001:db8:1:2:8000::", 64));
	ck_assert(!is_net("2001:db8:1:2:8000::", 63));
	ck_assert(is_net("2001:db8:1::", 56));
	ck_assert(is_net("2001:db8:1:100::", 56));
	ck_assert(!is_net("2001:db8:1:80::", 56));
	ck_assert(!is_net("2001:db8:1:2::", 128));
	ck_assert(!is_net("::", 128));
	ck_assert(!is_net("::", 200));
	ck_assert_uint_eq(ip_bits(&(ip_addr){ .family = 4 }), 32);
	ck_assert_uint_eq(ip_bits(&(ip_addr){ .family = 6 }), 128);
}
END_TEST

START_TEST(test_prefix_parse)
{
	ip_prefix p;
	char buf[IP_STRLEN];

	ck_assert(ip_prefix_parse("192.0.2.7", &p));
	ck_assert_uint_eq(p.len, 32);
	ip_format(&p.addr, buf);
	ck_assert_str_eq(buf, "192.0.2.7");

	ck_assert(ip_prefix_parse("198.51.100.0/24", &p));
	ck_assert_uint_eq(p.len, 24);
	ck_assert_int_eq(p.addr.family, 4);

	/* Host bits are cleared. */
	ck_assert(ip_prefix_parse("198.51.100.77/24", &p));
	ip_format(&p.addr, buf);
	ck_assert_str_eq(buf, "198.51.100.0");
	ck_assert(ip_prefix_parse("1.2.3.255/31", &p));
	ip_format(&p.addr, buf);
	ck_assert_str_eq(buf, "1.2.3.254");

	ck_assert(ip_prefix_parse("0.0.0.0/0", &p));
	ck_assert_uint_eq(p.len, 0);

	ck_assert(ip_prefix_parse("2001:db8:1:2:3::/48", &p));
	ck_assert_uint_eq(p.len, 48);
	ip_format(&p.addr, buf);
	ck_assert_str_eq(buf, "2001:db8:1::");

	ck_assert(ip_prefix_parse("2001:db8::1", &p));
	ck_assert_uint_eq(p.len, 128);
	ck_assert(ip_prefix_parse("::/0", &p));
	ck_assert(ip_prefix_parse("2001:db8::/128", &p));

	static const char *const bad[] = {
		"", "/24", "1.2.3.4/", "1.2.3.4/33", "2001:db8::/129", "1.2.3.4/-1",
		"1.2.3.4/2a", "1.2.3.4/1000", "1.2.3/24", "1.2.3.4/24/1", "1.2.3.4 /24",
		"1.2.3.4/ 24", "fe80::1%eth0/64", "x/1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!ip_prefix_parse(bad[i], &p), "should reject prefix '%s'", bad[i]);
	ck_assert(!ip_prefix_parse(NULL, &p));
}
END_TEST

static bool contains(const char *prefix, const char *addr)
{
	ip_prefix p;
	ip_addr a;
	ck_assert_msg(ip_prefix_parse(prefix, &p), "prefix %s", prefix);
	ck_assert_msg(ip_parse(addr, &a), "addr %s", addr);
	return ip_prefix_contains(&p, &a);
}

START_TEST(test_prefix_contains)
{
	ck_assert(contains("192.0.2.7", "192.0.2.7"));
	ck_assert(!contains("192.0.2.7", "192.0.2.8"));
	ck_assert(contains("198.51.100.0/24", "198.51.100.0"));
	ck_assert(contains("198.51.100.0/24", "198.51.100.255"));
	ck_assert(!contains("198.51.100.0/24", "198.51.101.0"));
	ck_assert(!contains("198.51.100.0/24", "198.51.99.255"));
	ck_assert(contains("0.0.0.0/0", "203.0.113.9"));
	ck_assert(!contains("0.0.0.0/0", "::1"));
	ck_assert(contains("::/0", "2001:db8::1"));
	ck_assert(!contains("::/0", "1.2.3.4"));
	ck_assert(contains("2001:db8::/32", "2001:db8:ffff::1"));
	ck_assert(!contains("2001:db8::/32", "2001:db9::1"));
	ck_assert(contains("2001:db8:1:2::/63", "2001:db8:1:3::5"));
	ck_assert(!contains("2001:db8:1:2::/63", "2001:db8:1:4::"));
	/* Family differs: a mapped address is not inside an IPv4 prefix
	 * until the caller unmaps it. */
	ck_assert(!contains("1.2.3.0/24", "::ffff:1.2.3.4"));
}
END_TEST

START_TEST(test_combine)
{
	ip_addr net, iid, out;
	char buf[IP_STRLEN];

	ck_assert(ip_parse("2001:db8:1:2::", &net));
	ck_assert(ip_parse("::1234:5678:9abc:def0", &iid));
	ck_assert(ip_combine(&net, 64, &iid, &out));
	ip_format(&out, buf);
	ck_assert_str_eq(buf, "2001:db8:1:2:1234:5678:9abc:def0");

	/* The host part of addr is replaced, not ORed. */
	ck_assert(ip_parse("2001:db8:1:2:ffff:ffff:ffff:ffff", &net));
	ck_assert(ip_combine(&net, 64, &iid, &out));
	ip_format(&out, buf);
	ck_assert_str_eq(buf, "2001:db8:1:2:1234:5678:9abc:def0");

	/* A non-byte-aligned prefix: /60 leaves 4 bits of the 4th group. */
	ck_assert(ip_parse("2001:db8:1:20::", &net));
	ck_assert(ip_parse("::5:0:0:0:1", &iid));
	ck_assert(ip_combine(&net, 60, &iid, &out));
	ip_format(&out, buf);
	ck_assert_str_eq(buf, "2001:db8:1:25::1");

	/* iid bits inside the network part: refused. */
	ck_assert(ip_parse("::1:0:0:0:1", &iid));
	ck_assert(!ip_combine(&net, 64, &iid, &out));

	ck_assert(ip_parse("192.168.7.0", &net));
	ck_assert(ip_parse("0.0.0.42", &iid));
	ck_assert(ip_combine(&net, 24, &iid, &out));
	ip_format(&out, buf);
	ck_assert_str_eq(buf, "192.168.7.42");
	ck_assert(ip_combine(&net, 32, &(ip_addr){ .family = 4 }, &out));
	ck_assert(ip_equal(&out, &net));
	ck_assert(ip_combine(&net, 0, &iid, &out));
	ip_format(&out, buf);
	ck_assert_str_eq(buf, "0.0.0.42");

	/* Mixed families and lengths past the address: refused. */
	ck_assert(ip_parse("::1", &iid));
	ck_assert(!ip_combine(&net, 24, &iid, &out));
	ck_assert(ip_parse("0.0.0.1", &iid));
	ck_assert(!ip_combine(&net, 33, &iid, &out));
}
END_TEST

/* ---- fqdn ---------------------------------------------------------- */

START_TEST(test_fqdn)
{
	ck_assert(fqdn_valid_host_label("a"));
	ck_assert(fqdn_valid_host_label("test"));
	ck_assert(fqdn_valid_host_label("my-host-1"));
	ck_assert(fqdn_valid_host_label("0"));
	ck_assert(!fqdn_valid_host_label(""));
	ck_assert(!fqdn_valid_host_label(NULL));
	ck_assert(!fqdn_valid_host_label("-a"));
	ck_assert(!fqdn_valid_host_label("a-"));
	ck_assert(!fqdn_valid_host_label("Upper"));
	ck_assert(!fqdn_valid_host_label("a.b"));
	ck_assert(!fqdn_valid_host_label("a_b"));
	ck_assert(!fqdn_valid_host_label("a b"));
	char label[80];
	memset(label, 'a', 63);
	label[63] = '\0';
	ck_assert(fqdn_valid_host_label(label));
	label[63] = 'a';
	label[64] = '\0';
	ck_assert(!fqdn_valid_host_label(label));

	ck_assert(fqdn_valid_zone("example.org"));
	ck_assert(fqdn_valid_zone("example.org."));
	ck_assert(fqdn_valid_zone("Sub_1.Example-2.ORG"));
	ck_assert(!fqdn_valid_zone("org"));
	ck_assert(!fqdn_valid_zone("org."));
	ck_assert(!fqdn_valid_zone(""));
	ck_assert(!fqdn_valid_zone("."));
	ck_assert(!fqdn_valid_zone(NULL));
	ck_assert(!fqdn_valid_zone("example..org"));
	ck_assert(!fqdn_valid_zone(".example.org"));
	ck_assert(!fqdn_valid_zone("example.org.."));
	ck_assert(!fqdn_valid_zone("exa mple.org"));
	ck_assert(!fqdn_valid_zone("exämple.org"));
	char zone[300];
	/* 4 labels of 62 + dots = 251 characters, then ".ab" = 254: too long. */
	size_t p = 0;
	for (int l = 0; l < 4; l++) {
		memset(zone + p, 'a', 62);
		p += 62;
		zone[p++] = '.';
	}
	zone[p - 1] = '\0';
	ck_assert_uint_eq(strlen(zone), 251);
	ck_assert(fqdn_valid_zone(zone));
	strcat(zone, ".a");
	ck_assert(fqdn_valid_zone(zone));
	strcat(zone, "b");
	ck_assert(!fqdn_valid_zone(zone));

	char out[FQDN_MAX + 1];
	ck_assert(fqdn_normalize("Test.Example.ORG.", out, sizeof(out)));
	ck_assert_str_eq(out, "test.example.org");
	ck_assert(fqdn_normalize("a.b", out, sizeof(out)));
	ck_assert_str_eq(out, "a.b");
	ck_assert(!fqdn_normalize("", out, sizeof(out)));
	ck_assert(!fqdn_normalize(".", out, sizeof(out)));
	ck_assert(!fqdn_normalize("abcdef", out, 6));
	ck_assert(fqdn_normalize("abcde", out, 6));
	ck_assert_str_eq(out, "abcde");

	char buf[64];
	char *host, *z;
	strcpy(buf, "test.example.org");
	ck_assert(fqdn_split_first(buf, &host, &z));
	ck_assert_str_eq(host, "test");
	ck_assert_str_eq(z, "example.org");
	strcpy(buf, "noddot");
	ck_assert(!fqdn_split_first(buf, &host, &z));
	strcpy(buf, ".example.org");
	ck_assert(!fqdn_split_first(buf, &host, &z));
	strcpy(buf, "test.");
	ck_assert(!fqdn_split_first(buf, &host, &z));
}
END_TEST

static Suite *ipaddr_suite(void)
{
	Suite *s = suite_create("ipaddr");
	TCase *tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_valid, 0, (int)(sizeof(valid_addrs) / sizeof(valid_addrs[0])));
	tcase_add_loop_test(tc, test_parse_invalid, 0,
			    (int)(sizeof(invalid_addrs) / sizeof(invalid_addrs[0])));
	tcase_add_test(tc, test_parse_null_and_long);
	tcase_add_test(tc, test_parse_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_format, 0, (int)(sizeof(formats) / sizeof(formats[0])));
	tcase_add_test(tc, test_equal);
	tcase_add_loop_test(tc, test_unmap, 0, (int)(sizeof(unmaps) / sizeof(unmaps[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("prefix");
	tcase_add_test(tc, test_network_address);
	tcase_add_test(tc, test_prefix_parse);
	tcase_add_test(tc, test_prefix_contains);
	tcase_add_test(tc, test_combine);
	suite_add_tcase(s, tc);

	tc = tcase_create("fqdn");
	tcase_add_test(tc, test_fqdn);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ipaddr_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
