/* The SQLite backend of the store.
 *
 * Concurrency: a pool of connections (opened on demand, at most POOL_MAX),
 * each used by one thread at a time, so connections are opened with
 * SQLITE_OPEN_NOMUTEX and keep their prepared statements. In WAL mode
 * readers never block, but writers do: SQLite lets one writer in and makes
 * the others poll with sleeps of milliseconds, which would cap the update
 * path far below what it needs. So writers inside this process queue on
 * write_lock instead, and the busy timeout only has to cover other processes
 * (the CLI next to a running server).
 *
 * All values travel as bound parameters; the SQL text below is constant. */
#include "store/store_backend.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "util/log.h"
#include "util/strutil.h"

#define POOL_MAX 64
#define BUSY_TIMEOUT_MS 5000
/* Per-connection page cache. The OS caches the file anyway, and 64 copies
 * of a large default cache would blow the memory budget. */
#define CACHE_KIB 1024
#define MSG_MAX 255

/* ---- statements ---- */

enum stmt_id {
	ST_USER_ADD,
	ST_USER_BY_NAME,
	ST_USER_BY_ID,
	ST_USER_DELETE,
	ST_DOMAIN_ADD,
	ST_DOMAIN_BY_NAME,
	ST_DOMAIN_BY_ID,
	ST_DOMAIN_BACKOFF,
	ST_DOMAIN_AVAILABLE,
	ST_DOMAIN_DELETE,
	ST_HOST_ADD,
	ST_HOST_BY_NAME,
	ST_HOST_DOMAIN_BY_NAME,
	ST_HOST_BY_ID,
	ST_HOST_DELETE,
	ST_HOST_SECRET,
	ST_HOST_SETTINGS,
	ST_HOST_RECORD,
	ST_HOST_COUNT,
	ST_HOST_LIST,
	ST_USER_LANGUAGE,
	ST_USER_LAST_LOGIN,
	ST_HOST_LIST_OWNER,
	ST_SESSION_CREATE,
	ST_SESSION_GET,
	ST_SESSION_SAVE,
	ST_SESSION_DELETE,
	ST_SESSION_DELETE_USER,
	ST_SESSION_DELETE_EXPIRED,
	ST_RATE_ADD,
	ST_RATE_COUNT,
	ST_RATE_PRUNE,
	ST__COUNT
};

#define USER_COLS \
	"id, username, email, password_hash, staff, active, created, last_login, language"
#define DOMAIN_COLS \
	"id, name, nameserver, nameserver2, algorithm, secret, public, available, " \
	"backoff_until, comment, owner_id, created"
#define HOST_COLS \
	"h.id, h.name, h.domain_id, d.name, h.secret_hash, h.comment, h.available, " \
	"h.abuse, h.abuse_blocked, h.netmask_ipv4, h.netmask_ipv6, h.client_faults, " \
	"h.server_faults, h.api_auth_faults, h.client_result_msg, h.server_result_msg, " \
	"h.api_auth_result_msg, h.last_update_ipv4, h.last_update_ipv6, " \
	"h.tls_update_ipv4, h.tls_update_ipv6, h.owner_id, h.created " \
	"FROM hosts h JOIN domains d ON d.id = h.domain_id "
/* A host row followed by its whole domain row (columns 23..34) and the
 * followup flags, so the update path reads them in one statement. */
#define HOST_DOMAIN_COLS \
	"h.id, h.name, h.domain_id, d.name, h.secret_hash, h.comment, h.available, " \
	"h.abuse, h.abuse_blocked, h.netmask_ipv4, h.netmask_ipv6, h.client_faults, " \
	"h.server_faults, h.api_auth_faults, h.client_result_msg, h.server_result_msg, " \
	"h.api_auth_result_msg, h.last_update_ipv4, h.last_update_ipv6, " \
	"h.tls_update_ipv4, h.tls_update_ipv6, h.owner_id, h.created, " \
	"d.id, d.name, d.nameserver, d.nameserver2, d.algorithm, d.secret, d.public, " \
	"d.available, d.backoff_until, d.comment, d.owner_id, d.created, " \
	STORE_FOLLOWUP_COLS "FROM hosts h JOIN domains d ON d.id = h.domain_id "

static const char *const stmt_sql[ST__COUNT] = {
	[ST_USER_ADD] =
		"INSERT INTO users (username, email, password_hash, staff, active, "
		"created, last_login, language) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_USER_BY_NAME] = "SELECT " USER_COLS " FROM users WHERE username = ?1",
	[ST_USER_BY_ID] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
	[ST_USER_DELETE] = "DELETE FROM users WHERE id = ?1",
	[ST_DOMAIN_ADD] =
		"INSERT INTO domains (name, nameserver, nameserver2, algorithm, secret, "
		"public, available, backoff_until, comment, owner_id, created, last_update) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
	[ST_DOMAIN_BY_NAME] = "SELECT " DOMAIN_COLS " FROM domains WHERE name = ?1",
	[ST_DOMAIN_BY_ID] = "SELECT " DOMAIN_COLS " FROM domains WHERE id = ?1",
	[ST_DOMAIN_BACKOFF] =
		"UPDATE domains SET backoff_until = ?1, last_update = ?2 WHERE id = ?3",
	[ST_DOMAIN_AVAILABLE] =
		"UPDATE domains SET available = ?1, last_update = ?2 WHERE id = ?3",
	[ST_DOMAIN_DELETE] = "DELETE FROM domains WHERE id = ?1",
	[ST_HOST_ADD] =
		"INSERT INTO hosts (name, domain_id, secret_hash, comment, available, "
		"abuse, abuse_blocked, netmask_ipv4, netmask_ipv6, client_faults, "
		"server_faults, api_auth_faults, client_result_msg, server_result_msg, "
		"api_auth_result_msg, last_update_ipv4, last_update_ipv6, "
		"tls_update_ipv4, tls_update_ipv6, owner_id, created, last_update) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
		"?15, ?16, ?17, ?18, ?19, ?20, ?21, ?21)",
	/* The hot path: domains' unique name index, then hosts' unique
	 * (domain_id, name) index. test_store checks the plan. */
	[ST_HOST_BY_NAME] = "SELECT " HOST_COLS "WHERE d.name = ?2 AND h.name = ?1",
	[ST_HOST_DOMAIN_BY_NAME] = "SELECT " HOST_DOMAIN_COLS "WHERE d.name = ?2 AND h.name = ?1",
	[ST_HOST_BY_ID] = "SELECT " HOST_COLS "WHERE h.id = ?1",
	[ST_HOST_DELETE] = "DELETE FROM hosts WHERE id = ?1",
	[ST_HOST_SECRET] =
		"UPDATE hosts SET secret_hash = ?1, last_update = ?2 WHERE id = ?3",
	[ST_HOST_SETTINGS] =
		"UPDATE hosts SET "
		"available = CASE WHEN ?1 <> 0 THEN ?2 ELSE available END, "
		"abuse = CASE WHEN ?3 <> 0 THEN ?4 ELSE abuse END, "
		"abuse_blocked = CASE WHEN ?5 <> 0 THEN ?6 ELSE abuse_blocked END, "
		"netmask_ipv4 = CASE WHEN ?7 <> 0 THEN ?8 ELSE netmask_ipv4 END, "
		"netmask_ipv6 = CASE WHEN ?9 <> 0 THEN ?10 ELSE netmask_ipv6 END, "
		"comment = COALESCE(?11, comment), "
		"last_update = ?12 "
		"WHERE id = ?13",
	/* One statement, so the event is atomic and counters never go
	 * through C (no lost increments between concurrent requests). */
	[ST_HOST_RECORD] =
		"UPDATE hosts SET "
		"client_faults = client_faults + ?1, "
		"server_faults = server_faults + ?2, "
		"api_auth_faults = api_auth_faults + ?3, "
		"client_result_msg = COALESCE(?4, client_result_msg), "
		"server_result_msg = COALESCE(?5, server_result_msg), "
		"api_auth_result_msg = COALESCE(?6, api_auth_result_msg), "
		"last_update_ipv4 = CASE WHEN ?7 <> 0 THEN ?10 ELSE last_update_ipv4 END, "
		"tls_update_ipv4 = CASE WHEN ?7 <> 0 THEN ?9 ELSE tls_update_ipv4 END, "
		"last_update_ipv6 = CASE WHEN ?8 <> 0 THEN ?10 ELSE last_update_ipv6 END, "
		"tls_update_ipv6 = CASE WHEN ?8 <> 0 THEN ?9 ELSE tls_update_ipv6 END, "
		"abuse = CASE WHEN ?11 <> 0 THEN 1 ELSE abuse END, "
		"abuse_blocked = CASE WHEN ?11 <> 0 THEN 1 ELSE abuse_blocked END, "
		"last_update = ?10 "
		"WHERE id = ?12",
	[ST_HOST_COUNT] = "SELECT COUNT(*) FROM hosts",
	[ST_HOST_LIST] = "SELECT " HOST_COLS "WHERE h.domain_id = ?1 ORDER BY h.name",
	[ST_USER_LANGUAGE] = "UPDATE users SET language = ?1 WHERE id = ?2",
	[ST_USER_LAST_LOGIN] = "UPDATE users SET last_login = ?1 WHERE id = ?2",
	[ST_HOST_LIST_OWNER] =
		"SELECT " HOST_COLS "WHERE h.owner_id = ?1 ORDER BY h.name, d.name",
	[ST_SESSION_CREATE] =
		"INSERT INTO sessions (id, user_id, data, created, expires) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_SESSION_GET] =
		"SELECT id, user_id, data, created, expires FROM sessions "
		"WHERE id = ?1 AND expires > ?2",
	[ST_SESSION_SAVE] =
		"UPDATE sessions SET user_id = ?1, data = ?2, expires = ?3 WHERE id = ?4",
	[ST_SESSION_DELETE] = "DELETE FROM sessions WHERE id = ?1",
	[ST_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2",
	[ST_SESSION_DELETE_EXPIRED] = "DELETE FROM sessions WHERE expires <= ?1",
	[ST_RATE_ADD] = "INSERT INTO rate_events (kind, subject, at) VALUES (?1, ?2, ?3)",
	[ST_RATE_COUNT] =
		"SELECT COUNT(*) FROM rate_events WHERE kind = ?1 AND subject = ?2 AND at >= ?3",
	[ST_RATE_PRUNE] = "DELETE FROM rate_events WHERE at < ?1",
};

const char *store_sqlite_sql_host_by_name(void)
{
	return stmt_sql[ST_HOST_BY_NAME];
}

const char *store_sqlite_sql_host_record(void)
{
	return stmt_sql[ST_HOST_RECORD];
}

/* ---- the pool ---- */

/* Statements of the generic path (store_exec), kept prepared per
 * connection: parsing was a third of a changing update's CPU. Keyed by the
 * caller's SQL text; the admin pages build a few texts at run time, so the
 * cache is bounded and the least recently used entry makes room. */
#define GENERIC_CACHE 64

struct generic_stmt {
	char *sql;              /* the caller's text, "$N" spelling (owned) */
	sqlite3_stmt *st;
	uint64_t used;          /* LRU clock */
};

struct conn {
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT];
	struct generic_stmt generic[GENERIC_CACHE];
	uint64_t generic_clock;
	struct conn *next;
};

struct sq {
	char path[4096];
	int max_conns;

	pthread_mutex_t pool_lock;
	pthread_cond_t pool_cond;       /* signalled when a connection comes back */
	struct conn *free_list;
	int n_open;                     /* borrowed + free + being opened */

	pthread_mutex_t write_lock;     /* one writer at a time in this process */
	atomic_bool schema_ok;          /* cached: schema is at the latest version */
};

static nsupd_err map_rc(sqlite3 *db, int rc, const char *what)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_warn("store: %s: database busy: %s", what, sqlite3_errmsg(db));
		return NSUPD_ERR_DB_BUSY;
	case SQLITE_CONSTRAINT:
		switch (rc) {
		case SQLITE_CONSTRAINT_UNIQUE:
		case SQLITE_CONSTRAINT_PRIMARYKEY:
			return NSUPD_ERR_EXISTS;
		case SQLITE_CONSTRAINT_FOREIGNKEY:
			/* The row referred to (an owner, a domain) is gone. */
			return NSUPD_ERR_NOT_FOUND;
		case SQLITE_CONSTRAINT_NOTNULL:
		case SQLITE_CONSTRAINT_CHECK:
			return NSUPD_ERR_INVALID;
		default:
			break;
		}
		break;
	case SQLITE_NOMEM:
		log_error("store: %s: out of memory", what);
		return NSUPD_ERR_NOMEM;
	default:
		break;
	}
	log_error("store: %s: %s (%d)", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
	return NSUPD_ERR_DB;
}

static nsupd_err exec_sql(sqlite3 *db, const char *sql, const char *what)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? NSUPD_OK : map_rc(db, rc, what);
}

static void conn_free(struct conn *c)
{
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(c->st[i]);
	for (int i = 0; i < GENERIC_CACHE; i++) {
		sqlite3_finalize(c->generic[i].st);
		free(c->generic[i].sql);
	}
	sqlite3_close(c->db);
	free(c);
}

static nsupd_err conn_open(struct sq *sq, struct conn **out, char *errbuf, size_t errsize)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NSUPD_ERR_NOMEM;
	int rc = sqlite3_open_v2(sq->path, &c->db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (errbuf != NULL)
			snprintf(errbuf, errsize, "cannot open sqlite database %s: %s",
				sq->path, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		log_error("store: cannot open %s: %s", sq->path,
			c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		conn_free(c);
		return rc == SQLITE_NOMEM ? NSUPD_ERR_NOMEM : NSUPD_ERR_DB;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);

	/* journal_mode answers with the mode in effect; a memory database
	 * stays "memory", which is fine. */
	bool memory = strcmp(sq->path, ":memory:") == 0;
	nsupd_err err = NSUPD_OK;
	if (!memory) {
		sqlite3_stmt *st = NULL;
		rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const char *mode = (const char *)sqlite3_column_text(st, 0);
			if (mode == NULL || strcmp(mode, "wal") != 0)
				log_warn("store: %s: WAL mode refused (journal_mode=%s)",
					sq->path, mode ? mode : "?");
			rc = SQLITE_OK;
		}
		if (rc != SQLITE_OK)
			err = map_rc(c->db, rc, "enable WAL");
		sqlite3_finalize(st);
	}
	if (err == NSUPD_OK) {
		char pragmas[160];
		snprintf(pragmas, sizeof(pragmas),
			"PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-%d;",
			CACHE_KIB);
		err = exec_sql(c->db, pragmas, "connection setup");
	}
	if (err != NSUPD_OK) {
		if (errbuf != NULL)
			snprintf(errbuf, errsize, "cannot set up sqlite database %s: %s",
				sq->path, nsupd_strerror(err));
		conn_free(c);
		return err;
	}
	*out = c;
	return NSUPD_OK;
}

static int latest_version(void)
{
	return store_sqlite_migrations[store_sqlite_migrations_count - 1].version;
}

/* Version recorded in the database, 0 when there is no schema yet. */
static nsupd_err read_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *st = NULL;
	*version = 0;
	int rc = sqlite3_prepare_v2(db,
		"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
		-1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	bool exists = rc == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return map_rc(db, rc, "read schema version");
	if (!exists)
		return NSUPD_OK;
	rc = sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version",
		-1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? NSUPD_OK : map_rc(db, rc, "read schema version");
}

static void release(struct sq *sq, struct conn *c)
{
	/* A connection never goes back with a transaction open: the next
	 * borrower would silently run inside it. */
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_lock(&sq->pool_lock);
	c->next = sq->free_list;
	sq->free_list = c;
	pthread_cond_signal(&sq->pool_cond);
	pthread_mutex_unlock(&sq->pool_lock);
}

static nsupd_err borrow_any(struct sq *sq, struct conn **out)
{
	pthread_mutex_lock(&sq->pool_lock);
	while (sq->free_list == NULL && sq->n_open >= sq->max_conns)
		pthread_cond_wait(&sq->pool_cond, &sq->pool_lock);
	struct conn *c = sq->free_list;
	if (c != NULL) {
		sq->free_list = c->next;
		pthread_mutex_unlock(&sq->pool_lock);
		*out = c;
		return NSUPD_OK;
	}
	/* Reserve the slot, then open outside the lock: opening touches the
	 * disk and must not stall the threads returning connections. */
	sq->n_open++;
	pthread_mutex_unlock(&sq->pool_lock);
	nsupd_err err = conn_open(sq, &c, NULL, 0);
	if (err != NSUPD_OK) {
		pthread_mutex_lock(&sq->pool_lock);
		sq->n_open--;
		pthread_cond_signal(&sq->pool_cond);
		pthread_mutex_unlock(&sq->pool_lock);
		return err;
	}
	*out = c;
	return NSUPD_OK;
}

/* Borrows a connection for a data operation: NSUPD_ERR_SCHEMA until the
 * schema is at this program's version. The check runs only until it first
 * succeeds, so `nsupd migrate` next to a running server is picked up. */
static nsupd_err borrow(struct sq *sq, struct conn **out)
{
	nsupd_err err = borrow_any(sq, out);
	if (err != NSUPD_OK || atomic_load_explicit(&sq->schema_ok, memory_order_acquire))
		return err;
	int version = 0;
	err = read_version((*out)->db, &version);
	if (err == NSUPD_OK && version != latest_version())
		err = NSUPD_ERR_SCHEMA;
	if (err != NSUPD_OK) {
		release(sq, *out);
		*out = NULL;
		return err;
	}
	atomic_store_explicit(&sq->schema_ok, true, memory_order_release);
	return NSUPD_OK;
}

static nsupd_err stmt(struct conn *c, enum stmt_id id, sqlite3_stmt **out)
{
	if (c->st[id] == NULL) {
		int rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
			&c->st[id], NULL);
		if (rc != SQLITE_OK) {
			c->st[id] = NULL;
			return map_rc(c->db, rc, "prepare");
		}
	}
	*out = c->st[id];
	return NSUPD_OK;
}

/* Bindings use SQLITE_STATIC: every statement is stepped and reset before
 * the function that bound the caller's strings returns. */
static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

/* Cuts to MSG_MAX bytes on a UTF-8 boundary; NULL stays NULL. */
static void bind_msg(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, (int)store_utf8_cut(s, MSG_MAX), SQLITE_STATIC);
}

/* 0 means never: NULL in the database. */
static void bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, t);
}

static void col_text(sqlite3_stmt *st, int i, char *buf, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	size_t len = (size_t)sqlite3_column_bytes(st, i);
	if (s == NULL)
		len = 0;
	if (len >= size)
		len = store_utf8_cut((const char *)s, size - 1);
	if (len > 0)
		memcpy(buf, s, len);
	buf[len] = '\0';
}

static int64_t col_i64(sqlite3_stmt *st, int i)
{
	return sqlite3_column_int64(st, i); /* NULL reads as 0 = never */
}

static bool col_bool(sqlite3_stmt *st, int i)
{
	return sqlite3_column_int64(st, i) != 0;
}

static int64_t now_or(int64_t t)
{
	return t != 0 ? t : (int64_t)time(NULL);
}

/* Steps a bound write statement under write_lock. *changes (optional) gets
 * the number of rows it touched, *rowid (optional) the new row's id. */
static nsupd_err step_write(struct sq *sq, struct conn *c, sqlite3_stmt *st, const char *what,
	int *changes, int64_t *rowid)
{
	pthread_mutex_lock(&sq->write_lock);
	int rc = sqlite3_step(st);
	if (changes != NULL)
		*changes = sqlite3_changes(c->db);
	if (rowid != NULL)
		*rowid = sqlite3_last_insert_rowid(c->db);
	pthread_mutex_unlock(&sq->write_lock);
	nsupd_err err = rc == SQLITE_DONE ? NSUPD_OK : map_rc(c->db, rc, what);
	done(st);
	return err;
}

/* Runs a single-row SELECT and hands the row to read(). */
typedef void (*row_reader)(sqlite3_stmt *st, void *out);

static nsupd_err step_one(struct conn *c, sqlite3_stmt *st, const char *what,
	row_reader read, void *out)
{
	int rc = sqlite3_step(st);
	nsupd_err err;
	if (rc == SQLITE_ROW) {
		read(st, out);
		err = NSUPD_OK;
	} else if (rc == SQLITE_DONE) {
		err = NSUPD_ERR_NOT_FOUND;
	} else {
		err = map_rc(c->db, rc, what);
	}
	done(st);
	return err;
}

/* ---- open, close, migrate ---- */

static nsupd_err sq_open(const char *target, void **impl, char *errbuf, size_t errsize)
{
	if (!sqlite3_threadsafe()) {
		if (errbuf != NULL)
			snprintf(errbuf, errsize, "libsqlite3 was built without thread support");
		return NSUPD_ERR_CONFIG;
	}
	struct sq *sq = calloc(1, sizeof(*sq));
	if (sq == NULL)
		return NSUPD_ERR_NOMEM;
	if (str_copy(sq->path, target, sizeof(sq->path)) >= sizeof(sq->path)) {
		if (errbuf != NULL)
			snprintf(errbuf, errsize, "sqlite database path too long");
		free(sq);
		return NSUPD_ERR_CONFIG;
	}
	/* Every connection to ":memory:" is its own empty database, so a
	 * memory store has exactly one connection. */
	sq->max_conns = strcmp(sq->path, ":memory:") == 0 ? 1 : POOL_MAX;
	pthread_mutex_init(&sq->pool_lock, NULL);
	pthread_cond_init(&sq->pool_cond, NULL);
	pthread_mutex_init(&sq->write_lock, NULL);
	atomic_init(&sq->schema_ok, false);

	/* Open the first connection now, so a bad path fails at start-up
	 * (and a memory database exists from here on). */
	struct conn *c = NULL;
	nsupd_err err = conn_open(sq, &c, errbuf, errsize);
	if (err != NSUPD_OK) {
		pthread_mutex_destroy(&sq->write_lock);
		pthread_cond_destroy(&sq->pool_cond);
		pthread_mutex_destroy(&sq->pool_lock);
		free(sq);
		return err;
	}
	sq->free_list = c;
	sq->n_open = 1;
	*impl = sq;
	return NSUPD_OK;
}

static void sq_close(void *impl)
{
	struct sq *sq = impl;
	int n = 0;
	while (sq->free_list != NULL) {
		struct conn *c = sq->free_list;
		sq->free_list = c->next;
		conn_free(c);
		n++;
	}
	if (n != sq->n_open)
		log_error("store: closed while %d connection(s) still borrowed", sq->n_open - n);
	pthread_mutex_destroy(&sq->write_lock);
	pthread_cond_destroy(&sq->pool_cond);
	pthread_mutex_destroy(&sq->pool_lock);
	free(sq);
}

/* Applies migration m unless the database already has it. Each runs in its
 * own IMMEDIATE transaction (the write lock is taken up front, so two
 * processes migrating at once serialise instead of failing half-way). */
static nsupd_err apply_migration(sqlite3 *db, const struct store_migration *m, bool *applied)
{
	*applied = false;
	nsupd_err err = exec_sql(db, "BEGIN IMMEDIATE", "migrate: begin");
	if (err != NSUPD_OK)
		return err;
	err = exec_sql(db,
		"CREATE TABLE IF NOT EXISTS schema_version ("
		"  version INTEGER PRIMARY KEY,"
		"  applied INTEGER NOT NULL"
		")", "migrate: schema_version");
	int version = 0;
	if (err == NSUPD_OK)
		err = read_version(db, &version);
	if (err == NSUPD_OK && version > latest_version()) {
		log_error("store: database schema version %d is newer than this program (%d)",
			version, latest_version());
		err = NSUPD_ERR_SCHEMA;
	}
	if (err == NSUPD_OK && version < m->version) {
		err = exec_sql(db, m->sql, "migrate");
		if (err == NSUPD_OK) {
			sqlite3_stmt *st = NULL;
			int rc = sqlite3_prepare_v2(db,
				"INSERT INTO schema_version (version, applied) VALUES (?1, ?2)",
				-1, &st, NULL);
			if (rc == SQLITE_OK) {
				sqlite3_bind_int(st, 1, m->version);
				sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
				rc = sqlite3_step(st);
			}
			if (rc != SQLITE_DONE && rc != SQLITE_OK)
				err = map_rc(db, rc, "migrate: record version");
			sqlite3_finalize(st);
		}
		*applied = err == NSUPD_OK;
	}
	if (err == NSUPD_OK)
		err = exec_sql(db, "COMMIT", "migrate: commit");
	if (err != NSUPD_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

static nsupd_err sq_migrate(void *impl)
{
	struct sq *sq = impl;
	struct conn *c = NULL;
	nsupd_err err = borrow_any(sq, &c);
	if (err != NSUPD_OK)
		return err;
	pthread_mutex_lock(&sq->write_lock);
	for (int i = 0; i < store_sqlite_migrations_count && err == NSUPD_OK; i++) {
		bool applied = false;
		err = apply_migration(c->db, &store_sqlite_migrations[i], &applied);
		if (applied)
			log_info("store: applied schema migration %d",
				store_sqlite_migrations[i].version);
	}
	pthread_mutex_unlock(&sq->write_lock);
	release(sq, c);
	if (err == NSUPD_OK)
		atomic_store_explicit(&sq->schema_ok, true, memory_order_release);
	return err;
}

static nsupd_err sq_schema_version(void *impl, int *version, int *latest)
{
	struct sq *sq = impl;
	struct conn *c = NULL;
	nsupd_err err = borrow_any(sq, &c);
	if (err != NSUPD_OK)
		return err;
	err = read_version(c->db, version);
	*latest = latest_version();
	release(sq, c);
	return err;
}

/* ---- generic by-id writes ---- */

/* Binds nothing itself: the caller's bind() fills the statement. Returns
 * NSUPD_ERR_NOT_FOUND when no row matched. */
static nsupd_err write_by_id(struct sq *sq, enum stmt_id id, const char *what,
	void (*bind)(sqlite3_stmt *st, const void *arg), const void *arg)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	nsupd_err err = borrow(sq, &c);
	if (err != NSUPD_OK)
		return err;
	err = stmt(c, id, &st);
	if (err == NSUPD_OK) {
		bind(st, arg);
		int changes = 0;
		err = step_write(sq, c, st, what, &changes, NULL);
		if (err == NSUPD_OK && changes == 0)
			err = NSUPD_ERR_NOT_FOUND;
	}
	release(sq, c);
	return err;
}

static void bind_id_only(sqlite3_stmt *st, const void *arg)
{
	sqlite3_bind_int64(st, 1, *(const int64_t *)arg);
}

/* Runs a by-key SELECT returning one row. bind() fills the key. */
static nsupd_err read_one(struct sq *sq, enum stmt_id id, const char *what,
	void (*bind)(sqlite3_stmt *st, const void *arg), const void *arg,
	row_reader read, void *out)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	nsupd_err err = borrow(sq, &c);
	if (err != NSUPD_OK)
		return err;
	err = stmt(c, id, &st);
	if (err == NSUPD_OK) {
		bind(st, arg);
		err = step_one(c, st, what, read, out);
	}
	release(sq, c);
	return err;
}

static void bind_text_only(sqlite3_stmt *st, const void *arg)
{
	bind_text(st, 1, arg);
}

/* ---- users ---- */

static void read_user(sqlite3_stmt *st, void *p)
{
	store_user *u = p;
	memset(u, 0, sizeof(*u));
	u->id = col_i64(st, 0);
	col_text(st, 1, u->name, sizeof(u->name));
	col_text(st, 2, u->email, sizeof(u->email));
	col_text(st, 3, u->password_hash, sizeof(u->password_hash));
	u->staff = col_bool(st, 4);
	u->active = col_bool(st, 5);
	u->created = col_i64(st, 6);
	u->last_login = col_i64(st, 7);
	col_text(st, 8, u->language, sizeof(u->language));
}

static nsupd_err sq_user_add(void *impl, const store_user *u, int64_t *id)
{
	struct sq *sq = impl;
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	nsupd_err err = borrow(sq, &c);
	if (err != NSUPD_OK)
		return err;
	err = stmt(c, ST_USER_ADD, &st);
	if (err == NSUPD_OK) {
		bind_text(st, 1, u->name);
		bind_text(st, 2, u->email);
		bind_text(st, 3, u->password_hash);
		sqlite3_bind_int(st, 4, u->staff);
		sqlite3_bind_int(st, 5, u->active);
		sqlite3_bind_int64(st, 6, now_or(u->created));
		bind_time(st, 7, u->last_login);
		bind_text(st, 8, u->language);
		int64_t rowid = 0;
		err = step_write(sq, c, st, "add user", NULL, &rowid);
		if (err == NSUPD_OK && id != NULL)
			*id = rowid;
	}
	release(sq, c);
	return err;
}

static nsupd_err sq_user_get_by_name(void *impl, const char *name, store_user *out)
{
	return read_one(impl, ST_USER_BY_NAME, "get user", bind_text_only, name, read_user, out);
}

static nsupd_err sq_user_get(void *impl, int64_t id, store_user *out)
{
	return read_one(impl, ST_USER_BY_ID, "get user", bind_id_only, &id, read_user, out);
}

static nsupd_err sq_user_delete(void *impl, int64_t id)
{
	return write_by_id(impl, ST_USER_DELETE, "delete user", bind_id_only, &id);
}

/* ---- domains ---- */

static void read_domain_at(sqlite3_stmt *st, int base, store_domain *d)
{
	memset(d, 0, sizeof(*d));
	d->id = col_i64(st, base + 0);
	col_text(st, base + 1, d->name, sizeof(d->name));
	col_text(st, base + 2, d->nameserver, sizeof(d->nameserver));
	col_text(st, base + 3, d->nameserver2, sizeof(d->nameserver2));
	col_text(st, base + 4, d->algorithm, sizeof(d->algorithm));
	col_text(st, base + 5, d->secret, sizeof(d->secret));
	d->public_ = col_bool(st, base + 6);
	d->available = col_bool(st, base + 7);
	d->backoff_until = col_i64(st, base + 8);
	col_text(st, base + 9, d->comment, sizeof(d->comment));
	d->owner_id = col_i64(st, base + 10);
	d->created = col_i64(st, base + 11);
}

static void read_domain(sqlite3_stmt *st, void *p)
{
	read_domain_at(st, 0, p);
}

static nsupd_err sq_domain_add(void *impl, const store_domain *d, int64_t *id)
{
	struct sq *sq = impl;
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	nsupd_err err = borrow(sq, &c);
	if (err != NSUPD_OK)
		return err;
	err = stmt(c, ST_DOMAIN_ADD, &st);
	if (err == NSUPD_OK) {
		bind_text(st, 1, d->name);
		bind_text(st, 2, d->nameserver);
		bind_text(st, 3, d->nameserver2);
		bind_text(st, 4, d->algorithm);
		bind_text(st, 5, d->secret);
		sqlite3_bind_int(st, 6, d->public_);
		sqlite3_bind_int(st, 7, d->available);
		bind_time(st, 8, d->backoff_until);
		bind_msg(st, 9, d->comment);
		sqlite3_bind_int64(st, 10, d->owner_id);
		sqlite3_bind_int64(st, 11, now_or(d->created));
		int64_t rowid = 0;
		err = step_write(sq, c, st, "add domain", NULL, &rowid);
		if (err == NSUPD_OK && id != NULL)
			*id = rowid;
	}
	release(sq, c);
	return err;
}

static nsupd_err sq_domain_get_by_name(void *impl, const char *name, store_domain *out)
{
	return read_one(impl, ST_DOMAIN_BY_NAME, "get domain", bind_text_only, name,
		read_domain, out);
}

static nsupd_err sq_domain_get(void *impl, int64_t id, store_domain *out)
{
	return read_one(impl, ST_DOMAIN_BY_ID, "get domain", bind_id_only, &id, read_domain, out);
}

struct id_value {
	int64_t id;
	int64_t value;
};

/* (value, now, id): the shape of the small one-field updates. */
static void bind_value_now_id(sqlite3_stmt *st, const void *arg)
{
	const struct id_value *iv = arg;
	sqlite3_bind_int64(st, 1, iv->value);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 3, iv->id);
}

static void bind_time_now_id(sqlite3_stmt *st, const void *arg)
{
	const struct id_value *iv = arg;
	bind_time(st, 1, iv->value);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 3, iv->id);
}

static nsupd_err sq_domain_set_backoff(void *impl, int64_t id, int64_t until)
{
	struct id_value iv = { id, until };
	return write_by_id(impl, ST_DOMAIN_BACKOFF, "set domain back-off", bind_time_now_id, &iv);
}

static nsupd_err sq_domain_set_available(void *impl, int64_t id, bool available)
{
	struct id_value iv = { id, available ? 1 : 0 };
	return write_by_id(impl, ST_DOMAIN_AVAILABLE, "set domain available",
		bind_value_now_id, &iv);
}

static nsupd_err sq_domain_delete(void *impl, int64_t id)
{
	return write_by_id(impl, ST_DOMAIN_DELETE, "delete domain", bind_id_only, &id);
}

/* ---- hosts ---- */

static void read_host(sqlite3_stmt *st, void *p)
{
	store_host *h = p;
	memset(h, 0, sizeof(*h));
	h->id = col_i64(st, 0);
	col_text(st, 1, h->name, sizeof(h->name));
	h->domain_id = col_i64(st, 2);
	col_text(st, 3, h->domain, sizeof(h->domain));
	col_text(st, 4, h->secret_hash, sizeof(h->secret_hash));
	col_text(st, 5, h->comment, sizeof(h->comment));
	h->available = col_bool(st, 6);
	h->abuse = col_bool(st, 7);
	h->abuse_blocked = col_bool(st, 8);
	h->netmask_ipv4 = (unsigned)col_i64(st, 9);
	h->netmask_ipv6 = (unsigned)col_i64(st, 10);
	h->client_faults = col_i64(st, 11);
	h->server_faults = col_i64(st, 12);
	h->api_auth_faults = col_i64(st, 13);
	col_text(st, 14, h->client_result_msg, sizeof(h->client_result_msg));
	col_text(st, 15, h->server_result_msg, sizeof(h->server_result_msg));
	col_text(st, 16, h->api_auth_result_msg, sizeof(h->api_auth_result_msg));
	h->last_update_ipv4 = col_i64(st, 17);
	h->last_update_ipv6 = col_i64(st, 18);
	h->tls_update_ipv4 = col_bool(st, 19);
	h->tls_update_ipv6 = col_bool(st, 20);
	h->owner_id = col_i64(st, 21);
	h->created = col_i64(st, 22);
}

static nsupd_err sq_host_add(void *impl, const store_host *h, int64_t *id)
{
	struct sq *sq = impl;
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	nsupd_err err = borrow(sq, &c);
	if (err != NSUPD_OK)
		return err;
	err = stmt(c, ST_HOST_ADD, &st);
	if (err == NSUPD_OK) {
		bind_text(st, 1, h->name);
		sqlite3_bind_int64(st, 2, h->domain_id);
		bind_text(st, 3, h->secret_hash);
		bind_msg(st, 4, h->comment);
		sqlite3_bind_int(st, 5, h->available);
		sqlite3_bind_int(st, 6, h->abuse);
		sqlite3_bind_int(st, 7, h->abuse_blocked);
		sqlite3_bind_int64(st, 8, h->netmask_ipv4);
		sqlite3_bind_int64(st, 9, h->netmask_ipv6);
		sqlite3_bind_int64(st, 10, h->client_faults);
		sqlite3_bind_int64(st, 11, h->server_faults);
		sqlite3_bind_int64(st, 12, h->api_auth_faults);
		bind_msg(st, 13, h->client_result_msg);
		bind_msg(st, 14, h->server_result_msg);
		bind_msg(st, 15, h->api_auth_result_msg);
		bind_time(st, 16, h->last_update_ipv4);
		bind_time(st, 17, h->last_update_ipv6);
		sqlite3_bind_int(st, 18, h->tls_update_ipv4);
		sqlite3_bind_int(st, 19, h->tls_update_ipv6);
		sqlite3_bind_int64(st, 20, h->owner_id);
		sqlite3_bind_int64(st, 21, now_or(h->created));
		int64_t rowid = 0;
		err = step_write(sq, c, st, "add host", NULL, &rowid);
		if (err == NSUPD_OK && id != NULL)
			*id = rowid;
	}
	release(sq, c);
	return err;
}

struct name_pair {
	const char *name;
	const char *domain;
};

static void bind_name_pair(sqlite3_stmt *st, const void *arg)
{
	const struct name_pair *np = arg;
	bind_text(st, 1, np->name);
	bind_text(st, 2, np->domain);
}

static nsupd_err sq_host_get_by_name(void *impl, const char *name, const char *domain,
	store_host *out)
{
	struct name_pair np = { name, domain };
	return read_one(impl, ST_HOST_BY_NAME, "get host", bind_name_pair, &np, read_host, out);
}

struct host_domain {
	store_host *host;
	store_domain *domain;
};

static void read_host_domain(sqlite3_stmt *st, void *p)
{
	struct host_domain *hd = p;
	read_host(st, hd->host);
	read_domain_at(st, 23, hd->domain);
	hd->host->followups_read = true;
	hd->host->related_due = col_bool(st, STORE_FOLLOWUP_COL);
	hd->host->forward_due_ipv4 = col_bool(st, STORE_FOLLOWUP_COL + 1);
	hd->host->forward_due_ipv6 = col_bool(st, STORE_FOLLOWUP_COL + 2);
}

static nsupd_err sq_host_get_with_domain(void *impl, const char *name, const char *domain,
	store_host *host, store_domain *dom)
{
	struct name_pair np = { name, domain };
	struct host_domain hd = { host, dom };
	return read_one(impl, ST_HOST_DOMAIN_BY_NAME, "get host", bind_name_pair, &np,
			read_host_domain, &hd);
}

static nsupd_err sq_host_get(void *impl, int64_t id, store_host *out)
{
	return read_one(impl, ST_HOST_BY_ID, "get host", bind_id_only, &id, read_host, out);
}

static nsupd_err sq_host_delete(void *impl, int64_t id)
{
	return write_by_id(impl, ST_HOST_DELETE, "delete host", bind_id_only, &id);
}

struct id_text {
	int64_t id;
	const char *text;
};

static void bind_secret(sqlite3_stmt *st, const void *arg)
{
	const struct id_text *it = arg;
	bind_text(st, 1, it->text);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 3, it->id);
}

static nsupd_err sq_host_set_secret(void *impl, int64_t id, const char *secret_hash)
{
	struct id_text it = { id, secret_hash };
	return write_by_id(impl, ST_HOST_SECRET, "set host secret", bind_secret, &it);
}

struct id_settings {
	int64_t id;
	const store_host_settings *set;
};

static void bind_settings(sqlite3_stmt *st, const void *arg)
{
	const struct id_settings *is = arg;
	const store_host_settings *set = is->set;
	sqlite3_bind_int(st, 1, set->set_available);
	sqlite3_bind_int(st, 2, set->available);
	sqlite3_bind_int(st, 3, set->set_abuse);
	sqlite3_bind_int(st, 4, set->abuse);
	sqlite3_bind_int(st, 5, set->set_abuse_blocked);
	sqlite3_bind_int(st, 6, set->abuse_blocked);
	sqlite3_bind_int(st, 7, set->set_netmask_ipv4);
	sqlite3_bind_int64(st, 8, set->netmask_ipv4);
	sqlite3_bind_int(st, 9, set->set_netmask_ipv6);
	sqlite3_bind_int64(st, 10, set->netmask_ipv6);
	bind_msg(st, 11, set->set_comment ? set->comment : NULL);
	sqlite3_bind_int64(st, 12, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 13, is->id);
}

static nsupd_err sq_host_update_settings(void *impl, int64_t id, const store_host_settings *set)
{
	struct id_settings is = { id, set };
	return write_by_id(impl, ST_HOST_SETTINGS, "update host settings", bind_settings, &is);
}

struct id_event {
	int64_t id;
	const store_host_event *ev;
};

static void bind_event(sqlite3_stmt *st, const void *arg)
{
	const struct id_event *ie = arg;
	const store_host_event *ev = ie->ev;
	sqlite3_bind_int(st, 1, ev->client_faults);
	sqlite3_bind_int(st, 2, ev->server_faults);
	sqlite3_bind_int(st, 3, ev->api_auth_faults);
	bind_msg(st, 4, ev->client_msg);
	bind_msg(st, 5, ev->server_msg);
	bind_msg(st, 6, ev->api_auth_msg);
	sqlite3_bind_int(st, 7, ev->poke_ipv4);
	sqlite3_bind_int(st, 8, ev->poke_ipv6);
	sqlite3_bind_int(st, 9, ev->tls);
	sqlite3_bind_int64(st, 10, now_or(ev->now));
	sqlite3_bind_int(st, 11, ev->flag_abuse_blocked);
	sqlite3_bind_int64(st, 12, ie->id);
}

static nsupd_err sq_host_record(void *impl, int64_t id, const store_host_event *ev)
{
	struct id_event ie = { id, ev };
	return write_by_id(impl, ST_HOST_RECORD, "record host event", bind_event, &ie);
}

static nsupd_err sq_host_count(void *impl, int64_t *n)
{
	struct sq *sq = impl;
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	nsupd_err err = borrow(sq, &c);
	if (err != NSUPD_OK)
		return err;
	err = stmt(c, ST_HOST_COUNT, &st);
	if (err == NSUPD_OK) {
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*n = sqlite3_column_int64(st, 0);
		else
			err = map_rc(c->db, rc, "count hosts");
		done(st);
	}
	release(sq, c);
	return err;
}

static nsupd_err host_list(void *impl, enum stmt_id id, int64_t key, store_host_cb cb, void *ctx)
{
	struct sq *sq = impl;
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	nsupd_err err = borrow(sq, &c);
	if (err != NSUPD_OK)
		return err;
	err = stmt(c, id, &st);
	if (err == NSUPD_OK) {
		sqlite3_bind_int64(st, 1, key);
		store_host h;
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			read_host(st, &h);
			if (!cb(&h, ctx)) {
				rc = SQLITE_DONE;
				break;
			}
		}
		if (rc != SQLITE_DONE)
			err = map_rc(c->db, rc, "list hosts");
		done(st);
	}
	release(sq, c);
	return err;
}

static nsupd_err sq_host_list_by_domain(void *impl, int64_t domain_id, store_host_cb cb, void *ctx)
{
	return host_list(impl, ST_HOST_LIST, domain_id, cb, ctx);
}

static nsupd_err sq_host_list_by_owner(void *impl, int64_t owner_id, store_host_cb cb, void *ctx)
{
	return host_list(impl, ST_HOST_LIST_OWNER, owner_id, cb, ctx);
}

/* ---- web: users, sessions, rate limits ---- */

static void bind_text_id(sqlite3_stmt *st, const void *arg)
{
	const struct id_text *it = arg;
	bind_text(st, 1, it->text);
	sqlite3_bind_int64(st, 2, it->id);
}

static nsupd_err sq_user_set_language(void *impl, int64_t id, const char *language)
{
	struct id_text it = { id, language };
	return write_by_id(impl, ST_USER_LANGUAGE, "set user language", bind_text_id, &it);
}

static void bind_time_id(sqlite3_stmt *st, const void *arg)
{
	const struct id_value *iv = arg;
	bind_time(st, 1, iv->value);
	sqlite3_bind_int64(st, 2, iv->id);
}

static nsupd_err sq_user_set_last_login(void *impl, int64_t id, int64_t when)
{
	struct id_value iv = { id, when };
	return write_by_id(impl, ST_USER_LAST_LOGIN, "set last login", bind_time_id, &iv);
}

/* 0 = anonymous: NULL in the database. */
static void bind_user_id(sqlite3_stmt *st, int i, int64_t id)
{
	if (id == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, id);
}

static void bind_session(sqlite3_stmt *st, const void *arg)
{
	const store_session *s = arg;
	bind_text(st, 1, s->key);
	bind_user_id(st, 2, s->user_id);
	bind_text(st, 3, s->data);
	sqlite3_bind_int64(st, 4, now_or(s->created));
	sqlite3_bind_int64(st, 5, s->expires);
}

/* A write that may touch no row (inserts, deletes by other keys). */
static nsupd_err write_any(struct sq *sq, enum stmt_id id, const char *what,
	void (*bind)(sqlite3_stmt *st, const void *arg), const void *arg, int *changes)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	nsupd_err err = borrow(sq, &c);
	if (err != NSUPD_OK)
		return err;
	err = stmt(c, id, &st);
	if (err == NSUPD_OK) {
		bind(st, arg);
		err = step_write(sq, c, st, what, changes, NULL);
	}
	release(sq, c);
	return err;
}

static nsupd_err sq_session_create(void *impl, const store_session *sess)
{
	return write_any(impl, ST_SESSION_CREATE, "create session", bind_session, sess, NULL);
}

struct key_time {
	const char *key;
	int64_t t;
};

static void bind_key_time(sqlite3_stmt *st, const void *arg)
{
	const struct key_time *kt = arg;
	bind_text(st, 1, kt->key);
	sqlite3_bind_int64(st, 2, kt->t);
}

static void read_session(sqlite3_stmt *st, void *p)
{
	store_session *s = p;
	memset(s, 0, sizeof(*s));
	col_text(st, 0, s->key, sizeof(s->key));
	s->user_id = col_i64(st, 1);
	col_text(st, 2, s->data, sizeof(s->data));
	s->created = col_i64(st, 3);
	s->expires = col_i64(st, 4);
}

static nsupd_err sq_session_get(void *impl, const char *key, int64_t now, store_session *out)
{
	struct key_time kt = { key, now };
	return read_one(impl, ST_SESSION_GET, "get session", bind_key_time, &kt, read_session, out);
}

struct session_update {
	const char *key;
	int64_t user_id;
	const char *data;
	int64_t expires;
};

static void bind_session_update(sqlite3_stmt *st, const void *arg)
{
	const struct session_update *u = arg;
	bind_user_id(st, 1, u->user_id);
	bind_text(st, 2, u->data);
	sqlite3_bind_int64(st, 3, u->expires);
	bind_text(st, 4, u->key);
}

static nsupd_err sq_session_save(void *impl, const char *key, int64_t user_id, const char *data,
	int64_t expires)
{
	struct session_update u = { key, user_id, data, expires };
	return write_by_id(impl, ST_SESSION_SAVE, "save session", bind_session_update, &u);
}

static nsupd_err sq_session_delete(void *impl, const char *key)
{
	return write_by_id(impl, ST_SESSION_DELETE, "delete session", bind_text_only, key);
}

static void bind_id_text(sqlite3_stmt *st, const void *arg)
{
	const struct id_text *it = arg;
	sqlite3_bind_int64(st, 1, it->id);
	bind_text(st, 2, it->text);
}

static nsupd_err sq_session_delete_user(void *impl, int64_t user_id, const char *except_key)
{
	struct id_text it = { user_id, except_key };
	return write_any(impl, ST_SESSION_DELETE_USER, "delete user sessions", bind_id_text, &it,
		NULL);
}

static nsupd_err sq_session_delete_expired(void *impl, int64_t now, int64_t *n)
{
	int changes = 0;
	nsupd_err err = write_any(impl, ST_SESSION_DELETE_EXPIRED, "delete expired sessions",
		bind_id_only, &now, &changes);
	*n = changes;
	return err;
}

struct rate_args {
	const char *kind;
	const char *subject;
	int64_t t;
};

static void bind_rate(sqlite3_stmt *st, const void *arg)
{
	const struct rate_args *r = arg;
	bind_text(st, 1, r->kind);
	bind_text(st, 2, r->subject);
	sqlite3_bind_int64(st, 3, r->t);
}

static nsupd_err sq_rate_add(void *impl, const char *kind, const char *subject, int64_t at)
{
	struct rate_args r = { kind, subject, at };
	return write_any(impl, ST_RATE_ADD, "add rate event", bind_rate, &r, NULL);
}

static void read_count(sqlite3_stmt *st, void *p)
{
	*(int64_t *)p = sqlite3_column_int64(st, 0);
}

static nsupd_err sq_rate_count(void *impl, const char *kind, const char *subject, int64_t since,
	int64_t *n)
{
	struct rate_args r = { kind, subject, since };
	*n = 0;
	return read_one(impl, ST_RATE_COUNT, "count rate events", bind_rate, &r, read_count, n);
}

static nsupd_err sq_rate_prune(void *impl, int64_t before)
{
	return write_any(impl, ST_RATE_PRUNE, "prune rate events", bind_id_only, &before, NULL);
}

/* ---- generic statements (store_fwd.c) ---- */

/* "$N" -> "?N": the generic SQL is written in PostgreSQL's spelling. */
static char *sq_placeholders(const char *sql)
{
	char *out = strdup(sql);
	if (out == NULL)
		return NULL;
	for (char *p = out; *p != '\0'; p++)
		if (p[0] == '$' && p[1] >= '0' && p[1] <= '9')
			p[0] = '?';
	return out;
}

/* The connection's prepared form of sql, preparing (and caching) it on
 * first use. The statement stays owned by the cache: reset it after use. */
static nsupd_err generic_prepare(struct conn *c, const char *sql, sqlite3_stmt **out)
{
	struct generic_stmt *victim = &c->generic[0];
	for (int i = 0; i < GENERIC_CACHE; i++) {
		struct generic_stmt *g = &c->generic[i];
		if (g->sql != NULL && strcmp(g->sql, sql) == 0) {
			g->used = ++c->generic_clock;
			*out = g->st;
			return NSUPD_OK;
		}
		if (g->sql == NULL || (victim->sql != NULL && g->used < victim->used))
			victim = g;
	}
	char *converted = sq_placeholders(sql);
	char *key = strdup(sql);
	if (converted == NULL || key == NULL) {
		free(converted);
		free(key);
		return NSUPD_ERR_NOMEM;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(c->db, converted, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	free(converted);
	if (rc != SQLITE_OK) {
		free(key);
		return map_rc(c->db, rc, "prepare");
	}
	sqlite3_finalize(victim->st);
	free(victim->sql);
	victim->sql = key;
	victim->st = st;
	victim->used = ++c->generic_clock;
	*out = st;
	return NSUPD_OK;
}

static nsupd_err sq_exec_one(struct conn *c, store_sql *q)
{
	sqlite3_stmt *st = NULL;
	nsupd_err err = generic_prepare(c, q->sql, &st);
	if (err != NSUPD_OK)
		return err;
	for (int i = 0; i < q->n_params; i++) {
		const store_param *p = &q->params[i];
		switch (p->type) {
		case STORE_P_NULL: sqlite3_bind_null(st, i + 1); break;
		case STORE_P_INT: sqlite3_bind_int64(st, i + 1, p->i); break;
		case STORE_P_BOOL: sqlite3_bind_int(st, i + 1, p->i != 0); break;
		case STORE_P_TEXT: bind_text(st, i + 1, p->s); break;
		}
	}
	int rc;
	bool more = true;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!more || q->on_row == NULL)
			continue;
		store_row row = { .ncols = sqlite3_column_count(st) };
		if (row.ncols > STORE_ROW_COLS_MAX)
			row.ncols = STORE_ROW_COLS_MAX;
		for (int i = 0; i < row.ncols; i++)
			row.col[i] = (const char *)sqlite3_column_text(st, i);
		more = q->on_row(&row, q->ctx);
	}
	err = rc == SQLITE_DONE ? NSUPD_OK : map_rc(c->db, rc, "generic statement");
	q->changes = err == NSUPD_OK ? sqlite3_changes(c->db) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

static nsupd_err sq_exec(void *impl, store_sql *q, int n)
{
	struct sq *sq = impl;
	struct conn *c = NULL;
	nsupd_err err = borrow(sq, &c);
	if (err != NSUPD_OK)
		return err;
	bool writes = false;
	for (int i = 0; i < n; i++)
		if (strncmp(q[i].sql, "SELECT", 6) != 0)
			writes = true;
	if (writes)
		pthread_mutex_lock(&sq->write_lock);
	if (n > 1)
		err = exec_sql(c->db, writes ? "BEGIN IMMEDIATE" : "BEGIN", "begin");
	for (int i = 0; i < n && err == NSUPD_OK; i++)
		err = sq_exec_one(c, &q[i]);
	if (n > 1) {
		if (err == NSUPD_OK)
			err = exec_sql(c->db, "COMMIT", "commit");
		if (err != NSUPD_OK)
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (writes)
		pthread_mutex_unlock(&sq->write_lock);
	release(sq, c);
	return err;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.exec = sq_exec,
	.open = sq_open,
	.close = sq_close,
	.migrate = sq_migrate,
	.schema_version = sq_schema_version,
	.user_add = sq_user_add,
	.user_get_by_name = sq_user_get_by_name,
	.user_get = sq_user_get,
	.user_delete = sq_user_delete,
	.domain_add = sq_domain_add,
	.domain_get_by_name = sq_domain_get_by_name,
	.domain_get = sq_domain_get,
	.domain_set_backoff = sq_domain_set_backoff,
	.domain_set_available = sq_domain_set_available,
	.domain_delete = sq_domain_delete,
	.host_add = sq_host_add,
	.host_get_by_name = sq_host_get_by_name,
	.host_get_with_domain = sq_host_get_with_domain,
	.host_get = sq_host_get,
	.host_delete = sq_host_delete,
	.host_set_secret = sq_host_set_secret,
	.host_update_settings = sq_host_update_settings,
	.host_record = sq_host_record,
	.host_count = sq_host_count,
	.host_list_by_domain = sq_host_list_by_domain,
	.user_set_language = sq_user_set_language,
	.user_set_last_login = sq_user_set_last_login,
	.host_list_by_owner = sq_host_list_by_owner,
	.session_create = sq_session_create,
	.session_get = sq_session_get,
	.session_save = sq_session_save,
	.session_delete = sq_session_delete,
	.session_delete_user = sq_session_delete_user,
	.session_delete_expired = sq_session_delete_expired,
	.rate_add = sq_rate_add,
	.rate_count = sq_rate_count,
	.rate_prune = sq_rate_prune,
};
