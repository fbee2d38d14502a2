/* Pure parts of src/mail: subject encoding, message format, placeholders,
 * the notice texts (English and translated), and the [mail] settings. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "mail/mail.h"

START_TEST(test_subject_ascii_stays)
{
	char out[256];
	ck_assert(mail_encode_subject("Issue with your host a.example.org", out, sizeof(out)));
	ck_assert_str_eq(out, "Issue with your host a.example.org");
}
END_TEST

/* Decodes the "=?utf-8?B?...?=" words of an encoded subject. */
static void decode_words(const char *enc, char *out)
{
	static const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	const char *p = enc;
	while ((p = strstr(p, "=?utf-8?B?")) != NULL) {
		p += 10;
		const char *end = strstr(p, "?=");
		ck_assert_ptr_nonnull(end);
		ck_assert_int_le(end - p + 12, 75);
		unsigned v = 0;
		int bits = 0;
		for (; p < end; p++) {
			if (*p == '=')
				continue;
			v = (v << 6) | (unsigned)(strchr(b64, *p) - b64);
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[o++] = (char)((v >> bits) & 0xff);
			}
		}
		/* Each word is whole UTF-8 on its own. */
		p = end + 2;
	}
	out[o] = '\0';
}

START_TEST(test_subject_utf8_words)
{
	const char *s = "Problem mit Ihrem Host \xc3\xa4\xc3\xb6\xc3\xbc-sehr-lang-"
			"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac.beispiel.de und noch mehr Text "
			"\xc3\x9f\xc3\x9f\xc3\x9f";
	char out[1024], back[512];
	ck_assert(mail_encode_subject(s, out, sizeof(out)));
	ck_assert_ptr_nonnull(strstr(out, "\r\n "));            /* folded */
	for (const char *p = out; *p; p++)
		ck_assert((unsigned char)*p < 0x80);
	decode_words(out, back);
	ck_assert_str_eq(back, s);
	char tiny[8];
	ck_assert(!mail_encode_subject(s, tiny, sizeof(tiny)));
}
END_TEST

START_TEST(test_format)
{
	char out[4096];
	ck_assert_int_eq(mail_format("n@nsupd.example", "u@example.org", "Hi", "line 1\n.dot\nend",
				     86400 * 365, "tok", out, sizeof(out)), NSUPD_OK);
	ck_assert_str_eq(out,
		"Date: Fri, 01 Jan 1971 00:00:00 +0000\r\n"
		"From: n@nsupd.example\r\n"
		"To: u@example.org\r\n"
		"Subject: Hi\r\n"
		"Message-ID: <tok@nsupd.example>\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n"
		"\r\n"
		"line 1\r\n.dot\r\nend\r\n");
	/* Header injection is refused. */
	ck_assert_int_eq(mail_format("n@x", "u@example.org\r\nBcc: x@y", "Hi", "b", 0, "t", out,
				     sizeof(out)), NSUPD_ERR_INVALID);
	ck_assert_int_eq(mail_format("n@x", "u@example.org", "Hi\nBcc: x@y", "b", 0, "t", out,
				     sizeof(out)), NSUPD_ERR_INVALID);
	char small[64];
	ck_assert_int_eq(mail_format("n@x", "u@x", "Hi", "b", 0, "t", small, sizeof(small)),
			 NSUPD_ERR_INVALID);
}
END_TEST

START_TEST(test_expand)
{
	const char *names[] = { "fqdn", "n" };
	const char *values[] = { "a.example.org", "5" };
	char out[128];
	ck_assert(mail_expand("%(fqdn)s has %(n)s, %(unknown)s, 100%", names, values, 2, out,
			      sizeof(out)));
	ck_assert_str_eq(out, "a.example.org has 5, %(unknown)s, 100%");
	char small[8];
	ck_assert(!mail_expand("%(fqdn)s", names, values, 2, small, sizeof(small)));
}
END_TEST

START_TEST(test_notices_english)
{
	mail_notice n;
	mail_notice_abuse(NULL, "Site", "h.example.org", "cellar", 151, &n);
	ck_assert_str_eq(n.subject, "Issue with your host h.example.org");
	ck_assert_ptr_nonnull(strstr(n.body, "h.example.org (comment: cellar)"));
	ck_assert_ptr_nonnull(strstr(n.body, "151 faulty updates since we last checked"));
	ck_assert_ptr_nonnull(strstr(n.body, "-- \nSite\n"));
	mail_notice_domain(NULL, "Site", "zone.example", &n);
	ck_assert_str_eq(n.subject, "Issue with your domain zone.example");
	ck_assert_ptr_nonnull(strstr(n.body, "unavailable and not public"));
	mail_notice_stale(NULL, "Site", "h.example.org", "", 3, MAIL_STALE_UNAVAILABLE, &n);
	ck_assert_ptr_nonnull(strstr(n.body, "Issue: Host h.example.org has not seen IP updates "
				     "for a long time; staleness: 3 -> made host unavailable."));
	ck_assert_ptr_nonnull(strstr(n.body, "per month"));
	mail_notice_stale(NULL, "Site", "h.example.org", "", 5, MAIL_STALE_DELETED, &n);
	ck_assert_ptr_nonnull(strstr(n.body, "-> deleted host."));
	ck_assert_ptr_null(strstr(n.body, "per month"));
}
END_TEST

START_TEST(test_notices_translated)
{
	i18n *t = NULL;
	ck_assert_int_eq(i18n_new(&t), NSUPD_OK);
	const char *po =
		"msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n\n"
		"msgid \"Issue with your host %(fqdn)s\"\n"
		"msgstr \"Problem mit Ihrem Host %(fqdn)s\"\n\n"
		"msgid \"Hello,\"\nmsgstr \"Hallo,\"\n";
	char err[256];
	ck_assert_int_eq(i18n_add_po(t, "de", po, strlen(po), "de.po", err, sizeof(err)),
			 NSUPD_OK);
	mail_notice n;
	mail_notice_abuse(i18n_catalog_get(t, "de"), "S", "h.example.org", "", 3, &n);
	ck_assert_str_eq(n.subject, "Problem mit Ihrem Host h.example.org");
	ck_assert(strncmp(n.body, "Hallo,\n\n", 8) == 0);
	/* Untranslated paragraphs fall back to English. */
	ck_assert_ptr_nonnull(strstr(n.body, "3 faulty updates"));
	i18n_free(t);
}
END_TEST

START_TEST(test_config_mail)
{
	nsupd_config c;
	char err[256];
	config_defaults(&c);
	ck_assert_str_eq(c.mail_smtp_url, "smtp://127.0.0.1:25");
	ck_assert_int_eq(config_load_string(&c,
		"[site]\nbase_domain = example.org\n"
		"[mail]\nsmtp_url = smtps://mail.example.org:465\nfrom = dd@example.org\n"
		"username = u\npassword = p w\nstarttls = yes\ntimeout = 7\n", "t", err,
		sizeof(err)), NSUPD_OK);
	ck_assert_str_eq(c.mail_smtp_url, "smtps://mail.example.org:465");
	ck_assert_str_eq(c.mail_from, "dd@example.org");
	ck_assert_str_eq(c.mail_username, "u");
	ck_assert_str_eq(c.mail_password, "p w");
	ck_assert(c.mail_starttls);
	ck_assert_uint_eq(c.mail_timeout, 7);
	char from[128];
	mail_from_address(&c, from, sizeof(from));
	ck_assert_str_eq(from, "dd@example.org");
	config_free(&c);

	config_defaults(&c);
	ck_assert_int_eq(config_load_string(&c, "[site]\nbase_domain = example.org\n", "t", err,
					    sizeof(err)), NSUPD_OK);
	mail_from_address(&c, from, sizeof(from));
	ck_assert_str_eq(from, "nsupd@example.org");
	config_free(&c);

	config_defaults(&c);
	ck_assert_int_eq(config_load_string(&c, "[mail]\nsmtp_url = http://x\n", "t", err,
					    sizeof(err)), NSUPD_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err, "smtp_url"));
	config_defaults(&c);
	ck_assert_int_eq(config_load_string(&c, "[mail]\ntimeout = 0\n", "t", err, sizeof(err)),
			 NSUPD_ERR_CONFIG);
	config_defaults(&c);
	ck_assert_int_eq(config_load_string(&c, "[mail]\nsmtp_url =\n", "t", err, sizeof(err)),
			 NSUPD_OK);
	ck_assert_str_eq(c.mail_smtp_url, "");
	config_free(&c);
}
END_TEST

START_TEST(test_send_disabled_and_refused)
{
	nsupd_config c;
	config_defaults(&c);
	char err[256];
	/* Nothing listens on port 1: an error comes back, nothing crashes. */
	free(c.mail_smtp_url);
	c.mail_smtp_url = strdup("smtp://127.0.0.1:1");
	c.mail_timeout = 2;
	ck_assert_int_eq(mail_send_raw(&c, "u@example.org", "Subject: x\r\n\r\nb\r\n", err,
				       sizeof(err)), NSUPD_ERR_IO);
	ck_assert(err[0] != '\0');
	ck_assert_int_eq(mail_send_raw(&c, "no-at-sign", "x", err, sizeof(err)),
			 NSUPD_ERR_INVALID);
	mailer m = { .cfg = &c };
	ck_assert_int_eq(mail_send(&m, "u@example.org", "s", "b"), NSUPD_ERR_IO);
	ck_assert_int_eq(m.dropped, 1);    /* no store: cannot queue */
	free(c.mail_smtp_url);
	c.mail_smtp_url = strdup("");
	ck_assert_int_eq(mail_send(&m, "u@example.org", "s", "b"), NSUPD_ERR_CONFIG);
	config_free(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mail");
	TCase *tc = tcase_create("pure");
	tcase_add_test(tc, test_subject_ascii_stays);
	tcase_add_test(tc, test_subject_utf8_words);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_expand);
	tcase_add_test(tc, test_notices_english);
	tcase_add_test(tc, test_notices_translated);
	tcase_add_test(tc, test_config_mail);
	tcase_add_test(tc, test_send_disabled_and_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
