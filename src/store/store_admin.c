/* What the administration pages need from the database: one listing with
 * search, filters, sorting and paging for every kind of object, reading one
 * row, changing whitelisted columns, deleting, and the audit log. The SQL
 * is the same on SQLite and PostgreSQL and runs through the backend's
 * generic exec (store_backend.h), with the conventions of store_fwd.c.
 *
 * Statements are put together from the fixed fragments of the tables
 * below only: what comes from a request (search text, dates, page) is
 * always a parameter, and a sort key or column name that is not in a
 * kind's table is refused, so no request text ever becomes SQL.
 *
 * Paging is LIMIT/OFFSET over indexed orderings (ids, names, creation
 * times; migration 7 adds the indexes), with the row id as the last sort
 * key so that pages never overlap or skip rows of equal keys. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_backend.h"
#include "store/store_rows.h"
#include "util/strutil.h"

#define SQL_MAX 6144

struct adm_sort {
	const char *key;           /* what the request names */
	const char *expr;          /* the ORDER BY expression */
};

struct adm_filter {
	unsigned bit;
	const char *cond;
};

struct adm_col {
	const char *table;         /* the kind's table */
	const char *column;
	char type;                 /* 's' text, 'i' integer, 'b' flag, 'n' nullable integer */
	bool touch;                /* the table has last_update */
};

struct adm_kind {
	const char *select;        /* "SELECT cols FROM ... " */
	const char *from;          /* the FROM part */
	const char *join;          /* join conditions for from's CROSS JOINs, or NULL */
	const char *count_from;    /* enough to count without a search, or NULL = from */
	const char *const *names;  /* names of the selected columns */
	const char *types;         /* one letter per column, see store_admin_row */
	const char *id_expr;       /* "h.id" */
	const char *search;        /* condition with $1 = the LIKE pattern */
	const char *created;       /* creation time column, for the period filter */
	const char *owner;         /* owner id column, or NULL */
	const char *domain;        /* domain id column, or NULL */
	const char *host;          /* host id column, or NULL */
	const char *service;       /* service id column, or NULL */
	const struct adm_filter *filters;
	const struct adm_sort *sorts;  /* the first is the default */
	bool default_desc;
	const struct adm_col *cols;    /* changeable columns */
};

/* ---- users ---- */

static const char *const user_names[] = {
	"id", "username", "email", "first_name", "last_name", "language", "staff", "active",
	"created", "last_login", "hosts", "domains", NULL,
};
static const struct adm_filter user_filters[] = {
	{ STORE_ADM_F_STAFF, "u.staff" },
	{ STORE_ADM_F_INACTIVE, "NOT u.active" },
	{ STORE_ADM_F_ACTIVE, "u.active" },
	{ 0, NULL },
};
static const struct adm_sort user_sorts[] = {
	{ "id", "u.id" }, { "username", "u.username" }, { "email", "u.email" },
	{ "created", "u.created" }, { "last_login", "u.last_login" }, { NULL, NULL },
};
static const struct adm_col user_cols[] = {
	{ "users", "email", 's', false }, { "users", "first_name", 's', false },
	{ "users", "last_name", 's', false }, { "users", "language", 's', false },
	{ "users", "staff", 'b', false }, { "users", "active", 'b', false },
	{ NULL, NULL, 0, false },
};

/* ---- hosts ---- */

static const char *const host_names[] = {
	"id", "name", "domain", "fqdn", "owner", "comment", "available", "abuse",
	"abuse_blocked", "netmask_ipv4", "netmask_ipv6", "client_faults", "server_faults",
	"api_auth_faults", "client_result_msg", "server_result_msg", "api_auth_result_msg",
	"last_update_ipv4", "last_update_ipv6", "tls_update_ipv4", "tls_update_ipv6",
	"staleness", "created", "domain_id", "owner_id", "related", "forwards", NULL,
};
static const struct adm_filter host_filters[] = {
	{ STORE_ADM_F_ABUSE, "h.abuse" },
	{ STORE_ADM_F_ABUSE_BLOCKED, "h.abuse_blocked" },
	{ STORE_ADM_F_UNAVAILABLE, "NOT h.available" },
	{ STORE_ADM_F_AVAILABLE, "h.available" },
	{ STORE_ADM_F_STALE, "h.staleness > 0" },
	{ STORE_ADM_F_FAULTS, "(h.client_faults > 0 OR h.server_faults > 0 OR "
			      "h.api_auth_faults > 0)" },
	{ 0, NULL },
};
static const struct adm_sort host_sorts[] = {
	{ "id", "h.id" }, { "name", "h.name" }, { "domain", "d.name" }, { "owner", "u.username" },
	{ "created", "h.created" }, { "client_faults", "h.client_faults" },
	{ "server_faults", "h.server_faults" }, { "api_auth_faults", "h.api_auth_faults" },
	{ "last_update_ipv4", "h.last_update_ipv4" }, { "last_update_ipv6", "h.last_update_ipv6" },
	{ "staleness", "h.staleness" }, { NULL, NULL },
};
static const struct adm_col host_cols[] = {
	{ "hosts", "comment", 's', true }, { "hosts", "available", 'b', true },
	{ "hosts", "abuse", 'b', true }, { "hosts", "abuse_blocked", 'b', true },
	{ "hosts", "netmask_ipv4", 'i', true }, { "hosts", "netmask_ipv6", 'i', true },
	{ "hosts", "client_faults", 'i', true }, { "hosts", "server_faults", 'i', true },
	{ "hosts", "api_auth_faults", 'i', true }, { "hosts", "staleness", 'i', true },
	{ NULL, NULL, 0, false },
};

/* ---- domains ---- */

static const char *const domain_names[] = {
	"id", "name", "nameserver", "nameserver2", "algorithm", "public", "available",
	"backoff_until", "comment", "owner", "created", "hosts", "owner_id", "has_secret", NULL,
};
static const struct adm_filter domain_filters[] = {
	{ STORE_ADM_F_PUBLIC, "dm.public" },
	{ STORE_ADM_F_UNAVAILABLE, "NOT dm.available" },
	{ STORE_ADM_F_AVAILABLE, "dm.available" },
	{ 0, NULL },
};
static const struct adm_sort domain_sorts[] = {
	{ "name", "dm.name" }, { "id", "dm.id" }, { "owner", "u.username" },
	{ "created", "dm.created" }, { NULL, NULL },
};
static const struct adm_col domain_cols[] = {
	{ "domains", "nameserver", 's', true }, { "domains", "nameserver2", 's', true },
	{ "domains", "algorithm", 's', true }, { "domains", "secret", 's', true },
	{ "domains", "comment", 's', true }, { "domains", "public", 'b', true },
	{ "domains", "available", 'b', true }, { "domains", "backoff_until", 'n', true },
	{ NULL, NULL, 0, false },
};

/* ---- related hosts ---- */

static const char *const related_names[] = {
	"id", "name", "fqdn", "main_host", "comment", "interface_id_ipv4", "interface_id_ipv6",
	"available", "created", "main_host_id", "owner", NULL,
};
static const struct adm_filter related_filters[] = {
	{ STORE_ADM_F_UNAVAILABLE, "NOT r.available" },
	{ STORE_ADM_F_AVAILABLE, "r.available" },
	{ 0, NULL },
};
static const struct adm_sort related_sorts[] = {
	{ "id", "r.id" }, { "name", "r.name" }, { "main_host", "h.name" },
	{ "created", "r.created" }, { NULL, NULL },
};
static const struct adm_col related_cols[] = {
	{ "related_hosts", "comment", 's', true },
	{ "related_hosts", "interface_id_ipv4", 's', true },
	{ "related_hosts", "interface_id_ipv6", 's', true },
	{ "related_hosts", "available", 'b', true },
	{ NULL, NULL, 0, false },
};

/* ---- services ---- */

static const char *const service_names[] = {
	"id", "name", "server", "path", "secure", "accept_ipv4", "accept_ipv6", "comment",
	"owner", "created", "configs", NULL,
};
static const struct adm_sort service_sorts[] = {
	{ "name", "s.name" }, { "id", "s.id" }, { "server", "s.server" },
	{ "created", "s.created" }, { NULL, NULL },
};
static const struct adm_col service_cols[] = {
	{ "service_updaters", "name", 's', true }, { "service_updaters", "comment", 's', true },
	{ "service_updaters", "server", 's', true }, { "service_updaters", "path", 's', true },
	{ "service_updaters", "secure", 'b', true },
	{ "service_updaters", "accept_ipv4", 'b', true },
	{ "service_updaters", "accept_ipv6", 'b', true },
	{ NULL, NULL, 0, false },
};

/* ---- per-host service configurations ---- */

static const char *const forward_names[] = {
	"id", "service", "host", "hostname", "login", "give_ipv4", "give_ipv6", "comment",
	"last_state", "last_result", "last_forward", "owner", "created", "host_id",
	"service_id", NULL,
};
static const struct adm_sort forward_sorts[] = {
	{ "id", "c.id" }, { "service", "s.name" }, { "host", "h.name" },
	{ "created", "c.created" }, { "last_forward", "c.last_forward" }, { NULL, NULL },
};
static const struct adm_col forward_cols[] = {
	{ "service_updater_host_configs", "hostname", 's', true },
	{ "service_updater_host_configs", "comment", 's', true },
	{ "service_updater_host_configs", "name", 's', true },
	{ "service_updater_host_configs", "password", 's', true },
	{ "service_updater_host_configs", "give_ipv4", 'b', true },
	{ "service_updater_host_configs", "give_ipv6", 'b', true },
	{ NULL, NULL, 0, false },
};

/* ---- blacklist ---- */

static const char *const blacklist_names[] = {
	"id", "name_re", "owner", "created", NULL,
};
static const struct adm_sort blacklist_sorts[] = {
	{ "name_re", "b.name_re" }, { "id", "b.id" }, { "created", "b.created" }, { NULL, NULL },
};
static const struct adm_col blacklist_cols[] = {
	{ "blacklisted_hosts", "name_re", 's', true },
	{ NULL, NULL, 0, false },
};

/* ---- audit log ---- */

static const char *const audit_names[] = {
	"id", "at", "actor", "action", "object", "before", "after", "user_id", NULL,
};
static const struct adm_sort audit_sorts[] = {
	{ "at", "a.at" }, { "id", "a.id" }, { "actor", "a.actor" }, { "action", "a.action" },
	{ NULL, NULL },
};
static const struct adm_col audit_cols[] = {
	{ NULL, NULL, 0, false },
};

static const struct adm_filter no_filters[] = { { 0, NULL } };

/* LIKE patterns get $1 (the search text, lowercased, with % _ \ escaped);
 * host and domain names are stored lowercase, so only the free-text
 * columns need LOWER(). */
#define LIKE(x) x " LIKE $1 ESCAPE '\\'"

static const struct adm_kind kinds[STORE_ADM_KINDS] = {
	[STORE_ADM_USER] = {
		.select = "SELECT u.id, u.username, u.email, u.first_name, u.last_name, u.language, "
			  "u.staff, u.active, u.created, u.last_login, "
			  "(SELECT COUNT(*) FROM hosts hh WHERE hh.owner_id = u.id), "
			  "(SELECT COUNT(*) FROM domains dd WHERE dd.owner_id = u.id) ",
		.from = "FROM users u ",
		.count_from = "FROM users u ",
		.names = user_names, .types = "isssssbbttii",
		.id_expr = "u.id",
		.search = "(" LIKE("LOWER(u.username)") " OR " LIKE("LOWER(u.email)") " OR "
			  LIKE("LOWER(u.first_name)") " OR " LIKE("LOWER(u.last_name)") ")",
		.created = "u.created", .owner = "u.id",
		.filters = user_filters, .sorts = user_sorts, .default_desc = false,
		.cols = user_cols,
	},
	[STORE_ADM_HOST] = {
		.select = "SELECT h.id, h.name, d.name, h.name || '.' || d.name, u.username, "
			  "h.comment, h.available, h.abuse, h.abuse_blocked, h.netmask_ipv4, "
			  "h.netmask_ipv6, h.client_faults, h.server_faults, h.api_auth_faults, "
			  "h.client_result_msg, h.server_result_msg, h.api_auth_result_msg, "
			  "h.last_update_ipv4, h.last_update_ipv6, h.tls_update_ipv4, "
			  "h.tls_update_ipv6, h.staleness, h.created, h.domain_id, h.owner_id, "
			  "(SELECT COUNT(*) FROM related_hosts rr WHERE rr.main_host_id = h.id), "
			  "(SELECT COUNT(*) FROM service_updater_host_configs cc "
			  "WHERE cc.host_id = h.id) ",
		/* CROSS JOIN keeps hosts the outer loop on SQLite (PostgreSQL plans
		 * it like any inner join): a search scans the hosts once instead
		 * of once per user, and a sort by name walks hosts_name. */
		.from = "FROM hosts h CROSS JOIN domains d CROSS JOIN users u ",
		.join = "d.id = h.domain_id AND u.id = h.owner_id",
		.count_from = "FROM hosts h ",
		.names = host_names, .types = "isssssbbbiiiiisssttbbitiiii",
		.id_expr = "h.id",
		/* The owner part is a subquery evaluated once, not a LOWER() per
		 * host row. */
		.search = "(" LIKE("(h.name || '.' || d.name)") " OR h.owner_id IN (SELECT uu.id "
			  "FROM users uu WHERE " LIKE("LOWER(uu.username)") ") OR "
			  LIKE("LOWER(h.comment)") ")",
		.created = "h.created", .owner = "h.owner_id", .domain = "h.domain_id",
		.host = "h.id",
		.filters = host_filters, .sorts = host_sorts, .default_desc = true,
		.cols = host_cols,
	},
	[STORE_ADM_DOMAIN] = {
		.select = "SELECT dm.id, dm.name, dm.nameserver, dm.nameserver2, dm.algorithm, "
			  "dm.public, dm.available, dm.backoff_until, dm.comment, u.username, "
			  "dm.created, (SELECT COUNT(*) FROM hosts hh WHERE hh.domain_id = dm.id), "
			  "dm.owner_id, CASE WHEN dm.secret = '' THEN 0 ELSE 1 END ",
		.from = "FROM domains dm JOIN users u ON u.id = dm.owner_id ",
		.count_from = "FROM domains dm ",
		.names = domain_names, .types = "issssbbtsstiib",
		.id_expr = "dm.id",
		.search = "(" LIKE("dm.name") " OR " LIKE("LOWER(u.username)") " OR "
			  LIKE("LOWER(dm.comment)") " OR " LIKE("dm.nameserver") ")",
		.created = "dm.created", .owner = "dm.owner_id", .domain = "dm.id",
		.filters = domain_filters, .sorts = domain_sorts, .default_desc = false,
		.cols = domain_cols,
	},
	[STORE_ADM_RELATED] = {
		.select = "SELECT r.id, r.name, r.name || '.' || h.name || '.' || d.name, "
			  "h.name || '.' || d.name, r.comment, r.interface_id_ipv4, "
			  "r.interface_id_ipv6, r.available, r.created, r.main_host_id, u.username ",
		.from = "FROM related_hosts r JOIN hosts h ON h.id = r.main_host_id "
			"JOIN domains d ON d.id = h.domain_id JOIN users u ON u.id = h.owner_id ",
		.names = related_names, .types = "issssssbtis",
		.id_expr = "r.id",
		.search = "(" LIKE("(r.name || '.' || h.name || '.' || d.name)") " OR "
			  LIKE("LOWER(u.username)") " OR " LIKE("LOWER(r.comment)") ")",
		.created = "r.created", .owner = "h.owner_id", .domain = "h.domain_id",
		.host = "r.main_host_id",
		.filters = related_filters, .sorts = related_sorts, .default_desc = false,
		.cols = related_cols,
	},
	[STORE_ADM_SERVICE] = {
		.select = "SELECT s.id, s.name, s.server, s.path, s.secure, s.accept_ipv4, "
			  "s.accept_ipv6, s.comment, u.username, s.created, "
			  "(SELECT COUNT(*) FROM service_updater_host_configs cc "
			  "WHERE cc.service_id = s.id) ",
		.from = "FROM service_updaters s JOIN users u ON u.id = s.owner_id ",
		.count_from = "FROM service_updaters s ",
		.names = service_names, .types = "isssbbbssti",
		.id_expr = "s.id",
		.search = "(" LIKE("LOWER(s.name)") " OR " LIKE("LOWER(s.server)") " OR "
			  LIKE("LOWER(s.comment)") ")",
		.created = "s.created", .owner = "s.owner_id", .service = "s.id",
		.filters = no_filters, .sorts = service_sorts, .default_desc = false,
		.cols = service_cols,
	},
	[STORE_ADM_FORWARD] = {
		.select = "SELECT c.id, s.name, h.name || '.' || d.name, c.hostname, c.name, "
			  "c.give_ipv4, c.give_ipv6, c.comment, c.last_state, c.last_result, "
			  "c.last_forward, u.username, c.created, c.host_id, c.service_id ",
		.from = "FROM service_updater_host_configs c "
			"JOIN service_updaters s ON s.id = c.service_id "
			"JOIN hosts h ON h.id = c.host_id JOIN domains d ON d.id = h.domain_id "
			"JOIN users u ON u.id = c.owner_id ",
		.names = forward_names, .types = "issssbbssstsiii",
		.id_expr = "c.id",
		.search = "(" LIKE("(h.name || '.' || d.name)") " OR " LIKE("LOWER(s.name)") " OR "
			  LIKE("LOWER(COALESCE(c.hostname, ''))") " OR " LIKE("LOWER(u.username)")
			  ")",
		.created = "c.created", .owner = "c.owner_id", .domain = "h.domain_id",
		.host = "c.host_id", .service = "c.service_id",
		.filters = no_filters, .sorts = forward_sorts, .default_desc = false,
		.cols = forward_cols,
	},
	[STORE_ADM_BLACKLIST] = {
		.select = "SELECT b.id, b.name_re, u.username, b.created ",
		.from = "FROM blacklisted_hosts b JOIN users u ON u.id = b.owner_id ",
		.count_from = "FROM blacklisted_hosts b ",
		.names = blacklist_names, .types = "isst",
		.id_expr = "b.id",
		.search = "(" LIKE("LOWER(b.name_re)") " OR " LIKE("LOWER(u.username)") ")",
		.created = "b.created", .owner = "b.owner_id",
		.filters = no_filters, .sorts = blacklist_sorts, .default_desc = false,
		.cols = blacklist_cols,
	},
	[STORE_ADM_AUDIT] = {
		.select = "SELECT a.id, a.at, a.actor, a.action, a.object, a.before_data, "
			  "a.after_data, a.user_id ",
		.from = "FROM audit_log a ",
		.names = audit_names, .types = "itsssssi",
		.id_expr = "a.id",
		.search = "(" LIKE("LOWER(a.actor)") " OR " LIKE("LOWER(a.action)") " OR "
			  LIKE("LOWER(a.object)") ")",
		.created = "a.at", .owner = "a.user_id",
		.filters = no_filters, .sorts = audit_sorts, .default_desc = true,
		.cols = audit_cols,
	},
};

static const struct adm_kind *kind_of(store_admin_kind k)
{
	return (int)k >= 0 && k < STORE_ADM_KINDS ? &kinds[k] : NULL;
}

int store_admin_columns(store_admin_kind kind, const char *const **names, const char **types)
{
	const struct adm_kind *k = kind_of(kind);
	if (k == NULL)
		return 0;
	int n = 0;
	while (k->names[n] != NULL)
		n++;
	if (names != NULL)
		*names = k->names;
	if (types != NULL)
		*types = k->types;
	return n;
}

bool store_admin_sortable(store_admin_kind kind, const char *key)
{
	const struct adm_kind *k = kind_of(kind);
	if (k == NULL || key == NULL)
		return false;
	for (const struct adm_sort *s = k->sorts; s->key != NULL; s++)
		if (strcmp(s->key, key) == 0)
			return true;
	return false;
}

const char *store_admin_default_sort(store_admin_kind kind, bool *desc)
{
	const struct adm_kind *k = kind_of(kind);
	if (k == NULL)
		return NULL;
	if (desc != NULL)
		*desc = k->default_desc;
	return k->sorts[0].key;
}

/* ---- rows ---- */

struct row_ctx {
	const struct adm_kind *k;
	store_admin_row_cb cb;
	void *ctx;
	int64_t count;
	int64_t rows;
	bool got;
};

static bool on_row(const store_row *r, void *vctx)
{
	struct row_ctx *c = vctx;
	store_admin_row out;
	memset(&out, 0, sizeof(out));
	out.names = c->k->names;
	out.types = c->k->types;
	out.ncols = r->ncols < STORE_ADM_COLS_MAX ? r->ncols : STORE_ADM_COLS_MAX;
	for (int i = 0; i < out.ncols; i++) {
		const char *v = r->col[i];
		/* SQLite says 0/1, PostgreSQL t/f: callers see 0/1. */
		if (v != NULL && c->k->types[i] == 'b')
			v = (v[0] == 't' || v[0] == '1') ? "1" : "0";
		out.col[i] = v;
	}
	c->got = true;
	c->rows++;
	return c->cb(&out, c->ctx);
}

static bool on_count(const store_row *r, void *vctx)
{
	struct row_ctx *c = vctx;
	c->count = r->ncols > 0 && r->col[0] != NULL ? strtoll(r->col[0], NULL, 10) : 0;
	return false;
}

/* Appends to buf; false when it does not fit (never silently cut SQL). */
static bool cat(char *buf, size_t size, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (*len + n >= size)
		return false;
	memcpy(buf + *len, s, n + 1);
	*len += n;
	return true;
}

/* The search text as a LIKE pattern: lowercase ASCII, the wildcard
 * characters and the escape character taken literally. */
static void like_pattern(const char *text, char *out, size_t size)
{
	size_t k = 0;
	if (size < 3) {
		out[0] = '\0';
		return;
	}
	out[k++] = '%';
	for (const char *p = text; *p && k + 3 < size; p++) {
		char ch = *p;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch == '%' || ch == '_' || ch == '\\')
			out[k++] = '\\';
		out[k++] = ch;
	}
	out[k++] = '%';
	out[k] = '\0';
}

nsupd_err store_admin_list(store *s, const store_admin_query *q, int64_t *total,
			   store_admin_row_cb cb, void *ctx)
{
	const struct adm_kind *k = q != NULL ? kind_of(q->kind) : NULL;
	if (s == NULL || k == NULL || cb == NULL || q->limit <= 0 || q->limit > 1000 ||
	    q->offset < 0)
		return NSUPD_ERR_INVALID;
	const char *order = k->sorts[0].expr;
	bool desc = k->default_desc;
	if (q->sort != NULL && q->sort[0] != '\0') {
		order = NULL;
		for (const struct adm_sort *so = k->sorts; so->key != NULL; so++)
			if (strcmp(so->key, q->sort) == 0)
				order = so->expr;
		if (order == NULL)
			return NSUPD_ERR_INVALID;
		desc = q->desc;
	}

	/* The search pattern is $1 when there is a search (the kinds' search
	 * conditions name it), the other values follow. Every parameter handed
	 * over must be used: libpq cannot type an unused one. */
	bool searching = q->search != NULL && q->search[0] != '\0';
	char pattern[STORE_NAME_MAX * 2 + 3];
	like_pattern(searching ? q->search : "", pattern, sizeof(pattern));
	store_param p[STORE_SQL_PARAMS_MAX];
	int np = 0;
	if (searching)
		p[np++] = (store_param)P_TEXT(pattern);

	char where[1536] = "";
	size_t wl = 0;
	bool ok = true;
	const char *and = " WHERE ";
	char frag[160];
	/* The join conditions go into a WHERE of their own (the count without
	 * a search does not join, so it must not see them). */
	char joined[1600] = "";
	size_t jl = 0;
	if (searching) {
		ok = ok && cat(where, sizeof(where), &wl, and) &&
		     cat(where, sizeof(where), &wl, k->search);
		and = " AND ";
	}
	for (const struct adm_filter *f = k->filters; f->cond != NULL; f++) {
		if (!(q->filters & f->bit))
			continue;
		ok = ok && cat(where, sizeof(where), &wl, and) &&
		     cat(where, sizeof(where), &wl, f->cond);
		and = " AND ";
	}
	struct {
		int64_t v;
		const char *col;
		const char *op;
	} ints[] = {
		{ q->created_from, k->created, " >= " },
		{ q->created_to, k->created, " < " },
		{ q->owner_id, k->owner, " = " },
		{ q->domain_id, k->domain, " = " },
		{ q->host_id, k->host, " = " },
		{ q->service_id, k->service, " = " },
	};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		if (ints[i].v == 0)
			continue;
		if (ints[i].col == NULL)
			return NSUPD_ERR_INVALID;
		p[np] = (store_param)P_INT(ints[i].v);
		np++;
		snprintf(frag, sizeof(frag), "%s%s%s$%d", and, ints[i].col, ints[i].op, np);
		ok = ok && cat(where, sizeof(where), &wl, frag);
		and = " AND ";
	}

	if (k->join != NULL) {
		ok = ok && cat(joined, sizeof(joined), &jl, " WHERE ") &&
		     cat(joined, sizeof(joined), &jl, k->join);
		if (wl > 0)
			ok = ok && cat(joined, sizeof(joined), &jl, " AND ") &&
			     cat(joined, sizeof(joined), &jl, where + strlen(" WHERE "));
	} else {
		ok = ok && cat(joined, sizeof(joined), &jl, where);
	}

	/* Every row of the base table has its owner (and domain, host,
	 * service: NOT NULL foreign keys), so without a search the count
	 * needs no join. */
	bool plain = !searching && k->count_from != NULL;
	char count_sql[SQL_MAX] = "SELECT COUNT(*) ";
	size_t cl = strlen(count_sql);
	ok = ok && cat(count_sql, sizeof(count_sql), &cl, plain ? k->count_from : k->from) &&
	     cat(count_sql, sizeof(count_sql), &cl, plain ? where : joined);

	/* The page's ids come from a narrow inner query, the columns (joins,
	 * per-row counting subqueries) only for those: PostgreSQL computes the
	 * select list of every row an OFFSET skips, so page 2000 of 100 000
	 * hosts ran both COUNT subqueries 100 000 times. Without a search and
	 * sorted by a column of the base table, the inner query reads that
	 * table alone (the default sort by id: an index-only scan of its
	 * primary key). A deferred join, not keyset paging: any page number
	 * can still be asked for directly. The first page skips nothing and
	 * keeps the single query. */
	bool deferred = q->offset > 0;
	size_t alias = (size_t)(strchr(k->id_expr, '.') - k->id_expr) + 1;
	bool base_order = strncmp(order, k->id_expr, alias) == 0;
	bool narrow = plain && base_order;
	/* NULL times sort as the oldest on both backends. */
	bool nullable = strstr(order, "last_") != NULL || strstr(order, "backoff") != NULL;
	char order_by[200];
	snprintf(order_by, sizeof(order_by), " ORDER BY %s%s%s %s, %s %s",
		 nullable ? "COALESCE(" : "", order, nullable ? ", 0)" : "",
		 desc ? "DESC" : "ASC", k->id_expr, desc ? "DESC" : "ASC");
	p[np] = (store_param)P_INT(q->limit);
	p[np + 1] = (store_param)P_INT(q->offset);
	char list_sql[SQL_MAX];
	size_t ll = 0;
	list_sql[0] = '\0';
	ok = ok && cat(list_sql, sizeof(list_sql), &ll, k->select) &&
	     cat(list_sql, sizeof(list_sql), &ll, k->from);
	if (!deferred) {
		snprintf(frag, sizeof(frag), " LIMIT $%d OFFSET $%d", np + 1, np + 2);
		ok = ok && cat(list_sql, sizeof(list_sql), &ll, joined) &&
		     cat(list_sql, sizeof(list_sql), &ll, order_by) &&
		     cat(list_sql, sizeof(list_sql), &ll, frag);
	} else {
		/* WHERE [join AND] id IN (SELECT id FROM ... LIMIT OFFSET) ORDER BY */
		snprintf(frag, sizeof(frag), " LIMIT $%d OFFSET $%d)", np + 1, np + 2);
		ok = ok && cat(list_sql, sizeof(list_sql), &ll, " WHERE ") &&
		     (k->join == NULL || (cat(list_sql, sizeof(list_sql), &ll, k->join) &&
					  cat(list_sql, sizeof(list_sql), &ll, " AND "))) &&
		     cat(list_sql, sizeof(list_sql), &ll, k->id_expr) &&
		     cat(list_sql, sizeof(list_sql), &ll, " IN (SELECT ") &&
		     cat(list_sql, sizeof(list_sql), &ll, k->id_expr) &&
		     cat(list_sql, sizeof(list_sql), &ll, " ") &&
		     cat(list_sql, sizeof(list_sql), &ll, narrow ? k->count_from : k->from) &&
		     cat(list_sql, sizeof(list_sql), &ll, narrow ? where : joined) &&
		     cat(list_sql, sizeof(list_sql), &ll, order_by) &&
		     cat(list_sql, sizeof(list_sql), &ll, frag) &&
		     cat(list_sql, sizeof(list_sql), &ll, order_by);
	}
	if (!ok)
		return NSUPD_ERR_INVALID;

	struct row_ctx c = { .k = k, .cb = cb, .ctx = ctx };
	store_sql stmts[2] = {
		{ .sql = list_sql, .params = p, .n_params = np + 2, .on_row = on_row, .ctx = &c },
		{ .sql = count_sql, .params = p, .n_params = np, .on_row = on_count, .ctx = &c },
	};
	nsupd_err e = store_exec(s, &stmts[0], 1);
	if (e != NSUPD_OK || total == NULL)
		return e;
	/* A short page that has rows is the last one: its end is the total,
	 * and a narrow search (the usual "find this host") costs one scan of
	 * the table, not two. */
	if (c.rows > 0 && c.rows < q->limit) {
		*total = q->offset + c.rows;
		return NSUPD_OK;
	}
	if (c.rows == 0 && q->offset == 0) {
		*total = 0;
		return NSUPD_OK;
	}
	e = store_exec(s, &stmts[1], 1);
	if (e == NSUPD_OK)
		*total = c.count;
	return e;
}

nsupd_err store_admin_get(store *s, store_admin_kind kind, int64_t id, store_admin_row_cb cb,
			  void *ctx)
{
	const struct adm_kind *k = kind_of(kind);
	if (s == NULL || k == NULL || cb == NULL || id <= 0)
		return NSUPD_ERR_INVALID;
	char sql[SQL_MAX];
	int n = snprintf(sql, sizeof(sql), "%s%s WHERE %s%s%s = $1", k->select, k->from,
			 k->join != NULL ? k->join : "", k->join != NULL ? " AND " : "", k->id_expr);
	if (n < 0 || (size_t)n >= sizeof(sql))
		return NSUPD_ERR_INVALID;
	store_param p[] = { P_INT(id) };
	struct row_ctx c = { .k = k, .cb = cb, .ctx = ctx };
	store_sql q = { .sql = sql, .params = p, .n_params = 1, .on_row = on_row, .ctx = &c };
	nsupd_err e = store_exec(s, &q, 1);
	if (e == NSUPD_OK && !c.got)
		return NSUPD_ERR_NOT_FOUND;
	return e;
}

/* ---- changes ---- */

nsupd_err store_admin_update(store *s, store_admin_kind kind, int64_t id,
			     const store_admin_set *set, size_t n)
{
	const struct adm_kind *k = kind_of(kind);
	if (s == NULL || k == NULL || id <= 0 || (n > 0 && set == NULL) || n > 16)
		return NSUPD_ERR_INVALID;
	if (k->cols[0].table == NULL)
		return NSUPD_ERR_INVALID;
	const char *table = k->cols[0].table;
	bool touch = k->cols[0].touch;
	int64_t now = (int64_t)time(NULL);
	/* One statement per column, in one transaction; the first only
	 * proves the row exists, so a missing row is NOT_FOUND even when
	 * nothing else changes. */
	char sql[17][160];
	store_param params[17][3];
	store_sql q[17];
	int nq = 0;
	snprintf(sql[0], sizeof(sql[0]), "UPDATE %s SET id = id WHERE id = $1", table);
	params[0][0] = (store_param)P_INT(id);
	q[nq++] = (store_sql){ .sql = sql[0], .params = params[0], .n_params = 1 };
	for (size_t i = 0; i < n; i++) {
		const struct adm_col *col = NULL;
		for (const struct adm_col *c = k->cols; c->table != NULL; c++)
			if (strcmp(c->column, set[i].column) == 0)
				col = c;
		if (col == NULL)
			return NSUPD_ERR_INVALID;
		store_param *p = params[nq];
		p[0] = (store_param)P_INT(id);
		switch (col->type) {
		case 's':
			if (set[i].text == NULL || strlen(set[i].text) > 255)
				return NSUPD_ERR_INVALID;
			p[1] = (store_param)P_TEXT(set[i].text);
			break;
		case 'b':
			p[1] = (store_param)P_BOOL(set[i].value != 0);
			break;
		case 'i':
			p[1] = (store_param)P_INT(set[i].value);
			break;
		case 'n':
			if (set[i].value == 0)
				p[1] = (store_param)P_NULL;
			else
				p[1] = (store_param)P_INT(set[i].value);
			break;
		default:
			return NSUPD_ERR_INVALID;
		}
		p[2] = (store_param)P_INT(now);
		if (col->type == 'n' && set[i].value == 0)
			snprintf(sql[nq], sizeof(sql[nq]), "UPDATE %s SET %s = NULL%s WHERE id = $1",
				 table, col->column, touch ? ", last_update = $2" : "");
		else
			snprintf(sql[nq], sizeof(sql[nq]), "UPDATE %s SET %s = $2%s WHERE id = $1",
				 table, col->column, touch ? ", last_update = $3" : "");
		if (col->type == 'n' && set[i].value == 0) {
			p[1] = p[2];
			q[nq] = (store_sql){ .sql = sql[nq], .params = p, .n_params = touch ? 2 : 1 };
		} else {
			q[nq] = (store_sql){ .sql = sql[nq], .params = p, .n_params = touch ? 3 : 2 };
		}
		nq++;
	}
	nsupd_err e = store_exec(s, q, nq);
	if (e == NSUPD_OK && q[0].changes == 0)
		return NSUPD_ERR_NOT_FOUND;
	return e;
}

nsupd_err store_admin_delete(store *s, store_admin_kind kind, int64_t id)
{
	static const char *const del[STORE_ADM_KINDS] = {
		[STORE_ADM_USER] = "DELETE FROM users WHERE id = $1",
		[STORE_ADM_HOST] = "DELETE FROM hosts WHERE id = $1",
		[STORE_ADM_DOMAIN] = "DELETE FROM domains WHERE id = $1",
		[STORE_ADM_RELATED] = "DELETE FROM related_hosts WHERE id = $1",
		[STORE_ADM_SERVICE] = "DELETE FROM service_updaters WHERE id = $1",
		[STORE_ADM_FORWARD] = "DELETE FROM service_updater_host_configs WHERE id = $1",
		[STORE_ADM_BLACKLIST] = "DELETE FROM blacklisted_hosts WHERE id = $1",
	};
	if (s == NULL || (int)kind < 0 || kind >= STORE_ADM_KINDS || del[kind] == NULL || id <= 0)
		return NSUPD_ERR_INVALID;
	if (kind == STORE_ADM_USER)
		return store_user_delete(s, id);
	if (kind == STORE_ADM_HOST)
		return store_host_delete(s, id);
	if (kind == STORE_ADM_DOMAIN)
		return store_domain_delete(s, id);
	store_param p[] = { P_INT(id) };
	store_sql q = { .sql = del[kind], .params = p, .n_params = 1 };
	nsupd_err e = store_exec(s, &q, 1);
	if (e == NSUPD_OK && q.changes == 0)
		return NSUPD_ERR_NOT_FOUND;
	return e;
}

/* ---- audit log ---- */

nsupd_err store_audit_add(store *s, const store_audit *a)
{
	if (s == NULL || a == NULL || a->action == NULL || a->action[0] == '\0' ||
	    strlen(a->action) > 64)
		return NSUPD_ERR_INVALID;
	char actor[151], object[256];
	const char *ac = a->actor != NULL ? a->actor : "";
	const char *ob = a->object != NULL ? a->object : "";
	size_t n = store_utf8_cut(ac, sizeof(actor) - 1);
	memcpy(actor, ac, n);
	actor[n] = '\0';
	n = store_utf8_cut(ob, sizeof(object) - 1);
	memcpy(object, ob, n);
	object[n] = '\0';
	store_param p[] = {
		P_INT(a->at != 0 ? a->at : (int64_t)time(NULL)),
		P_NULL,
		P_TEXT(actor),
		P_TEXT(a->action),
		P_TEXT(object),
		P_NULL,
		P_NULL,
	};
	if (a->user_id > 0)
		p[1] = (store_param)P_INT(a->user_id);
	if (a->before != NULL)
		p[5] = (store_param)P_TEXT(a->before);
	if (a->after != NULL)
		p[6] = (store_param)P_TEXT(a->after);
	/* The user id is CAST: PostgreSQL cannot infer a NULL parameter's
	 * type from VALUES alone. */
	store_sql q = { .sql = "INSERT INTO audit_log (at, user_id, actor, action, object, "
			       "before_data, after_data) VALUES ($1, CAST($2 AS BIGINT), $3, $4, "
			       "$5, CAST($6 AS TEXT), CAST($7 AS TEXT))",
			.params = p, .n_params = 7 };
	return store_exec(s, &q, 1);
}
