/* A small Jinja/Django-like template engine over a jansson context. Pure:
 * no files, no clocks, no globals; the caller hands in the sources (see
 * web/assets.h for loading a directory) and a translation callback.
 *
 * Syntax (whitespace inside the delimiters is free):
 *   {{ a.b.c }}                 value, HTML-escaped (& < > " ' are escaped)
 *   {{ a.b|default:"x"|upper }} with filters
 *   {{{ a.b }}}                 RAW, unescaped output: only for HTML the
 *                               program built itself; never user data
 *   {# comment #}
 *   {% if x %} {% elif not y %} {% else %} {% endif %}
 *        conditions: operands are paths (with filters), "strings",
 *        integers, true/false/none; operators ==, !=, not, and, or
 *        (precedence: not > ==/!= > and > or), parentheses.
 *   {% for item in list %} ... {% empty %} ... {% endfor %}
 *        inside: loop.index (1-based), loop.index0, loop.first, loop.last,
 *        loop.length. Iterating an object yields {"key":..,"value":..}.
 *   {% include "name.html" %}   renders another template with the same context
 *   {% extends "base.html" %}   must be the first tag; the child's
 *   {% block name %}...{% endblock %}   blocks replace the parent's
 *   {% trans "Text" %}          translated, escaped
 *   {% trans "Hi %(name)s" name=user.name count=n %}   placeholders filled
 *        after translation with escaped values
 * Filters: default:"x" (when the value is missing, null, false or ""),
 * length, upper, lower, urlencode, date (Unix seconds -> "YYYY-MM-DD HH:MM
 * UTC"; 0 or missing renders ""), yesno:"yes,no" (translated by the caller's
 * strings), int.
 *
 * Missing values render as "" and are false; rendering never fails on data.
 * Syntax errors (unclosed or unknown tags, unknown filters, a missing
 * include/extends target) are reported as "ORIGIN:LINE: message". */
#ifndef NSUPD_WEB_TEMPLATE_H
#define NSUPD_WEB_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/error.h"

typedef struct tpl_set tpl_set;

nsupd_err tpl_set_new(tpl_set **out);
void tpl_set_free(tpl_set *s);

/* Parses source and stores it under name ("main/home.html"). origin names
 * the file in messages (a path). A template already stored under the same
 * name is replaced: load the defaults first, then the operator's overrides.
 * On a syntax error returns NSUPD_ERR_INVALID with "ORIGIN:LINE: message"
 * in err. */
nsupd_err tpl_set_add(tpl_set *s, const char *name, const char *source, size_t len,
		      const char *origin, char *err, size_t errsize);

/* Checks that every include/extends target exists and that extends chains
 * end; call once after the last tpl_set_add. Same error format. */
nsupd_err tpl_set_check(tpl_set *s, char *err, size_t errsize);

bool tpl_exists(const tpl_set *s, const char *name);

/* Looks a msgid up in the request's language; returns msgid itself when
 * there is no translation. The result must outlive the render call. */
typedef const char *(*tpl_translate_fn)(void *ctx, const char *msgid);

typedef struct tpl_env {
	tpl_translate_fn translate;   /* NULL: no translation */
	void *translate_ctx;
} tpl_env;

/* Renders name with ctx (an object; may be NULL). *out is malloc'd and NUL
 * terminated (free it); *len its length. NSUPD_ERR_NOT_FOUND for an
 * unknown name, NSUPD_ERR_NOMEM when memory runs out. */
nsupd_err tpl_render(const tpl_set *s, const char *name, json_t *ctx, const tpl_env *env,
		     char **out, size_t *len);

/* HTML-escapes s into a malloc'd string (for code that builds small HTML
 * snippets to pass through {{{ }}}). */
char *tpl_escape(const char *s);

#endif
