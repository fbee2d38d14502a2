#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dyndns2.h"

static arena *ar;

static void setup(void)
{
	ar = arena_new(1024);
	ck_assert_ptr_nonnull(ar);
}

static void teardown(void)
{
	arena_free(ar);
	ar = NULL;
}

/* ---- words and status codes --------------------------------------- */

START_TEST(test_words)
{
	static const char *const want[] = {
		"good", "nochg", "deleted", "abuse", "badagent", "badauth", "notfqdn", "nohost",
		"dnserr", "911",
	};
	for (int w = DD_GOOD; w <= DD_911; w++)
		ck_assert_str_eq(dd_word_text((enum dd_word)w), want[w]);

	ck_assert_uint_eq(dd_http_status(DD_BADAUTH, false), 401);
	ck_assert_uint_eq(dd_http_status(DD_BADAUTH, true), 401);
	ck_assert_uint_eq(dd_http_status(DD_ABUSE, true), 403);
	ck_assert_uint_eq(dd_http_status(DD_ABUSE, false), 200);
	ck_assert_uint_eq(dd_http_status(DD_GOOD, false), 200);
	ck_assert_uint_eq(dd_http_status(DD_NOCHG, false), 200);
	ck_assert_uint_eq(dd_http_status(DD_NOTFQDN, false), 200);
	ck_assert_uint_eq(dd_http_status(DD_NOHOST, false), 200);
	ck_assert_uint_eq(dd_http_status(DD_DNSERR, false), 200);
	ck_assert_uint_eq(dd_http_status(DD_BADAGENT, false), 200);
	ck_assert_uint_eq(dd_http_status(DD_911, false), 200);
}
END_TEST

/* ---- Basic auth ---------------------------------------------------- */

static bool decode(const char *header, char **user, char **pw)
{
	*user = *pw = NULL;
	return dd_basic_auth_decode(header, ar, user, pw);
}

static const struct {
	const char *header;
	const char *user;
	const char *password;
} auth_ok[] = {
	{ "Basic dGVzdC5leGFtcGxlLm9yZzpzZWNyZXQ=", "test.example.org", "secret" },
	{ "BASIC dGVzdC5leGFtcGxlLm9yZzpzZWNyZXQ=", "test.example.org", "secret" },
	{ "basic dGVzdC5leGFtcGxlLm9yZzpzZWNyZXQ=", "test.example.org", "secret" },
	{ "bAsIc dGVzdC5leGFtcGxlLm9yZzpzZWNyZXQ=", "test.example.org", "secret" },
	/* Surrounding space around the payload. */
	{ "Basic    dGVzdC5leGFtcGxlLm9yZzpzZWNyZXQ=   ", "test.example.org", "secret" },
	{ "Basic\tdGVzdC5leGFtcGxlLm9yZzpzZWNyZXQ=", "test.example.org", "secret" },
	/* Characters outside the alphabet are skipped. */
	{ "Basic dGVz*dC5le#GFtcGx lLm9yZzpz\nZWNyZXQ=", "test.example.org", "secret" },
	/* Data after the closing padding is ignored. */
	{ "Basic dGVzdC5leGFtcGxlLm9yZzpzZWNyZXQ=!!", "test.example.org", "secret" },
	{ "Basic YWI6Yw==YWJj", "ab", "c" },
	/* A '=' that cannot be padding yet is skipped. */
	{ "Basic =YWI6Yw==", "ab", "c" },
	{ "Basic YW=I6Yw==", "ab", "c" },
	/* Password with ':' and empty password. */
	{ "Basic aC5leGFtcGxlLm9yZzpwYTpzczp3b3Jk", "h.example.org", "pa:ss:word" },
	{ "Basic aC5leGFtcGxlLm9yZzo=", "h.example.org", "" },
	/* Invalid UTF-8 is dropped, valid multi-byte text kept:
	 * "h.example.org:p\xffw\xc3\xa4x\xe2\x82" */
	{ "Basic aC5leGFtcGxlLm9yZzpw/3fDpHjigg==", "h.example.org", "pw\xc3\xa4x" },
	/* The same with the URL-safe alphabet. */
	{ "Basic aC5leGFtcGxlLm9yZzpw_3fDpHjigg==", "h.example.org", "pw\xc3\xa4x" },
	/* "\xc3\xa4\xc3\xb6:\xf0\x9f\x98\x80": 2- and 4-byte sequences survive. */
	{ "Basic w6TDtjrwn5iA", "\xc3\xa4\xc3\xb6", "\xf0\x9f\x98\x80" },
	/* "ab:c\xfe\xff" */
	{ "Basic YWI6Y/7/", "ab", "c" },
	/* "ab?:c>" uses '/' and '+' of the standard alphabet. */
	{ "Basic YWI/OmM+", "ab?", "c>" },
	/* "a\0b:c": a decoded NUL is dropped rather than cutting the string. */
	{ "Basic YQBiOmM=", "ab", "c" },
};

START_TEST(test_auth_ok)
{
	char *user, *pw;
	ck_assert_msg(decode(auth_ok[_i].header, &user, &pw), "should decode: %s", auth_ok[_i].header);
	ck_assert_str_eq(user, auth_ok[_i].user);
	ck_assert_str_eq(pw, auth_ok[_i].password);
}
END_TEST

static const char *const auth_bad[] = {
	"",
	"Basic",
	"Basic ",
	"Basic    ",
	"BasicdGVzdC5leGFtcGxlLm9yZzpzZWNyZXQ=",
	"Bearer dGVzdC5leGFtcGxlLm9yZzpzZWNyZXQ=",
	"Digest username=\"x\"",
	"Basi dGVzdC5leGFtcGxlLm9yZzpzZWNyZXQ=",
	"Basics dGVzdC5leGFtcGxlLm9yZzpzZWNyZXQ=",
	/* "nocolon" */
	"Basic bm9jb2xvbg==",
	/* Padding errors. */
	"Basic YWI6Yw",
	"Basic YWI6Yw=",
	"Basic YWI6Y",
	"Basic !!!!",
	"Basic ====",
};

START_TEST(test_auth_bad)
{
	char *user, *pw;
	ck_assert_msg(!decode(auth_bad[_i], &user, &pw), "should reject: '%s'", auth_bad[_i]);
	ck_assert_ptr_null(user);
	ck_assert_ptr_null(pw);
}
END_TEST

START_TEST(test_auth_null)
{
	char *user = NULL, *pw = NULL;
	ck_assert(!dd_basic_auth_decode(NULL, ar, &user, &pw));
	ck_assert(!dd_basic_auth_decode("Basic YWI6Yw==", NULL, &user, &pw));
	ck_assert(!dd_basic_auth_decode("Basic YWI6Yw==", ar, NULL, &pw));
	ck_assert(!dd_basic_auth_decode("Basic YWI6Yw==", ar, &user, NULL));
	ck_assert_ptr_null(user);
	ck_assert_ptr_null(pw);
}
END_TEST

static void b64_encode(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

START_TEST(test_auth_huge)
{
	/* 1 MB of garbage: rejected, not crashed. */
	size_t big = 1 << 20;
	char *h = malloc(big + 1);
	ck_assert_ptr_nonnull(h);
	memcpy(h, "Basic ", 6);
	for (size_t i = 6; i < big; i++)
		h[i] = (char)('!' + i % 90);
	h[big] = '\0';
	char *user, *pw;
	(void)decode(h, &user, &pw);

	/* 1 MB of valid base64 of user:long-password decodes completely. */
	size_t raw_len = 3 * 256 * 1024;
	unsigned char *raw = malloc(raw_len);
	ck_assert_ptr_nonnull(raw);
	memcpy(raw, "u.example.org:", 14);
	for (size_t i = 14; i < raw_len; i++)
		raw[i] = (unsigned char)('a' + i % 26);
	char *hh = malloc(6 + raw_len / 3 * 4 + 1);
	ck_assert_ptr_nonnull(hh);
	memcpy(hh, "Basic ", 6);
	b64_encode(raw, raw_len, hh + 6);
	ck_assert(decode(hh, &user, &pw));
	ck_assert_str_eq(user, "u.example.org");
	ck_assert_uint_eq(strlen(pw), raw_len - 14);
	ck_assert_int_eq(memcmp(pw, raw + 14, raw_len - 14), 0);

	/* Every byte value, including NUL, through the decoder. */
	unsigned char all[256 + 4];
	memcpy(all, "x.y:", 4);
	for (int i = 0; i < 256; i++)
		all[4 + i] = (unsigned char)i;
	b64_encode(all, sizeof(all), hh + 6);
	ck_assert(decode(hh, &user, &pw));
	ck_assert_str_eq(user, "x.y");
	/* 1..127 survive (':' included, since only the first one splits); 0 and
	 * every lone byte >= 0x80 are dropped. */
	ck_assert_uint_eq(strlen(pw), 127);
	for (int i = 0; i < 127; i++)
		ck_assert_int_eq((unsigned char)pw[i], i + 1);

	free(raw);
	free(hh);
	free(h);
}
END_TEST

START_TEST(test_auth_all_header_bytes)
{
	/* Short headers made of every byte: the decoder must never crash and
	 * never return a half-filled result. */
	char h[16];
	for (int a = 1; a < 256; a++) {
		for (int b = 1; b < 256; b += 7) {
			snprintf(h, sizeof(h), "Basic %c%cOmM=", a, b);
			char *user, *pw;
			if (decode(h, &user, &pw)) {
				ck_assert_ptr_nonnull(user);
				ck_assert_ptr_nonnull(pw);
			} else {
				ck_assert_ptr_null(user);
			}
		}
	}
}
END_TEST

/* ---- myip lists ---------------------------------------------------- */

START_TEST(test_myip_single)
{
	dd_addr out[DD_MAX_ADDRS];
	size_t n = 99;
	char buf[IP_STRLEN];

	ck_assert_int_eq(dd_parse_myip("1.2.3.4", out, DD_MAX_ADDRS, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out[0].text, "1.2.3.4");
	ck_assert_int_eq(out[0].addr.family, 4);
	ck_assert_int_eq(out[0].prefix_len, -1);

	ck_assert_int_eq(dd_parse_myip("  2001:DB8::1\t", out, DD_MAX_ADDRS, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out[0].text, "2001:DB8::1");
	ck_assert_int_eq(out[0].addr.family, 6);
	ip_format(&out[0].addr, buf);
	ck_assert_str_eq(buf, "2001:db8::1");
}
END_TEST

START_TEST(test_myip_list)
{
	dd_addr out[DD_MAX_ADDRS];
	size_t n = 0;
	char buf[IP_STRLEN];

	ck_assert_int_eq(dd_parse_myip("1.2.3.4,2001:db8::1", out, DD_MAX_ADDRS, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(out[0].text, "1.2.3.4");
	ck_assert_int_eq(out[0].addr.family, 4);
	ck_assert_str_eq(out[1].text, "2001:db8::1");
	ck_assert_int_eq(out[1].addr.family, 6);

	/* Spaces around elements are trimmed; duplicates stay. */
	ck_assert_int_eq(dd_parse_myip(" 1.2.3.4 , \t2001:db8::1 ,1.2.3.4", out, DD_MAX_ADDRS, &n),
			 NSUPD_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out[0].text, "1.2.3.4");
	ck_assert_str_eq(out[1].text, "2001:db8::1");
	ck_assert_str_eq(out[2].text, "1.2.3.4");

	/* Prefix lengths are cut off the text and kept as a number. */
	ck_assert_int_eq(dd_parse_myip("2001:db8:1::/56", out, DD_MAX_ADDRS, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out[0].text, "2001:db8:1::");
	ck_assert_int_eq(out[0].prefix_len, 56);
	ck_assert_int_eq(dd_parse_myip("1.2.3.4/32, 2001:db8::/0", out, DD_MAX_ADDRS, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(out[0].prefix_len, 32);
	ck_assert_str_eq(out[1].text, "2001:db8::");
	ck_assert_int_eq(out[1].prefix_len, 0);

	/* Mapped IPv4 becomes IPv4, but the text is the client's. */
	ck_assert_int_eq(dd_parse_myip("::ffff:1.2.3.4", out, DD_MAX_ADDRS, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out[0].text, "::ffff:1.2.3.4");
	ck_assert_int_eq(out[0].addr.family, 4);
	ip_format(&out[0].addr, buf);
	ck_assert_str_eq(buf, "1.2.3.4");
	ck_assert_int_eq(dd_parse_myip("::1,::", out, DD_MAX_ADDRS, &n), NSUPD_OK);
	ck_assert_int_eq(out[0].addr.family, 6);
	ck_assert_int_eq(out[1].addr.family, 6);

	/* Exactly max elements is fine. */
	ck_assert_int_eq(dd_parse_myip("1.1.1.1,2.2.2.2,3.3.3.3", out, 3, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out[2].text, "3.3.3.3");

	/* The longest valid text fits in text[]. */
	ck_assert_int_eq(dd_parse_myip("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", out,
				       DD_MAX_ADDRS, &n), NSUPD_OK);
	ck_assert_str_eq(out[0].text, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
}
END_TEST

static const char *const myip_bad[] = {
	"",
	" ",
	",",
	"1.2.3.4,",
	",1.2.3.4",
	"1.2.3.4,,2.3.4.5",
	"1234",
	"1.2.3",
	"01.2.3.4",
	"1.2.3.256",
	"\xc3\xa4\xc3\xbc\xc3\xb6",
	"1.2.3.4/33",
	"1.2.3.4/",
	"1.2.3.4/x",
	"1.2.3.4/-1",
	"1.2.3.4/1000",
	"2001:db8::/129",
	"/24",
	"fe80::1%eth0",
	"1.2.3.4 2.3.4.5",
	"1.2.3.4;2.3.4.5",
	"1.2.3.4,2001:db8::1,nonsense",
	"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555",
	"0000ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
};

START_TEST(test_myip_bad)
{
	dd_addr out[DD_MAX_ADDRS];
	memset(out, 0x5a, sizeof(out));
	dd_addr before[DD_MAX_ADDRS];
	memcpy(before, out, sizeof(out));
	size_t n = 99;
	ck_assert_msg(dd_parse_myip(myip_bad[_i], out, DD_MAX_ADDRS, &n) == NSUPD_ERR_INVALID,
		      "should reject: '%s'", myip_bad[_i]);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(memcmp(out, before, sizeof(out)) == 0, "out[] written on failure");
}
END_TEST

START_TEST(test_myip_limits)
{
	dd_addr out[DD_MAX_ADDRS + 1];
	size_t n;
	char list[17 * 16];
	list[0] = '\0';
	for (int i = 0; i < 17; i++) {
		char el[16];
		snprintf(el, sizeof(el), "%s10.0.0.%d", i ? "," : "", i + 1);
		strcat(list, el);
	}
	ck_assert_int_eq(dd_parse_myip(list, out, DD_MAX_ADDRS, &n), NSUPD_ERR_INVALID);
	ck_assert_uint_eq(n, 0);
	/* Drop the 17th: 16 is accepted. */
	*strrchr(list, ',') = '\0';
	ck_assert_int_eq(dd_parse_myip(list, out, DD_MAX_ADDRS, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 16);
	ck_assert_str_eq(out[15].text, "10.0.0.16");

	ck_assert_int_eq(dd_parse_myip("1.2.3.4", out, 0, &n), NSUPD_ERR_INVALID);
	ck_assert_int_eq(dd_parse_myip(NULL, out, DD_MAX_ADDRS, &n), NSUPD_ERR_INVALID);
	ck_assert_uint_eq(n, 0);

	/* A 1 MB value: rejected, no crash. */
	size_t big = 1 << 20;
	char *v = malloc(big + 1);
	ck_assert_ptr_nonnull(v);
	memset(v, '1', big);
	v[big] = '\0';
	ck_assert_int_eq(dd_parse_myip(v, out, DD_MAX_ADDRS, &n), NSUPD_ERR_INVALID);
	memset(v, ',', big);
	ck_assert_int_eq(dd_parse_myip(v, out, DD_MAX_ADDRS, &n), NSUPD_ERR_INVALID);
	free(v);
}
END_TEST

/* ---- dd_plan ------------------------------------------------------- */

static ip_addr addr(const char *text)
{
	ip_addr a;
	ck_assert_msg(ip_parse(text, &a), "parse %s", text);
	return a;
}

START_TEST(test_plan)
{
	dd_host_state h = { .available = true, .netmask_ipv4 = 32, .netmask_ipv6 = 64 };
	ip_prefix bad[2];
	ck_assert(ip_prefix_parse("192.0.2.7", &bad[0]));
	ck_assert(ip_prefix_parse("198.51.100.0/24", &bad[1]));
	ip_addr a;

	a = addr("1.2.3.4");
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_UPDATE);
	ck_assert_int_eq(dd_plan(&h, &a, true, bad, 2), DD_ACT_DELETE);
	/* Netmask 32: 0.0.0.0 is a host and is written. */
	a = addr("0.0.0.0");
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_UPDATE);
	a = addr("192.0.2.7");
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_BLACKLISTED);
	a = addr("192.0.2.8");
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_UPDATE);
	a = addr("198.51.100.200");
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_BLACKLISTED);
	ck_assert_int_eq(dd_plan(&h, &a, false, NULL, 0), DD_ACT_UPDATE);
	/* Delete requests are not blocked by bad_ips. */
	ck_assert_int_eq(dd_plan(&h, &a, true, bad, 2), DD_ACT_DELETE);

	/* Netmask 64 for IPv6: the network address deletes. */
	a = addr("2001:db8:1:2::");
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_DELETE);
	a = addr("::");
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_DELETE);
	a = addr("2001:db8:1:2::1");
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_UPDATE);
	h.netmask_ipv6 = 128;
	a = addr("2001:db8:1:2::");
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_UPDATE);
	h.netmask_ipv6 = 200;
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_UPDATE);

	h.netmask_ipv4 = 29;
	a = addr("1.2.3.0");
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_DELETE);
	a = addr("1.2.3.4");
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_UPDATE);
	/* bad_ips wins over the network-address rule. */
	a = addr("198.51.100.0");
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_BLACKLISTED);

	/* Order: abuse, then unavailable, then delete. */
	h.available = false;
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_UNAVAILABLE);
	ck_assert_int_eq(dd_plan(&h, &a, true, bad, 2), DD_ACT_UNAVAILABLE);
	h.abuse = true;
	ck_assert_int_eq(dd_plan(&h, &a, true, bad, 2), DD_ACT_ABUSE);
	h.abuse = false;
	h.abuse_blocked = true;
	ck_assert_int_eq(dd_plan(&h, &a, false, bad, 2), DD_ACT_ABUSE);
	h.available = true;
	a = addr("1.2.3.4");
	ck_assert_int_eq(dd_plan(&h, &a, false, NULL, 0), DD_ACT_ABUSE);
}
END_TEST

/* ---- dd_combine ---------------------------------------------------- */

#define OC(w, t, f) { .word = (w), .text = (t), .family = (f) }

START_TEST(test_combine_success)
{
	dd_answer r;

	dd_outcome one[] = { OC(DD_GOOD, "1.2.3.4", 4) };
	r = dd_combine(one, 1, ar);
	ck_assert_int_eq(r.word, DD_GOOD);
	ck_assert_str_eq(r.body, "good 1.2.3.4");
	ck_assert(!r.client_fault);

	dd_outcome good2[] = { OC(DD_GOOD, "1.2.3.4", 4), OC(DD_GOOD, "2001:DB8::1", 6) };
	r = dd_combine(good2, 2, ar);
	ck_assert_int_eq(r.word, DD_GOOD);
	ck_assert_str_eq(r.body, "good 1.2.3.4,2001:DB8::1");
	ck_assert(!r.client_fault);

	dd_outcome nochg1[] = { OC(DD_NOCHG, "1.2.3.4", 4) };
	r = dd_combine(nochg1, 1, ar);
	ck_assert_int_eq(r.word, DD_NOCHG);
	ck_assert_str_eq(r.body, "nochg 1.2.3.4");
	ck_assert(r.client_fault);

	dd_outcome nochg2[] = { OC(DD_NOCHG, "1.2.3.4", 4), OC(DD_NOCHG, "2001:db8::1", 6) };
	r = dd_combine(nochg2, 2, ar);
	ck_assert_int_eq(r.word, DD_NOCHG);
	ck_assert_str_eq(r.body, "nochg 1.2.3.4,2001:db8::1");
	ck_assert(r.client_fault);

	/* Mixed: good wins, all addresses in request order, no fault. */
	dd_outcome mixed[] = { OC(DD_NOCHG, "1.2.3.4", 4), OC(DD_GOOD, "2001:db8::1", 6) };
	r = dd_combine(mixed, 2, ar);
	ck_assert_int_eq(r.word, DD_GOOD);
	ck_assert_str_eq(r.body, "good 1.2.3.4,2001:db8::1");
	ck_assert(!r.client_fault);
	dd_outcome mixed2[] = { OC(DD_GOOD, "1.2.3.5", 4), OC(DD_NOCHG, "2001:db8::1", 6) };
	r = dd_combine(mixed2, 2, ar);
	ck_assert_str_eq(r.body, "good 1.2.3.5,2001:db8::1");
	ck_assert(!r.client_fault);

	dd_outcome del1[] = { OC(DD_DELETED, "1.2.3.4", 4) };
	r = dd_combine(del1, 1, ar);
	ck_assert_int_eq(r.word, DD_DELETED);
	ck_assert_str_eq(r.body, "deleted A");
	ck_assert(!r.client_fault);

	dd_outcome del2[] = { OC(DD_DELETED, "1.2.3.4", 4), OC(DD_DELETED, "::1", 6) };
	r = dd_combine(del2, 2, ar);
	ck_assert_str_eq(r.body, "deleted A,AAAA");
	dd_outcome del3[] = { OC(DD_DELETED, "::1", 6), OC(DD_DELETED, "1.2.3.4", 4),
			      OC(DD_DELETED, "::2", 6) };
	r = dd_combine(del3, 3, ar);
	ck_assert_int_eq(r.word, DD_DELETED);
	ck_assert_str_eq(r.body, "deleted AAAA,A,AAAA");
	ck_assert(!r.client_fault);

	/* A delete mixed with nochg changed something. */
	dd_outcome delnochg[] = { OC(DD_DELETED, "2001:db8:1::", 6), OC(DD_NOCHG, "1.2.3.4", 4) };
	r = dd_combine(delnochg, 2, ar);
	ck_assert_int_eq(r.word, DD_GOOD);
	ck_assert_str_eq(r.body, "good 2001:db8:1::,1.2.3.4");
	ck_assert(!r.client_fault);
}
END_TEST

START_TEST(test_combine_errors)
{
	dd_answer r;

	dd_outcome dnserr[] = { OC(DD_GOOD, "1.2.3.4", 4), OC(DD_DNSERR, "::1", 6) };
	r = dd_combine(dnserr, 2, ar);
	ck_assert_int_eq(r.word, DD_DNSERR);
	ck_assert_str_eq(r.body, "dnserr");
	ck_assert(!r.client_fault);

	dd_outcome nochg_err[] = { OC(DD_NOCHG, "1.2.3.4", 4), OC(DD_NOHOST, "::1", 6) };
	r = dd_combine(nochg_err, 2, ar);
	ck_assert_int_eq(r.word, DD_NOHOST);
	ck_assert_str_eq(r.body, "nohost");
	ck_assert(!r.client_fault);

	/* Priority, not request order. Each row lists words in reverse
	 * priority; the answer must be the last one. */
	static const enum dd_word prio[] = {
		DD_911, DD_ABUSE, DD_BADAGENT, DD_BADAUTH, DD_NOTFQDN, DD_NOHOST, DD_DNSERR,
	};
	const size_t np = sizeof(prio) / sizeof(prio[0]);
	for (size_t top = 0; top < np; top++) {
		dd_outcome o[8];
		size_t n = 0;
		for (size_t k = np; k-- > top;)
			o[n++] = (dd_outcome)OC(prio[k], "1.2.3.4", 4);
		o[n++] = (dd_outcome)OC(DD_GOOD, "1.2.3.5", 4);
		r = dd_combine(o, n, ar);
		ck_assert_int_eq(r.word, prio[top]);
		ck_assert_str_eq(r.body, dd_word_text(prio[top]));
		ck_assert(!r.client_fault);
	}

	dd_outcome abuse_dns[] = { OC(DD_DNSERR, "1.2.3.4", 4), OC(DD_ABUSE, "1.2.3.5", 4) };
	r = dd_combine(abuse_dns, 2, ar);
	ck_assert_str_eq(r.body, "abuse");

	r = dd_combine(NULL, 0, ar);
	ck_assert_int_eq(r.word, DD_911);
	ck_assert_str_eq(r.body, "911");
	r = dd_combine(dnserr, 0, ar);
	ck_assert_int_eq(r.word, DD_911);
	ck_assert_str_eq(r.body, "911");
	ck_assert(!r.client_fault);
}
END_TEST

START_TEST(test_combine_many)
{
	/* 16 long IPv6 texts: the body is sized right. */
	dd_outcome o[DD_MAX_ADDRS];
	const char *t = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
	for (size_t i = 0; i < DD_MAX_ADDRS; i++)
		o[i] = (dd_outcome)OC(DD_NOCHG, t, 6);
	o[7].word = DD_GOOD;
	dd_answer r = dd_combine(o, DD_MAX_ADDRS, ar);
	ck_assert_int_eq(r.word, DD_GOOD);
	ck_assert_uint_eq(strlen(r.body), 5 + DD_MAX_ADDRS * strlen(t) + DD_MAX_ADDRS - 1);
	ck_assert(strncmp(r.body, "good ffff:", 10) == 0);
	ck_assert(!r.client_fault);
}
END_TEST

static Suite *dyndns2_suite(void)
{
	Suite *s = suite_create("dyndns2");
	TCase *tc = tcase_create("words");
	tcase_add_test(tc, test_words);
	suite_add_tcase(s, tc);

	tc = tcase_create("auth");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_auth_ok, 0, (int)(sizeof(auth_ok) / sizeof(auth_ok[0])));
	tcase_add_loop_test(tc, test_auth_bad, 0, (int)(sizeof(auth_bad) / sizeof(auth_bad[0])));
	tcase_add_test(tc, test_auth_null);
	tcase_add_test(tc, test_auth_huge);
	tcase_add_test(tc, test_auth_all_header_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("myip");
	tcase_add_test(tc, test_myip_single);
	tcase_add_test(tc, test_myip_list);
	tcase_add_loop_test(tc, test_myip_bad, 0, (int)(sizeof(myip_bad) / sizeof(myip_bad[0])));
	tcase_add_test(tc, test_myip_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("plan");
	tcase_add_test(tc, test_plan);
	suite_add_tcase(s, tc);

	tc = tcase_create("combine");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_combine_success);
	tcase_add_test(tc, test_combine_errors);
	tcase_add_test(tc, test_combine_many);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dyndns2_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
