/* .po parsing, lookups and Accept-Language negotiation. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "web/i18n.h"

static char err[512];

static const char po_de[] =
	"# German translations\n"
	"msgid \"\"\n"
	"msgstr \"\"\n"
	"\"Content-Type: text/plain; charset=UTF-8\\n\"\n"
	"\n"
	"#: templates/base.html:3\n"
	"msgid \"Log in\"\n"
	"msgstr \"Anmelden\"\n"
	"\n"
	"msgid \"Hello %(name)s\"\n"
	"msgstr \"\"\n"
	"\"Hallo \"\n"
	"\"%(name)s\"\n"
	"\n"
	"#, fuzzy\n"
	"msgid \"Fuzzy one\"\n"
	"msgstr \"Unsicher\"\n"
	"\n"
	"msgid \"Not yet\"\n"
	"msgstr \"\"\n"
	"\n"
	"msgid \"Quote \\\"and\\\" newline\\n\"\n"
	"msgstr \"Zitat \\\"und\\\" Zeile\\n\"\n"
	"\n"
	"msgctxt \"menu\"\n"
	"msgid \"Open\"\n"
	"msgstr \"Öffnen\"\n"
	"\n"
	"msgid \"one host\"\n"
	"msgid_plural \"%(n)s hosts\"\n"
	"msgstr[0] \"ein Host\"\n"
	"msgstr[1] \"%(n)s Hosts\"\n";

START_TEST(parse_and_lookup)
{
	i18n *t = NULL;
	ck_assert_int_eq(i18n_new(&t), NSUPD_OK);
	ck_assert_msg(i18n_add_po(t, "de", po_de, strlen(po_de), "po/de.po", err, sizeof(err)) ==
		      NSUPD_OK, "%s", err);
	const i18n_catalog *c = i18n_catalog_get(t, "de");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(i18n_lookup(c, "Log in"), "Anmelden");
	ck_assert_str_eq(i18n_lookup(c, "Hello %(name)s"), "Hallo %(name)s");
	ck_assert_str_eq(i18n_lookup(c, "Fuzzy one"), "Fuzzy one");
	ck_assert_str_eq(i18n_lookup(c, "Not yet"), "Not yet");
	ck_assert_str_eq(i18n_lookup(c, "Quote \"and\" newline\n"), "Zitat \"und\" Zeile\n");
	ck_assert_str_eq(i18n_lookup(c, "menu\004Open"), "Öffnen");
	ck_assert_str_eq(i18n_lookup(c, "Open"), "Open");
	ck_assert_str_eq(i18n_lookup(c, "one host"), "ein Host");
	ck_assert_str_eq(i18n_lookup(c, "unknown"), "unknown");
	ck_assert_str_eq(i18n_lookup(NULL, "Log in"), "Log in");
	ck_assert_uint_eq(i18n_catalog_size(c), 5);
	ck_assert_ptr_null(i18n_catalog_get(t, "fr"));
	ck_assert(i18n_has(t, "en"));
	ck_assert(i18n_has(t, "DE"));
	ck_assert(!i18n_has(t, "fr"));
	const char *codes[4];
	ck_assert_uint_eq(i18n_languages(t, codes, 4), 2);
	ck_assert_str_eq(codes[0], "en");
	ck_assert_str_eq(codes[1], "de");
	ck_assert_str_eq(i18n_language_name("de"), "Deutsch");
	ck_assert_str_eq(i18n_language_name("fr"), "Français");
	i18n_free(t);
}
END_TEST

START_TEST(syntax_errors)
{
	i18n *t = NULL;
	ck_assert_int_eq(i18n_new(&t), NSUPD_OK);
	const char *bad1 = "msgid \"a\"\nmsgstr \"b\n";
	ck_assert_int_eq(i18n_add_po(t, "de", bad1, strlen(bad1), "x.po", err, sizeof(err)),
			 NSUPD_ERR_INVALID);
	ck_assert_str_eq(err, "x.po:2: unterminated string");
	const char *bad2 = "\n\nmsgid \"a\"\nmsgstr \"b\"\nbogus line\n";
	ck_assert_int_eq(i18n_add_po(t, "de", bad2, strlen(bad2), "x.po", err, sizeof(err)),
			 NSUPD_ERR_INVALID);
	ck_assert_str_eq(err, "x.po:5: unexpected line (not msgid, msgstr, a string or a comment)");
	const char *bad3 = "msgid \"a\"\n\nmsgid \"b\"\nmsgstr \"c\"\n";
	ck_assert_int_eq(i18n_add_po(t, "de", bad3, strlen(bad3), "x.po", err, sizeof(err)),
			 NSUPD_ERR_INVALID);
	ck_assert_str_eq(err, "x.po:3: msgid without msgstr");
	const char *bad4 = "msgid \"a\\q\"\nmsgstr \"\"\n";
	ck_assert_int_eq(i18n_add_po(t, "de", bad4, strlen(bad4), "x.po", err, sizeof(err)),
			 NSUPD_ERR_INVALID);
	ck_assert_str_eq(err, "x.po:1: unknown escape \\q");
	ck_assert_ptr_null(i18n_catalog_get(t, "de"));
	i18n_free(t);
}
END_TEST

START_TEST(negotiate)
{
	i18n *t = NULL;
	ck_assert_int_eq(i18n_new(&t), NSUPD_OK);
	const char *fr = "msgid \"Log in\"\nmsgstr \"Connexion\"\n";
	const char *it = "msgid \"Log in\"\nmsgstr \"Accedi\"\n";
	ck_assert_int_eq(i18n_add_po(t, "de", po_de, strlen(po_de), "de.po", err, sizeof(err)),
			 NSUPD_OK);
	ck_assert_int_eq(i18n_add_po(t, "fr", fr, strlen(fr), "fr.po", err, sizeof(err)), NSUPD_OK);
	ck_assert_int_eq(i18n_add_po(t, "it", it, strlen(it), "it.po", err, sizeof(err)), NSUPD_OK);
	ck_assert_str_eq(i18n_negotiate(t, "de-CH,de;q=0.9,en;q=0.8"), "de");
	ck_assert_str_eq(i18n_negotiate(t, "en-US,en;q=0.9,fr;q=0.8"), "en");
	ck_assert_str_eq(i18n_negotiate(t, "es, fr;q=0.5, it;q=0.7"), "it");
	ck_assert_str_eq(i18n_negotiate(t, "FR-ca"), "fr");
	ck_assert_str_eq(i18n_negotiate(t, "de;q=0, fr;q=0.1"), "fr");
	ck_assert_str_eq(i18n_negotiate(t, "it;q=0.5, de;q=0.5"), "it");
	ck_assert_ptr_null(i18n_negotiate(t, "es, pt;q=0.9, *;q=0.1"));
	ck_assert_ptr_null(i18n_negotiate(t, "de;q=0"));
	ck_assert_ptr_null(i18n_negotiate(t, ""));
	ck_assert_ptr_null(i18n_negotiate(t, NULL));
	ck_assert_ptr_null(i18n_negotiate(t, ";;;,,,q=1"));
	/* A header that ends right after ';' (found by fuzzing: the parser
	 * stepped over the NUL and read on). Heap copies, so the ASan build
	 * sees a read past the end. */
	static const char *const ends[] = { "de;", "`}p;", "fr;q=0.5,de; ", "de;q=", "x;;" };
	static const char *const want[] = { "de", NULL, "de", NULL, NULL };
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		char *h = strdup(ends[i]);
		ck_assert_ptr_nonnull(h);
		const char *got = i18n_negotiate(t, h);
		if (want[i] == NULL)
			ck_assert_msg(got == NULL, "%s: %s", ends[i], got);
		else
			ck_assert_msg(got != NULL && strcmp(got, want[i]) == 0, "%s: %s", ends[i],
				      got != NULL ? got : "(none)");
		free(h);
	}
	ck_assert_ptr_null(i18n_negotiate(t, "de;q=nan"));
	ck_assert_ptr_null(i18n_negotiate(t, "de;q=1e3"));
	i18n_free(t);
}
END_TEST

static Suite *i18n_suite(void)
{
	Suite *s = suite_create("i18n");
	TCase *tc = tcase_create("po");
	tcase_add_test(tc, parse_and_lookup);
	tcase_add_test(tc, syntax_errors);
	tcase_add_test(tc, negotiate);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(i18n_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
