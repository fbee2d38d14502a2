/* The template engine: escaping, expressions, control flow, inheritance,
 * translation, and the start-up errors that must name file and line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/template.h"

static char err[512];

/* Parses one template "t.html" (plus optional extra ones) and renders it
 * with the JSON context ctx_text. Returns a malloc'd string. */
static char *render2(const char *src, const char *ctx_text, const char *const *extra,
		     const tpl_env *env)
{
	tpl_set *s = NULL;
	ck_assert_int_eq(tpl_set_new(&s), NSUPD_OK);
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i += 2)
		ck_assert_msg(tpl_set_add(s, extra[i], extra[i + 1], strlen(extra[i + 1]), extra[i], err,
					  sizeof(err)) == NSUPD_OK, "%s", err);
	ck_assert_msg(tpl_set_add(s, "t.html", src, strlen(src), "t.html", err, sizeof(err)) ==
		      NSUPD_OK, "%s", err);
	ck_assert_msg(tpl_set_check(s, err, sizeof(err)) == NSUPD_OK, "%s", err);
	json_t *ctx = ctx_text != NULL ? json_loads(ctx_text, 0, NULL) : NULL;
	ck_assert(ctx_text == NULL || ctx != NULL);
	char *out = NULL;
	size_t len = 0;
	ck_assert_int_eq(tpl_render(s, "t.html", ctx, env, &out, &len), NSUPD_OK);
	ck_assert_uint_eq(len, strlen(out));
	json_decref(ctx);
	tpl_set_free(s);
	return out;
}

static char *render(const char *src, const char *ctx_text)
{
	return render2(src, ctx_text, NULL, NULL);
}

#define CHECK_RENDER(src, ctx, want) do { \
	char *got_ = render((src), (ctx)); \
	ck_assert_str_eq(got_, (want)); \
	free(got_); \
} while (0)

/* Parsing must fail with this message. */
static void check_error(const char *src, const char *want)
{
	tpl_set *s = NULL;
	ck_assert_int_eq(tpl_set_new(&s), NSUPD_OK);
	nsupd_err e = tpl_set_add(s, "t.html", src, strlen(src), "dir/t.html", err, sizeof(err));
	if (e == NSUPD_OK)
		e = tpl_set_check(s, err, sizeof(err));
	ck_assert_msg(e == NSUPD_ERR_INVALID, "no error for <<%s>>", src);
	ck_assert_str_eq(err, want);
	tpl_set_free(s);
}

START_TEST(text_and_values)
{
	CHECK_RENDER("plain { text } %}", NULL, "plain { text } %}");
	CHECK_RENDER("a{{ x }}b", "{\"x\": \"X\"}", "aXb");
	CHECK_RENDER("{{ a.b.c }}", "{\"a\": {\"b\": {\"c\": 42}}}", "42");
	CHECK_RENDER("{{ list.1 }}", "{\"list\": [\"a\", \"b\"]}", "b");
	CHECK_RENDER("[{{ missing }}][{{ a.nope.deeper }}][{{ n }}]", "{\"a\": {}, \"n\": null}",
		     "[][][]");
	CHECK_RENDER("{{ t }}/{{ f }}/{{ r }}", "{\"t\": true, \"f\": false, \"r\": 1.5}",
		     "true/false/1.5");
	CHECK_RENDER("x{# a comment {{ y }} #}z", NULL, "xz");
	CHECK_RENDER("{{ \"lit\" }}{{ 7 }}", NULL, "lit7");
}
END_TEST

START_TEST(escaping)
{
	CHECK_RENDER("{{ x }}", "{\"x\": \"<script>alert('x')</script> & \\\"q\\\"\"}",
		     "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot;");
	CHECK_RENDER("{{{ x }}}", "{\"x\": \"<b>bold</b>\"}", "<b>bold</b>");
	/* Filters do not switch escaping off. */
	CHECK_RENDER("{{ x|upper }}", "{\"x\": \"<i>\"}", "&lt;I&gt;");
	char *e = tpl_escape("a<b>&'\"");
	ck_assert_str_eq(e, "a&lt;b&gt;&amp;&#x27;&quot;");
	free(e);
}
END_TEST

START_TEST(filters)
{
	CHECK_RENDER("{{ x|default:\"none\" }}|{{ y|default:\"none\" }}|{{ z|default:\"d\" }}",
		     "{\"x\": \"\", \"z\": \"set\"}", "none|none|set");
	CHECK_RENDER("{{ s|length }} {{ l|length }} {{ o|length }}",
		     "{\"s\": \"h\u00e9llo\", \"l\": [1,2,3], \"o\": {\"a\":1}}", "5 3 1");
	CHECK_RENDER("{{ s|upper }} {{ s|lower }}", "{\"s\": \"MiXed\"}", "MIXED mixed");
	CHECK_RENDER("{{ s|urlencode }}", "{\"s\": \"/a b?c=d&e\"}", "%2Fa%20b%3Fc%3Dd%26e");
	CHECK_RENDER("{{ t|date }}|{{ z|date }}|{{ m|date }}", "{\"t\": 1700000000, \"z\": 0}",
		     "2023-11-14 22:13 UTC||");
	CHECK_RENDER("{{ a|yesno:\"yes,no\" }} {{ b|yesno:\"yes,no\" }}", "{\"a\": 1, \"b\": 0}",
		     "yes no");
	CHECK_RENDER("{{ s|int }}", "{\"s\": \"12abc\"}", "12");
	CHECK_RENDER("{{ x|default:\"\"|length }}", "{}", "0");
}
END_TEST

START_TEST(conditions)
{
	const char *ctx = "{\"a\": 1, \"b\": 0, \"s\": \"de\", \"n\": 5, \"e\": [], \"l\": [1]}";
	CHECK_RENDER("{% if a %}A{% endif %}{% if b %}B{% endif %}", ctx, "A");
	CHECK_RENDER("{% if b %}1{% elif s == \"de\" %}2{% else %}3{% endif %}", ctx, "2");
	CHECK_RENDER("{% if b %}1{% elif s == \"fr\" %}2{% else %}3{% endif %}", ctx, "3");
	CHECK_RENDER("{% if not b and a %}y{% endif %}", ctx, "y");
	CHECK_RENDER("{% if b or s != \"de\" %}y{% else %}n{% endif %}", ctx, "n");
	CHECK_RENDER("{% if n == 5 and s == 'de' %}y{% endif %}", ctx, "y");
	CHECK_RENDER("{% if n == \"5\" %}y{% endif %}", ctx, "y");
	CHECK_RENDER("{% if not (a and b) %}y{% endif %}", ctx, "y");
	CHECK_RENDER("{% if e %}E{% endif %}{% if l %}L{% endif %}{% if missing %}M{% endif %}",
		     ctx, "L");
	CHECK_RENDER("{% if missing == none %}none{% endif %}", ctx, "none");
	CHECK_RENDER("{% if a %}{% if b %}x{% else %}y{% endif %}{% endif %}", ctx, "y");
}
END_TEST

START_TEST(loops)
{
	const char *ctx = "{\"hosts\": [{\"n\": \"a\"}, {\"n\": \"b\"}, {\"n\": \"c\"}], \"none\": [],"
			  " \"o\": {\"k\": \"v\"}}";
	CHECK_RENDER("{% for h in hosts %}{{ loop.index }}{{ h.n }}{% if not loop.last %},{% endif %}"
		     "{% endfor %}", ctx, "1a,2b,3c");
	CHECK_RENDER("{% for h in none %}x{% empty %}empty{% endfor %}", ctx, "empty");
	CHECK_RENDER("{% for h in missing %}x{% empty %}empty{% endfor %}", ctx, "empty");
	CHECK_RENDER("{% for i in o %}{{ i.key }}={{ i.value }}{% endfor %}", ctx, "k=v");
	CHECK_RENDER("{% for a in hosts %}{% for b in hosts %}{{ loop.index }}{% endfor %}|"
		     "{{ loop.index }}{% endfor %}", ctx, "123|1123|2123|3");
	/* The loop variable shadows the context and disappears afterwards. */
	CHECK_RENDER("{% for n in hosts %}{% endfor %}[{{ n }}]", "{\"hosts\": [1], \"n\": \"top\"}",
		     "[top]");
}
END_TEST

START_TEST(include_and_extends)
{
	const char *const extra[] = {
		"base.html", "<title>{% block title %}Site{% endblock %}</title>"
			     "<main>{% block content %}default{% endblock %}</main>"
			     "{% include \"foot.html\" %}",
		"foot.html", "<footer>{{ site }}</footer>",
		"mid.html", "{% extends \"base.html\" %}{% block title %}Mid{% endblock %}",
		NULL,
	};
	char *out = render2("{% extends \"base.html\" %}ignored{% block content %}Hi {{ who }}"
			    "{% endblock %}", "{\"who\": \"<you>\", \"site\": \"S\"}", extra, NULL);
	ck_assert_str_eq(out, "<title>Site</title><main>Hi &lt;you&gt;</main><footer>S</footer>");
	free(out);
	/* Three levels: the most derived block wins, others come from above. */
	out = render2("{% extends \"mid.html\" %}{% block content %}C{% endblock content %}", "{}",
		      extra, NULL);
	ck_assert_str_eq(out, "<title>Mid</title><main>C</main><footer></footer>");
	free(out);
	/* An include inside a loop sees the loop variable, as in Jinja. */
	const char *const row[] = { "row.html", "[{{ loop.index }}:{{ h.name }}]", NULL };
	out = render2("{% for h in hosts %}{% include \"row.html\" %}{% endfor %}",
		      "{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"<b>\"}]}", row, NULL);
	ck_assert_str_eq(out, "[1:a][2:&lt;b&gt;]");
	free(out);
}
END_TEST

static const char *fake_translate(void *ctx, const char *msgid)
{
	if (strcmp(msgid, "Hello %(name)s") == 0)
		return "Hallo %(name)s!";
	if (strcmp(msgid, "Log in") == 0)
		return "Anmelden";
	if (strcmp(msgid, "yes") == 0)
		return "ja";
	return msgid;
}

START_TEST(translation)
{
	tpl_env env = { fake_translate, NULL };
	char *out = render2("{% trans \"Log in\" %}|{% trans \"Hello %(name)s\" name=user.name %}|"
			    "{% trans \"Untranslated & <kept>\" %}|{% trans \"100%% sure\" %}|"
			    "{{ a|yesno:\"yes,no\" }}",
			    "{\"user\": {\"name\": \"<b>Bob</b>\"}, \"a\": true}", NULL, &env);
	ck_assert_str_eq(out, "Anmelden|Hallo &lt;b&gt;Bob&lt;/b&gt;!|Untranslated &amp; &lt;kept&gt;|"
			      "100% sure|ja");
	free(out);
	/* Without a translator the msgid is used. */
	CHECK_RENDER("{% trans \"Hello %(name)s\" name=n %}", "{\"n\": 3}", "Hello 3");
}
END_TEST

START_TEST(syntax_errors)
{
	check_error("line1\n{% if x %}\nno end", "dir/t.html:2: unclosed {% if %} (no {% endif %} "
						   "before the end of the file)");
	check_error("{% for x in y %}", "dir/t.html:1: unclosed {% for %} (no {% endfor %} before "
					"the end of the file)");
	check_error("a\n\n{% frobnicate %}", "dir/t.html:3: unknown tag {% frobnicate %}");
	check_error("{{ x|nosuch }}", "dir/t.html:1: unknown filter 'nosuch'");
	check_error("\n{{ x ", "dir/t.html:2: unclosed {{");
	check_error("{% endif %}", "dir/t.html:1: {% endif %} without an opening tag");
	check_error("{% include \"gone.html\" %}", "dir/t.html:1: {% include \"gone.html\" %}: no such "
						    "template");
	check_error("\n{% extends \"gone.html\" %}", "dir/t.html:2: {% extends \"gone.html\" %}: no "
						      "such template");
	check_error("x{% extends \"a\" %}", "dir/t.html:1: {% extends %} must be the first tag of "
					   "the template");
	check_error("{% trans \"Hi %(name)s\" %}", "dir/t.html:1: {% trans %}: no value for %(name)s");
	check_error("{% block a %}{% endblock %}{% block a %}{% endblock %}",
		    "dir/t.html:1: block 'a' defined twice");
	check_error("{% if a == %}{% endif %}", "dir/t.html:1: value expected, found end of tag");
	check_error("{{ x|default }}", "dir/t.html:1: filter default needs an argument "
				       "(default:\"...\")");
	check_error("{# open", "dir/t.html:1: unclosed comment {#");
}
END_TEST

START_TEST(override_replaces)
{
	tpl_set *s = NULL;
	ck_assert_int_eq(tpl_set_new(&s), NSUPD_OK);
	ck_assert_int_eq(tpl_set_add(s, "a.html", "default", 7, "d/a.html", err, sizeof(err)),
			 NSUPD_OK);
	ck_assert_int_eq(tpl_set_add(s, "a.html", "operator", 8, "o/a.html", err, sizeof(err)),
			 NSUPD_OK);
	ck_assert(tpl_exists(s, "a.html"));
	ck_assert(!tpl_exists(s, "b.html"));
	char *out = NULL;
	size_t len;
	ck_assert_int_eq(tpl_render(s, "a.html", NULL, NULL, &out, &len), NSUPD_OK);
	ck_assert_str_eq(out, "operator");
	free(out);
	ck_assert_int_eq(tpl_render(s, "b.html", NULL, NULL, &out, &len), NSUPD_ERR_NOT_FOUND);
	tpl_set_free(s);
}
END_TEST

START_TEST(include_cycle_is_bounded)
{
	/* A template including itself is refused by the check; rendered
	 * anyway (without the check), it still does not recurse forever. */
	tpl_set *s = NULL;
	ck_assert_int_eq(tpl_set_new(&s), NSUPD_OK);
	const char *src = "x{% include \"self.html\" %}";
	ck_assert_int_eq(tpl_set_add(s, "self.html", src, strlen(src), "self.html", err, sizeof(err)),
			 NSUPD_OK);
	ck_assert_int_eq(tpl_set_check(s, err, sizeof(err)), NSUPD_ERR_INVALID);
	ck_assert_str_eq(err, "self.html:1: {% include \"self.html\" %} leads back to self.html "
			      "(an endless loop)");
	char *out = NULL;
	size_t len;
	ck_assert_int_eq(tpl_render(s, "self.html", NULL, NULL, &out, &len), NSUPD_OK);
	ck_assert_uint_ge(len, 2);
	ck_assert_uint_le(len, 64);
	free(out);
	tpl_set_free(s);
}
END_TEST

/* Loops through other templates, and the harmless shapes next to them. */
static nsupd_err check_set(const char *const *names, const char *const *srcs, size_t n)
{
	tpl_set *s = NULL;
	ck_assert_int_eq(tpl_set_new(&s), NSUPD_OK);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(tpl_set_add(s, names[i], srcs[i], strlen(srcs[i]), names[i], err,
					     sizeof(err)), NSUPD_OK);
	nsupd_err e = tpl_set_check(s, err, sizeof(err));
	tpl_set_free(s);
	return e;
}

/* A template of n copies of open, then mid, then n copies of close. */
static char *nested(const char *open, const char *mid, const char *close, int n)
{
	size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
	char *p = malloc((size_t)n * (lo + lc) + lm + 1);
	ck_assert_ptr_nonnull(p);
	char *q = p;
	for (int i = 0; i < n; i++, q += lo)
		memcpy(q, open, lo);
	memcpy(q, mid, lm);
	q += lm;
	for (int i = 0; i < n; i++, q += lc)
		memcpy(q, close, lc);
	*q = '\0';
	return p;
}

static nsupd_err add_one(const char *src)
{
	tpl_set *s = NULL;
	ck_assert_int_eq(tpl_set_new(&s), NSUPD_OK);
	nsupd_err e = tpl_set_add(s, "n.html", src, strlen(src), "n.html", err, sizeof(err));
	tpl_set_free(s);
	return e;
}

/* before + n x open + mid + n x close + after, added as a template: accepted
 * when refusal is NULL, else refused with refusal in the message. */
static void check_nesting(const char *before, const char *open, const char *mid,
			  const char *close, const char *after, int n, const char *refusal)
{
	char *inner = nested(open, mid, close, n);
	size_t len = strlen(before) + strlen(inner) + strlen(after) + 1;
	char *src = malloc(len);
	ck_assert_ptr_nonnull(src);
	snprintf(src, len, "%s%s%s", before, inner, after);
	nsupd_err e = add_one(src);
	if (refusal == NULL) {
		ck_assert_msg(e == NSUPD_OK, "%d x %s: %s", n, open, err);
	} else {
		ck_assert_int_eq(e, NSUPD_ERR_INVALID);
		ck_assert_msg(strstr(err, refusal) != NULL, "%s", err);
	}
	free(inner);
	free(src);
}

START_TEST(nesting_limits)
{
	/* Each level of nested loops multiplies the render: 20 loops over 3
	 * keys took longer than the fuzzer's 10 s (found by fuzzing). And
	 * without a limit, deep nesting overflows the parser's stack. */
	static const struct {
		const char *before, *open, *mid, *close, *after;
		int n;
		const char *refusal;   /* NULL: accepted */
	} cases[] = {
		{ "", "{% for x in l %}", "x", "{% endfor %}", "", 8, NULL },
		{ "", "{% for x in l %}", "x", "{% endfor %}", "", 9,
		  "n.html:1: {% for %} nested more than 8 deep" },
		{ "", "{% if x %}", "x", "{% endif %}", "", 64, NULL },
		{ "", "{% if x %}", "x", "{% endif %}", "", 65,
		  "n.html:1: {% if %} nested more than 64 deep" },
		{ "", "{% block b %}", "x", "{% endblock %}", "", 1, NULL },
		{ "", "{% block b %}", "x", "{% endblock %}", "", 100000, "nested more than 64 deep" },
		{ "{{ ", "(", "x", ")", " }}", 64, NULL },
		{ "{{ ", "(", "x", ")", " }}", 100000, "expression nested more than 64 deep" },
		{ "{% if ", "not ", "x", "", " %}y{% endif %}", 100000,
		  "expression nested more than 64 deep" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_nesting(cases[i].before, cases[i].open, cases[i].mid, cases[i].close,
			      cases[i].after, cases[i].n, cases[i].refusal);
}
END_TEST

START_TEST(include_loops_refused)
{
	/* Two includes of itself: 2^depth renders before the depth limit
	 * (found by fuzzing: one page view took minutes). */
	const char *n1[] = { "p.html" };
	const char *s1[] = { "{% include \"p.html\" %}{% include \"p.html\" %}" };
	ck_assert_int_eq(check_set(n1, s1, 1), NSUPD_ERR_INVALID);
	/* Through another template, inside if/for/block. */
	const char *n2[] = { "a.html", "b.html" };
	const char *s2[] = { "{% if x %}{% for i in l %}{% include \"b.html\" %}{% endfor %}{% endif %}",
			     "{% block c %}{% include \"a.html\" %}{% endblock %}" };
	ck_assert_int_eq(check_set(n2, s2, 2), NSUPD_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "leads back to"));
	/* A parent that includes its child. */
	const char *n3[] = { "base.html", "child.html" };
	const char *s3[] = { "{% include \"child.html\" %}",
			     "{% extends \"base.html\" %}{% block b %}x{% endblock %}" };
	ck_assert_int_eq(check_set(n3, s3, 2), NSUPD_ERR_INVALID);
	/* Shared includes are no loop: a diamond, and one include used twice. */
	const char *n4[] = { "top.html", "l.html", "r.html", "leaf.html" };
	const char *s4[] = { "{% include \"l.html\" %}{% include \"r.html\" %}{% include \"l.html\" %}",
			     "{% include \"leaf.html\" %}", "{% include \"leaf.html\" %}", "leaf" };
	ck_assert_int_eq(check_set(n4, s4, 4), NSUPD_OK);
	const char *n5[] = { "base.html", "page.html", "csrf.html" };
	const char *s5[] = { "{% include \"csrf.html\" %}{% block content %}{% endblock %}",
			     "{% extends \"base.html\" %}{% block content %}{% include \"csrf.html\" %}"
			     "{% endblock %}", "<input>" };
	ck_assert_int_eq(check_set(n5, s5, 3), NSUPD_OK);
}
END_TEST

static Suite *template_suite(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("render");
	tcase_add_test(tc, text_and_values);
	tcase_add_test(tc, escaping);
	tcase_add_test(tc, filters);
	tcase_add_test(tc, conditions);
	tcase_add_test(tc, loops);
	tcase_add_test(tc, include_and_extends);
	tcase_add_test(tc, translation);
	tcase_add_test(tc, override_replaces);
	tcase_add_test(tc, include_cycle_is_bounded);
	tcase_add_test(tc, include_loops_refused);
	tcase_add_test(tc, nesting_limits);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, syntax_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(template_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
