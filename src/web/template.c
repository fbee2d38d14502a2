/* The template engine: a lexer that cuts the source into text, {{ }},
 * {{{ }}} and {% %} items, a recursive-descent parser that builds a tree
 * per template (all nodes in the set's arena, freed together), and a tree
 * walker that renders into a growing buffer.
 *
 * Errors are found at parse time where possible, so that a broken template
 * stops start-up instead of a page: unknown tags and filters, unclosed
 * blocks, bad expressions; tpl_set_check() adds missing include/extends
 * targets and extends cycles. At render time nothing fails on data. */
#include "web/template.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/arena.h"

#define MAX_DEPTH 32          /* include/extends nesting at render time */
/* Parsing and rendering recurse into nested tags and parentheses, and every
 * level of nested loops multiplies the work of a render, so a template (an
 * operator's file) that nests deeper is refused with FILE:LINE. */
#define MAX_NESTING 64        /* {% if %}, {% for %} and {% block %} inside each other */
#define MAX_LOOP_NESTING 8    /* {% for %} inside {% for %} */
#define MAX_EXPR_NESTING 64   /* parentheses and "not" inside each other */
#define MAX_TRANS_ARGS 8
#define MAX_PATH_SEGS 12

/* ---- tree ---- */

enum expr_kind { E_PATH, E_STR, E_INT, E_TRUE, E_FALSE, E_NONE, E_NOT, E_AND, E_OR, E_EQ, E_NE };
enum filter_kind { F_DEFAULT, F_LENGTH, F_UPPER, F_LOWER, F_URLENCODE, F_DATE, F_YESNO, F_INT };

typedef struct filter {
	enum filter_kind kind;
	const char *arg;
	struct filter *next;
} filter;

typedef struct expr {
	enum expr_kind kind;
	const char *segs[MAX_PATH_SEGS];    /* E_PATH */
	size_t n_segs;
	const char *str;                    /* E_STR */
	long long num;                      /* E_INT */
	struct expr *a, *b;                 /* operators */
	filter *filters;
} expr;

enum node_kind { N_TEXT, N_VAR, N_IF, N_FOR, N_INCLUDE, N_BLOCK, N_TRANS };

typedef struct node node;

typedef struct body {
	node **items;
	size_t n, cap;
} body;

typedef struct if_branch {
	expr *cond;                  /* NULL: else */
	body b;
	struct if_branch *next;
} if_branch;

struct node {
	enum node_kind kind;
	int line;
	const char *text;            /* N_TEXT, N_INCLUDE target, N_BLOCK name, N_TRANS msgid */
	size_t len;
	bool raw;                    /* N_VAR */
	expr *e;                     /* N_VAR, N_FOR iterable */
	const char *var;             /* N_FOR loop variable */
	body b;                      /* N_FOR, N_BLOCK */
	body empty;                  /* N_FOR {% empty %} */
	if_branch *branches;         /* N_IF */
	const char *arg_names[MAX_TRANS_ARGS];
	expr *args[MAX_TRANS_ARGS];
	size_t n_args;
};

typedef struct tpl {
	const char *name;
	const char *origin;
	body root;
	const char *extends;
	int extends_line;
	node **blocks;               /* every {% block %} of this template */
	size_t n_blocks, cap_blocks;
	unsigned seen;               /* tpl_set_check's loop search */
	struct tpl *next;
} tpl;

struct tpl_set {
	arena *a;
	tpl *list;
	unsigned search;             /* the current loop search (tpl.seen) */
};

/* ---- errors ---- */

typedef struct perr {
	const char *origin;
	char *buf;
	size_t size;
	bool set;
} perr;

static void fail(perr *pe, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(perr *pe, int line, const char *fmt, ...)
{
	if (pe->set)
		return;
	pe->set = true;
	if (pe->size == 0)
		return;
	int n = snprintf(pe->buf, pe->size, "%s:%d: ", pe->origin, line);
	if (n < 0 || (size_t)n >= pe->size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pe->buf + n, pe->size - (size_t)n, fmt, ap);
	va_end(ap);
}

/* ---- set ---- */

nsupd_err tpl_set_new(tpl_set **out)
{
	tpl_set *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NSUPD_ERR_NOMEM;
	s->a = arena_new(65536);
	if (s->a == NULL) {
		free(s);
		return NSUPD_ERR_NOMEM;
	}
	*out = s;
	return NSUPD_OK;
}

void tpl_set_free(tpl_set *s)
{
	if (s == NULL)
		return;
	arena_free(s->a);
	free(s);
}

static tpl *find_tpl(const tpl_set *s, const char *name)
{
	for (tpl *t = s->list; t != NULL; t = t->next)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

bool tpl_exists(const tpl_set *s, const char *name)
{
	return name != NULL && find_tpl(s, name) != NULL;
}

static bool body_push(arena *a, body *b, node *n)
{
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 8;
		node **items = arena_alloc(a, ncap * sizeof(*items));
		if (items == NULL)
			return false;
		if (b->n > 0)
			memcpy(items, b->items, b->n * sizeof(*items));
		b->items = items;
		b->cap = ncap;
	}
	b->items[b->n++] = n;
	return true;
}

/* ---- lexer: items ---- */

enum item_kind { I_TEXT, I_VAR, I_RAW, I_TAG, I_END };

typedef struct item {
	enum item_kind kind;
	const char *p;      /* content (inside the delimiters, trimmed) */
	size_t len;
	int line;
} item;

typedef struct lexer {
	const char *src;
	size_t len, pos;
	int line;
	perr *pe;
} lexer;

static void count_lines(lexer *lx, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (lx->src[i] == '\n')
			lx->line++;
}

static void trim(const char **p, size_t *len)
{
	while (*len > 0 && isspace((unsigned char)**p)) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && isspace((unsigned char)(*p)[*len - 1]))
		(*len)--;
}

static const char *find2(const char *s, size_t len, size_t from, const char *pat)
{
	size_t pl = strlen(pat);
	for (size_t i = from; i + pl <= len; i++)
		if (memcmp(s + i, pat, pl) == 0)
			return s + i;
	return NULL;
}

static item next_item(lexer *lx)
{
	item it = { .kind = I_END, .line = lx->line };
	if (lx->pos >= lx->len)
		return it;
	const char *s = lx->src;
	size_t start = lx->pos;
	/* Text up to the next opening delimiter. */
	size_t i = start;
	while (i + 1 < lx->len && !(s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#')))
		i++;
	if (i + 1 >= lx->len)
		i = lx->len;
	if (i > start) {
		it.kind = I_TEXT;
		it.p = s + start;
		it.len = i - start;
		it.line = lx->line;
		count_lines(lx, start, i);
		lx->pos = i;
		return it;
	}
	it.line = lx->line;
	const char *close;
	size_t open_len;
	if (s[i + 1] == '{' && i + 2 < lx->len && s[i + 2] == '{') {
		it.kind = I_RAW;
		open_len = 3;
		close = find2(s, lx->len, i + 3, "}}}");
	} else if (s[i + 1] == '{') {
		it.kind = I_VAR;
		open_len = 2;
		close = find2(s, lx->len, i + 2, "}}");
	} else if (s[i + 1] == '%') {
		it.kind = I_TAG;
		open_len = 2;
		close = find2(s, lx->len, i + 2, "%}");
	} else {
		close = find2(s, lx->len, i + 2, "#}");
		if (close == NULL) {
			fail(lx->pe, lx->line, "unclosed comment {#");
			it.kind = I_END;
			return it;
		}
		size_t end = (size_t)(close - s) + 2;
		count_lines(lx, i, end);
		lx->pos = end;
		return next_item(lx);
	}
	if (close == NULL) {
		fail(lx->pe, lx->line, "unclosed %s", it.kind == I_TAG ? "{%" : it.kind == I_RAW ? "{{{" : "{{");
		it.kind = I_END;
		return it;
	}
	it.p = s + i + open_len;
	it.len = (size_t)(close - it.p);
	size_t end = (size_t)(close - s) + open_len;
	count_lines(lx, i, end);
	lx->pos = end;
	trim(&it.p, &it.len);
	if (memchr(it.p, '\n', it.len) != NULL && it.kind != I_TAG) {
		/* A newline inside {{ }} is almost always a missing }}. */
		fail(lx->pe, it.line, "unclosed {{ (newline before }})");
		it.kind = I_END;
	}
	return it;
}

/* ---- expression tokens ---- */

enum tok_kind { T_NAME, T_STR, T_INT, T_OP, T_END, T_BAD };

typedef struct tok {
	enum tok_kind kind;
	const char *p;
	size_t len;
} tok;

typedef struct parser {
	tpl_set *s;
	tpl *t;
	perr *pe;
	lexer lx;
	int line;                 /* line of the current item */
	const char *p;            /* current tag/var content */
	size_t len, pos;
	tok cur;
	int nesting, loops, expr_nesting;   /* how deep the parse is (MAX_*) */
} parser;

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.';
}

static void advance(parser *ps)
{
	while (ps->pos < ps->len && isspace((unsigned char)ps->p[ps->pos]))
		ps->pos++;
	tok t = { .kind = T_END, .p = ps->p + ps->pos, .len = 0 };
	if (ps->pos >= ps->len) {
		ps->cur = t;
		return;
	}
	char c = ps->p[ps->pos];
	size_t start = ps->pos;
	if (c == '"' || c == '\'') {
		size_t i = start + 1;
		while (i < ps->len && ps->p[i] != c) {
			if (ps->p[i] == '\\' && i + 1 < ps->len)
				i++;
			i++;
		}
		if (i >= ps->len) {
			t.kind = T_BAD;
		} else {
			t.kind = T_STR;
			t.p = ps->p + start + 1;
			t.len = i - start - 1;
			i++;
		}
		ps->pos = i;
	} else if (isdigit((unsigned char)c) || (c == '-' && start + 1 < ps->len &&
						   isdigit((unsigned char)ps->p[start + 1]))) {
		size_t i = start + 1;
		while (i < ps->len && isdigit((unsigned char)ps->p[i]))
			i++;
		t.kind = T_INT;
		t.len = i - start;
		ps->pos = i;
	} else if (name_char(c)) {
		size_t i = start;
		while (i < ps->len && name_char(ps->p[i]))
			i++;
		t.kind = T_NAME;
		t.len = i - start;
		ps->pos = i;
	} else if ((c == '=' || c == '!') && start + 1 < ps->len && ps->p[start + 1] == '=') {
		t.kind = T_OP;
		t.len = 2;
		ps->pos += 2;
	} else if (strchr("|:=(),", c) != NULL) {
		t.kind = T_OP;
		t.len = 1;
		ps->pos++;
	} else {
		t.kind = T_BAD;
		t.len = 1;
		ps->pos++;
	}
	ps->cur = t;
}

static void begin(parser *ps, const char *p, size_t len, int line)
{
	ps->p = p;
	ps->len = len;
	ps->pos = 0;
	ps->line = line;
	advance(ps);
}

static bool is_tok(const parser *ps, enum tok_kind k, const char *text)
{
	if (ps->cur.kind != k)
		return false;
	return text == NULL || (strlen(text) == ps->cur.len && memcmp(ps->cur.p, text, ps->cur.len) == 0);
}

static char *tok_dup(parser *ps)
{
	return arena_strndup(ps->s->a, ps->cur.p, ps->cur.len);
}

/* String literals: \" \' \\ \n are the escapes. */
static char *str_dup(parser *ps)
{
	char *out = arena_alloc(ps->s->a, ps->cur.len + 1);
	if (out == NULL)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < ps->cur.len; i++) {
		char c = ps->cur.p[i];
		if (c == '\\' && i + 1 < ps->cur.len) {
			c = ps->cur.p[++i];
			if (c == 'n')
				c = '\n';
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return out;
}

static void describe(const parser *ps, char *buf, size_t size)
{
	if (ps->cur.kind == T_END)
		snprintf(buf, size, "end of tag");
	else
		snprintf(buf, size, "'%.*s'", (int)(ps->cur.len > 40 ? 40 : ps->cur.len), ps->cur.p);
}

static expr *new_expr(parser *ps, enum expr_kind k)
{
	expr *e = arena_alloc(ps->s->a, sizeof(*e));
	if (e == NULL) {
		fail(ps->pe, ps->line, "out of memory");
		return NULL;
	}
	e->kind = k;
	return e;
}

static const struct {
	const char *name;
	enum filter_kind kind;
	bool arg;                 /* takes :"arg" */
} filters[] = {
	{ "default", F_DEFAULT, true }, { "length", F_LENGTH, false }, { "upper", F_UPPER, false },
	{ "lower", F_LOWER, false }, { "urlencode", F_URLENCODE, false }, { "date", F_DATE, false },
	{ "yesno", F_YESNO, true }, { "int", F_INT, false },
};

static expr *parse_or(parser *ps);

/* One level deeper into parentheses or "not" (the caller steps back out
 * with ps->expr_nesting--, whatever this returns). */
static bool expr_enter(parser *ps)
{
	if (++ps->expr_nesting > MAX_EXPR_NESTING) {
		fail(ps->pe, ps->line, "expression nested more than %d deep", MAX_EXPR_NESTING);
		return false;
	}
	return true;
}

static bool parse_filters(parser *ps, expr *e)
{
	filter **tail = &e->filters;
	while (is_tok(ps, T_OP, "|")) {
		advance(ps);
		if (ps->cur.kind != T_NAME) {
			fail(ps->pe, ps->line, "filter name expected after |");
			return false;
		}
		size_t i;
		for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
			if (strlen(filters[i].name) == ps->cur.len &&
			    memcmp(filters[i].name, ps->cur.p, ps->cur.len) == 0)
				break;
		if (i == sizeof(filters) / sizeof(filters[0])) {
			fail(ps->pe, ps->line, "unknown filter '%.*s'", (int)ps->cur.len, ps->cur.p);
			return false;
		}
		filter *f = arena_alloc(ps->s->a, sizeof(*f));
		if (f == NULL)
			return false;
		f->kind = filters[i].kind;
		advance(ps);
		if (is_tok(ps, T_OP, ":")) {
			advance(ps);
			if (ps->cur.kind == T_STR)
				f->arg = str_dup(ps);
			else if (ps->cur.kind == T_INT)
				f->arg = tok_dup(ps);
			else {
				fail(ps->pe, ps->line, "filter %s: a \"string\" argument expected",
				     filters[i].name);
				return false;
			}
			advance(ps);
		}
		if (filters[i].arg && f->arg == NULL) {
			fail(ps->pe, ps->line, "filter %s needs an argument (%s:\"...\")",
			     filters[i].name, filters[i].name);
			return false;
		}
		if (!filters[i].arg && f->arg != NULL) {
			fail(ps->pe, ps->line, "filter %s takes no argument", filters[i].name);
			return false;
		}
		*tail = f;
		tail = &f->next;
	}
	return true;
}

static expr *parse_primary(parser *ps)
{
	expr *e = NULL;
	char what[64];
	if (is_tok(ps, T_OP, "(")) {
		advance(ps);
		e = expr_enter(ps) ? parse_or(ps) : NULL;
		ps->expr_nesting--;
		if (e == NULL)
			return NULL;
		if (!is_tok(ps, T_OP, ")")) {
			describe(ps, what, sizeof(what));
			fail(ps->pe, ps->line, "')' expected, found %s", what);
			return NULL;
		}
		advance(ps);
		return e;
	}
	if (ps->cur.kind == T_STR) {
		e = new_expr(ps, E_STR);
		if (e != NULL)
			e->str = str_dup(ps);
	} else if (ps->cur.kind == T_INT) {
		e = new_expr(ps, E_INT);
		if (e != NULL)
			e->num = strtoll(ps->cur.p, NULL, 10);
	} else if (is_tok(ps, T_NAME, "true") || is_tok(ps, T_NAME, "True")) {
		e = new_expr(ps, E_TRUE);
	} else if (is_tok(ps, T_NAME, "false") || is_tok(ps, T_NAME, "False")) {
		e = new_expr(ps, E_FALSE);
	} else if (is_tok(ps, T_NAME, "none") || is_tok(ps, T_NAME, "None")) {
		e = new_expr(ps, E_NONE);
	} else if (ps->cur.kind == T_NAME) {
		e = new_expr(ps, E_PATH);
		if (e == NULL)
			return NULL;
		const char *p = ps->cur.p, *end = ps->cur.p + ps->cur.len;
		while (p < end) {
			const char *dot = memchr(p, '.', (size_t)(end - p));
			const char *seg_end = dot != NULL ? dot : end;
			if (seg_end == p || e->n_segs >= MAX_PATH_SEGS) {
				fail(ps->pe, ps->line, "bad variable name '%.*s'", (int)ps->cur.len,
				     ps->cur.p);
				return NULL;
			}
			e->segs[e->n_segs++] = arena_strndup(ps->s->a, p, (size_t)(seg_end - p));
			p = dot != NULL ? dot + 1 : end;
			if (dot != NULL && p == end) {
				fail(ps->pe, ps->line, "bad variable name '%.*s'", (int)ps->cur.len,
				     ps->cur.p);
				return NULL;
			}
		}
	} else {
		describe(ps, what, sizeof(what));
		fail(ps->pe, ps->line, "value expected, found %s", what);
		return NULL;
	}
	if (e == NULL)
		return NULL;
	advance(ps);
	if (!parse_filters(ps, e))
		return NULL;
	return e;
}

static expr *parse_cmp(parser *ps)
{
	expr *l = parse_primary(ps);
	if (l == NULL)
		return NULL;
	if (is_tok(ps, T_OP, "==") || is_tok(ps, T_OP, "!=")) {
		enum expr_kind k = ps->cur.p[0] == '=' ? E_EQ : E_NE;
		advance(ps);
		expr *r = parse_primary(ps);
		if (r == NULL)
			return NULL;
		expr *e = new_expr(ps, k);
		if (e == NULL)
			return NULL;
		e->a = l;
		e->b = r;
		return e;
	}
	return l;
}

static expr *parse_not(parser *ps)
{
	if (is_tok(ps, T_NAME, "not")) {
		advance(ps);
		expr *inner = expr_enter(ps) ? parse_not(ps) : NULL;
		ps->expr_nesting--;
		if (inner == NULL)
			return NULL;
		expr *e = new_expr(ps, E_NOT);
		if (e != NULL)
			e->a = inner;
		return e;
	}
	return parse_cmp(ps);
}

static expr *parse_and(parser *ps)
{
	expr *l = parse_not(ps);
	while (l != NULL && is_tok(ps, T_NAME, "and")) {
		advance(ps);
		expr *r = parse_not(ps);
		if (r == NULL)
			return NULL;
		expr *e = new_expr(ps, E_AND);
		if (e == NULL)
			return NULL;
		e->a = l;
		e->b = r;
		l = e;
	}
	return l;
}

static expr *parse_or(parser *ps)
{
	expr *l = parse_and(ps);
	while (l != NULL && is_tok(ps, T_NAME, "or")) {
		advance(ps);
		expr *r = parse_and(ps);
		if (r == NULL)
			return NULL;
		expr *e = new_expr(ps, E_OR);
		if (e == NULL)
			return NULL;
		e->a = l;
		e->b = r;
		l = e;
	}
	return l;
}

static bool expect_end(parser *ps, const char *tag)
{
	if (ps->cur.kind == T_END)
		return true;
	char what[64];
	describe(ps, what, sizeof(what));
	fail(ps->pe, ps->line, "{%% %s %%}: unexpected %s", tag, what);
	return false;
}

static expr *parse_full_expr(parser *ps, const char *tag)
{
	expr *e = parse_or(ps);
	if (e == NULL || !expect_end(ps, tag))
		return NULL;
	return e;
}

/* ---- parser: items to tree ---- */

static node *new_node(parser *ps, enum node_kind k, int line)
{
	node *n = arena_alloc(ps->s->a, sizeof(*n));
	if (n == NULL) {
		fail(ps->pe, line, "out of memory");
		return NULL;
	}
	n->kind = k;
	n->line = line;
	return n;
}

/* The tag's first word, and ps positioned after it. */
static bool tag_word(parser *ps, const item *it, char *word, size_t size)
{
	begin(ps, it->p, it->len, it->line);
	if (ps->cur.kind != T_NAME || ps->cur.len >= size) {
		fail(ps->pe, it->line, "empty or malformed tag {%% %.*s %%}",
		     (int)(it->len > 40 ? 40 : it->len), it->p);
		return false;
	}
	memcpy(word, ps->cur.p, ps->cur.len);
	word[ps->cur.len] = '\0';
	advance(ps);
	return true;
}

/* Parses items into b until a tag in `ends` (NULL-terminated) or the end
 * of input (allowed only when ends is NULL). *end_word gets the tag that
 * stopped it, *end_item the item. */
static bool parse_body(parser *ps, body *b, const char *const *ends, const char *opener,
		       int open_line, char *end_word, size_t end_size, item *end_item);

static bool parse_if(parser *ps, const item *it, node *n)
{
	expr *cond = parse_full_expr(ps, "if");
	if (cond == NULL)
		return false;
	static const char *const ends[] = { "elif", "else", "endif", NULL };
	if_branch **tail = &n->branches;
	bool seen_else = false;
	for (;;) {
		if_branch *br = arena_alloc(ps->s->a, sizeof(*br));
		if (br == NULL)
			return false;
		br->cond = cond;
		*tail = br;
		tail = &br->next;
		char word[16];
		item end;
		if (!parse_body(ps, &br->b, ends, "if", it->line, word, sizeof(word), &end))
			return false;
		if (strcmp(word, "endif") == 0) {
			begin(ps, end.p, end.len, end.line);
			advance(ps);
			return expect_end(ps, "endif");
		}
		if (seen_else) {
			fail(ps->pe, end.line, "{%% %s %%} after {%% else %%}", word);
			return false;
		}
		begin(ps, end.p, end.len, end.line);
		advance(ps);
		if (strcmp(word, "else") == 0) {
			if (!expect_end(ps, "else"))
				return false;
			seen_else = true;
			cond = NULL;
		} else {
			cond = parse_full_expr(ps, "elif");
			if (cond == NULL)
				return false;
		}
	}
}

static bool parse_for(parser *ps, const item *it, node *n)
{
	if (ps->cur.kind != T_NAME || memchr(ps->cur.p, '.', ps->cur.len) != NULL) {
		fail(ps->pe, it->line, "{%% for NAME in LIST %%} expected");
		return false;
	}
	n->var = tok_dup(ps);
	advance(ps);
	if (!is_tok(ps, T_NAME, "in")) {
		fail(ps->pe, it->line, "{%% for NAME in LIST %%}: 'in' expected");
		return false;
	}
	advance(ps);
	n->e = parse_full_expr(ps, "for");
	if (n->e == NULL)
		return false;
	if (ps->loops >= MAX_LOOP_NESTING) {
		fail(ps->pe, it->line, "{%% for %%} nested more than %d deep", MAX_LOOP_NESTING);
		return false;
	}
	static const char *const ends[] = { "empty", "endfor", NULL };
	char word[16];
	item end;
	ps->loops++;
	bool ok = parse_body(ps, &n->b, ends, "for", it->line, word, sizeof(word), &end);
	ps->loops--;
	if (!ok)
		return false;
	if (strcmp(word, "empty") == 0) {
		static const char *const ends2[] = { "endfor", NULL };
		if (!parse_body(ps, &n->empty, ends2, "for", it->line, word, sizeof(word), &end))
			return false;
	}
	return true;
}

static bool parse_string_arg(parser *ps, const item *it, const char *tag, const char **out)
{
	if (ps->cur.kind != T_STR) {
		fail(ps->pe, it->line, "{%% %s \"name\" %%}: a quoted name expected", tag);
		return false;
	}
	*out = str_dup(ps);
	advance(ps);
	return *out != NULL;
}

static bool parse_trans(parser *ps, const item *it, node *n)
{
	if (!parse_string_arg(ps, it, "trans", &n->text))
		return false;
	while (ps->cur.kind == T_NAME) {
		if (n->n_args >= MAX_TRANS_ARGS) {
			fail(ps->pe, it->line, "{%% trans %%}: more than %d arguments", MAX_TRANS_ARGS);
			return false;
		}
		const char *name = tok_dup(ps);
		advance(ps);
		if (!is_tok(ps, T_OP, "=")) {
			fail(ps->pe, it->line, "{%% trans %%}: NAME=VALUE expected after \"...\"");
			return false;
		}
		advance(ps);
		expr *e = parse_primary(ps);
		if (e == NULL)
			return false;
		n->arg_names[n->n_args] = name;
		n->args[n->n_args++] = e;
	}
	if (!expect_end(ps, "trans"))
		return false;
	/* Every %(name)s must have an argument: a typo would otherwise show
	 * the placeholder to users. */
	for (const char *p = strstr(n->text, "%("); p != NULL; p = strstr(p + 2, "%(")) {
		const char *close = strstr(p, ")s");
		if (close == NULL) {
			fail(ps->pe, it->line, "{%% trans %%}: malformed placeholder in \"%s\"", n->text);
			return false;
		}
		size_t len = (size_t)(close - p - 2);
		size_t i;
		for (i = 0; i < n->n_args; i++)
			if (strlen(n->arg_names[i]) == len && memcmp(n->arg_names[i], p + 2, len) == 0)
				break;
		if (i == n->n_args) {
			fail(ps->pe, it->line, "{%% trans %%}: no value for %%(%.*s)s", (int)len, p + 2);
			return false;
		}
	}
	return true;
}

static bool parse_items(parser *ps, body *b, const char *const *ends, const char *opener,
			int open_line, char *end_word, size_t end_size, item *end_item);

static bool parse_body(parser *ps, body *b, const char *const *ends, const char *opener,
		       int open_line, char *end_word, size_t end_size, item *end_item)
{
	if (ps->nesting > MAX_NESTING) {   /* the template itself is level 0 */
		fail(ps->pe, open_line, "{%% %s %%} nested more than %d deep", opener, MAX_NESTING);
		return false;
	}
	ps->nesting++;
	bool ok = parse_items(ps, b, ends, opener, open_line, end_word, end_size, end_item);
	ps->nesting--;
	return ok;
}

/* The items of one body up to one of its end tags (parse_body). */
static bool parse_items(parser *ps, body *b, const char *const *ends, const char *opener,
			int open_line, char *end_word, size_t end_size, item *end_item)
{
	for (;;) {
		item it = next_item(&ps->lx);
		if (ps->pe->set)
			return false;
		if (it.kind == I_END) {
			if (ends == NULL)
				return true;
			size_t last = 0;
			while (ends[last + 1] != NULL)
				last++;
			fail(ps->pe, open_line, "unclosed {%% %s %%} (no {%% %s %%} before the end of the file)",
			     opener, ends[last]);
			return false;
		}
		node *n = NULL;
		if (it.kind == I_TEXT) {
			n = new_node(ps, N_TEXT, it.line);
			if (n == NULL)
				return false;
			n->text = it.p;
			n->len = it.len;
		} else if (it.kind == I_VAR || it.kind == I_RAW) {
			n = new_node(ps, N_VAR, it.line);
			if (n == NULL)
				return false;
			n->raw = it.kind == I_RAW;
			begin(ps, it.p, it.len, it.line);
			if (ps->cur.kind == T_END) {
				fail(ps->pe, it.line, "empty {{ }}");
				return false;
			}
			n->e = parse_or(ps);
			if (n->e == NULL)
				return false;
			if (ps->cur.kind != T_END) {
				char what[64];
				describe(ps, what, sizeof(what));
				fail(ps->pe, it.line, "{{ }}: unexpected %s", what);
				return false;
			}
		} else {
			char word[32];
			if (!tag_word(ps, &it, word, sizeof(word)))
				return false;
			for (size_t i = 0; ends != NULL && ends[i] != NULL; i++) {
				if (strcmp(word, ends[i]) == 0) {
					snprintf(end_word, end_size, "%s", word);
					*end_item = it;
					if (strncmp(word, "end", 3) == 0 && ps->cur.kind != T_END &&
					    strcmp(word, "endblock") != 0) {
						return expect_end(ps, word);
					}
					return true;
				}
			}
			if (strcmp(word, "if") == 0) {
				n = new_node(ps, N_IF, it.line);
				if (n == NULL || !parse_if(ps, &it, n))
					return false;
			} else if (strcmp(word, "for") == 0) {
				n = new_node(ps, N_FOR, it.line);
				if (n == NULL || !parse_for(ps, &it, n))
					return false;
			} else if (strcmp(word, "include") == 0) {
				n = new_node(ps, N_INCLUDE, it.line);
				if (n == NULL || !parse_string_arg(ps, &it, "include", &n->text) ||
				    !expect_end(ps, "include"))
					return false;
			} else if (strcmp(word, "trans") == 0) {
				n = new_node(ps, N_TRANS, it.line);
				if (n == NULL || !parse_trans(ps, &it, n))
					return false;
			} else if (strcmp(word, "block") == 0) {
				n = new_node(ps, N_BLOCK, it.line);
				if (n == NULL)
					return false;
				if (ps->cur.kind != T_NAME) {
					fail(ps->pe, it.line, "{%% block NAME %%}: a name expected");
					return false;
				}
				n->text = tok_dup(ps);
				advance(ps);
				if (!expect_end(ps, "block"))
					return false;
				for (size_t i = 0; i < ps->t->n_blocks; i++) {
					if (strcmp(ps->t->blocks[i]->text, n->text) == 0) {
						fail(ps->pe, it.line, "block '%s' defined twice", n->text);
						return false;
					}
				}
				static const char *const bends[] = { "endblock", NULL };
				char w[16];
				item end;
				if (!parse_body(ps, &n->b, bends, "block", it.line, w, sizeof(w), &end))
					return false;
				begin(ps, end.p, end.len, end.line);
				advance(ps);
				/* {% endblock name %} may repeat the name. */
				if (ps->cur.kind == T_NAME) {
					if (strlen(n->text) != ps->cur.len ||
					    memcmp(n->text, ps->cur.p, ps->cur.len) != 0) {
						fail(ps->pe, end.line, "{%% endblock %.*s %%} closes block '%s'",
						     (int)ps->cur.len, ps->cur.p, n->text);
						return false;
					}
					advance(ps);
				}
				if (!expect_end(ps, "endblock"))
					return false;
				tpl *t = ps->t;
				if (t->n_blocks == t->cap_blocks) {
					size_t ncap = t->cap_blocks ? t->cap_blocks * 2 : 8;
					node **nb = arena_alloc(ps->s->a, ncap * sizeof(*nb));
					if (nb == NULL)
						return false;
					if (t->n_blocks > 0)
						memcpy(nb, t->blocks, t->n_blocks * sizeof(*nb));
					t->blocks = nb;
					t->cap_blocks = ncap;
				}
				t->blocks[t->n_blocks++] = n;
			} else if (strcmp(word, "extends") == 0) {
				if (ps->t->extends != NULL || b != &ps->t->root || b->n > 0) {
					bool only_blank = b == &ps->t->root && ps->t->extends == NULL;
					for (size_t i = 0; only_blank && i < b->n; i++) {
						node *x = b->items[i];
						if (x->kind != N_TEXT)
							only_blank = false;
						for (size_t j = 0; only_blank && j < x->len; j++)
							if (!isspace((unsigned char)x->text[j]))
								only_blank = false;
					}
					if (!only_blank) {
						fail(ps->pe, it.line, "{%% extends %%} must be the first tag of the template");
						return false;
					}
				}
				if (!parse_string_arg(ps, &it, "extends", &ps->t->extends) ||
				    !expect_end(ps, "extends"))
					return false;
				ps->t->extends_line = it.line;
				continue;
			} else {
				bool known_end = strcmp(word, "endif") == 0 || strcmp(word, "endfor") == 0 ||
						 strcmp(word, "endblock") == 0 || strcmp(word, "else") == 0 ||
						 strcmp(word, "elif") == 0 || strcmp(word, "empty") == 0;
				if (known_end)
					fail(ps->pe, it.line, "{%% %s %%} without an opening tag", word);
				else
					fail(ps->pe, it.line, "unknown tag {%% %s %%}", word);
				return false;
			}
		}
		if (!body_push(ps->s->a, b, n)) {
			fail(ps->pe, it.line, "out of memory");
			return false;
		}
	}
}

nsupd_err tpl_set_add(tpl_set *s, const char *name, const char *source, size_t len,
		      const char *origin, char *err, size_t errsize)
{
	if (errsize > 0)
		err[0] = '\0';
	perr pe = { .origin = origin != NULL ? origin : name, .buf = err, .size = errsize };
	if (len > 0 && memchr(source, '\0', len) != NULL) {
		fail(&pe, 1, "contains a NUL byte");
		return NSUPD_ERR_INVALID;
	}
	tpl *t = arena_alloc(s->a, sizeof(*t));
	char *src = arena_strndup(s->a, source, len);
	if (t == NULL || src == NULL)
		return NSUPD_ERR_NOMEM;
	t->name = arena_strdup(s->a, name);
	t->origin = arena_strdup(s->a, pe.origin);
	if (t->name == NULL || t->origin == NULL)
		return NSUPD_ERR_NOMEM;
	parser ps = { .s = s, .t = t, .pe = &pe };
	ps.lx = (lexer){ .src = src, .len = len, .line = 1, .pe = &pe };
	char word[8];
	item end;
	if (!parse_body(&ps, &t->root, NULL, NULL, 1, word, sizeof(word), &end) || pe.set) {
		if (!pe.set)
			fail(&pe, ps.lx.line, "out of memory");
		return NSUPD_ERR_INVALID;
	}
	/* Replace an earlier template of the same name (operator override). */
	for (tpl **pp = &s->list; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->name, name) == 0) {
			t->next = (*pp)->next;
			*pp = t;
			return NSUPD_OK;
		}
	}
	t->next = s->list;
	s->list = t;
	return NSUPD_OK;
}

static bool check_body(const tpl_set *s, const tpl *t, const body *b, perr *pe)
{
	for (size_t i = 0; i < b->n; i++) {
		const node *n = b->items[i];
		switch (n->kind) {
		case N_INCLUDE:
			if (find_tpl(s, n->text) == NULL) {
				fail(pe, n->line, "{%% include \"%s\" %%}: no such template", n->text);
				return false;
			}
			break;
		case N_IF:
			for (const if_branch *br = n->branches; br != NULL; br = br->next)
				if (!check_body(s, t, &br->b, pe))
					return false;
			break;
		case N_FOR:
			if (!check_body(s, t, &n->b, pe) || !check_body(s, t, &n->empty, pe))
				return false;
			break;
		case N_BLOCK:
			if (!check_body(s, t, &n->b, pe))
				return false;
			break;
		default:
			break;
		}
	}
	return true;
}

static bool reaches(tpl_set *s, tpl *from, const tpl *target);

/* Whether an include inside b (at any depth) leads to target. */
static bool body_reaches(tpl_set *s, const body *b, const tpl *target)
{
	for (size_t i = 0; i < b->n; i++) {
		const node *n = b->items[i];
		switch (n->kind) {
		case N_INCLUDE: {
			tpl *t = find_tpl(s, n->text);
			if (t != NULL && reaches(s, t, target))
				return true;
			break;
		}
		case N_IF:
			for (const if_branch *br = n->branches; br != NULL; br = br->next)
				if (body_reaches(s, &br->b, target))
					return true;
			break;
		case N_FOR:
			if (body_reaches(s, &n->b, target) || body_reaches(s, &n->empty, target))
				return true;
			break;
		case N_BLOCK:
			if (body_reaches(s, &n->b, target))
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

/* Whether rendering from renders target, through includes and extends.
 * Each template is searched once per search (s->search). */
static bool reaches(tpl_set *s, tpl *from, const tpl *target)
{
	if (from == target)
		return true;
	if (from->seen == s->search)
		return false;
	from->seen = s->search;
	tpl *parent = from->extends != NULL ? find_tpl(s, from->extends) : NULL;
	return (parent != NULL && reaches(s, parent, target)) ||
	       body_reaches(s, &from->root, target);
}

/* The first include in b (at any depth) that leads back to t. */
static const node *looping_include(tpl_set *s, const body *b, tpl *t)
{
	for (size_t i = 0; i < b->n; i++) {
		const node *n = b->items[i];
		const node *found = NULL;
		switch (n->kind) {
		case N_INCLUDE: {
			tpl *u = find_tpl(s, n->text);
			s->search++;
			if (u != NULL && reaches(s, u, t))
				found = n;
			break;
		}
		case N_IF:
			for (const if_branch *br = n->branches; br != NULL && found == NULL;
			     br = br->next)
				found = looping_include(s, &br->b, t);
			break;
		case N_FOR:
			found = looping_include(s, &n->b, t);
			if (found == NULL)
				found = looping_include(s, &n->empty, t);
			break;
		case N_BLOCK:
			found = looping_include(s, &n->b, t);
			break;
		default:
			break;
		}
		if (found != NULL)
			return found;
	}
	return NULL;
}

nsupd_err tpl_set_check(tpl_set *s, char *err, size_t errsize)
{
	if (errsize > 0)
		err[0] = '\0';
	for (const tpl *t = s->list; t != NULL; t = t->next) {
		perr pe = { .origin = t->origin, .buf = err, .size = errsize };
		if (!check_body(s, t, &t->root, &pe))
			return NSUPD_ERR_INVALID;
		const tpl *cur = t;
		int depth = 0;
		while (cur->extends != NULL) {
			const tpl *parent = find_tpl(s, cur->extends);
			if (parent == NULL) {
				pe.origin = cur->origin;
				fail(&pe, cur->extends_line, "{%% extends \"%s\" %%}: no such template",
				     cur->extends);
				return NSUPD_ERR_INVALID;
			}
			if (++depth > MAX_DEPTH) {
				fail(&pe, t->extends_line, "{%% extends %%} chain loops or is deeper than %d",
				     MAX_DEPTH);
				return NSUPD_ERR_INVALID;
			}
			cur = parent;
		}
	}
	/* A template that renders itself again, through any chain of includes
	 * and extends, would recurse until the depth limit, and two such
	 * includes make that 2^MAX_DEPTH renders: refused here, once. */
	for (tpl *t = s->list; t != NULL; t = t->next) {
		perr pe = { .origin = t->origin, .buf = err, .size = errsize };
		const node *n = looping_include(s, &t->root, t);
		if (n != NULL) {
			fail(&pe, n->line, "{%% include \"%s\" %%} leads back to %s (an endless loop)",
			     n->text, t->name);
			return NSUPD_ERR_INVALID;
		}
		tpl *parent = t->extends != NULL ? find_tpl(s, t->extends) : NULL;
		s->search++;
		if (parent != NULL && reaches(s, parent, t)) {
			fail(&pe, t->extends_line, "{%% extends \"%s\" %%} leads back to %s (an endless loop)",
			     t->extends, t->name);
			return NSUPD_ERR_INVALID;
		}
	}
	return NSUPD_OK;
}

/* ---- rendering ---- */

typedef struct buf {
	char *p;
	size_t len, cap;
	bool oom;
} buf;

static void put(buf *b, const char *s, size_t n)
{
	if (b->oom || n == 0)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 4096;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		char *np = realloc(b->p, ncap);
		if (np == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_escaped(buf *b, const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#x27;"; break;
		default: break;
		}
		if (rep != NULL) {
			put(b, s + start, i - start);
			puts_(b, rep);
			start = i + 1;
		}
	}
	put(b, s + start, n - start);
}

char *tpl_escape(const char *s)
{
	buf b = { 0 };
	put_escaped(&b, s, strlen(s));
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p != NULL ? b.p : strdup("");
}

typedef struct scope {
	const char *name;
	json_t *value;
	const struct scope *up;
} scope;

typedef struct rctx {
	const tpl_set *s;
	json_t *ctx;
	const tpl_env *env;
	buf out;
	const tpl **chain;           /* most derived first */
	size_t n_chain;
	int depth;
} rctx;

static json_t *lookup(const rctx *r, const scope *sc, const expr *e)
{
	json_t *v = NULL;
	for (const scope *p = sc; p != NULL; p = p->up) {
		if (strcmp(p->name, e->segs[0]) == 0) {
			v = p->value;
			break;
		}
	}
	if (v == NULL && json_is_object(r->ctx))
		v = json_object_get(r->ctx, e->segs[0]);
	for (size_t i = 1; i < e->n_segs && v != NULL; i++) {
		if (json_is_object(v)) {
			v = json_object_get(v, e->segs[i]);
		} else if (json_is_array(v)) {
			char *end;
			long idx = strtol(e->segs[i], &end, 10);
			v = *end == '\0' && idx >= 0 ? json_array_get(v, (size_t)idx) : NULL;
		} else {
			v = NULL;
		}
	}
	return v;
}

static bool truthy(json_t *v)
{
	if (v == NULL || json_is_null(v) || json_is_false(v))
		return false;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	if (json_is_real(v))
		return json_real_value(v) != 0.0;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_object(v))
		return json_object_size(v) > 0;
	return true;
}

/* Text of a scalar for output and comparisons; "" for the rest. */
static const char *scalar_text(json_t *v, char *tmp, size_t size)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(tmp, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return tmp;
	}
	if (json_is_real(v)) {
		snprintf(tmp, size, "%g", json_real_value(v));
		return tmp;
	}
	if (json_is_true(v))
		return "true";
	if (json_is_false(v))
		return "false";
	return "";
}

static json_t *apply_filter(const rctx *r, const filter *f, json_t *v)
{
	char tmp[64];
	json_t *res = NULL;
	switch (f->kind) {
	case F_DEFAULT:
		if (v == NULL || json_is_null(v) || json_is_false(v) ||
		    (json_is_string(v) && json_string_length(v) == 0))
			res = json_string(f->arg);
		else
			res = json_incref(v);
		break;
	case F_LENGTH: {
		size_t n = 0;
		if (json_is_string(v)) {
			const char *s = json_string_value(v);
			for (; *s; s++)
				if (((unsigned char)*s & 0xC0) != 0x80)
					n++;
		} else if (json_is_array(v)) {
			n = json_array_size(v);
		} else if (json_is_object(v)) {
			n = json_object_size(v);
		}
		res = json_integer((json_int_t)n);
		break;
	}
	case F_UPPER:
	case F_LOWER: {
		char *s = strdup(scalar_text(v, tmp, sizeof(tmp)));
		if (s == NULL)
			return NULL;
		for (char *p = s; *p; p++)
			*p = (char)(f->kind == F_UPPER ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
		res = json_string(s);
		free(s);
		break;
	}
	case F_URLENCODE: {
		const char *s = scalar_text(v, tmp, sizeof(tmp));
		buf b = { 0 };
		static const char hex[] = "0123456789ABCDEF";
		for (; *s; s++) {
			unsigned char c = (unsigned char)*s;
			if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
				put(&b, (const char *)&c, 1);
			} else {
				char e[3] = { '%', hex[c >> 4], hex[c & 15] };
				put(&b, e, 3);
			}
		}
		res = json_string(b.p != NULL ? b.p : "");
		free(b.p);
		break;
	}
	case F_DATE: {
		long long t = 0;
		if (json_is_integer(v))
			t = json_integer_value(v);
		else if (json_is_real(v))
			t = (long long)json_real_value(v);
		else if (json_is_string(v))
			t = strtoll(json_string_value(v), NULL, 10);
		if (t <= 0) {
			res = json_string("");
			break;
		}
		time_t tt = (time_t)t;
		struct tm tm;
		if (gmtime_r(&tt, &tm) == NULL) {
			res = json_string("");
			break;
		}
		char out[48];
		strftime(out, sizeof(out), "%Y-%m-%d %H:%M UTC", &tm);
		res = json_string(out);
		break;
	}
	case F_YESNO: {
		const char *comma = strchr(f->arg, ',');
		const char *yes = f->arg;
		size_t ylen = comma != NULL ? (size_t)(comma - yes) : strlen(yes);
		const char *no = comma != NULL ? comma + 1 : "";
		char *pick = truthy(v) ? strndup(yes, ylen) : strdup(no);
		if (pick == NULL)
			return NULL;
		const char *tr = pick;
		if (r->env != NULL && r->env->translate != NULL)
			tr = r->env->translate(r->env->translate_ctx, pick);
		res = json_string(tr != NULL ? tr : pick);
		free(pick);
		break;
	}
	case F_INT: {
		long long n = 0;
		if (json_is_integer(v))
			n = json_integer_value(v);
		else if (json_is_real(v))
			n = (long long)json_real_value(v);
		else if (json_is_string(v))
			n = strtoll(json_string_value(v), NULL, 10);
		else if (json_is_true(v))
			n = 1;
		res = json_integer(n);
		break;
	}
	}
	return res;
}

/* Returns a new reference, or NULL for "missing". */
static json_t *eval(const rctx *r, const scope *sc, const expr *e)
{
	json_t *v = NULL;
	switch (e->kind) {
	case E_PATH:
		v = json_incref(lookup(r, sc, e));
		break;
	case E_STR:
		v = json_string(e->str);
		break;
	case E_INT:
		v = json_integer(e->num);
		break;
	case E_TRUE:
		v = json_true();
		break;
	case E_FALSE:
		v = json_false();
		break;
	case E_NONE:
		v = json_null();
		break;
	case E_NOT: {
		json_t *a = eval(r, sc, e->a);
		v = json_boolean(!truthy(a));
		json_decref(a);
		break;
	}
	case E_AND:
	case E_OR: {
		json_t *a = eval(r, sc, e->a);
		bool ta = truthy(a);
		json_decref(a);
		bool res;
		if (e->kind == E_AND && !ta) {
			res = false;
		} else if (e->kind == E_OR && ta) {
			res = true;
		} else {
			json_t *b = eval(r, sc, e->b);
			res = truthy(b);
			json_decref(b);
		}
		v = json_boolean(res);
		break;
	}
	case E_EQ:
	case E_NE: {
		json_t *a = eval(r, sc, e->a);
		json_t *b = eval(r, sc, e->b);
		bool eq;
		if (json_is_number(a) && json_is_number(b)) {
			eq = json_number_value(a) == json_number_value(b);
		} else if ((a == NULL || json_is_null(a)) && (b == NULL || json_is_null(b))) {
			eq = true;
		} else {
			char ta[64], tb[64];
			eq = strcmp(scalar_text(a, ta, sizeof(ta)), scalar_text(b, tb, sizeof(tb))) == 0;
		}
		json_decref(a);
		json_decref(b);
		v = json_boolean(e->kind == E_EQ ? eq : !eq);
		break;
	}
	}
	for (const filter *f = e->filters; f != NULL; f = f->next) {
		json_t *nv = apply_filter(r, f, v);
		json_decref(v);
		v = nv;
	}
	return v;
}

static void render_body(rctx *r, const scope *sc, const body *b);

static const node *find_block(const rctx *r, const char *name)
{
	for (size_t i = 0; i < r->n_chain; i++) {
		const tpl *t = r->chain[i];
		for (size_t j = 0; j < t->n_blocks; j++)
			if (strcmp(t->blocks[j]->text, name) == 0)
				return t->blocks[j];
	}
	return NULL;
}

static void render_trans(rctx *r, const scope *sc, const node *n)
{
	const char *text = n->text;
	if (r->env != NULL && r->env->translate != NULL) {
		const char *tr = r->env->translate(r->env->translate_ctx, n->text);
		if (tr != NULL)
			text = tr;
	}
	const char *p = text;
	while (*p) {
		const char *pct = strchr(p, '%');
		if (pct == NULL) {
			put_escaped(&r->out, p, strlen(p));
			break;
		}
		put_escaped(&r->out, p, (size_t)(pct - p));
		if (pct[1] == '%') {
			puts_(&r->out, "%");
			p = pct + 2;
			continue;
		}
		const char *close = pct[1] == '(' ? strstr(pct, ")s") : NULL;
		if (close == NULL) {
			puts_(&r->out, "%");
			p = pct + 1;
			continue;
		}
		size_t len = (size_t)(close - pct - 2);
		size_t i;
		for (i = 0; i < n->n_args; i++)
			if (strlen(n->arg_names[i]) == len && memcmp(n->arg_names[i], pct + 2, len) == 0)
				break;
		if (i < n->n_args) {
			json_t *v = eval(r, sc, n->args[i]);
			char tmp[64];
			const char *s = scalar_text(v, tmp, sizeof(tmp));
			put_escaped(&r->out, s, strlen(s));
			json_decref(v);
		}
		/* An unknown name (a translator's typo) renders as nothing
		 * rather than as a raw placeholder. */
		p = close + 2;
	}
}

static void render_template(rctx *r, const tpl *t, const scope *sc);

static void render_for(rctx *r, const scope *sc, const node *n)
{
	json_t *list = eval(r, sc, n->e);
	size_t count = 0;
	if (json_is_array(list))
		count = json_array_size(list);
	else if (json_is_object(list))
		count = json_object_size(list);
	if (count == 0) {
		render_body(r, sc, &n->empty);
		json_decref(list);
		return;
	}
	json_t *loop = json_object();
	scope loop_sc = { "loop", loop, sc };
	scope item_sc = { n->var, NULL, &loop_sc };
	const char *key = NULL;
	void *iter = json_is_object(list) ? json_object_iter(list) : NULL;
	for (size_t i = 0; i < count && loop != NULL && !r->out.oom; i++) {
		json_t *elem;
		json_t *pair = NULL;
		if (json_is_array(list)) {
			elem = json_array_get(list, i);
		} else {
			if (iter == NULL)
				break;
			key = json_object_iter_key(iter);
			pair = json_pack("{s:s, s:O}", "key", key, "value", json_object_iter_value(iter));
			elem = pair;
			iter = json_object_iter_next(list, iter);
		}
		json_object_set_new(loop, "index", json_integer((json_int_t)i + 1));
		json_object_set_new(loop, "index0", json_integer((json_int_t)i));
		json_object_set_new(loop, "first", json_boolean(i == 0));
		json_object_set_new(loop, "last", json_boolean(i + 1 == count));
		json_object_set_new(loop, "length", json_integer((json_int_t)count));
		item_sc.value = elem;
		render_body(r, &item_sc, &n->b);
		json_decref(pair);
	}
	json_decref(loop);
	json_decref(list);
}

static void render_body(rctx *r, const scope *sc, const body *b)
{
	for (size_t i = 0; i < b->n && !r->out.oom; i++) {
		const node *n = b->items[i];
		switch (n->kind) {
		case N_TEXT:
			put(&r->out, n->text, n->len);
			break;
		case N_VAR: {
			json_t *v = eval(r, sc, n->e);
			char tmp[64];
			const char *s = scalar_text(v, tmp, sizeof(tmp));
			if (n->raw)
				puts_(&r->out, s);
			else
				put_escaped(&r->out, s, strlen(s));
			json_decref(v);
			break;
		}
		case N_IF:
			for (const if_branch *br = n->branches; br != NULL; br = br->next) {
				bool take = true;
				if (br->cond != NULL) {
					json_t *v = eval(r, sc, br->cond);
					take = truthy(v);
					json_decref(v);
				}
				if (take) {
					render_body(r, sc, &br->b);
					break;
				}
			}
			break;
		case N_FOR:
			render_for(r, sc, n);
			break;
		case N_INCLUDE: {
			const tpl *t = find_tpl(r->s, n->text);
			if (t != NULL && r->depth < MAX_DEPTH) {
				/* An included template has its own extends chain. */
				const tpl **saved = r->chain;
				size_t saved_n = r->n_chain;
				r->depth++;
				render_template(r, t, sc);
				r->depth--;
				r->chain = saved;
				r->n_chain = saved_n;
			}
			break;
		}
		case N_BLOCK: {
			const node *blk = find_block(r, n->text);
			render_body(r, sc, blk != NULL ? &blk->b : &n->b);
			break;
		}
		case N_TRANS:
			render_trans(r, sc, n);
			break;
		}
	}
}

/* sc is the scope of an {% include %}: like Jinja, an included template
 * sees the loop variables around it. */
static void render_template(rctx *r, const tpl *t, const scope *sc)
{
	const tpl *chain[MAX_DEPTH + 1];
	size_t n = 0;
	for (const tpl *cur = t; cur != NULL && n <= MAX_DEPTH;
	     cur = cur->extends != NULL ? find_tpl(r->s, cur->extends) : NULL)
		chain[n++] = cur;
	r->chain = chain;
	r->n_chain = n;
	render_body(r, sc, &chain[n - 1]->root);
	r->chain = NULL;
	r->n_chain = 0;
}

nsupd_err tpl_render(const tpl_set *s, const char *name, json_t *ctx, const tpl_env *env,
		     char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	const tpl *t = find_tpl(s, name);
	if (t == NULL)
		return NSUPD_ERR_NOT_FOUND;
	rctx r = { .s = s, .ctx = ctx, .env = env };
	render_template(&r, t, NULL);
	if (r.out.oom) {
		free(r.out.p);
		return NSUPD_ERR_NOMEM;
	}
	if (r.out.p == NULL) {
		r.out.p = strdup("");
		if (r.out.p == NULL)
			return NSUPD_ERR_NOMEM;
	}
	*out = r.out.p;
	*len = r.out.len;
	return NSUPD_OK;
}
