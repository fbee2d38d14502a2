/* Copying a whole installation from one database to another (`nsupd
 * migrate-db`), typically from SQLite to PostgreSQL when an operator
 * outgrows one machine; any direction works.
 *
 * The copy goes below the application-level calls on purpose: it must keep
 * every column of every table (ids included, so foreign keys stay valid),
 * also the ones no store_* call reads yet. Columns are taken from the
 * source's rows, so a later migration that adds a column needs no change
 * here; a new table must be added to copy_tables (an unknown table makes
 * the copy refuse rather than silently leave it behind).
 *
 * Safety: the source is read in one snapshot, the target is written in one
 * transaction that first checks that the target is empty, and the row
 * counts of source, copy and target are compared before it commits. */
#include "store/store_backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#ifdef NSUPD_HAVE_PG
#include <libpq-fe.h>
#endif

#include "util/strutil.h"

/* Parents before children, so foreign keys hold after every row. */
static const char *const copy_tables[] = {
	"users", "domains", "hosts", "related_hosts", "service_updaters",
	"service_updater_host_configs", "blacklisted_hosts", "forward_queue", "audit_log",
	"mail_queue", "account_tokens", "remote_identities", "user_totp",
	"totp_recovery_codes",
};
#define N_COPY ((int)(sizeof(copy_tables) / sizeof(copy_tables[0])))
/* Not copied: sessions (everybody logs in again on the new database),
 * rate_events and detectip_tokens (short-lived) and schema_version (the
 * target's own migrations wrote it). */
static const char *const skipped_tables[] = { "sessions", "schema_version", "rate_events",
	"detectip_tokens" };
#define N_SKIPPED ((int)(sizeof(skipped_tables) / sizeof(skipped_tables[0])))
#define MAX_COLS 64
/* pg_advisory_xact_lock key of a copy into PostgreSQL: "nsuc". Two copies
 * into one database at once: the second waits, then finds it not empty. */
#define COPY_LOCK_KEY "1853060451"

_Static_assert(N_COPY <= STORE_COPY_TABLES_MAX, "report too small");

enum kind { K_SQLITE, K_PG };

/* A plain connection, outside the pools: the copy needs one transaction
 * on each side for its whole length. */
struct raw {
	enum kind kind;
	const char *role;          /* "source" or "target", for messages */
	sqlite3 *sq;
#ifdef NSUPD_HAVE_PG
	PGconn *pg;
#endif
};

struct copy {
	struct raw src, dst;
	char *errbuf;
	size_t errsize;
	/* The PostgreSQL COPY line being built; owned here, grown on demand. */
	char *line;
	size_t line_cap;
};

static void set_err(struct copy *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(struct copy *c, const char *fmt, ...)
{
	if (c->errbuf == NULL || c->errsize == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->errbuf, c->errsize, fmt, ap);
	va_end(ap);
}

/* ---- connections ---- */

static nsupd_err raw_open(struct copy *c, struct raw *r, const char *url, bool read_only)
{
	if (strncmp(url, "sqlite:", 7) == 0) {
		/* The same forms as store_open: sqlite:PATH, sqlite://PATH,
		 * sqlite:///abs. */
		const char *path = url + 7;
		if (strncmp(path, "//", 2) == 0)
			path += 2;
		if (strcmp(path, ":memory:") == 0) {
			set_err(c, "a memory database cannot be copied");
			return NSUPD_ERR_INVALID;
		}
		r->kind = K_SQLITE;
		int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
		if (sqlite3_open_v2(path, &r->sq, flags, NULL) != SQLITE_OK) {
			set_err(c, "cannot open the %s database: %s", r->role,
				r->sq != NULL ? sqlite3_errmsg(r->sq) : "out of memory");
			return NSUPD_ERR_DB;
		}
		sqlite3_busy_timeout(r->sq, 5000);
		if (sqlite3_exec(r->sq, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK) {
			set_err(c, "cannot set up the %s database: %s", r->role,
				sqlite3_errmsg(r->sq));
			return NSUPD_ERR_DB;
		}
		return NSUPD_OK;
	}
#ifdef NSUPD_HAVE_PG
	r->kind = K_PG;
	const char *const keys[] = {
		"connect_timeout", "fallback_application_name", "dbname", "client_encoding", NULL
	};
	const char *const values[] = { "10", "nsupd-migrate-db", url, "UTF8", NULL };
	r->pg = PQconnectdbParams(keys, values, 1);
	if (r->pg == NULL || PQstatus(r->pg) != CONNECTION_OK) {
		/* store_open just succeeded on the same URL, so this is rare;
		 * libpq's message may quote the URL, so it is not repeated. */
		set_err(c, "cannot connect to the %s database", r->role);
		return NSUPD_ERR_DB;
	}
	PQclear(PQexec(r->pg, "SET client_min_messages = warning"));
	return NSUPD_OK;
#else
	set_err(c, "PostgreSQL support was not compiled in");
	return NSUPD_ERR_CONFIG;
#endif
}

#ifdef NSUPD_HAVE_PG
/* The server's primary message (never the DETAIL or CONTEXT lines, which
 * quote values), or dflt. */
static const char *pg_msg(const PGresult *res, const char *dflt)
{
	const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	return m != NULL ? m : dflt;
}
#endif

static void raw_close(struct raw *r)
{
	if (r->sq != NULL)
		sqlite3_close(r->sq);
	r->sq = NULL;
#ifdef NSUPD_HAVE_PG
	if (r->pg != NULL)
		PQfinish(r->pg);
	r->pg = NULL;
#endif
}

/* Runs SQL without parameters or results. */
static nsupd_err raw_exec(struct copy *c, struct raw *r, const char *sql)
{
	if (r->kind == K_SQLITE) {
		if (sqlite3_exec(r->sq, sql, NULL, NULL, NULL) == SQLITE_OK)
			return NSUPD_OK;
		set_err(c, "%s database: %s", r->role, sqlite3_errmsg(r->sq));
		return NSUPD_ERR_DB;
	}
#ifdef NSUPD_HAVE_PG
	PGresult *res = PQexec(r->pg, sql);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok) {
		set_err(c, "%s database: %s", r->role, pg_msg(res, "connection failed"));
	}
	PQclear(res);
	return ok ? NSUPD_OK : NSUPD_ERR_DB;
#else
	return NSUPD_ERR_INTERNAL;
#endif
}

/* SELECT COUNT(*) FROM table. Table names come from copy_tables only. */
static nsupd_err raw_count(struct copy *c, struct raw *r, const char *table, int64_t *n)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
	*n = -1;
	if (r->kind == K_SQLITE) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(r->sq, sql, -1, &st, NULL);
		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
			*n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (rc == SQLITE_ROW)
			return NSUPD_OK;
		set_err(c, "%s database: counting %s: %s", r->role, table, sqlite3_errmsg(r->sq));
		return NSUPD_ERR_DB;
	}
#ifdef NSUPD_HAVE_PG
	PGresult *res = PQexec(r->pg, sql);
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (ok)
		*n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else
		set_err(c, "%s database: counting %s: %s", r->role, table,
			pg_msg(res, "connection failed"));
	PQclear(res);
	return ok ? NSUPD_OK : NSUPD_ERR_DB;
#else
	return NSUPD_ERR_INTERNAL;
#endif
}

static bool known_table(const char *name)
{
	for (int i = 0; i < N_COPY; i++)
		if (strcmp(name, copy_tables[i]) == 0)
			return true;
	for (int i = 0; i < N_SKIPPED; i++)
		if (strcmp(name, skipped_tables[i]) == 0)
			return true;
	return false;
}

/* Refuses a source with a table this program would not copy. */
static nsupd_err check_tables(struct copy *c, struct raw *r)
{
	if (r->kind == K_SQLITE) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(r->sq,
			"SELECT name FROM sqlite_master WHERE type = 'table' "
			"AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", -1, &st, NULL);
		nsupd_err err = NSUPD_OK;
		while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			if (name != NULL && !known_table(name)) {
				set_err(c, "the source has a table migrate-db does not know: %s", name);
				err = NSUPD_ERR_SCHEMA;
				break;
			}
			rc = SQLITE_OK;
		}
		if (err == NSUPD_OK && rc != SQLITE_DONE) {
			set_err(c, "source database: %s", sqlite3_errmsg(r->sq));
			err = NSUPD_ERR_DB;
		}
		sqlite3_finalize(st);
		return err;
	}
#ifdef NSUPD_HAVE_PG
	PGresult *res = PQexec(r->pg,
		"SELECT tablename FROM pg_tables WHERE schemaname = current_schema()");
	nsupd_err err = NSUPD_OK;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		set_err(c, "source database: cannot list tables");
		err = NSUPD_ERR_DB;
	}
	for (int i = 0; err == NSUPD_OK && i < PQntuples(res); i++) {
		if (!known_table(PQgetvalue(res, i, 0))) {
			set_err(c, "the source has a table migrate-db does not know: %s",
				PQgetvalue(res, i, 0));
			err = NSUPD_ERR_SCHEMA;
		}
	}
	PQclear(res);
	return err;
#else
	return NSUPD_ERR_INTERNAL;
#endif
}

/* ---- the target side of one table ---- */

struct sink {
	struct copy *c;
	const char *table;
	int ncols;
	sqlite3_stmt *ins;         /* SQLite target */
	bool copy_open;            /* PostgreSQL target: COPY FROM STDIN running */
	int64_t rows;
};

/* Starts writing rows with these columns into sink->table. */
static nsupd_err sink_begin(struct sink *k, int ncols, const char *const *names)
{
	struct copy *c = k->c;
	char sql[4096];
	size_t len = (size_t)snprintf(sql, sizeof(sql), "%s %s (",
		c->dst.kind == K_SQLITE ? "INSERT INTO" : "COPY", k->table);
	for (int i = 0; i < ncols && len < sizeof(sql); i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s\"%s\"",
			i > 0 ? ", " : "", names[i]);
	if (len < sizeof(sql) && c->dst.kind == K_SQLITE) {
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ") VALUES (");
		for (int i = 0; i < ncols && len < sizeof(sql); i++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s?%d",
				i > 0 ? ", " : "", i + 1);
		if (len < sizeof(sql))
			len += (size_t)snprintf(sql + len, sizeof(sql) - len, ")");
	} else if (len < sizeof(sql)) {
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ") FROM STDIN");
	}
	if (len >= sizeof(sql)) {
		set_err(c, "table %s has too many columns", k->table);
		return NSUPD_ERR_INTERNAL;
	}
	k->ncols = ncols;
	if (c->dst.kind == K_SQLITE) {
		if (sqlite3_prepare_v2(c->dst.sq, sql, -1, &k->ins, NULL) != SQLITE_OK) {
			set_err(c, "target database: %s: %s", k->table, sqlite3_errmsg(c->dst.sq));
			return NSUPD_ERR_DB;
		}
		return NSUPD_OK;
	}
#ifdef NSUPD_HAVE_PG
	PGresult *res = PQexec(c->dst.pg, sql);
	bool ok = PQresultStatus(res) == PGRES_COPY_IN;
	if (!ok)
		set_err(c, "target database: %s: %s", k->table,
			pg_msg(res, "COPY refused"));
	PQclear(res);
	k->copy_open = ok;
	return ok ? NSUPD_OK : NSUPD_ERR_DB;
#else
	return NSUPD_ERR_INTERNAL;
#endif
}

#ifdef NSUPD_HAVE_PG
static bool line_reserve(struct copy *c, size_t need)
{
	if (need <= c->line_cap)
		return true;
	size_t cap = c->line_cap > 0 ? c->line_cap : 4096;
	while (cap < need)
		cap *= 2;
	char *p = realloc(c->line, cap);
	if (p == NULL)
		return false;
	c->line = p;
	c->line_cap = cap;
	return true;
}
#endif

/* One row; values[i] NULL = SQL NULL. */
static nsupd_err sink_row(struct sink *k, const char *const *values)
{
	struct copy *c = k->c;
	if (c->dst.kind == K_SQLITE) {
		for (int i = 0; i < k->ncols; i++) {
			if (values[i] == NULL)
				sqlite3_bind_null(k->ins, i + 1);
			else
				sqlite3_bind_text(k->ins, i + 1, values[i], -1, SQLITE_STATIC);
		}
		int rc = sqlite3_step(k->ins);
		sqlite3_reset(k->ins);
		sqlite3_clear_bindings(k->ins);
		if (rc != SQLITE_DONE) {
			set_err(c, "target database: %s: %s", k->table, sqlite3_errmsg(c->dst.sq));
			return NSUPD_ERR_DB;
		}
		k->rows++;
		return NSUPD_OK;
	}
#ifdef NSUPD_HAVE_PG
	/* COPY's text format: tab-separated, \N for NULL, and backslash,
	 * tab, newline and carriage return escaped. */
	size_t need = 1;
	for (int i = 0; i < k->ncols; i++)
		need += 3 + (values[i] != NULL ? 2 * strlen(values[i]) : 0);
	if (!line_reserve(c, need)) {
		set_err(c, "out of memory");
		return NSUPD_ERR_NOMEM;
	}
	size_t len = 0;
	for (int i = 0; i < k->ncols; i++) {
		if (i > 0)
			c->line[len++] = '\t';
		if (values[i] == NULL) {
			c->line[len++] = '\\';
			c->line[len++] = 'N';
			continue;
		}
		for (const char *p = values[i]; *p != '\0'; p++) {
			char e = *p == '\\' ? '\\' : *p == '\t' ? 't' : *p == '\n' ? 'n' :
				*p == '\r' ? 'r' : '\0';
			if (e != '\0') {
				c->line[len++] = '\\';
				c->line[len++] = e;
			} else {
				c->line[len++] = *p;
			}
		}
	}
	c->line[len++] = '\n';
	if (PQputCopyData(c->dst.pg, c->line, (int)len) != 1) {
		set_err(c, "target database: %s: connection failed", k->table);
		return NSUPD_ERR_DB;
	}
	k->rows++;
	return NSUPD_OK;
#else
	return NSUPD_ERR_INTERNAL;
#endif
}

/* Finishes the table; ok false abandons a running COPY. */
static nsupd_err sink_end(struct sink *k, bool ok)
{
	struct copy *c = k->c;
	if (k->ins != NULL)
		sqlite3_finalize(k->ins);
	k->ins = NULL;
#ifdef NSUPD_HAVE_PG
	if (!k->copy_open)
		return NSUPD_OK;
	k->copy_open = false;
	nsupd_err err = NSUPD_OK;
	if (PQputCopyEnd(c->dst.pg, ok ? NULL : "migrate-db failed") != 1) {
		set_err(c, "target database: %s: connection failed", k->table);
		err = NSUPD_ERR_DB;
	}
	/* The server checks constraints as the data arrives and reports the
	 * first failure here. Only its primary message: the context line
	 * would quote the row. */
	PGresult *res;
	while ((res = PQgetResult(c->dst.pg)) != NULL) {
		if (ok && err == NSUPD_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
			set_err(c, "target database: %s: %s", k->table,
				pg_msg(res, "COPY failed"));
			err = NSUPD_ERR_DB;
		}
		PQclear(res);
	}
	return err;
#else
	(void)c;
	(void)ok;
	return NSUPD_OK;
#endif
}

/* ---- the source side of one table ---- */

/* Reads every row of table (by id) and hands it to the sink, beginning it
 * with the source's column names. */
static nsupd_err copy_table(struct copy *c, struct sink *k)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY id", k->table);
	const char *names[MAX_COLS];
	const char *values[MAX_COLS];
	nsupd_err err = NSUPD_OK;

	if (c->src.kind == K_SQLITE) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(c->src.sq, sql, -1, &st, NULL) != SQLITE_OK) {
			set_err(c, "source database: %s: %s", k->table, sqlite3_errmsg(c->src.sq));
			return NSUPD_ERR_DB;
		}
		int ncols = sqlite3_column_count(st);
		if (ncols > MAX_COLS) {
			sqlite3_finalize(st);
			set_err(c, "table %s has too many columns", k->table);
			return NSUPD_ERR_INTERNAL;
		}
		for (int i = 0; i < ncols; i++)
			names[i] = sqlite3_column_name(st, i);
		err = sink_begin(k, ncols, names);
		int rc = SQLITE_ROW;
		while (err == NSUPD_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			for (int i = 0; i < ncols; i++)
				values[i] = sqlite3_column_type(st, i) == SQLITE_NULL ? NULL :
					(const char *)sqlite3_column_text(st, i);
			err = sink_row(k, values);
		}
		if (err == NSUPD_OK && rc != SQLITE_DONE) {
			set_err(c, "source database: %s: %s", k->table, sqlite3_errmsg(c->src.sq));
			err = NSUPD_ERR_DB;
		}
		nsupd_err end = sink_end(k, err == NSUPD_OK);
		sqlite3_finalize(st);
		return err != NSUPD_OK ? err : end;
	}
#ifdef NSUPD_HAVE_PG
	/* Row by row (single-row mode): a million hosts never sit in memory.
	 * The first row (or the empty final result) names the columns. */
	if (!PQsendQuery(c->src.pg, sql)) {
		set_err(c, "source database: %s: connection failed", k->table);
		return NSUPD_ERR_DB;
	}
	PQsetSingleRowMode(c->src.pg);
	bool begun = false;
	PGresult *res;
	while ((res = PQgetResult(c->src.pg)) != NULL) {
		ExecStatusType st = PQresultStatus(res);
		if (err == NSUPD_OK && (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK)) {
			int ncols = PQnfields(res);
			if (ncols > MAX_COLS) {
				set_err(c, "table %s has too many columns", k->table);
				err = NSUPD_ERR_INTERNAL;
			}
			if (err == NSUPD_OK && !begun) {
				for (int i = 0; i < ncols; i++)
					names[i] = PQfname(res, i);
				err = sink_begin(k, ncols, names);
				begun = true;
			}
			for (int row = 0; err == NSUPD_OK && row < PQntuples(res); row++) {
				for (int i = 0; i < ncols; i++) {
					if (PQgetisnull(res, row, i))
						values[i] = NULL;
					else if (PQftype(res, i) == 16)   /* boolean: SQLite's 0/1 */
						values[i] = PQgetvalue(res, row, i)[0] == 't' ? "1" : "0";
					else
						values[i] = PQgetvalue(res, row, i);
				}
				err = sink_row(k, values);
			}
		} else if (err == NSUPD_OK) {
			set_err(c, "source database: %s: %s", k->table,
				pg_msg(res, "query failed"));
			err = NSUPD_ERR_DB;
		}
		PQclear(res);
	}
	nsupd_err end = sink_end(k, err == NSUPD_OK);
	return err != NSUPD_OK ? err : end;
#else
	return NSUPD_ERR_INTERNAL;
#endif
}

/* ---- the whole copy ---- */

/* Opens url as a store, checks or brings its schema to this program's
 * version, and closes it again: the copy itself uses plain connections. */
static nsupd_err prepare_store(struct copy *c, const char *url, const char *role, bool migrate)
{
	store *s = NULL;
	char reason[512] = "";
	nsupd_err err = store_open(url, &s, reason, sizeof(reason));
	if (err != NSUPD_OK) {
		set_err(c, "cannot open the %s database: %s", role,
			reason[0] != '\0' ? reason : nsupd_strerror(err));
		return err;
	}
	if (migrate) {
		err = store_migrate(s);
		if (err != NSUPD_OK)
			set_err(c, "cannot migrate the %s database: %s", role, nsupd_strerror(err));
	}
	int version = 0, latest = 0;
	if (err == NSUPD_OK) {
		err = store_schema_version(s, &version, &latest);
		if (err != NSUPD_OK)
			set_err(c, "cannot read the %s schema version: %s", role,
				nsupd_strerror(err));
	}
	if (err == NSUPD_OK && version != latest) {
		set_err(c, "the %s database has schema version %d, this program %d%s", role,
			version, latest, version < latest ? " (run nsupd migrate on it first)" : "");
		err = NSUPD_ERR_SCHEMA;
	}
	store_close(s);
	return err;
}

static nsupd_err copy_all(struct copy *c, store_copy_report *report)
{
	nsupd_err err = check_tables(c, &c->src);
	if (err != NSUPD_OK)
		return err;

	/* One snapshot of the source for all tables. */
	err = raw_exec(c, &c->src, c->src.kind == K_SQLITE ? "BEGIN" :
		"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (err != NSUPD_OK)
		return err;
	/* SQLite takes its snapshot at the first read, not at BEGIN. */
	int64_t ignored;
	err = raw_count(c, &c->src, copy_tables[0], &ignored);
	if (err != NSUPD_OK)
		return err;

	err = raw_exec(c, &c->dst, c->dst.kind == K_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN");
#ifdef NSUPD_HAVE_PG
	if (err == NSUPD_OK && c->dst.kind == K_PG)
		err = raw_exec(c, &c->dst, "SELECT pg_advisory_xact_lock(" COPY_LOCK_KEY ")");
#endif
	if (err != NSUPD_OK)
		return err;

	/* Refuse anything but an empty target: a second run would otherwise
	 * clash on ids, or worse, mix two installations. */
	for (int i = 0; i <= N_COPY && err == NSUPD_OK; i++) {
		const char *table = i < N_COPY ? copy_tables[i] : "sessions";
		int64_t n = 0;
		err = raw_count(c, &c->dst, table, &n);
		if (err == NSUPD_OK && n != 0) {
			set_err(c, "the target database is not empty (%s has %lld rows): "
				"refusing to copy into it", table, (long long)n);
			err = NSUPD_ERR_EXISTS;
		}
	}

	for (int i = 0; i < N_COPY && err == NSUPD_OK; i++) {
		struct sink k = { .c = c, .table = copy_tables[i] };
		int64_t in_source = 0, in_target = 0;
		err = raw_count(c, &c->src, k.table, &in_source);
		if (err == NSUPD_OK)
			err = copy_table(c, &k);
		if (err == NSUPD_OK)
			err = raw_count(c, &c->dst, k.table, &in_target);
		if (err == NSUPD_OK && (k.rows != in_source || in_target != in_source)) {
			set_err(c, "%s: %lld rows in the source, %lld copied, %lld in the target",
				k.table, (long long)in_source, (long long)k.rows,
				(long long)in_target);
			err = NSUPD_ERR_INTERNAL;
		}
		if (err == NSUPD_OK) {
			str_copy(report->tables[i].table, k.table, sizeof(report->tables[i].table));
			report->tables[i].rows = in_target;
			report->ntables = i + 1;
		}
	}

#ifdef NSUPD_HAVE_PG
	/* Ids were copied, so the sequences behind BIGSERIAL must move past
	 * them, or the next insert would reuse id 1. */
	for (int i = 0; i < N_COPY && err == NSUPD_OK && c->dst.kind == K_PG; i++) {
		char sql[256];
		snprintf(sql, sizeof(sql),
			"SELECT setval(pg_get_serial_sequence('%s', 'id'), "
			"GREATEST(COALESCE(MAX(id), 0), 1), MAX(id) IS NOT NULL) FROM %s",
			copy_tables[i], copy_tables[i]);
		err = raw_exec(c, &c->dst, sql);
	}
#endif

	if (err == NSUPD_OK)
		err = raw_exec(c, &c->dst, "COMMIT");
	return err;
}

nsupd_err store_copy_database(const char *from_url, const char *to_url,
	store_copy_report *report, char *errbuf, size_t errsize)
{
	struct copy c = {
		.src = { .role = "source" },
		.dst = { .role = "target" },
		.errbuf = errbuf,
		.errsize = errsize,
	};
	if (errbuf != NULL && errsize > 0)
		errbuf[0] = '\0';
	if (from_url == NULL || to_url == NULL || report == NULL)
		return NSUPD_ERR_INVALID;
	memset(report, 0, sizeof(*report));
	if (strcmp(from_url, to_url) == 0) {
		set_err(&c, "the source and the target are the same database");
		return NSUPD_ERR_INVALID;
	}

	nsupd_err err = prepare_store(&c, from_url, "source", false);
	if (err == NSUPD_OK)
		err = prepare_store(&c, to_url, "target", true);
	if (err == NSUPD_OK)
		err = raw_open(&c, &c.src, from_url, true);
	if (err == NSUPD_OK)
		err = raw_open(&c, &c.dst, to_url, false);
	if (err == NSUPD_OK)
		err = copy_all(&c, report);
	if (err != NSUPD_OK)
		memset(report, 0, sizeof(*report));
	/* Closing without COMMIT rolls an unfinished target transaction back. */
	raw_close(&c.src);
	raw_close(&c.dst);
	free(c.line);
	return err;
}
