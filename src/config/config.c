/* The INI file is parsed by inih; this file adds what inih lacks: line
 * numbers (Debian's libinih is built without INI_HANDLER_LINENO), strict
 * checking of sections and keys, and typed values.
 *
 * Line numbers come from our own reader: inih pulls the text through
 * ini_parse_stream() one line at a time and calls the handler for a line
 * before it asks for the next one, so the reader's count of lines started
 * is the line the handler is looking at. The reader also sees every raw
 * line, which lets it reject unknown (even empty) sections and overlong
 * lines, neither of which reaches the handler. */
#include "config/config.h"

#include <errno.h>
#include <ini.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/strutil.h"

/* A line holds at most this many characters. Generous so that long abuse
 * lists fit on one line; the bound keeps one bad line from eating memory. */
#define CONFIG_MAX_LINE (1024 * 1024)
/* A whole file is read into memory first; no real config comes close. */
#define CONFIG_MAX_FILE (16 * 1024 * 1024)
/* Items shown in messages are cut to this many characters. */
#define SHOW_MAX 64

#define CONFIG_MAGIC 0x6e737564u   /* "nsud" */

/* ---- parse state ---- */

typedef struct parse_ctx {
	nsupd_config *cfg;
	const char *name;         /* file name used in messages */
	const char *text;         /* the whole input */
	size_t len;
	size_t pos;               /* next byte the reader hands out */
	bool at_line_start;
	int lineno;               /* line being handed to inih */
	int err_line;             /* first error's line, 0 while there is none */
	/* Lines of the [server] keys checked together after the parse (0: not
	 * in this input), so that such an error names a line too. */
	int line_listen, line_listen_tls, line_tls_certificate, line_tls_key;
	nsupd_err err_code;
	char *errbuf;
	size_t errsize;
} parse_ctx;

static void fail(parse_ctx *c, nsupd_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Keeps only the first error: later ones are often consequences of it. */
static void fail(parse_ctx *c, nsupd_err code, const char *fmt, ...)
{
	if (c->err_line != 0)
		return;
	c->err_line = c->lineno > 0 ? c->lineno : 1;
	c->err_code = code;
	if (c->errsize == 0)
		return;
	int n = snprintf(c->errbuf, c->errsize, "%s:%d: ", c->name, c->err_line);
	if (n < 0 || (size_t)n >= c->errsize)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->errbuf + n, c->errsize - (size_t)n, fmt, ap);
	va_end(ap);
}

/* ---- value parsers: each returns NULL on success or the problem ---- */

static const char oom[] = "out of memory";

typedef const char *(*setter_fn)(nsupd_config *cfg, const char *value, void *field,
				 char *detail, size_t detailsize);

typedef struct key_def {
	const char *name;
	setter_fn set;
	size_t offset;            /* of the field in nsupd_config */
	long min, max;            /* numbers only (set == NULL) */
} key_def;

static const char *set_string(nsupd_config *cfg, const char *value, void *field,
			      char *detail, size_t detailsize)
{
	char *copy = strdup(value);
	if (copy == NULL)
		return oom;
	char **dst = field;
	free(*dst);
	*dst = copy;
	return NULL;
}

static const char *set_nonempty_string(nsupd_config *cfg, const char *value, void *field,
				       char *detail, size_t detailsize)
{
	if (*value == '\0')
		return "must not be empty";
	return set_string(cfg, value, field, detail, detailsize);
}

static const char *set_bool(nsupd_config *cfg, const char *value, void *field,
			    char *detail, size_t detailsize)
{
	bool b;
	if (!str_to_bool(value, &b))
		return "not a boolean (true/false, yes/no, on/off, 1/0)";
	*(bool *)field = b;
	return NULL;
}

/* Host names as a browser or a router sends them: letters, digits, '-',
 * '.', '_', and for www hosts an optional ":port". */
static bool host_chars_ok(const char *s, bool allow_port)
{
	for (; *s; s++) {
		char ch = *s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_')
			continue;
		if (allow_port && (ch == ':' || ch == '[' || ch == ']'))
			continue;
		return false;
	}
	return true;
}

/* Stored lowercased and without a trailing dot, the form names are
 * compared in. */
static const char *set_domain(nsupd_config *cfg, const char *value, void *field,
			      char *detail, size_t detailsize)
{
	size_t n = strlen(value);
	if (n > 0 && value[n - 1] == '.')
		n--;
	if (n == 0)
		return "must not be empty";
	if (n > 253)
		return "longer than 253 characters";
	char *copy = strndup(value, n);
	if (copy == NULL)
		return oom;
	if (!host_chars_ok(copy, false) || copy[0] == '.' || strstr(copy, "..") != NULL) {
		free(copy);
		return "not a domain name";
	}
	str_ascii_lower(copy);
	char **dst = field;
	free(*dst);
	*dst = copy;
	return NULL;
}

/* www hosts: "host" or "host:port"; empty allowed for the single-stack
 * ones (checked by the caller's key table: www_host uses set_www_required). */
static const char *set_www(nsupd_config *cfg, const char *value, void *field,
			   char *detail, size_t detailsize)
{
	if (strlen(value) > 260)
		return "longer than 260 characters";
	if (!host_chars_ok(value, true))
		return "not a host name with optional :port";
	char *copy = strdup(value);
	if (copy == NULL)
		return oom;
	str_ascii_lower(copy);
	char **dst = field;
	free(*dst);
	*dst = copy;
	return NULL;
}

static const char *set_www_required(nsupd_config *cfg, const char *value, void *field,
				    char *detail, size_t detailsize)
{
	if (*value == '\0')
		return "must not be empty";
	return set_www(cfg, value, field, detail, detailsize);
}

static const char *set_database_url(nsupd_config *cfg, const char *value, void *field,
				    char *detail, size_t detailsize)
{
	if (strncmp(value, "sqlite:", 7) == 0) {
		if (value[7] == '\0')
			return "sqlite: needs a file name (sqlite:PATH)";
	} else if (strncmp(value, "postgresql://", 13) != 0 &&
		   strncmp(value, "postgres://", 11) != 0) {
		return "not sqlite:PATH or postgresql://...";
	}
	return set_string(cfg, value, field, detail, detailsize);
}

static const char *set_log_level(nsupd_config *cfg, const char *value, void *field,
				 char *detail, size_t detailsize)
{
	static const char *const levels[] = { "debug", "info", "warning", "error" };
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (str_ascii_ieq(value, levels[i]))
			return set_string(cfg, levels[i], field, detail, detailsize);
	if (str_ascii_ieq(value, "warn"))
		return set_string(cfg, "warning", field, detail, detailsize);
	return "not one of debug, info, warning, error";
}

/* ---- comma lists ---- */

/* Calls item() for every non-empty, trimmed item of value. Empty items
 * (",,", a trailing comma) are skipped: they carry no meaning and are an
 * easy slip when editing long lists. */
static const char *for_each_item(const char *value,
				 const char *(*item)(char *text, void *state, char *detail,
						     size_t detailsize),
				 void *state, char *detail, size_t detailsize)
{
	char *copy = strdup(value);
	if (copy == NULL)
		return oom;
	const char *problem = NULL;
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *t = str_trim(tok);
		if (*t == '\0')
			continue;
		problem = item(t, state, detail, detailsize);
		if (problem != NULL)
			break;
	}
	free(copy);
	return problem;
}

/* Grows *arr so that it holds at least need elements of size elem. */
static bool grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	void *p = realloc(*arr, ncap * elem);
	if (p == NULL)
		return false;
	*arr = p;
	*cap = ncap;
	return true;
}

typedef struct prefix_list {
	ip_prefix *v;
	size_t n, cap;
} prefix_list;

static const char *prefix_item(char *text, void *state, char *detail, size_t detailsize)
{
	prefix_list *l = state;
	ip_prefix p;
	if (!ip_prefix_parse(text, &p)) {
		snprintf(detail, detailsize, "not an address or address/len: '%.*s'", SHOW_MAX, text);
		return detail;
	}
	if (!grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return oom;
	l->v[l->n++] = p;
	return NULL;
}

/* The two prefix lists share one setter; field points at the array
 * pointer, and the count is the member right after it (checked below). */
static const char *set_prefixes(nsupd_config *cfg, const char *value, void *field,
				char *detail, size_t detailsize)
{
	prefix_list l = { 0 };
	const char *problem = for_each_item(value, prefix_item, &l, detail, detailsize);
	if (problem != NULL) {
		free(l.v);
		return problem;
	}
	ip_prefix **dst = field;
	size_t *count = (size_t *)(dst + 1);
	free(*dst);
	*dst = l.v;
	*count = l.n;
	return NULL;
}

typedef struct string_list {
	char **v;
	size_t n, cap;
	bool lower;
} string_list;

static const char *string_item(char *text, void *state, char *detail, size_t detailsize)
{
	string_list *l = state;
	if (!grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return oom;
	char *copy = strdup(text);
	if (copy == NULL)
		return oom;
	if (l->lower) {
		/* Host names are compared lowercased and without the
		 * trailing dot of the absolute form. */
		str_ascii_lower(copy);
		size_t n = strlen(copy);
		if (n > 1 && copy[n - 1] == '.')
			copy[n - 1] = '\0';
	}
	l->v[l->n++] = copy;
	return NULL;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static const char *set_strings_common(const char *value, void *field, bool lower,
				      char *detail, size_t detailsize)
{
	string_list l = { .lower = lower };
	const char *problem = for_each_item(value, string_item, &l, detail, detailsize);
	if (problem != NULL) {
		free_strings(l.v, l.n);
		return problem;
	}
	char ***dst = field;
	size_t *count = (size_t *)(dst + 1);
	free_strings(*dst, *count);
	*dst = l.v;
	*count = l.n;
	return NULL;
}

static const char *set_strings(nsupd_config *cfg, const char *value, void *field,
			       char *detail, size_t detailsize)
{
	return set_strings_common(value, field, false, detail, detailsize);
}

static const char *set_hosts(nsupd_config *cfg, const char *value, void *field,
			     char *detail, size_t detailsize)
{
	return set_strings_common(value, field, true, detail, detailsize);
}

typedef struct listen_list {
	config_listen v[CONFIG_MAX_LISTEN];
	size_t n;
} listen_list;

static const char *listen_item(char *text, void *state, char *detail, size_t detailsize)
{
	listen_list *l = state;
	config_listen one;
	if (!config_parse_hostport(text, 0, one.host, sizeof(one.host), &one.port)) {
		snprintf(detail, detailsize,
			 "not a numeric ADDRESS:PORT or [IPv6]:PORT (port 1..65535): '%.*s'",
			 SHOW_MAX, text);
		return detail;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].port == one.port && strcmp(l->v[i].host, one.host) == 0) {
			snprintf(detail, detailsize, "'%.*s' is listed twice", SHOW_MAX, text);
			return detail;
		}
	}
	if (l->n >= CONFIG_MAX_LISTEN) {
		snprintf(detail, detailsize, "more than %d addresses", CONFIG_MAX_LISTEN);
		return detail;
	}
	l->v[l->n++] = one;
	return NULL;
}

static const char *set_listen(nsupd_config *cfg, const char *value, void *field,
			      char *detail, size_t detailsize)
{
	listen_list l;
	l.n = 0;
	const char *problem = for_each_item(value, listen_item, &l, detail, detailsize);
	if (problem != NULL)
		return problem;
	if (l.n == 0)
		return "needs at least one ADDRESS:PORT";
	memcpy(cfg->listen, l.v, l.n * sizeof(l.v[0]));
	cfg->n_listen = l.n;
	return NULL;
}

/* Unlike listen, may be empty: native TLS is optional. */
static const char *set_listen_tls(nsupd_config *cfg, const char *value, void *field,
				  char *detail, size_t detailsize)
{
	listen_list l;
	l.n = 0;
	const char *problem = for_each_item(value, listen_item, &l, detail, detailsize);
	if (problem != NULL)
		return problem;
	memcpy(cfg->listen_tls, l.v, l.n * sizeof(l.v[0]));
	cfg->n_listen_tls = l.n;
	return NULL;
}

/* "" (the system's resolver), "none" (no DNS check) or a numeric
 * ADDR[:PORT] / [V6]:PORT, as [server] listen takes them. */
static const char *set_email_resolver(nsupd_config *cfg, const char *value, void *field,
				      char *detail, size_t detailsize)
{
	if (*value != '\0' && strcmp(value, "none") != 0) {
		char host[IP_STRLEN];
		uint16_t port;
		if (!config_parse_hostport(value, 53, host, sizeof(host), &port))
			return "not empty, none, or a numeric ADDRESS[:PORT] / [IPv6]:PORT";
	}
	return set_string(cfg, value, field, detail, detailsize);
}

/* glibc's regcomp copies the operand of "x+" (as "xx*") and of a bound
 * "x{n,m}" (m copies), so nested repetitions multiply what it builds, and
 * repetitions of what may match nothing ("(a|b*)+") make its work grow
 * faster than its size. A 2 KB expression took 23 GB and minutes before
 * the kernel killed nsupd, a 30-byte one half a second, and
 * "(((a|b*)+){2}){700}" 41 s (found by fuzzing). So before compiling, an
 * expression is refused when it repeats a repetition directly ("a+*",
 * undefined in POSIX anyway), nests repetitions more than
 * REGEX_NESTING_MAX deep, or would need more than REGEX_SIZE_MAX nodes:
 * the worst shapes left take 0.1 s and 8 MB, and an e-mail address has at
 * most 254 characters, so no useful expression is near the limits.
 * Syntax errors are left to regcomp. */
#define REGEX_SIZE_MAX 2000
#define REGEX_NESTING_MAX 4
#define REGEX_GROUPS_MAX 64

typedef struct regex_scan {
	const char *p;
	int groups;            /* open parentheses */
	const char *problem;   /* why it is refused, or NULL */
} regex_scan;

typedef struct regex_part {
	unsigned long size;    /* nodes, at most REGEX_SIZE_MAX + 1 */
	int nesting;           /* repetitions nested inside, itself included */
} regex_part;

static unsigned long regex_cap(unsigned long v)
{
	return v > REGEX_SIZE_MAX ? REGEX_SIZE_MAX + 1 : v;
}

static regex_part regex_alternatives(regex_scan *sc);

/* One atom ((...), [...], \c, or a character) without its repetition. */
static regex_part regex_atom(regex_scan *sc)
{
	const char *p = sc->p;
	if (*p == '(') {
		if (sc->groups >= REGEX_GROUPS_MAX) {
			/* Deeper would only deepen this recursion (and regcomp's). */
			if (sc->problem == NULL)
				sc->problem = "parentheses nested more than 64 deep";
			sc->p = p + strlen(p);
			return (regex_part){ 1, 0 };
		}
		sc->p = p + 1;
		sc->groups++;
		regex_part inner = regex_alternatives(sc);
		sc->groups--;
		if (*sc->p == ')')
			sc->p++;
		inner.size = regex_cap(inner.size + 1);
		return inner;
	}
	if (*p == '[') {
		p++;
		if (*p == '^')
			p++;
		if (*p == ']')
			p++;
		while (*p != '\0' && *p != ']') {
			const char *end = NULL;
			if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '='))
				end = strchr(p + 2, p[1]);
			p = end != NULL && end[1] == ']' ? end + 2 : p + 1;
		}
		sc->p = *p == ']' ? p + 1 : p;
		return (regex_part){ 1, 0 };
	}
	if (*p == '\\' && p[1] != '\0')
		p++;
	sc->p = p + 1;
	return (regex_part){ 1, 0 };
}

/* The number of copies a repetition at sc->p makes of its operand, or 0
 * when sc->p holds none. */
static unsigned long regex_repetition(regex_scan *sc)
{
	const char *p = sc->p;
	if (*p == '*' || *p == '?' || *p == '+') {
		sc->p = p + 1;
		return *p == '+' ? 2 : 1;
	}
	if (*p != '{' || p[1] < '0' || p[1] > '9')
		return 0;
	unsigned long n = 0, m;
	for (p++; *p >= '0' && *p <= '9'; p++)
		n = regex_cap(n * 10 + (unsigned long)(*p - '0'));
	m = n;
	if (*p == ',') {
		p++;
		m = n + 1;   /* {n,}: n copies and a star */
		if (*p >= '0' && *p <= '9')
			for (m = 0; *p >= '0' && *p <= '9'; p++)
				m = regex_cap(m * 10 + (unsigned long)(*p - '0'));
	}
	sc->p = *p == '}' ? p + 1 : p;
	return m > n ? m : (n > 0 ? n : 1);
}

static regex_part regex_alternatives(regex_scan *sc)
{
	regex_part all = { 0, 0 };
	while (*sc->p != '\0' && !(*sc->p == ')' && sc->groups > 0)) {
		if (*sc->p == '|' || *sc->p == ')') {
			sc->p++;
			all.size = regex_cap(all.size + 1);
			continue;
		}
		regex_part atom = regex_atom(sc);
		unsigned long copies = regex_repetition(sc);
		if (copies > 0) {
			atom.size = regex_cap(copies * atom.size + 1);
			atom.nesting++;
			if (regex_repetition(sc) > 0 && sc->problem == NULL)
				sc->problem = "a repetition of a repetition, such as a+* or a{2}+, is "
					      "undefined in POSIX";
			if (atom.nesting > REGEX_NESTING_MAX && sc->problem == NULL)
				sc->problem = "repetitions nested more than 4 deep, such as "
					      "((((a+)+)+)+)+";
		}
		all.size = regex_cap(all.size + atom.size);
		if (atom.nesting > all.nesting)
			all.nesting = atom.nesting;
	}
	return all;
}

/* Why glibc should not compile re (see above), or NULL. */
static const char *regex_refusal(const char *re)
{
	regex_scan sc = { .p = re };
	regex_part all = regex_alternatives(&sc);
	if (sc.problem != NULL)
		return sc.problem;
	if (all.size > REGEX_SIZE_MAX)
		return "nested repetitions such as (a{99}){99} would make it too large to compile";
	return NULL;
}

/* Regular expressions may hold commas ("a{2,3}"), so this list is split at
 * blanks instead: e-mail addresses never contain one. Each item must
 * compile, so a typo stops start-up instead of letting addresses through. */
static const char *set_regex_list(nsupd_config *cfg, const char *value, void *field,
				  char *detail, size_t detailsize)
{
	char *copy = strdup(value);
	if (copy == NULL)
		return oom;
	string_list l = { 0 };
	const char *problem = NULL;
	char *save = NULL;
	for (char *tok = strtok_r(copy, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		const char *refusal = regex_refusal(tok);
		if (refusal != NULL) {
			snprintf(detail, detailsize, "regular expression refused: '%.*s' (%s)",
				 SHOW_MAX, tok, refusal);
			problem = detail;
			break;
		}
		regex_t re;
		int rc = regcomp(&re, tok, REG_EXTENDED | REG_ICASE | REG_NOSUB);
		if (rc != 0) {
			char why[120];
			regerror(rc, NULL, why, sizeof(why));
			snprintf(detail, detailsize, "not a valid regular expression: '%.*s' (%s)",
				 SHOW_MAX, tok, why);
			problem = detail;
			break;
		}
		regfree(&re);
		problem = string_item(tok, &l, detail, detailsize);
		if (problem != NULL)
			break;
	}
	free(copy);
	if (problem != NULL) {
		free_strings(l.v, l.n);
		return problem;
	}
	char ***dst = field;
	size_t *count = (size_t *)(dst + 1);
	free_strings(*dst, *count);
	*dst = l.v;
	*count = l.n;
	return NULL;
}

/* "" (no mail) or an smtp:// / smtps:// URL, which libcurl parses. */
static const char *set_smtp_url(nsupd_config *cfg, const char *value, void *field,
				char *detail, size_t detailsize)
{
	if (*value != '\0' && strncmp(value, "smtp://", 7) != 0 && strncmp(value, "smtps://", 8) != 0)
		return "must start with smtp:// or smtps:// (or be empty: no mail)";
	return set_string(cfg, value, field, detail, detailsize);
}

/* "auto" (4 per core) or a number of threads. */
static const char *set_threads(nsupd_config *cfg, const char *value, void *field, char *detail,
			       size_t detailsize)
{
	long v;
	if (strcmp(value, "auto") == 0) {
		*(unsigned *)field = config_default_threads();
		return NULL;
	}
	if (!str_to_long(value, 1, 1024, &v))
		return "not a number between 1 and 1024, nor auto";
	*(unsigned *)field = (unsigned)v;
	return NULL;
}

#define OFF(f) offsetof(nsupd_config, f)
/* A NULL setter marks an unsigned number in [min, max]. */
#define NUM(k, f, lo, hi) { k, NULL, OFF(f), lo, hi }
#define STR(k, fn, f) { k, fn, OFF(f), 0, 0 }

static const key_def server_keys[] = {
	STR("listen", set_listen, listen),
	STR("trusted_proxies", set_prefixes, trusted_proxies),
	STR("listen_tls", set_listen_tls, listen_tls),
	STR("tls_certificate", set_string, tls_certificate),
	STR("tls_key", set_string, tls_key),
	STR("threads", set_threads, threads),
	NUM("max_connections", max_connections, 1, 1000000),
	NUM("connection_timeout", connection_timeout, 1, 86400),
	STR("reuse_port", set_bool, reuse_port),
	{ NULL, NULL, 0, 0, 0 },
};

static const key_def database_keys[] = {
	STR("url", set_database_url, database_url),
	{ NULL, NULL, 0, 0, 0 },
};

static const key_def site_keys[] = {
	STR("name", set_nonempty_string, site_name),
	STR("base_domain", set_domain, base_domain),
	STR("www_host", set_www_required, www_host),
	STR("www_ipv4_host", set_www, www_ipv4_host),
	STR("www_ipv6_host", set_www, www_ipv6_host),
	STR("we_have_tls", set_bool, we_have_tls),
	STR("secret_key", set_string, secret_key),
	STR("registration_open", set_bool, registration_open),
	STR("email_check_resolver", set_email_resolver, email_check_resolver),
	STR("email_blacklist", set_regex_list, email_blacklist),
	{ NULL, NULL, 0, 0, 0 },
};

static const key_def dns_keys[] = {
	NUM("resolver_timeout", resolver_timeout, 1, 300),
	NUM("update_timeout", update_timeout, 1, 300),
	NUM("ttl", ttl, 1, 86400),
	NUM("unavailable_retry", unavailable_retry, 1, 86400),
	/* Limits as in src/dns/zonewriter.h (ZW_LIMIT_*); config stays free
	 * of the dns module. */
	NUM("coalesce_max", coalesce_max, 1, 1024),
	NUM("coalesce_wait_ms", coalesce_wait_ms, 0, 1000),
	NUM("max_inflight", max_inflight, 1, 64),
	{ NULL, NULL, 0, 0, 0 },
};

static const key_def abuse_keys[] = {
	STR("bad_agents", set_strings, bad_agents),
	STR("bad_hosts", set_hosts, bad_hosts),
	STR("bad_ips", set_prefixes, bad_ips),
	{ NULL, NULL, 0, 0, 0 },
};

static const key_def web_keys[] = {
	STR("templates", set_string, web_templates),
	STR("override_templates", set_string, web_override_templates),
	STR("custom_pages", set_string, web_custom_pages),
	STR("static", set_string, web_static),
	STR("locale", set_string, web_locale),
	NUM("login_failures_max", login_failures_max, 1, 100000),
	NUM("login_failures_window", login_failures_window, 1, 86400),
	NUM("register_max", register_max, 1, 100000),
	NUM("register_window", register_window, 1, 86400),
	{ NULL, NULL, 0, 0, 0 },
};

static const key_def forward_keys[] = {
	NUM("start_delay", forward_start_delay, 0, 86400),
	NUM("retry_min", forward_retry_min, 1, 86400),
	NUM("retry_max", forward_retry_max, 1, 604800),
	NUM("give_up", forward_give_up, 1, 2592000),
	NUM("connect_timeout", forward_connect_timeout, 1, 300),
	NUM("timeout", forward_timeout, 1, 600),
	{ NULL, NULL, 0, 0, 0 },
};

static const key_def mail_keys[] = {
	STR("smtp_url", set_smtp_url, mail_smtp_url),
	STR("from", set_string, mail_from),
	STR("username", set_string, mail_username),
	STR("password", set_string, mail_password),
	STR("starttls", set_bool, mail_starttls),
	NUM("timeout", mail_timeout, 1, 600),
	{ NULL, NULL, 0, 0, 0 },
};

static const key_def log_keys[] = {
	STR("level", set_log_level, log_level),
	{ NULL, NULL, 0, 0, 0 },
};

/* The list setters find the count right after the array pointer. */
_Static_assert(OFF(n_trusted_proxies) == OFF(trusted_proxies) + sizeof(ip_prefix *),
	       "count follows array");
_Static_assert(OFF(n_bad_ips) == OFF(bad_ips) + sizeof(ip_prefix *), "count follows array");
_Static_assert(OFF(n_bad_agents) == OFF(bad_agents) + sizeof(char **), "count follows array");
_Static_assert(OFF(n_bad_hosts) == OFF(bad_hosts) + sizeof(char **), "count follows array");
_Static_assert(OFF(n_email_blacklist) == OFF(email_blacklist) + sizeof(char **),
	       "count follows array");

static const struct section_def {
	const char *name;
	const key_def *keys;
} sections[] = {
	{ "server", server_keys },
	{ "database", database_keys },
	{ "site", site_keys },
	{ "dns", dns_keys },
	{ "abuse", abuse_keys },
	{ "web", web_keys },
	{ "log", log_keys },
	{ "forward", forward_keys },
	{ "mail", mail_keys },
};

/* ---- remote login providers: [oauth.github|gitlab|google], [oidc.NAME] ---- */

typedef struct oauth_builtin {
	const char *section;      /* after "oauth." */
	const char *name;         /* backend name in URLs */
	enum config_oauth_kind kind;
	const char *title;
	const char *discovery_url;
	const char *authorize_url, *token_url, *userinfo_url;
	const char *scope;
} oauth_builtin;

/* The original's backend names (python-social-auth) are kept, so redirect
 * URIs registered with the providers stay valid. */
static const oauth_builtin oauth_builtins[] = {
	{ "github", "github", CONFIG_OAUTH_GITHUB, "GitHub", "",
	  "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token",
	  "https://api.github.com/user", "read:user user:email" },
	{ "gitlab", "gitlab", CONFIG_OAUTH_OIDC, "GitLab",
	  "https://gitlab.com/.well-known/openid-configuration", "", "", "", "openid profile email" },
	{ "google", "google-oauth2", CONFIG_OAUTH_OIDC, "Google",
	  "https://accounts.google.com/.well-known/openid-configuration", "", "", "",
	  "openid email profile" },
};
#define N_OAUTH_BUILTINS (sizeof(oauth_builtins) / sizeof(oauth_builtins[0]))

static const oauth_builtin *oauth_builtin_for(const char *name)
{
	for (size_t i = 0; i < N_OAUTH_BUILTINS; i++)
		if (strcmp(oauth_builtins[i].name, name) == 0)
			return &oauth_builtins[i];
	return NULL;
}

/* The backend name a provider section stands for, or NULL (with *why)
 * when sec is an oauth/oidc section that cannot be, or "" when sec is no
 * provider section at all. */
static const char *oauth_section_name(const char *sec, const char **why)
{
	*why = NULL;
	if (strncmp(sec, "oauth.", 6) == 0) {
		for (size_t i = 0; i < N_OAUTH_BUILTINS; i++)
			if (strcmp(sec + 6, oauth_builtins[i].section) == 0)
				return oauth_builtins[i].name;
		*why = "unknown provider (oauth.github, oauth.gitlab or oauth.google; any other "
		       "OpenID Connect provider is [oidc.NAME])";
		return NULL;
	}
	if (strncmp(sec, "oidc.", 5) != 0)
		return "";
	const char *n = sec + 5;
	size_t len = strlen(n);
	if (len == 0 || len >= sizeof(((config_oauth *)0)->name)) {
		*why = "NAME must have 1 to 39 characters";
		return NULL;
	}
	for (const char *p = n; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) {
			*why = "NAME may contain only a-z, 0-9 and '-'";
			return NULL;
		}
	}
	if (oauth_builtin_for(n) != NULL) {
		*why = "NAME is taken by a built-in provider";
		return NULL;
	}
	return n;
}

static config_oauth *oauth_find(nsupd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_oauth; i++)
		if (strcmp(cfg->oauth[i].name, name) == 0)
			return &cfg->oauth[i];
	return NULL;
}

/* The string members of config_oauth, in the order of oauth_keys. */
static const size_t oauth_offsets[] = {
	offsetof(config_oauth, title), offsetof(config_oauth, client_id),
	offsetof(config_oauth, client_secret), offsetof(config_oauth, discovery_url),
	offsetof(config_oauth, issuer), offsetof(config_oauth, authorize_url),
	offsetof(config_oauth, token_url), offsetof(config_oauth, userinfo_url),
	offsetof(config_oauth, jwks_url), offsetof(config_oauth, scope),
};
static const char *const oauth_keys[] = {
	"title", "client_id", "client_secret", "discovery_url", "issuer", "authorize_url",
	"token_url", "userinfo_url", "jwks_url", "scope",
};
#define N_OAUTH_FIELDS (sizeof(oauth_offsets) / sizeof(oauth_offsets[0]))
_Static_assert(sizeof(oauth_keys) / sizeof(oauth_keys[0]) == N_OAUTH_FIELDS, "one key per field");

static char **oauth_field(config_oauth *o, size_t i)
{
	return (char **)(void *)((char *)o + oauth_offsets[i]);
}

static void oauth_free(config_oauth *o)
{
	for (size_t i = 0; i < N_OAUTH_FIELDS; i++) {
		free(*oauth_field(o, i));
		*oauth_field(o, i) = NULL;
	}
}

/* The entry for a provider section, created (all strings "") when the
 * section first appears. NULL when out of memory or room. */
static config_oauth *oauth_entry(parse_ctx *c, const char *name, int line)
{
	nsupd_config *cfg = c->cfg;
	config_oauth *o = oauth_find(cfg, name);
	if (o != NULL)
		return o;
	if (cfg->n_oauth >= CONFIG_MAX_OAUTH) {
		fail(c, NSUPD_ERR_CONFIG, "more than %d remote login providers", CONFIG_MAX_OAUTH);
		return NULL;
	}
	o = &cfg->oauth[cfg->n_oauth];
	memset(o, 0, sizeof(*o));
	str_copy(o->name, name, sizeof(o->name));
	const oauth_builtin *b = oauth_builtin_for(name);
	o->kind = b != NULL ? b->kind : CONFIG_OAUTH_OIDC;
	o->line = line;
	for (size_t i = 0; i < N_OAUTH_FIELDS; i++) {
		*oauth_field(o, i) = strdup("");
		if (*oauth_field(o, i) == NULL) {
			oauth_free(o);
			fail(c, NSUPD_ERR_NOMEM, "out of memory");
			return NULL;
		}
	}
	cfg->n_oauth++;
	return o;
}

static void oauth_key(parse_ctx *c, const char *sec, const char *name, const char *key,
		      const char *value)
{
	config_oauth *o = oauth_entry(c, name, c->lineno);
	if (o == NULL)
		return;
	size_t i = 0;
	while (i < N_OAUTH_FIELDS && strcmp(oauth_keys[i], key) != 0)
		i++;
	if (i == N_OAUTH_FIELDS) {
		fail(c, NSUPD_ERR_CONFIG, "[%s] %.*s: unknown key", sec, SHOW_MAX, key);
		return;
	}
	bool is_url = strstr(key, "url") != NULL || strcmp(key, "issuer") == 0;
	if (is_url && value[0] != '\0' && !config_url_ok(value)) {
		fail(c, NSUPD_ERR_CONFIG, "[%s] %s: not an https:// URL (http:// only to a "
		     "loopback address)", sec, key);
		return;
	}
	if ((strcmp(key, "client_id") == 0 || strcmp(key, "client_secret") == 0) &&
	    value[0] == '\0') {
		fail(c, NSUPD_ERR_CONFIG, "[%s] %s: must not be empty", sec, key);
		return;
	}
	if (strlen(value) > 2048) {
		fail(c, NSUPD_ERR_CONFIG, "[%s] %s: longer than 2048 characters", sec, key);
		return;
	}
	char *copy = strdup(value);
	if (copy == NULL) {
		fail(c, NSUPD_ERR_NOMEM, "out of memory");
		return;
	}
	char **dst = oauth_field(o, i);
	free(*dst);
	*dst = copy;
}

static bool oauth_default(char **field, const char *value)
{
	if ((*field)[0] != '\0' || value == NULL || value[0] == '\0')
		return true;
	char *copy = strdup(value);
	if (copy == NULL)
		return false;
	free(*field);
	*field = copy;
	return true;
}

/* After the parse: required keys, and the built-in endpoints filled in. */
static void check_oauth(parse_ctx *c)
{
	nsupd_config *cfg = c->cfg;
	for (size_t i = 0; i < cfg->n_oauth && c->err_line == 0; i++) {
		config_oauth *o = &cfg->oauth[i];
		char sec[64];
		const oauth_builtin *b = oauth_builtin_for(o->name);
		snprintf(sec, sizeof(sec), "%s.%s", b != NULL ? "oauth" : "oidc",
			 b != NULL ? b->section : o->name);
		c->lineno = o->line;
		if (o->client_id[0] == '\0') {
			fail(c, NSUPD_ERR_CONFIG, "[%s] client_id: missing", sec);
			return;
		}
		if (o->client_secret[0] == '\0') {
			fail(c, NSUPD_ERR_CONFIG, "[%s] client_secret: missing", sec);
			return;
		}
		bool ok = true;
		if (b != NULL) {
			ok = oauth_default(&o->title, b->title) &&
			     oauth_default(&o->authorize_url, b->authorize_url) &&
			     oauth_default(&o->token_url, b->token_url) &&
			     oauth_default(&o->userinfo_url, b->userinfo_url) &&
			     oauth_default(&o->scope, b->scope);
			/* Explicit endpoints replace the discovery document. */
			if (ok && o->kind == CONFIG_OAUTH_OIDC && o->authorize_url[0] == '\0')
				ok = oauth_default(&o->discovery_url, b->discovery_url);
		} else {
			ok = oauth_default(&o->title, o->name) &&
			     oauth_default(&o->scope, "openid email profile");
		}
		if (!ok) {
			fail(c, NSUPD_ERR_NOMEM, "out of memory");
			return;
		}
		if (o->kind == CONFIG_OAUTH_GITHUB)
			continue;
		if (strstr(o->scope, "openid") == NULL) {
			fail(c, NSUPD_ERR_CONFIG, "[%s] scope: must include openid", sec);
			return;
		}
		if (o->discovery_url[0] != '\0')
			continue;
		const char *missing = o->authorize_url[0] == '\0' ? "authorize_url"
				      : o->token_url[0] == '\0'   ? "token_url"
				      : o->jwks_url[0] == '\0'    ? "jwks_url"
				      : o->issuer[0] == '\0'      ? "issuer"
								 : NULL;
		if (missing != NULL) {
			fail(c, NSUPD_ERR_CONFIG, "[%s] %s: missing (give discovery_url, or "
			     "issuer, authorize_url, token_url and jwks_url)", sec, missing);
			return;
		}
	}
}

static const key_def *find_section(const char *name)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strcmp(sections[i].name, name) == 0)
			return sections[i].keys;
	return NULL;
}

/* Section names as inih hands them still carry inner blanks: "[ dns ]". */
static void trimmed_copy(const char *s, size_t n, char *out, size_t outsize)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= outsize)
		n = outsize - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	parse_ctx *c = user;
	if (c->err_line != 0)
		return 0;
	char sec[64];
	trimmed_copy(section, strlen(section), sec, sizeof(sec));
	if (*key == '\0') {
		fail(c, NSUPD_ERR_CONFIG, "missing key name before '='");
		return 0;
	}
	if (sec[0] == '\0') {
		fail(c, NSUPD_ERR_CONFIG, "%.*s: key outside any [section]", SHOW_MAX, key);
		return 0;
	}
	const char *why;
	const char *provider = oauth_section_name(sec, &why);
	if (provider == NULL) {
		fail(c, NSUPD_ERR_CONFIG, "[%s]: %s", sec, why);
		return 0;
	}
	if (provider[0] != '\0') {
		oauth_key(c, sec, provider, key, value);
		return c->err_line == 0;
	}
	const key_def *keys = find_section(sec);
	if (keys == NULL) {
		/* The reader has normally caught this already. */
		fail(c, NSUPD_ERR_CONFIG, "[%s]: unknown section", sec);
		return 0;
	}
	const key_def *k = keys;
	while (k->name != NULL && strcmp(k->name, key) != 0)
		k++;
	if (k->name == NULL) {
		fail(c, NSUPD_ERR_CONFIG, "[%s] %.*s: unknown key", sec, SHOW_MAX, key);
		return 0;
	}
	void *field = (char *)c->cfg + k->offset;
	char detail[256];
	const char *problem;
	if (k->set == NULL) {
		long v;
		if (str_to_long(value, k->min, k->max, &v)) {
			*(unsigned *)field = (unsigned)v;
			problem = NULL;
		} else {
			snprintf(detail, sizeof(detail), "not a number between %ld and %ld",
				 k->min, k->max);
			problem = detail;
		}
	} else {
		problem = k->set(c->cfg, value, field, detail, sizeof(detail));
	}
	if (problem != NULL) {
		nsupd_err code = problem == oom ? NSUPD_ERR_NOMEM : NSUPD_ERR_CONFIG;
		fail(c, code, "[%s] %s: %s", sec, k->name, problem);
		return 0;
	}
	if (keys == server_keys) {
		if (k->offset == OFF(listen))
			c->line_listen = c->lineno;
		else if (k->offset == OFF(listen_tls))
			c->line_listen_tls = c->lineno;
		else if (k->offset == OFF(tls_certificate))
			c->line_tls_certificate = c->lineno;
		else if (k->offset == OFF(tls_key))
			c->line_tls_key = c->lineno;
	}
	return 1;
}

static int max_line(int a, int b)
{
	return a > b ? a : b;
}

/* Reports a problem of keys that only make sense together at line
 * (or, when that key was not in this input, the latest related one). */
static void fail_server_at(parse_ctx *c, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail_server_at(parse_ctx *c, int line, const char *key, const char *fmt, ...)
{
	if (line == 0)
		line = max_line(max_line(c->line_listen, c->line_listen_tls),
				max_line(c->line_tls_certificate, c->line_tls_key));
	c->lineno = line;
	char detail[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	fail(c, NSUPD_ERR_CONFIG, "[server] %s: %s", key, detail);
}

/* Native TLS needs all three of listen_tls, tls_certificate and tls_key;
 * any one of them alone is a half-finished setup, which is refused rather
 * than silently serving without TLS. */
static void check_server_tls(parse_ctx *c)
{
	const nsupd_config *cfg = c->cfg;
	bool cert = cfg->tls_certificate != NULL && cfg->tls_certificate[0] != '\0';
	bool key = cfg->tls_key != NULL && cfg->tls_key[0] != '\0';
	if (cert && !key) {
		fail_server_at(c, c->line_tls_certificate, "tls_certificate", "set without tls_key");
		return;
	}
	if (key && !cert) {
		fail_server_at(c, c->line_tls_key, "tls_key", "set without tls_certificate");
		return;
	}
	if (cfg->n_listen_tls > 0 && !cert) {
		fail_server_at(c, c->line_listen_tls, "listen_tls",
			       "needs tls_certificate and tls_key");
		return;
	}
	if (cert && cfg->n_listen_tls == 0) {
		fail_server_at(c, c->line_tls_certificate, "tls_certificate",
			       "set, but listen_tls is empty (no address would use it)");
		return;
	}
	for (size_t i = 0; i < cfg->n_listen_tls; i++) {
		const config_listen *t = &cfg->listen_tls[i];
		for (size_t j = 0; j < cfg->n_listen; j++) {
			const config_listen *l = &cfg->listen[j];
			if (t->port != l->port || strcmp(t->host, l->host) != 0)
				continue;
			bool v6 = strchr(t->host, ':') != NULL;
			fail_server_at(c, c->line_listen_tls, "listen_tls",
				       "%s%s%s:%u is also in listen (one address serves either "
				       "plain HTTP or TLS)", v6 ? "[" : "", t->host, v6 ? "]" : "",
				       (unsigned)t->port);
			return;
		}
	}
}

/* Looks at a raw line before inih does: a section header must name a
 * known section even when no key follows it. */
static void check_raw_line(parse_ctx *c, const char *line, size_t n)
{
	if (c->lineno == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
		line += 3;
		n -= 3;
	}
	while (n > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		n--;
	}
	if (n == 0 || *line != '[')
		return;
	const char *end = memchr(line, ']', n);
	if (end == NULL)
		return;   /* inih reports the syntax error */
	char sec[64];
	trimmed_copy(line + 1, (size_t)(end - line - 1), sec, sizeof(sec));
	const char *why;
	const char *provider = oauth_section_name(sec, &why);
	if (provider == NULL) {
		fail(c, NSUPD_ERR_CONFIG, "[%.*s]: %s", SHOW_MAX, sec, why);
		return;
	}
	if (provider[0] != '\0') {
		/* Created here, so that a section without keys is still
		 * checked (and reported at its header). */
		oauth_entry(c, provider, c->lineno);
		return;
	}
	if (find_section(sec) == NULL)
		fail(c, NSUPD_ERR_CONFIG, "[%.*s]: unknown section", SHOW_MAX, sec);
}

/* fgets()-like: hands out at most num-1 bytes, never past the end of the
 * current line. */
static char *reader(char *str, int num, void *stream)
{
	parse_ctx *c = stream;
	if (num <= 0 || c->pos >= c->len || c->err_line != 0)
		return NULL;   /* end of input, or stop at the first error */
	if (c->at_line_start) {
		c->lineno++;
		const char *line = c->text + c->pos;
		const char *nl = memchr(line, '\n', c->len - c->pos);
		size_t n = nl != NULL ? (size_t)(nl - line) + 1 : c->len - c->pos;
		if (n > CONFIG_MAX_LINE) {
			fail(c, NSUPD_ERR_CONFIG, "line longer than %d characters", CONFIG_MAX_LINE);
			return NULL;
		}
		check_raw_line(c, line, n);
		if (c->err_line != 0)
			return NULL;
	}
	size_t room = (size_t)num - 1;
	size_t n = 0;
	while (n < room && c->pos + n < c->len) {
		char ch = c->text[c->pos + n];
		n++;
		if (ch == '\n')
			break;
	}
	memcpy(str, c->text + c->pos, n);
	str[n] = '\0';
	c->pos += n;
	c->at_line_start = n > 0 && str[n - 1] == '\n';
	return str;
}

/* inih's behaviour is set through globals in Debian's build; they are
 * set for the parse and put back afterwards. Loading happens at start-up
 * on one thread, so the globals are not contended. */
typedef struct ini_knobs {
	bool allow_multiline, allow_inline_comments, use_stack, allow_realloc;
	bool stop_on_first_error, allow_no_value;
	int max_line;
	char *inline_prefixes;
} ini_knobs;

static char inline_prefixes[] = ";#";

static ini_knobs knobs_set(void)
{
	ini_knobs old = {
		ini_allow_multiline, ini_allow_inline_comments, ini_use_stack, ini_allow_realloc,
		ini_stop_on_first_error, ini_allow_no_value, ini_max_line,
		ini_inline_comment_prefixes,
	};
	/* An indented line would otherwise silently continue the previous
	 * value. */
	ini_allow_multiline = false;
	/* " ; comment" and " # comment" after a value are comments; a ';' or
	 * '#' with no blank before it stays part of the value. */
	ini_allow_inline_comments = true;
	ini_inline_comment_prefixes = inline_prefixes;
	/* Long lines grow a heap buffer up to the limit our reader enforces,
	 * instead of being split at 200 bytes into bogus extra lines. */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = CONFIG_MAX_LINE + 3;
	ini_stop_on_first_error = true;
	ini_allow_no_value = false;
	return old;
}

static void knobs_restore(const ini_knobs *k)
{
	ini_allow_multiline = k->allow_multiline;
	ini_allow_inline_comments = k->allow_inline_comments;
	ini_use_stack = k->use_stack;
	ini_allow_realloc = k->allow_realloc;
	ini_stop_on_first_error = k->stop_on_first_error;
	ini_allow_no_value = k->allow_no_value;
	ini_max_line = k->max_line;
	ini_inline_comment_prefixes = k->inline_prefixes;
}

static nsupd_err parse_text(nsupd_config *cfg, const char *text, size_t len, const char *name,
			    char *errbuf, size_t errsize)
{
	if (errsize > 0)
		errbuf[0] = '\0';
	if (cfg->magic_ != CONFIG_MAGIC)
		config_defaults(cfg);
	parse_ctx c = {
		.cfg = cfg, .name = name, .text = text, .len = len, .at_line_start = true,
		.errbuf = errbuf, .errsize = errsize,
	};
	if (cfg->database_url == NULL || cfg->site_name == NULL || cfg->base_domain == NULL ||
	    cfg->www_host == NULL || cfg->www_ipv4_host == NULL || cfg->www_ipv6_host == NULL ||
	    cfg->secret_key == NULL || cfg->email_check_resolver == NULL || cfg->log_level == NULL || cfg->web_templates == NULL ||
	    cfg->web_override_templates == NULL || cfg->web_custom_pages == NULL ||
	    cfg->web_static == NULL || cfg->web_locale == NULL || cfg->tls_certificate == NULL ||
	    cfg->tls_key == NULL) {
		fail(&c, NSUPD_ERR_NOMEM, "out of memory");
		config_free(cfg);
		return NSUPD_ERR_NOMEM;
	}
	if (memchr(text, '\0', len) != NULL) {
		c.lineno = 1;
		for (const char *p = text; *p; p++)
			if (*p == '\n')
				c.lineno++;
		fail(&c, NSUPD_ERR_CONFIG, "contains a NUL byte");
	} else {
		ini_knobs old = knobs_set();
		int rc = ini_parse_stream(reader, &c, handler, &c);
		knobs_restore(&old);
		if (rc == -2) {
			fail(&c, NSUPD_ERR_NOMEM, "out of memory");
		} else if (rc > 0 && (c.err_line == 0 || rc < c.err_line)) {
			/* inih's own complaint: no '=' or ':', or no ']'. Its
			 * line count matches ours because every line, however
			 * long, is read as one. */
			c.err_line = 0;
			c.lineno = rc;
			fail(&c, NSUPD_ERR_CONFIG,
			     "syntax error (expected [section], key = value or a comment)");
		}
		if (c.err_line == 0)
			check_server_tls(&c);
		if (c.err_line == 0)
			check_oauth(&c);
	}
	if (c.err_line != 0) {
		config_free(cfg);
		return c.err_code;
	}
	return NSUPD_OK;
}

/* ---- public ---- */

/* A changing update waits for the nameserver without a thread (the
 * request is suspended), so threads only need to cover work on the CPU
 * and short blocking reads (the database, the query for the current
 * address): a few per core. More only add switching and lock contention,
 * which showed as tail latency with 64 clients. */
unsigned config_default_threads(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (cores < 1)
		cores = 1;
	long n = 4 * cores;
	return n < 4 ? 4 : n > 64 ? 64 : (unsigned)n;
}

void config_defaults(nsupd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->magic_ = CONFIG_MAGIC;
	str_copy(cfg->listen[0].host, "127.0.0.1", sizeof(cfg->listen[0].host));
	cfg->listen[0].port = 8000;
	cfg->n_listen = 1;
	cfg->threads = config_default_threads();
	cfg->max_connections = 4096;
	cfg->connection_timeout = 30;
	cfg->reuse_port = false;
	cfg->n_listen_tls = 0;
	cfg->tls_certificate = strdup("");
	cfg->tls_key = strdup("");
	cfg->database_url = strdup("sqlite:nsupd.sqlite");
	cfg->site_name = strdup("nsupd");
	cfg->base_domain = strdup("nsupdate.localhost");
	cfg->www_host = strdup("localhost:8000");
	cfg->www_ipv4_host = strdup("");
	cfg->www_ipv6_host = strdup("");
	cfg->we_have_tls = false;
	cfg->secret_key = strdup("");
	cfg->registration_open = true;
	cfg->email_check_resolver = strdup("");
	cfg->resolver_timeout = 10;
	cfg->update_timeout = 20;
	cfg->ttl = 60;
	cfg->unavailable_retry = 120;
	cfg->coalesce_max = 64;
	cfg->coalesce_wait_ms = 2;
	/* A nameserver applies one zone's updates one at a time: a second
	 * message in flight only queues there and splits the batch. Measured
	 * on BIND 9.18 with 64 clients: 1 gave 9 400-10 500 changes/s, 2 gave
	 * 8 900-9 000, 4 gave 9 000. More pays only for a distant primary. */
	cfg->max_inflight = 1;
	cfg->web_templates = strdup("");
	cfg->web_override_templates = strdup("");
	cfg->web_custom_pages = strdup("");
	cfg->web_static = strdup("");
	cfg->web_locale = strdup("");
	cfg->login_failures_max = 10;
	cfg->login_failures_window = 900;
	cfg->register_max = 5;
	cfg->register_window = 3600;
	cfg->log_level = strdup("info");
	cfg->forward_start_delay = 0;
	cfg->forward_retry_min = 60;
	cfg->forward_retry_max = 3600;
	cfg->forward_give_up = 86400;
	cfg->forward_connect_timeout = 10;
	cfg->forward_timeout = 30;
	cfg->mail_smtp_url = strdup("smtp://127.0.0.1:25");
	cfg->mail_from = strdup("");
	cfg->mail_username = strdup("");
	cfg->mail_password = strdup("");
	cfg->mail_starttls = false;
	cfg->mail_timeout = 30;
}

nsupd_err config_load_string(nsupd_config *cfg, const char *text, const char *name,
			     char *errbuf, size_t errsize)
{
	if (text == NULL)
		text = "";
	return parse_text(cfg, text, strlen(text), name != NULL ? name : "(config)", errbuf,
			  errsize);
}

nsupd_err config_load_file(nsupd_config *cfg, const char *path, char *errbuf, size_t errsize)
{
	if (errsize > 0)
		errbuf[0] = '\0';
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(errbuf, errsize, "%s: cannot open: %s", path, strerror(errno));
		config_free(cfg);
		return NSUPD_ERR_IO;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	nsupd_err err = NSUPD_OK;
	for (;;) {
		if (len == cap) {
			if (cap >= CONFIG_MAX_FILE) {
				snprintf(errbuf, errsize, "%s: larger than %d bytes", path,
					 CONFIG_MAX_FILE);
				err = NSUPD_ERR_CONFIG;
				break;
			}
			size_t ncap = cap ? cap * 2 : 4096;
			char *p = realloc(buf, ncap + 1);
			if (p == NULL) {
				snprintf(errbuf, errsize, "%s: out of memory", path);
				err = NSUPD_ERR_NOMEM;
				break;
			}
			buf = p;
			cap = ncap;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f)) {
				snprintf(errbuf, errsize, "%s: read error: %s", path, strerror(errno));
				err = NSUPD_ERR_IO;
			}
			break;
		}
	}
	fclose(f);
	if (err != NSUPD_OK) {
		free(buf);
		config_free(cfg);
		return err;
	}
	if (buf == NULL) {
		buf = malloc(1);
		if (buf == NULL) {
			snprintf(errbuf, errsize, "%s: out of memory", path);
			config_free(cfg);
			return NSUPD_ERR_NOMEM;
		}
	}
	buf[len] = '\0';
	err = parse_text(cfg, buf, len, path, errbuf, errsize);
	free(buf);
	return err;
}

void config_free(nsupd_config *cfg)
{
	if (cfg == NULL)
		return;
	if (cfg->magic_ == CONFIG_MAGIC) {
		free(cfg->trusted_proxies);
		free(cfg->tls_certificate);
		free(cfg->tls_key);
		free(cfg->database_url);
		free(cfg->site_name);
		free(cfg->base_domain);
		free(cfg->www_host);
		free(cfg->www_ipv4_host);
		free(cfg->www_ipv6_host);
		free(cfg->secret_key);
		free(cfg->email_check_resolver);
		free_strings(cfg->email_blacklist, cfg->n_email_blacklist);
		free_strings(cfg->bad_agents, cfg->n_bad_agents);
		free_strings(cfg->bad_hosts, cfg->n_bad_hosts);
		free(cfg->bad_ips);
		free(cfg->log_level);
		free(cfg->web_templates);
		free(cfg->web_override_templates);
		free(cfg->web_custom_pages);
		free(cfg->web_static);
		free(cfg->web_locale);
		free(cfg->mail_smtp_url);
		free(cfg->mail_from);
		free(cfg->mail_username);
		free(cfg->mail_password);
		for (size_t i = 0; i < cfg->n_oauth; i++)
			oauth_free(&cfg->oauth[i]);
	}
	memset(cfg, 0, sizeof(*cfg));
}

static bool parse_port(const char *s, uint16_t *port)
{
	size_t n = strlen(s);
	if (n == 0 || n > 5)
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

bool config_url_ok(const char *url)
{
	if (url == NULL)
		return false;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	if (strncmp(url, "https://", 8) == 0)
		return url[8] != '\0' && url[8] != '/';
	if (strncmp(url, "http://", 7) != 0)
		return false;
	/* The authority ends at the path; user info is not allowed. */
	const char *h = url + 7;
	size_t n = strcspn(h, "/?#");
	char host[300];
	if (n == 0 || n >= sizeof(host) || memchr(h, '@', n) != NULL)
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strncmp(host, "localhost", 9) == 0 && (host[9] == '\0' || host[9] == ':'))
		return true;
	char addr[IP_STRLEN];
	uint16_t port;
	if (!config_parse_hostport(host, 80, addr, sizeof(addr), &port))
		return false;
	ip_addr a;
	if (!ip_parse(addr, &a))
		return false;
	if (a.family == 6)
		return strcmp(addr, "::1") == 0;
	return strncmp(addr, "127.", 4) == 0;
}

bool config_parse_hostport(const char *text, uint16_t def_port, char *host, size_t hostsize,
			   uint16_t *port)
{
	if (text == NULL || host == NULL || port == NULL)
		return false;
	const char *start = text;
	const char *port_text = NULL;
	size_t alen;
	bool bracketed = text[0] == '[';
	if (bracketed) {
		const char *close = strchr(text, ']');
		if (close == NULL)
			return false;
		start = text + 1;
		alen = (size_t)(close - start);
		if (close[1] == ':')
			port_text = close + 2;
		else if (close[1] != '\0')
			return false;
	} else {
		const char *colon = strchr(text, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			/* Exactly one colon: IPv4 with a port. */
			alen = (size_t)(colon - text);
			port_text = colon + 1;
		} else {
			/* None, or a bare IPv6 address, which cannot carry
			 * a port without brackets. */
			alen = strlen(text);
		}
	}
	char addr[IP_STRLEN];
	if (alen == 0 || alen >= sizeof(addr))
		return false;
	memcpy(addr, start, alen);
	addr[alen] = '\0';
	ip_addr a;
	if (!ip_parse(addr, &a))
		return false;
	/* Brackets are for IPv6 only: "[192.0.2.1]:80" is a typo. */
	if (bracketed && a.family != 6)
		return false;
	uint16_t p = def_port;
	if (port_text != NULL) {
		if (!parse_port(port_text, &p))
			return false;
	} else if (def_port == 0) {
		return false;
	}
	char canon[IP_STRLEN];
	ip_format(&a, canon);
	if (str_copy(host, canon, hostsize) >= hostsize)
		return false;
	*port = p;
	return true;
}
