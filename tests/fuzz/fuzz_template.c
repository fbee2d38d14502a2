/* Templates as an operator writes them (custom pages and overrides of the
 * shipped ones): parsed, checked and, when accepted, rendered with a
 * context like the pages' own. */
#include "fuzz.h"

#include <string.h>

#include <jansson.h>

#include "web/template.h"

static const char base[] =
	"<html>{% block title %}T{% endblock %}|{% block content %}{% endblock %}</html>";
static const char part[] = "<p>{{ user.name }}</p>{% for h in hosts %}{{ h.name }}{% endfor %}";

static json_t *context(void)
{
	static json_t *ctx;
	if (ctx == NULL) {
		ctx = json_pack("{s:{s:s, s:b, s:I}, s:[{s:s, s:I}, {s:s, s:n}], s:{s:s}, s:s, s:i}",
			"user", "name", "<b>alice</b>", "staff", 1, "id", (json_int_t)42,
			"hosts", "name", "h1.example.org", "id", (json_int_t)1, "name", "h2&\"'",
			"id", "form", "next", "/x?a=1&b=<2>", "page_name", "about", "n", 3);
		if (ctx == NULL)
			abort();
	}
	return ctx;
}

static const char *translate(void *ctx, const char *msgid)
{
	(void)ctx;
	return strcmp(msgid, "Hosts") == 0 ? "Rechner %(n)s" : msgid;
}

int fuzz_template(const uint8_t *data, size_t size)
{
	tpl_set *s = NULL;
	if (tpl_set_new(&s) != NSUPD_OK)
		abort();
	char err[256];
	err[0] = '\0';
	if (tpl_set_add(s, "base.html", base, sizeof(base) - 1, "base.html", err, sizeof(err)) !=
		    NSUPD_OK ||
	    tpl_set_add(s, "part.html", part, sizeof(part) - 1, "part.html", err, sizeof(err)) !=
		    NSUPD_OK)
		abort();
	/* The source may hold NUL bytes, as a file may. */
	nsupd_err e = tpl_set_add(s, "custom/page.html", (const char *)data, size,
				  "custom/page.html", err, sizeof(err));
	if (e == NSUPD_OK)
		e = tpl_set_check(s, err, sizeof(err));
	FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
	if (e != NSUPD_OK) {
		FUZZ_ASSERT(err[0] != '\0');
	} else {
		tpl_env env = { .translate = translate };
		char *out = NULL;
		size_t len = 0;
		e = tpl_render(s, "custom/page.html", context(), &env, &out, &len);
		/* Rendering never fails on data. */
		FUZZ_ASSERT(e == NSUPD_OK && out != NULL && strlen(out) <= len);
		free(out);
	}
	tpl_set_free(s);
	return 0;
}
