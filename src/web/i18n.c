/* A .po reader for the subset gettext tools write: comments (#, with the
 * "#, fuzzy" flag honoured), msgctxt (entries with a context are kept
 * apart by prefixing "CTX\004", as gettext does), msgid, msgid_plural,
 * msgstr and msgstr[N] (the singular form is used), and "..." continuation
 * lines with C escapes. Entries are sorted once for binary search. */
#include "web/i18n.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct entry {
	char *id;
	char *str;
} entry;

struct i18n_catalog {
	char code[I18N_CODE_MAX];
	entry *e;
	size_t n, cap;
};

struct i18n {
	i18n_catalog *cats[I18N_MAX_LANGS];
	size_t n;
};

nsupd_err i18n_new(i18n **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? NSUPD_OK : NSUPD_ERR_NOMEM;
}

static void catalog_free(i18n_catalog *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].id);
		free(c->e[i].str);
	}
	free(c->e);
	free(c);
}

void i18n_free(i18n *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		catalog_free(t->cats[i]);
	free(t);
}

/* ---- parsing ---- */

typedef struct sbuf {
	char *p;
	size_t len, cap;
} sbuf;

static bool sb_put(sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		char *np = realloc(b->p, ncap);
		if (np == NULL)
			return false;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

typedef struct po_state {
	const char *origin;
	int line;
	char *err;
	size_t errsize;
	bool failed;
} po_state;

static void po_fail(po_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void po_fail(po_state *st, const char *fmt, ...)
{
	if (st->failed)
		return;
	st->failed = true;
	if (st->errsize == 0)
		return;
	int n = snprintf(st->err, st->errsize, "%s:%d: ", st->origin, st->line);
	if (n < 0 || (size_t)n >= st->errsize)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->err + n, st->errsize - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Appends the unescaped contents of the "..." at p to b. */
static bool parse_quoted(po_state *st, const char *p, const char *end, sbuf *b)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p >= end || *p != '"') {
		po_fail(st, "a \"quoted string\" expected");
		return false;
	}
	p++;
	while (p < end && *p != '"') {
		char c = *p++;
		if (c == '\\') {
			if (p >= end)
				break;
			char e = *p++;
			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			default:
				po_fail(st, "unknown escape \\%c", e);
				return false;
			}
		}
		if (!sb_put(b, &c, 1)) {
			po_fail(st, "out of memory");
			return false;
		}
	}
	if (p >= end) {
		po_fail(st, "unterminated string");
		return false;
	}
	p++;
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p < end) {
		po_fail(st, "text after the closing quote");
		return false;
	}
	if (b->p == NULL && !sb_put(b, "", 0)) {
		po_fail(st, "out of memory");
		return false;
	}
	return true;
}

enum field { F_NONE, F_CTXT, F_ID, F_PLURAL, F_STR, F_STR_OTHER };

typedef struct po_entry {
	sbuf ctxt, id, str;
	bool has_id, has_str, fuzzy, has_ctxt;
} po_entry;

static void entry_reset(po_entry *pe)
{
	free(pe->ctxt.p);
	free(pe->id.p);
	free(pe->str.p);
	memset(pe, 0, sizeof(*pe));
}

static bool cat_push(i18n_catalog *c, char *id, char *str)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		entry *ne = realloc(c->e, ncap * sizeof(*ne));
		if (ne == NULL)
			return false;
		c->e = ne;
		c->cap = ncap;
	}
	c->e[c->n].id = id;
	c->e[c->n].str = str;
	c->n++;
	return true;
}

/* Finishes the entry being read: keeps it when it is a real, non-fuzzy
 * translation. */
static bool entry_finish(po_state *st, i18n_catalog *c, po_entry *pe)
{
	bool ok = true;
	if (pe->has_id && !pe->has_str) {
		po_fail(st, "msgid without msgstr");
		ok = false;
	} else if (pe->has_id && pe->id.len > 0 && !pe->fuzzy && pe->str.len > 0) {
		sbuf key = { 0 };
		if (pe->has_ctxt) {
			ok = sb_put(&key, pe->ctxt.p, pe->ctxt.len) && sb_put(&key, "\004", 1);
		}
		ok = ok && sb_put(&key, pe->id.p, pe->id.len);
		char *str = ok ? strdup(pe->str.p) : NULL;
		if (str == NULL || !cat_push(c, key.p, str)) {
			free(key.p);
			free(str);
			po_fail(st, "out of memory");
			ok = false;
		}
	}
	entry_reset(pe);
	return ok;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->id, ((const entry *)b)->id);
}

static bool keyword(const char *p, const char *end, const char *kw, const char **rest)
{
	size_t n = strlen(kw);
	if ((size_t)(end - p) < n || memcmp(p, kw, n) != 0)
		return false;
	if (p + n < end && !isspace((unsigned char)p[n]))
		return false;
	*rest = p + n;
	return true;
}

nsupd_err i18n_add_po(i18n *t, const char *code, const char *text, size_t len,
		      const char *origin, char *err, size_t errsize)
{
	if (errsize > 0)
		err[0] = '\0';
	po_state st = { .origin = origin != NULL ? origin : code, .line = 0, .err = err,
			.errsize = errsize };
	if (strlen(code) >= I18N_CODE_MAX || t->n >= I18N_MAX_LANGS) {
		po_fail(&st, "too many languages or bad language code '%s'", code);
		return NSUPD_ERR_INVALID;
	}
	i18n_catalog *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NSUPD_ERR_NOMEM;
	snprintf(c->code, sizeof(c->code), "%s", code);
	for (char *p = c->code; *p; p++)
		*p = (char)tolower((unsigned char)*p);

	po_entry pe = { 0 };
	enum field cur = F_NONE;
	bool next_fuzzy = false;
	const char *p = text, *end = text + len;
	while (p < end && !st.failed) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		st.line++;
		const char *s = p;
		const char *e = le;
		if (e > s && e[-1] == '\r')
			e--;
		while (s < e && isspace((unsigned char)*s))
			s++;
		const char *rest;
		if (s == e) {
			/* blank line: ends an entry */
		} else if (*s == '#') {
			if (s + 1 < e && s[1] == ',') {
				const char *f = s + 2;
				size_t fl = (size_t)(e - f);
				for (size_t i = 0; i + 5 <= fl; i++)
					if (memcmp(f + i, "fuzzy", 5) == 0)
						next_fuzzy = true;
			}
		} else if (*s == '"') {
			sbuf *target = cur == F_CTXT ? &pe.ctxt : cur == F_ID ? &pe.id :
				       cur == F_STR ? &pe.str : NULL;
			sbuf scratch = { 0 };
			if (cur == F_NONE)
				po_fail(&st, "string outside an entry");
			else
				parse_quoted(&st, s, e, target != NULL ? target : &scratch);
			free(scratch.p);
		} else if (keyword(s, e, "msgctxt", &rest)) {
			if (pe.has_id && !entry_finish(&st, c, &pe))
				break;
			pe.fuzzy = next_fuzzy;
			next_fuzzy = false;
			pe.has_ctxt = true;
			cur = F_CTXT;
			parse_quoted(&st, rest, e, &pe.ctxt);
		} else if (keyword(s, e, "msgid", &rest)) {
			if (pe.has_id && !entry_finish(&st, c, &pe))
				break;
			if (!pe.has_ctxt) {
				pe.fuzzy = next_fuzzy;
				next_fuzzy = false;
			}
			pe.has_id = true;
			cur = F_ID;
			parse_quoted(&st, rest, e, &pe.id);
		} else if (keyword(s, e, "msgid_plural", &rest)) {
			cur = F_PLURAL;
			sbuf scratch = { 0 };
			parse_quoted(&st, rest, e, &scratch);
			free(scratch.p);
		} else if (keyword(s, e, "msgstr", &rest)) {
			if (!pe.has_id) {
				po_fail(&st, "msgstr without msgid");
				break;
			}
			pe.has_str = true;
			cur = F_STR;
			parse_quoted(&st, rest, e, &pe.str);
		} else if (strncmp(s, "msgstr[", 7) == 0) {
			if (!pe.has_id) {
				po_fail(&st, "msgstr without msgid");
				break;
			}
			const char *close = memchr(s, ']', (size_t)(e - s));
			if (close == NULL) {
				po_fail(&st, "malformed msgstr[N]");
				break;
			}
			bool first = close == s + 8 && s[7] == '0';
			pe.has_str = true;
			cur = first ? F_STR : F_STR_OTHER;
			sbuf scratch = { 0 };
			parse_quoted(&st, close + 1, e, first ? &pe.str : &scratch);
			free(scratch.p);
		} else {
			po_fail(&st, "unexpected line (not msgid, msgstr, a string or a comment)");
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (!st.failed && pe.has_id)
		entry_finish(&st, c, &pe);
	entry_reset(&pe);
	if (st.failed) {
		catalog_free(c);
		return NSUPD_ERR_INVALID;
	}
	if (c->n > 1)
		qsort(c->e, c->n, sizeof(*c->e), entry_cmp);
	/* A later file for the same language replaces the earlier one. */
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->cats[i]->code, c->code) == 0) {
			catalog_free(t->cats[i]);
			t->cats[i] = c;
			return NSUPD_OK;
		}
	}
	t->cats[t->n++] = c;
	return NSUPD_OK;
}

/* ---- lookups ---- */

const i18n_catalog *i18n_catalog_get(const i18n *t, const char *code)
{
	if (t == NULL || code == NULL)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (strcasecmp(t->cats[i]->code, code) == 0)
			return t->cats[i];
	return NULL;
}

const char *i18n_lookup(const i18n_catalog *c, const char *msgid)
{
	if (c == NULL || msgid == NULL || c->n == 0)
		return msgid;
	entry key = { .id = (char *)msgid };
	const entry *e = bsearch(&key, c->e, c->n, sizeof(*c->e), entry_cmp);
	return e != NULL ? e->str : msgid;
}

size_t i18n_catalog_size(const i18n_catalog *c)
{
	return c != NULL ? c->n : 0;
}

bool i18n_has(const i18n *t, const char *code)
{
	if (code == NULL)
		return false;
	return strcasecmp(code, "en") == 0 || i18n_catalog_get(t, code) != NULL;
}

size_t i18n_languages(const i18n *t, const char **codes, size_t max)
{
	size_t n = 0;
	if (n < max)
		codes[n++] = "en";
	for (size_t i = 0; t != NULL && i < t->n && n < max; i++)
		codes[n++] = t->cats[i]->code;
	return n;
}

const char *i18n_language_name(const char *code)
{
	static const struct {
		const char *code, *name;
	} names[] = {
		{ "en", "English" }, { "de", "Deutsch" }, { "fr", "Français" },
		{ "it", "Italiano" }, { "el", "Ελληνικά" }, { "hu", "Magyar" },
		{ "es", "Español" }, { "nl", "Nederlands" }, { "pt", "Português" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(names[i].code, code) == 0)
			return names[i].name;
	return code;
}

const char *i18n_negotiate(const i18n *t, const char *al)
{
	if (al == NULL)
		return NULL;
	const char *best = NULL;
	double best_q = 0.0;
	const char *p = al;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		const char *tag = p;
		while (*p && *p != ';' && *p != ',' && *p != ' ')
			p++;
		size_t tag_len = (size_t)(p - tag);
		double q = 1.0;
		/* The parameters up to the next ','. A ';' at the very end
		 * leaves p on the NUL, which the loop must not step over. */
		while (*p && *p != ',') {
			if (*p != ';') {
				p++;
				continue;
			}
			p++;
			while (*p == ' ')
				p++;
			if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
				char *endp;
				q = strtod(p + 2, &endp);
				if (endp == p + 2 || !(q >= 0.0 && q <= 1.0))
					q = 0.0;
				p = endp;
			}
		}
		/* The primary subtag: "de-CH" -> "de". */
		char code[I18N_CODE_MAX];
		size_t n = 0;
		while (n < tag_len && n < sizeof(code) - 1 && tag[n] != '-' && tag[n] != '_') {
			code[n] = (char)tolower((unsigned char)tag[n]);
			n++;
		}
		code[n] = '\0';
		if (q > best_q && n > 0 && i18n_has(t, code)) {
			const char *found = strcmp(code, "en") == 0 ? "en" : i18n_catalog_get(t, code)->code;
			best = found;
			best_q = q;
		}
	}
	return best;
}
