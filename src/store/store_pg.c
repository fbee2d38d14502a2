/* The PostgreSQL backend of the store (libpq).
 *
 * Concurrency: a pool of connections (opened on demand, at most POOL_MAX),
 * each used by one thread at a time. Every connection prepares a statement
 * the first time it needs it (PQprepare) and from then on only executes it
 * (PQexecPrepared), so the hot path costs one round trip and no parsing.
 * Unlike SQLite, PostgreSQL handles concurrent writers itself (row locks),
 * so there is no process-wide write lock: several nsupd processes on one
 * database behave like several threads of one.
 *
 * All values travel as parameters in text format; the SQL text is constant.
 * Counters change only inside SQL (x = x + $1), never read-modify-write in C.
 *
 * A connection the server dropped (restart, fail-over, idle kill) is
 * re-established once and the call retried: a write that reached the server
 * just before the connection broke may then be applied twice, which for the
 * statements here means at most a doubled fault counter, and is better than
 * failing every request after a database restart. */
#include "store/store_backend.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "util/log.h"
#include "util/strutil.h"

/* Each nsupd process may hold this many server connections. PostgreSQL's
 * default max_connections is 100, and several instances share it. */
#define POOL_MAX 32
#define MSG_MAX 255
/* Like SQLite's busy timeout: a statement waiting this long for a lock
 * (someone holds a table or a row) fails with NSUPD_ERR_DB_BUSY instead of
 * stalling a request thread for ever. A lock_timeout set in the URL's
 * options or the role's settings is kept. */
#define LOCK_TIMEOUT "5s"
#define MAX_PARAMS 24
/* Generic statements (store_exec) each connection keeps prepared. */
#define STORE_PG_GEN_CACHE 64
#define MAX_MSGS 4
/* pg_advisory_xact_lock key of `migrate`: "nsup" in ASCII. Any other
 * process migrating the same database waits for it, whatever the schema. */
#define MIGRATE_LOCK_KEY "1853060464"

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
	ST_HOST_DOMAIN_BY_NAMES,
	ST_HOST_BY_ID,
	ST_HOST_DELETE,
	ST_HOST_SECRET,
	ST_HOST_SETTINGS,
	ST_HOST_RECORD,
	ST_HOST_RECORD_MANY,
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
 * followup flags, so the update path reads them in one round trip. */
#define HOST_DOMAIN_LIST \
	"h.id, h.name, h.domain_id, d.name, h.secret_hash, h.comment, h.available, " \
	"h.abuse, h.abuse_blocked, h.netmask_ipv4, h.netmask_ipv6, h.client_faults, " \
	"h.server_faults, h.api_auth_faults, h.client_result_msg, h.server_result_msg, " \
	"h.api_auth_result_msg, h.last_update_ipv4, h.last_update_ipv6, " \
	"h.tls_update_ipv4, h.tls_update_ipv6, h.owner_id, h.created, " \
	"d.id, d.name, d.nameserver, d.nameserver2, d.algorithm, d.secret, d.public, " \
	"d.available, d.backoff_until, d.comment, d.owner_id, d.created, " STORE_FOLLOWUP_COLS
#define HOST_DOMAIN_NCOLS (STORE_FOLLOWUP_COL + 3)
#define HOST_DOMAIN_COLS HOST_DOMAIN_LIST "FROM hosts h JOIN domains d ON d.id = h.domain_id "

/* Parameters carry explicit types where the server could not infer them
 * from a column (CASE, COALESCE, arithmetic). */
static const char *const stmt_sql[ST__COUNT] = {
	[ST_USER_ADD] =
		"INSERT INTO users (username, email, password_hash, staff, active, "
		"created, last_login, language) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
	[ST_USER_BY_NAME] = "SELECT " USER_COLS " FROM users WHERE username = $1",
	[ST_USER_BY_ID] = "SELECT " USER_COLS " FROM users WHERE id = $1",
	[ST_USER_DELETE] = "DELETE FROM users WHERE id = $1",
	[ST_DOMAIN_ADD] =
		"INSERT INTO domains (name, nameserver, nameserver2, algorithm, secret, "
		"public, available, backoff_until, comment, owner_id, created, last_update) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::bigint, $11::bigint) "
		"RETURNING id",
	[ST_DOMAIN_BY_NAME] = "SELECT " DOMAIN_COLS " FROM domains WHERE name = $1",
	[ST_DOMAIN_BY_ID] = "SELECT " DOMAIN_COLS " FROM domains WHERE id = $1",
	[ST_DOMAIN_BACKOFF] =
		"UPDATE domains SET backoff_until = $1, last_update = $2 WHERE id = $3",
	[ST_DOMAIN_AVAILABLE] =
		"UPDATE domains SET available = $1, last_update = $2 WHERE id = $3",
	[ST_DOMAIN_DELETE] = "DELETE FROM domains WHERE id = $1",
	[ST_HOST_ADD] =
		"INSERT INTO hosts (name, domain_id, secret_hash, comment, available, "
		"abuse, abuse_blocked, netmask_ipv4, netmask_ipv6, client_faults, "
		"server_faults, api_auth_faults, client_result_msg, server_result_msg, "
		"api_auth_result_msg, last_update_ipv4, last_update_ipv6, "
		"tls_update_ipv4, tls_update_ipv6, owner_id, created, last_update) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
		"$15, $16, $17, $18, $19, $20, $21::bigint, $21::bigint) RETURNING id",
	/* The hot path: domains' unique name index, then hosts' unique
	 * (domain_id, name) index. test_store checks the plan. */
	[ST_HOST_BY_NAME] = "SELECT " HOST_COLS "WHERE d.name = $2 AND h.name = $1",
	[ST_HOST_DOMAIN_BY_NAME] = "SELECT " HOST_DOMAIN_COLS "WHERE d.name = $2 AND h.name = $1",
	/* The same for a batch of (host, domain) pairs; the last column is
	 * the pair's place in the arrays, from 1 (lookup_batch). */
	[ST_HOST_DOMAIN_BY_NAMES] =
		"SELECT " HOST_DOMAIN_LIST ", q.i "
		"FROM unnest($1::varchar[], $2::varchar[]) WITH ORDINALITY AS q(host, dom, i) "
		"JOIN domains d ON d.name = q.dom "
		"JOIN hosts h ON h.domain_id = d.id AND h.name = q.host",
	[ST_HOST_BY_ID] = "SELECT " HOST_COLS "WHERE h.id = $1",
	[ST_HOST_DELETE] = "DELETE FROM hosts WHERE id = $1",
	[ST_HOST_SECRET] =
		"UPDATE hosts SET secret_hash = $1, last_update = $2 WHERE id = $3",
	[ST_HOST_SETTINGS] =
		"UPDATE hosts SET "
		"available = CASE WHEN $1::boolean THEN $2::boolean ELSE available END, "
		"abuse = CASE WHEN $3::boolean THEN $4::boolean ELSE abuse END, "
		"abuse_blocked = CASE WHEN $5::boolean THEN $6::boolean ELSE abuse_blocked END, "
		"netmask_ipv4 = CASE WHEN $7::boolean THEN $8::integer ELSE netmask_ipv4 END, "
		"netmask_ipv6 = CASE WHEN $9::boolean THEN $10::integer ELSE netmask_ipv6 END, "
		"comment = COALESCE($11::varchar, comment), "
		"last_update = $12::bigint "
		"WHERE id = $13::bigint",
	/* One statement, so the event is atomic and counters never go
	 * through C (no lost increments between concurrent requests, or
	 * between nsupd instances). */
	[ST_HOST_RECORD] =
		"UPDATE hosts SET "
		"client_faults = client_faults + $1::bigint, "
		"server_faults = server_faults + $2::bigint, "
		"api_auth_faults = api_auth_faults + $3::bigint, "
		"client_result_msg = COALESCE($4::varchar, client_result_msg), "
		"server_result_msg = COALESCE($5::varchar, server_result_msg), "
		"api_auth_result_msg = COALESCE($6::varchar, api_auth_result_msg), "
		"last_update_ipv4 = CASE WHEN $7::boolean THEN $10::bigint ELSE last_update_ipv4 END, "
		"tls_update_ipv4 = CASE WHEN $7::boolean THEN $9::boolean ELSE tls_update_ipv4 END, "
		"last_update_ipv6 = CASE WHEN $8::boolean THEN $10::bigint ELSE last_update_ipv6 END, "
		"tls_update_ipv6 = CASE WHEN $8::boolean THEN $9::boolean ELSE tls_update_ipv6 END, "
		"abuse = abuse OR $11::boolean, "
		"abuse_blocked = abuse_blocked OR $11::boolean, "
		"last_update = $10::bigint "
		"WHERE id = $12::bigint",
	/* ST_HOST_RECORD for a batch of hosts, one row of the arrays each
	 * (pg_host_record_many); at4/at6 NULL: that family untouched. */
	[ST_HOST_RECORD_MANY] =
		"UPDATE hosts AS h SET "
		"client_faults = h.client_faults + v.cf, "
		"server_faults = h.server_faults + v.sf, "
		"api_auth_faults = h.api_auth_faults + v.af, "
		"client_result_msg = COALESCE(v.cmsg, h.client_result_msg), "
		"server_result_msg = COALESCE(v.smsg, h.server_result_msg), "
		"api_auth_result_msg = COALESCE(v.amsg, h.api_auth_result_msg), "
		"last_update_ipv4 = COALESCE(v.at4, h.last_update_ipv4), "
		"tls_update_ipv4 = COALESCE(v.tls4, h.tls_update_ipv4), "
		"last_update_ipv6 = COALESCE(v.at6, h.last_update_ipv6), "
		"tls_update_ipv6 = COALESCE(v.tls6, h.tls_update_ipv6), "
		"abuse = h.abuse OR v.abuse, "
		"abuse_blocked = h.abuse_blocked OR v.abuse, "
		"last_update = v.at "
		"FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], "
		"$5::varchar[], $6::varchar[], $7::varchar[], $8::bigint[], $9::boolean[], "
		"$10::bigint[], $11::boolean[], $12::boolean[], $13::bigint[]) "
		"AS v(id, cf, sf, af, cmsg, smsg, amsg, at4, tls4, at6, tls6, abuse, at) "
		"WHERE h.id = v.id "
		"RETURNING h.id",
	[ST_HOST_COUNT] = "SELECT COUNT(*) FROM hosts",
	[ST_HOST_LIST] = "SELECT " HOST_COLS "WHERE h.domain_id = $1 ORDER BY h.name",
	[ST_USER_LANGUAGE] = "UPDATE users SET language = $1 WHERE id = $2",
	[ST_USER_LAST_LOGIN] = "UPDATE users SET last_login = $1 WHERE id = $2",
	[ST_HOST_LIST_OWNER] =
		"SELECT " HOST_COLS "WHERE h.owner_id = $1 ORDER BY h.name, d.name",
	[ST_SESSION_CREATE] =
		"INSERT INTO sessions (id, user_id, data, created, expires) "
		"VALUES ($1, $2, $3, $4, $5) RETURNING 0",
	[ST_SESSION_GET] =
		"SELECT id, user_id, data, created, expires FROM sessions "
		"WHERE id = $1 AND expires > $2",
	[ST_SESSION_SAVE] =
		"UPDATE sessions SET user_id = $1, data = $2, expires = $3 WHERE id = $4",
	[ST_SESSION_DELETE] = "DELETE FROM sessions WHERE id = $1",
	[ST_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = $1 AND id <> $2",
	[ST_SESSION_DELETE_EXPIRED] = "DELETE FROM sessions WHERE expires <= $1",
	[ST_RATE_ADD] =
		"INSERT INTO rate_events (kind, subject, at) VALUES ($1, $2, $3) RETURNING id",
	[ST_RATE_COUNT] =
		"SELECT COUNT(*) FROM rate_events WHERE kind = $1 AND subject = $2 AND at >= $3",
	[ST_RATE_PRUNE] = "DELETE FROM rate_events WHERE at < $1",
};

const char *store_pg_sql_host_by_name(void)
{
	return stmt_sql[ST_HOST_BY_NAME];
}

const char *store_pg_sql_host_record(void)
{
	return stmt_sql[ST_HOST_RECORD];
}

/* ---- parameters ---- */

/* Text-format parameters of one call: NULL = SQL NULL. Numbers and cut
 * messages are formatted into the struct, so it lives on the caller's
 * stack and nothing is allocated. */
struct params {
	int n;
	int n_msgs;
	const char *v[MAX_PARAMS];
	char num[MAX_PARAMS][24];
	char msg[MAX_MSGS][MSG_MAX + 1];
};

static void p_text(struct params *p, const char *s)
{
	p->v[p->n++] = s != NULL ? s : "";
}

static void p_null(struct params *p)
{
	p->v[p->n++] = NULL;
}

static void p_i64(struct params *p, int64_t x)
{
	snprintf(p->num[p->n], sizeof(p->num[0]), "%" PRId64, x);
	p->v[p->n] = p->num[p->n];
	p->n++;
}

static void p_bool(struct params *p, bool b)
{
	p->v[p->n++] = b ? "t" : "f";
}

/* 0 means never: NULL in the database. */
static void p_time(struct params *p, int64_t t)
{
	if (t == 0)
		p_null(p);
	else
		p_i64(p, t);
}

/* Length of the valid UTF-8 sequence at s (1-4), 0 when s does not start
 * one. Follows PostgreSQL's own check: no overlong forms, no surrogates,
 * nothing above U+10FFFF. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return c != 0 ? 1 : 0;
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (len > avail || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

/* A result message or comment, cut to MSG_MAX bytes on a UTF-8 boundary
 * like SQLite's. A UTF-8 database rejects invalid bytes where SQLite keeps
 * them; these texts are diagnostics that may quote a client's input, and
 * recording an update must not fail over them, so stray bytes become '?'.
 * NULL stays NULL (= leave the column unchanged). */
static void p_msg(struct params *p, const char *s)
{
	if (s == NULL || p->n_msgs >= MAX_MSGS) {
		p_null(p);
		return;
	}
	char *out = p->msg[p->n_msgs++];
	size_t len = store_utf8_cut(s, MSG_MAX);
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		size_t n = utf8_seq_len(u + i, len - i);
		if (n == 0) {
			out[i++] = '?';
		} else {
			memcpy(out + i, u + i, n);
			i += n;
		}
	}
	out[len] = '\0';
	p->v[p->n++] = out;
}

/* ---- array parameters ---- */

/* A growing text buffer for array literals; a failed allocation sticks. */
struct textbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void tb_add(struct textbuf *b, const char *s, size_t len)
{
	if (b->failed)
		return;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 256;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static void tb_str(struct textbuf *b, const char *s)
{
	tb_add(b, s, strlen(s));
}

static void tb_sep(struct textbuf *b, size_t i)
{
	tb_str(b, i == 0 ? "{" : ",");
}

static void tb_i64(struct textbuf *b, size_t i, int64_t x, bool null)
{
	char num[24];
	tb_sep(b, i);
	if (null) {
		tb_str(b, "NULL");
		return;
	}
	snprintf(num, sizeof(num), "%" PRId64, x);
	tb_str(b, num);
}

static void tb_bool(struct textbuf *b, size_t i, bool x, bool null)
{
	tb_sep(b, i);
	tb_str(b, null ? "NULL" : x ? "t" : "f");
}

/* s as a quoted array element. */
static void tb_quoted(struct textbuf *b, const char *s)
{
	tb_str(b, "\"");
	for (const char *c = s; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\')
			tb_str(b, "\\");
		tb_add(b, c, 1);
	}
	tb_str(b, "\"");
}

/* A message as an array element: cut and cleaned like p_msg, quoted. */
static void tb_msg(struct textbuf *b, size_t i, const char *s)
{
	tb_sep(b, i);
	if (s == NULL) {
		tb_str(b, "NULL");
		return;
	}
	struct params one = { 0 };
	p_msg(&one, s);
	tb_quoted(b, one.v[0]);
}

/* ---- the pool ---- */

/* A generic statement (store_exec) prepared on one connection. The SQL
 * is copied: callers may build it in a buffer that holds other text later. */
struct gen_stmt {
	char *sql;                      /* NULL: the slot is free */
	const char *sql_ptr;            /* the caller's pointer when prepared */
	size_t len;
	int n_params;                   /* part of the key, as for PQexecParams */
	unsigned name;                  /* prepared as nsupd_g<name> */
	bool referenced;                /* clock bit: used since the hand passed */
};

/* Statements that serve many requests at once, each on its own connection. */
enum batch_kind { BATCH_RECORD, BATCH_LOOKUP, BATCH__COUNT };
static const char *const batch_names[BATCH__COUNT] = {
	[BATCH_RECORD] = "result writes",
	[BATCH_LOOKUP] = "lookups",
};

struct batch_item;

/* Requests of one kind waiting for the kind's thread (batch_queue_or_run). */
struct batch_queue {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct batch_item *head, *tail;
	int running;                    /* in place or in the thread */
	bool thread_on, stop;
	pthread_t thread;
	const char *name;               /* batch_names */
	/* How well the kind batches, logged when the store closes. */
	atomic_llong n_in_place, n_batched, n_batches;
};

struct conn {
	PGconn *pg;
	/* plan_cache_mode = force_generic_plan (see borrow_batch) */
	bool generic_plans;
	bool prepared[ST__COUNT];
	/* store_exec's statements. Bounded, because store_admin.c builds SQL
	 * at run time (its filters); clock eviction keeps the hot ones. */
	struct gen_stmt gen[STORE_PG_GEN_CACHE];
	int gen_hand;
	unsigned gen_next_name;
	struct conn *next;
};

struct pgs {
	char *url;
	int max_conns;

	pthread_mutex_t pool_lock;
	pthread_cond_t pool_cond;       /* signalled when a connection comes back */
	struct conn *free_list;
	int n_open;                     /* borrowed + free + being opened */

	atomic_bool schema_ok;          /* cached: schema is at the latest version */

	/* The batched statements' own connections (borrow_batch), opened
	 * on first use; each lock is held while its connection is in use. */
	pthread_mutex_t batch_lock[BATCH__COUNT];
	struct conn *batch_conn[BATCH__COUNT];

	/* Requests waiting for a batch (batch_queue_or_run). */
	struct batch_queue queue[BATCH__COUNT];
};

/* "CREATE TABLE IF NOT EXISTS" and friends send NOTICEs, which libpq
 * would print on stderr. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Copies libpq's message into buf on one line and without the password:
 * some of libpq's URI parse errors quote the whole URI. */
static void redact_message(const char *url, const char *msg, char *buf, size_t size)
{
	str_copy(buf, msg != NULL ? msg : "", size);
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	size_t len = strlen(buf);
	while (len > 0 && buf[len - 1] == ' ')
		buf[--len] = '\0';

	/* scheme://user:PASSWORD@host... */
	const char *start = strstr(url, "://");
	if (start == NULL)
		return;
	start += 3;
	const char *at = strchr(start, '@');
	const char *slash = strchr(start, '/');
	if (at == NULL || (slash != NULL && slash < at))
		return;
	const char *colon = memchr(start, ':', (size_t)(at - start));
	if (colon == NULL || colon + 1 == at)
		return;
	size_t plen = (size_t)(at - colon - 1);
	char *hit = buf;
	while ((hit = memmem(hit, len - (size_t)(hit - buf), colon + 1, plen)) != NULL) {
		memset(hit, '*', plen);
		hit += plen;
	}
}

/* Maps a failed result (or a NULL one) to an error and logs what the
 * server said. Only the primary message is logged: the DETAIL line of a
 * constraint violation quotes the values. */
static nsupd_err map_result(PGconn *pg, const PGresult *res, const char *what)
{
	if (res == NULL) {
		if (PQstatus(pg) == CONNECTION_BAD) {
			char msg[256];
			redact_message("", PQerrorMessage(pg), msg, sizeof(msg));
			log_warn("store: %s: connection lost: %s", what, msg);
			return NSUPD_ERR_DB;
		}
		log_error("store: %s: out of memory", what);
		return NSUPD_ERR_NOMEM;
	}
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state != NULL && strlen(state) == 5) {
		if (strcmp(state, "23505") == 0)
			return NSUPD_ERR_EXISTS;
		if (strcmp(state, "23503") == 0)
			return NSUPD_ERR_NOT_FOUND;   /* the row referred to is gone */
		if (strcmp(state, "23502") == 0 || strcmp(state, "23514") == 0)
			return NSUPD_ERR_INVALID;
		/* Class 22, data exceptions: a value too long for its column,
		 * a byte sequence that is not UTF-8, a number out of range. */
		if (strncmp(state, "22", 2) == 0) {
			/* 22021's message quotes the offending bytes. */
			const char *primary = strcmp(state, "22021") == 0 ? "not valid UTF-8" :
				PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			log_warn("store: %s: rejected value: %s (%s)", what,
				primary != NULL ? primary : "?", state);
			return NSUPD_ERR_INVALID;
		}
		/* Lock timeout, statement timeout, serialization failure,
		 * deadlock: transient, like SQLite's busy. */
		if (strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0 ||
		    strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
			log_warn("store: %s: database busy: %s (%s)", what,
				PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY), state);
			return NSUPD_ERR_DB_BUSY;
		}
		const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		log_error("store: %s: %s (%s)", what, primary != NULL ? primary : "?", state);
		return NSUPD_ERR_DB;
	}
	/* No SQLSTATE: libpq's own failure, usually a lost connection,
	 * which the caller may repair (then only a warning is due). */
	char msg[256];
	redact_message("", PQerrorMessage(pg), msg, sizeof(msg));
	if (PQstatus(pg) == CONNECTION_BAD)
		log_warn("store: %s: connection lost: %s", what, msg);
	else
		log_error("store: %s: %s", what, msg);
	return NSUPD_ERR_DB;
}

/* Checks a result: NSUPD_OK for a command or rows. */
static nsupd_err check_result(PGconn *pg, const PGresult *res, const char *what)
{
	if (res != NULL) {
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_SINGLE_TUPLE)
			return NSUPD_OK;
	}
	return map_result(pg, res, what);
}

/* Runs SQL without parameters (set-up, migrations, transaction control). */
static nsupd_err exec_simple(PGconn *pg, const char *sql, const char *what)
{
	PGresult *res = PQexec(pg, sql);
	nsupd_err err = check_result(pg, res, what);
	PQclear(res);
	return err;
}

/* Session settings of a new (or re-established) connection. */
static nsupd_err conn_setup(struct conn *c)
{
	PQsetNoticeProcessor(c->pg, ignore_notice, NULL);
	nsupd_err err = exec_simple(c->pg,
		"SELECT set_config('lock_timeout', '" LOCK_TIMEOUT "', false) "
		"WHERE current_setting('lock_timeout') IN ('0', '0ms')", "connection setup");
	if (err == NSUPD_OK && c->generic_plans)
		err = exec_simple(c->pg, "SET plan_cache_mode = force_generic_plan",
			"connection setup");
	return err;
}

/* Forgets the generic statements; the server side is gone already or
 * goes with the connection. */
static void gen_forget_all(struct conn *c)
{
	for (int i = 0; i < STORE_PG_GEN_CACHE; i++) {
		free(c->gen[i].sql);
		c->gen[i] = (struct gen_stmt){ 0 };
	}
	c->gen_hand = 0;
}

static void conn_free(struct conn *c)
{
	PQfinish(c->pg);
	gen_forget_all(c);
	free(c);
}

static nsupd_err conn_open(struct pgs *s, bool generic_plans, struct conn **out, char *errbuf,
	size_t errsize)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NSUPD_ERR_NOMEM;
	c->generic_plans = generic_plans;
	/* Keywords are applied in order, and the URL is expanded where
	 * dbname stands: it overrides the defaults before it, but not the
	 * client encoding after it, which must be UTF-8 (all our text is). */
	const char *const keys[] = {
		"connect_timeout", "fallback_application_name", "dbname", "client_encoding", NULL
	};
	const char *const values[] = { "10", "nsupd", s->url, "UTF8", NULL };
	c->pg = PQconnectdbParams(keys, values, 1);
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		char msg[512];
		redact_message(s->url, c->pg != NULL ? PQerrorMessage(c->pg) : "out of memory",
			msg, sizeof(msg));
		if (errbuf != NULL)
			snprintf(errbuf, errsize, "cannot connect to PostgreSQL: %s", msg);
		log_error("store: cannot connect to PostgreSQL: %s", msg);
		conn_free(c);
		return NSUPD_ERR_DB;
	}
	nsupd_err err = conn_setup(c);
	if (err != NSUPD_OK) {
		if (errbuf != NULL)
			snprintf(errbuf, errsize, "cannot set up the PostgreSQL connection: %s",
				nsupd_strerror(err));
		conn_free(c);
		return err;
	}
	*out = c;
	return NSUPD_OK;
}

/* Re-establishes a connection the server dropped. Prepared statements
 * live in the server session, so they are gone with it. */
static bool conn_reset(struct conn *c, const char *what)
{
	PQreset(c->pg);
	memset(c->prepared, 0, sizeof(c->prepared));
	gen_forget_all(c);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		char msg[256];
		redact_message("", PQerrorMessage(c->pg), msg, sizeof(msg));
		log_error("store: %s: cannot reconnect to PostgreSQL: %s", what, msg);
		return false;
	}
	if (conn_setup(c) != NSUPD_OK)
		return false;
	log_info("store: %s: reconnected to PostgreSQL, retrying", what);
	return true;
}

static int latest_version(void)
{
	return store_pg_migrations[store_pg_migrations_count - 1].version;
}

/* Version recorded in the database, 0 when there is no schema yet.
 * to_regclass follows the search_path, like the other statements. */
static nsupd_err read_version(PGconn *pg, int *version)
{
	*version = 0;
	PGresult *res = PQexec(pg, "SELECT to_regclass('schema_version') IS NOT NULL");
	nsupd_err err = check_result(pg, res, "read schema version");
	bool exists = err == NSUPD_OK && PQntuples(res) == 1 &&
		strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (err != NSUPD_OK || !exists)
		return err;
	res = PQexec(pg, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
	err = check_result(pg, res, "read schema version");
	if (err == NSUPD_OK && PQntuples(res) == 1)
		*version = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return err;
}

static void release(struct pgs *s, struct conn *c)
{
	/* A connection never goes back with a transaction open: the next
	 * borrower would silently run inside it. A broken one is dropped,
	 * and the next borrower opens a fresh one. */
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
		PGresult *res = PQexec(c->pg, "ROLLBACK");
		PQclear(res);
	}
	bool broken = PQstatus(c->pg) != CONNECTION_OK ||
		PQtransactionStatus(c->pg) != PQTRANS_IDLE;
	pthread_mutex_lock(&s->pool_lock);
	if (broken) {
		s->n_open--;
	} else {
		c->next = s->free_list;
		s->free_list = c;
	}
	pthread_cond_signal(&s->pool_cond);
	pthread_mutex_unlock(&s->pool_lock);
	if (broken)
		conn_free(c);
}

static nsupd_err borrow_any(struct pgs *s, struct conn **out)
{
	pthread_mutex_lock(&s->pool_lock);
	while (s->free_list == NULL && s->n_open >= s->max_conns)
		pthread_cond_wait(&s->pool_cond, &s->pool_lock);
	struct conn *c = s->free_list;
	if (c != NULL) {
		s->free_list = c->next;
		pthread_mutex_unlock(&s->pool_lock);
		*out = c;
		return NSUPD_OK;
	}
	/* Reserve the slot, then connect outside the lock: a connection
	 * takes round trips and must not stall the threads returning theirs. */
	s->n_open++;
	pthread_mutex_unlock(&s->pool_lock);
	nsupd_err err = conn_open(s, false, &c, NULL, 0);
	if (err != NSUPD_OK) {
		pthread_mutex_lock(&s->pool_lock);
		s->n_open--;
		pthread_cond_signal(&s->pool_cond);
		pthread_mutex_unlock(&s->pool_lock);
		return err;
	}
	*out = c;
	return NSUPD_OK;
}

/* Borrows a connection for a data operation: NSUPD_ERR_SCHEMA until the
 * schema is at this program's version. The check runs only until it first
 * succeeds, so `nsupd migrate` next to a running server is picked up. */
static nsupd_err borrow(struct pgs *s, struct conn **out)
{
	nsupd_err err = borrow_any(s, out);
	if (err != NSUPD_OK || atomic_load_explicit(&s->schema_ok, memory_order_acquire))
		return err;
	int version = 0;
	err = read_version((*out)->pg, &version);
	if (err != NSUPD_OK && PQstatus((*out)->pg) == CONNECTION_BAD &&
	    conn_reset(*out, "read schema version"))
		err = read_version((*out)->pg, &version);
	if (err == NSUPD_OK && version != latest_version())
		err = NSUPD_ERR_SCHEMA;
	if (err != NSUPD_OK) {
		release(s, *out);
		*out = NULL;
		return err;
	}
	atomic_store_explicit(&s->schema_ok, true, memory_order_release);
	return NSUPD_OK;
}

/* pg_host_record_many's own connection, one batch at a time. Its UPDATE
 * takes arrays of unknown length: the server's usual choice plans it anew
 * for every batch (a custom plan for 2 rows looks cheaper than the generic
 * one's guess of 10) and that planning cost as much as the batching saved.
 * The generic plan (index lookups by id in the arrays' order) is right for
 * every batch, but forcing it on the pool would also force it on queries
 * whose parameters do change the best plan (the admin lists' filters).
 * Only after the schema was found current (borrow): else NSUPD_ERR_SCHEMA. */
static nsupd_err borrow_batch(struct pgs *s, enum batch_kind kind, struct conn **out)
{
	*out = NULL;
	if (!atomic_load_explicit(&s->schema_ok, memory_order_acquire))
		return NSUPD_ERR_SCHEMA;
	pthread_mutex_lock(&s->batch_lock[kind]);
	if (s->batch_conn[kind] == NULL) {
		nsupd_err err = conn_open(s, true, &s->batch_conn[kind], NULL, 0);
		if (err != NSUPD_OK) {
			s->batch_conn[kind] = NULL;
			pthread_mutex_unlock(&s->batch_lock[kind]);
			return err;
		}
	}
	*out = s->batch_conn[kind];
	return NSUPD_OK;
}

static void release_batch(struct pgs *s, enum batch_kind kind, struct conn *c)
{
	if (PQtransactionStatus(c->pg) == PQTRANS_INTRANS ||
	    PQtransactionStatus(c->pg) == PQTRANS_INERROR)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	if (PQstatus(c->pg) != CONNECTION_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		conn_free(c);
		s->batch_conn[kind] = NULL;
	}
	pthread_mutex_unlock(&s->batch_lock[kind]);
}

/* "cached plan must not change result type": a migration changed a table
 * under a prepared statement (a column's type, say). Preparing it again
 * is all it takes. */
static bool stale_plan(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return state != NULL && strcmp(state, "0A000") == 0;
}

static void stmt_name(enum stmt_id id, char *buf, size_t size)
{
	snprintf(buf, size, "nsupd_%d", (int)id);
}

static nsupd_err prepare(struct conn *c, enum stmt_id id, const char *what)
{
	if (c->prepared[id])
		return NSUPD_OK;
	char name[32];
	stmt_name(id, name, sizeof(name));
	PGresult *res = PQprepare(c->pg, name, stmt_sql[id], 0, NULL);
	nsupd_err err = check_result(c->pg, res, what);
	PQclear(res);
	if (err == NSUPD_OK)
		c->prepared[id] = true;
	return err;
}

/* Executes statement id on c; on success *out holds the result (the caller
 * PQclear()s it). A connection found broken is re-established once and the
 * statement run again. */
static nsupd_err run(struct conn *c, enum stmt_id id, const struct params *p,
	const char *what, PGresult **out)
{
	*out = NULL;
	for (int attempt = 0;; attempt++) {
		PGresult *res = NULL;
		nsupd_err err = prepare(c, id, what);
		if (err == NSUPD_OK) {
			char name[32];
			stmt_name(id, name, sizeof(name));
			res = PQexecPrepared(c->pg, name, p->n, p->v, NULL, NULL, 0);
			if (attempt == 0 && res != NULL &&
			    PQresultStatus(res) == PGRES_FATAL_ERROR && stale_plan(res)) {
				/* A migration changed the table under it: prepare
				 * it again (it failed, so nothing was applied). */
				PQclear(res);
				log_info("store: %s: table changed, preparing it again", what);
				char cmd[48];
				snprintf(cmd, sizeof(cmd), "DEALLOCATE %s", name);
				c->prepared[id] = false;
				err = exec_simple(c->pg, cmd, what);
				if (err != NSUPD_OK)
					return err;
				continue;
			}
			err = check_result(c->pg, res, what);
		}
		if (err == NSUPD_OK) {
			*out = res;
			return NSUPD_OK;
		}
		PQclear(res);
		if (attempt > 0 || PQstatus(c->pg) != CONNECTION_BAD || !conn_reset(c, what))
			return err;
	}
}

static int64_t parse_i64(const char *s)
{
	return (int64_t)strtoll(s, NULL, 10);
}

/* Affected rows of an INSERT/UPDATE/DELETE. */
static int64_t changes(PGresult *res)
{
	return parse_i64(PQcmdTuples(res));
}

static void col_text(const PGresult *res, int row, int i, char *buf, size_t size)
{
	const char *s = PQgetvalue(res, row, i);
	size_t len = (size_t)PQgetlength(res, row, i);
	if (len >= size)
		len = store_utf8_cut(s, size - 1);
	memcpy(buf, s, len);
	buf[len] = '\0';
}

static int64_t col_i64(const PGresult *res, int row, int i)
{
	if (PQgetisnull(res, row, i))
		return 0;   /* NULL reads as 0 = never */
	return parse_i64(PQgetvalue(res, row, i));
}

static bool col_bool(const PGresult *res, int row, int i)
{
	return !PQgetisnull(res, row, i) && PQgetvalue(res, row, i)[0] == 't';
}

static int64_t now_or(int64_t t)
{
	return t != 0 ? t : (int64_t)time(NULL);
}

/* ---- open, close, migrate ---- */

static void batch_queue_init(struct batch_queue *q, const char *name);
static void batch_queue_close(struct batch_queue *q);

static nsupd_err pg_open(const char *target, void **impl, char *errbuf, size_t errsize)
{
	if (!PQisthreadsafe()) {
		if (errbuf != NULL)
			snprintf(errbuf, errsize, "libpq was built without thread support");
		return NSUPD_ERR_CONFIG;
	}
	struct pgs *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NSUPD_ERR_NOMEM;
	s->url = strdup(target);
	if (s->url == NULL) {
		free(s);
		return NSUPD_ERR_NOMEM;
	}
	s->max_conns = POOL_MAX;
	pthread_mutex_init(&s->pool_lock, NULL);
	pthread_cond_init(&s->pool_cond, NULL);
	for (int k = 0; k < BATCH__COUNT; k++)
		pthread_mutex_init(&s->batch_lock[k], NULL);
	for (int k = 0; k < BATCH__COUNT; k++)
		batch_queue_init(&s->queue[k], batch_names[k]);
	atomic_init(&s->schema_ok, false);

	/* Connect once now, so a wrong URL or password fails at start-up. */
	struct conn *c = NULL;
	nsupd_err err = conn_open(s, false, &c, errbuf, errsize);
	if (err != NSUPD_OK) {
		pthread_cond_destroy(&s->pool_cond);
		pthread_mutex_destroy(&s->pool_lock);
		for (int k = 0; k < BATCH__COUNT; k++)
			pthread_mutex_destroy(&s->batch_lock[k]);
		for (int k = 0; k < BATCH__COUNT; k++)
			batch_queue_close(&s->queue[k]);
		free(s->url);
		free(s);
		return err;
	}
	s->free_list = c;
	s->n_open = 1;
	*impl = s;
	return NSUPD_OK;
}

static void pg_close(void *impl)
{
	struct pgs *s = impl;
	/* Queued requests are answered first (their callers are waiting). */
	for (int k = 0; k < BATCH__COUNT; k++)
		batch_queue_close(&s->queue[k]);
	int n = 0;
	while (s->free_list != NULL) {
		struct conn *c = s->free_list;
		s->free_list = c->next;
		conn_free(c);
		n++;
	}
	if (n != s->n_open)
		log_error("store: closed while %d connection(s) still borrowed", s->n_open - n);
	for (int k = 0; k < BATCH__COUNT; k++) {
		if (s->batch_conn[k] != NULL)
			conn_free(s->batch_conn[k]);
		pthread_mutex_destroy(&s->batch_lock[k]);
	}
	pthread_cond_destroy(&s->pool_cond);
	pthread_mutex_destroy(&s->pool_lock);
	/* The URL holds the password: do not leave it in freed memory. */
	explicit_bzero(s->url, strlen(s->url));
	free(s->url);
	free(s);
}

/* Applies migration m unless the database already has it, in one
 * transaction that first takes the migration lock: a second process
 * running `migrate` at the same time waits, then finds the version
 * recorded and does nothing. */
static nsupd_err apply_migration(PGconn *pg, const struct store_migration *m, bool *applied)
{
	*applied = false;
	nsupd_err err = exec_simple(pg, "BEGIN", "migrate: begin");
	if (err != NSUPD_OK)
		return err;
	err = exec_simple(pg, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")",
		"migrate: lock");
	if (err == NSUPD_OK)
		err = exec_simple(pg,
			"CREATE TABLE IF NOT EXISTS schema_version ("
			"  version INTEGER PRIMARY KEY,"
			"  applied BIGINT NOT NULL"
			")", "migrate: schema_version");
	int version = 0;
	if (err == NSUPD_OK)
		err = read_version(pg, &version);
	if (err == NSUPD_OK && version > latest_version()) {
		log_error("store: database schema version %d is newer than this program (%d)",
			version, latest_version());
		err = NSUPD_ERR_SCHEMA;
	}
	if (err == NSUPD_OK && version < m->version) {
		err = exec_simple(pg, m->sql, "migrate");
		if (err == NSUPD_OK) {
			struct params p = { 0 };
			p_i64(&p, m->version);
			p_i64(&p, (int64_t)time(NULL));
			PGresult *res = PQexecParams(pg,
				"INSERT INTO schema_version (version, applied) VALUES ($1, $2)",
				p.n, NULL, p.v, NULL, NULL, 0);
			err = check_result(pg, res, "migrate: record version");
			PQclear(res);
		}
		*applied = err == NSUPD_OK;
	}
	if (err == NSUPD_OK)
		err = exec_simple(pg, "COMMIT", "migrate: commit");
	if (err != NSUPD_OK) {
		*applied = false;
		PQclear(PQexec(pg, "ROLLBACK"));
	}
	return err;
}

static nsupd_err pg_migrate(void *impl)
{
	struct pgs *s = impl;
	struct conn *c = NULL;
	nsupd_err err = borrow_any(s, &c);
	if (err != NSUPD_OK)
		return err;
	for (int i = 0; i < store_pg_migrations_count && err == NSUPD_OK; i++) {
		bool applied = false;
		err = apply_migration(c->pg, &store_pg_migrations[i], &applied);
		if (err != NSUPD_OK && i == 0 && PQstatus(c->pg) == CONNECTION_BAD &&
		    conn_reset(c, "migrate"))
			err = apply_migration(c->pg, &store_pg_migrations[i], &applied);
		if (applied)
			log_info("store: applied schema migration %d", store_pg_migrations[i].version);
	}
	release(s, c);
	if (err == NSUPD_OK)
		atomic_store_explicit(&s->schema_ok, true, memory_order_release);
	return err;
}

static nsupd_err pg_schema_version(void *impl, int *version, int *latest)
{
	struct pgs *s = impl;
	struct conn *c = NULL;
	nsupd_err err = borrow_any(s, &c);
	if (err != NSUPD_OK)
		return err;
	err = read_version(c->pg, version);
	if (err != NSUPD_OK && PQstatus(c->pg) == CONNECTION_BAD &&
	    conn_reset(c, "read schema version"))
		err = read_version(c->pg, version);
	*latest = latest_version();
	release(s, c);
	return err;
}

/* ---- generic calls ---- */

/* Runs a write; NSUPD_ERR_NOT_FOUND when no row matched. */
static nsupd_err write_by_id(struct pgs *s, enum stmt_id id, const char *what,
	const struct params *p)
{
	struct conn *c = NULL;
	nsupd_err err = borrow(s, &c);
	if (err != NSUPD_OK)
		return err;
	PGresult *res = NULL;
	err = run(c, id, p, what, &res);
	if (err == NSUPD_OK && changes(res) == 0)
		err = NSUPD_ERR_NOT_FOUND;
	PQclear(res);
	release(s, c);
	return err;
}

/* Runs an INSERT ... RETURNING id. */
static nsupd_err insert(struct pgs *s, enum stmt_id id, const char *what,
	const struct params *p, int64_t *new_id)
{
	struct conn *c = NULL;
	nsupd_err err = borrow(s, &c);
	if (err != NSUPD_OK)
		return err;
	PGresult *res = NULL;
	err = run(c, id, p, what, &res);
	if (err == NSUPD_OK) {
		if (PQntuples(res) != 1) {
			log_error("store: %s: no id returned", what);
			err = NSUPD_ERR_DB;
		} else if (new_id != NULL) {
			*new_id = col_i64(res, 0, 0);
		}
	}
	PQclear(res);
	release(s, c);
	return err;
}

typedef void (*row_reader)(const PGresult *res, int row, void *out);

/* Runs a by-key SELECT returning at most one row. */
static nsupd_err read_one(struct pgs *s, enum stmt_id id, const char *what,
	const struct params *p, row_reader read, void *out)
{
	struct conn *c = NULL;
	nsupd_err err = borrow(s, &c);
	if (err != NSUPD_OK)
		return err;
	PGresult *res = NULL;
	err = run(c, id, p, what, &res);
	if (err == NSUPD_OK) {
		if (PQntuples(res) > 0)
			read(res, 0, out);
		else
			err = NSUPD_ERR_NOT_FOUND;
	}
	PQclear(res);
	release(s, c);
	return err;
}

static nsupd_err read_by_id(struct pgs *s, enum stmt_id id, const char *what, int64_t key,
	row_reader read, void *out)
{
	struct params p = { 0 };
	p_i64(&p, key);
	return read_one(s, id, what, &p, read, out);
}

static nsupd_err delete_by_id(struct pgs *s, enum stmt_id id, const char *what, int64_t key)
{
	struct params p = { 0 };
	p_i64(&p, key);
	return write_by_id(s, id, what, &p);
}

/* ---- users ---- */

static void read_user(const PGresult *res, int row, void *out)
{
	store_user *u = out;
	memset(u, 0, sizeof(*u));
	u->id = col_i64(res, row, 0);
	col_text(res, row, 1, u->name, sizeof(u->name));
	col_text(res, row, 2, u->email, sizeof(u->email));
	col_text(res, row, 3, u->password_hash, sizeof(u->password_hash));
	u->staff = col_bool(res, row, 4);
	u->active = col_bool(res, row, 5);
	u->created = col_i64(res, row, 6);
	u->last_login = col_i64(res, row, 7);
	col_text(res, row, 8, u->language, sizeof(u->language));
}

static nsupd_err pg_user_add(void *impl, const store_user *u, int64_t *id)
{
	struct params p = { 0 };
	p_text(&p, u->name);
	p_text(&p, u->email);
	p_text(&p, u->password_hash);
	p_bool(&p, u->staff);
	p_bool(&p, u->active);
	p_i64(&p, now_or(u->created));
	p_time(&p, u->last_login);
	p_text(&p, u->language);
	return insert(impl, ST_USER_ADD, "add user", &p, id);
}

static nsupd_err pg_user_get_by_name(void *impl, const char *name, store_user *out)
{
	struct params p = { 0 };
	p_text(&p, name);
	return read_one(impl, ST_USER_BY_NAME, "get user", &p, read_user, out);
}

static nsupd_err pg_user_get(void *impl, int64_t id, store_user *out)
{
	return read_by_id(impl, ST_USER_BY_ID, "get user", id, read_user, out);
}

static nsupd_err pg_user_delete(void *impl, int64_t id)
{
	return delete_by_id(impl, ST_USER_DELETE, "delete user", id);
}

/* ---- domains ---- */

static void read_domain_at(const PGresult *res, int row, int base, store_domain *d)
{
	memset(d, 0, sizeof(*d));
	d->id = col_i64(res, row, base + 0);
	col_text(res, row, base + 1, d->name, sizeof(d->name));
	col_text(res, row, base + 2, d->nameserver, sizeof(d->nameserver));
	col_text(res, row, base + 3, d->nameserver2, sizeof(d->nameserver2));
	col_text(res, row, base + 4, d->algorithm, sizeof(d->algorithm));
	col_text(res, row, base + 5, d->secret, sizeof(d->secret));
	d->public_ = col_bool(res, row, base + 6);
	d->available = col_bool(res, row, base + 7);
	d->backoff_until = col_i64(res, row, base + 8);
	col_text(res, row, base + 9, d->comment, sizeof(d->comment));
	d->owner_id = col_i64(res, row, base + 10);
	d->created = col_i64(res, row, base + 11);
}

static void read_domain(const PGresult *res, int row, void *out)
{
	read_domain_at(res, row, 0, out);
}

static nsupd_err pg_domain_add(void *impl, const store_domain *d, int64_t *id)
{
	struct params p = { 0 };
	p_text(&p, d->name);
	p_text(&p, d->nameserver);
	p_text(&p, d->nameserver2);
	p_text(&p, d->algorithm);
	p_text(&p, d->secret);
	p_bool(&p, d->public_);
	p_bool(&p, d->available);
	p_time(&p, d->backoff_until);
	p_msg(&p, d->comment);
	p_i64(&p, d->owner_id);
	p_i64(&p, now_or(d->created));
	return insert(impl, ST_DOMAIN_ADD, "add domain", &p, id);
}

static nsupd_err pg_domain_get_by_name(void *impl, const char *name, store_domain *out)
{
	struct params p = { 0 };
	p_text(&p, name);
	return read_one(impl, ST_DOMAIN_BY_NAME, "get domain", &p, read_domain, out);
}

static nsupd_err pg_domain_get(void *impl, int64_t id, store_domain *out)
{
	return read_by_id(impl, ST_DOMAIN_BY_ID, "get domain", id, read_domain, out);
}

static nsupd_err pg_domain_set_backoff(void *impl, int64_t id, int64_t until)
{
	struct params p = { 0 };
	p_time(&p, until);
	p_i64(&p, (int64_t)time(NULL));
	p_i64(&p, id);
	return write_by_id(impl, ST_DOMAIN_BACKOFF, "set domain back-off", &p);
}

static nsupd_err pg_domain_set_available(void *impl, int64_t id, bool available)
{
	struct params p = { 0 };
	p_bool(&p, available);
	p_i64(&p, (int64_t)time(NULL));
	p_i64(&p, id);
	return write_by_id(impl, ST_DOMAIN_AVAILABLE, "set domain available", &p);
}

static nsupd_err pg_domain_delete(void *impl, int64_t id)
{
	return delete_by_id(impl, ST_DOMAIN_DELETE, "delete domain", id);
}

/* ---- hosts ---- */

static void read_host(const PGresult *res, int row, void *out)
{
	store_host *h = out;
	memset(h, 0, sizeof(*h));
	h->id = col_i64(res, row, 0);
	col_text(res, row, 1, h->name, sizeof(h->name));
	h->domain_id = col_i64(res, row, 2);
	col_text(res, row, 3, h->domain, sizeof(h->domain));
	col_text(res, row, 4, h->secret_hash, sizeof(h->secret_hash));
	col_text(res, row, 5, h->comment, sizeof(h->comment));
	h->available = col_bool(res, row, 6);
	h->abuse = col_bool(res, row, 7);
	h->abuse_blocked = col_bool(res, row, 8);
	h->netmask_ipv4 = (unsigned)col_i64(res, row, 9);
	h->netmask_ipv6 = (unsigned)col_i64(res, row, 10);
	h->client_faults = col_i64(res, row, 11);
	h->server_faults = col_i64(res, row, 12);
	h->api_auth_faults = col_i64(res, row, 13);
	col_text(res, row, 14, h->client_result_msg, sizeof(h->client_result_msg));
	col_text(res, row, 15, h->server_result_msg, sizeof(h->server_result_msg));
	col_text(res, row, 16, h->api_auth_result_msg, sizeof(h->api_auth_result_msg));
	h->last_update_ipv4 = col_i64(res, row, 17);
	h->last_update_ipv6 = col_i64(res, row, 18);
	h->tls_update_ipv4 = col_bool(res, row, 19);
	h->tls_update_ipv6 = col_bool(res, row, 20);
	h->owner_id = col_i64(res, row, 21);
	h->created = col_i64(res, row, 22);
}

static nsupd_err pg_host_add(void *impl, const store_host *h, int64_t *id)
{
	struct params p = { 0 };
	p_text(&p, h->name);
	p_i64(&p, h->domain_id);
	p_text(&p, h->secret_hash);
	p_msg(&p, h->comment);
	p_bool(&p, h->available);
	p_bool(&p, h->abuse);
	p_bool(&p, h->abuse_blocked);
	p_i64(&p, h->netmask_ipv4);
	p_i64(&p, h->netmask_ipv6);
	p_i64(&p, h->client_faults);
	p_i64(&p, h->server_faults);
	p_i64(&p, h->api_auth_faults);
	p_msg(&p, h->client_result_msg);
	p_msg(&p, h->server_result_msg);
	p_msg(&p, h->api_auth_result_msg);
	p_time(&p, h->last_update_ipv4);
	p_time(&p, h->last_update_ipv6);
	p_bool(&p, h->tls_update_ipv4);
	p_bool(&p, h->tls_update_ipv6);
	p_i64(&p, h->owner_id);
	p_i64(&p, now_or(h->created));
	return insert(impl, ST_HOST_ADD, "add host", &p, id);
}

struct host_domain {
	store_host *host;
	store_domain *domain;
};

static void read_host_domain(const PGresult *res, int row, void *out)
{
	struct host_domain *hd = out;
	read_host(res, row, hd->host);
	read_domain_at(res, row, 23, hd->domain);
	hd->host->followups_read = true;
	hd->host->related_due = col_bool(res, row, STORE_FOLLOWUP_COL);
	hd->host->forward_due_ipv4 = col_bool(res, row, STORE_FOLLOWUP_COL + 1);
	hd->host->forward_due_ipv6 = col_bool(res, row, STORE_FOLLOWUP_COL + 2);
}

static nsupd_err pg_host_get_with_domain(void *impl, const char *name, const char *domain,
	store_host *host, store_domain *dom)
{
	struct params p = { 0 };
	p_text(&p, name);
	p_text(&p, domain);
	struct host_domain hd = { host, dom };
	return read_one(impl, ST_HOST_DOMAIN_BY_NAME, "get host", &p, read_host_domain, &hd);
}

/* ---- requests that wait for a batch (lookups, result writes) ----
 *
 * The update API's two round trips per request, the host lookup and the
 * result write, each have a queue and a thread. While nothing of the
 * kind runs, a request runs at once on the caller's thread (a request
 * alone is not delayed); while one runs, it queues, its caller waits
 * without a thread, and the kind's thread answers everything queued with
 * one statement. Under load the server runs one statement per batch
 * instead of one per request. */

struct batch_item {
	struct batch_item *next;
	store_done_fn done;
	void *ctx;
	nsupd_err result;
};

/* A lookup (pg_host_lookup_start). */
struct lookup_item {
	struct batch_item b;
	char name[64];
	char domain[STORE_NAME_MAX];
	store_host *host;
	store_domain *dom;
};

/* A result write (pg_host_record_start); ev is the caller's. */
struct record_item {
	struct batch_item b;
	int64_t id;
	const store_host_event *ev;
};

/* Most requests answered by one statement. */
#define BATCH_MAX 64

/* An array literal of names (validated DNS labels, quoted anyway). */
static void tb_names(struct textbuf *b, struct batch_item *const *w, size_t n, bool domains)
{
	for (size_t i = 0; i < n; i++) {
		const struct lookup_item *it = (const struct lookup_item *)w[i];
		tb_sep(b, i);
		tb_quoted(b, domains ? it->domain : it->name);
	}
	tb_str(b, n == 0 ? "{}" : "}");
}

/* Answers n > 1 lookups with one statement; false: the batch failed as a
 * whole (nothing is set) and the caller asks one by one. */
static bool lookup_batch(struct pgs *s, struct batch_item *const *w, size_t n)
{
	struct textbuf names = { 0 }, domains = { 0 };
	tb_names(&names, w, n, false);
	tb_names(&domains, w, n, true);
	bool ok = false;
	struct conn *c = NULL;
	if (!names.failed && !domains.failed && borrow_batch(s, BATCH_LOOKUP, &c) == NSUPD_OK) {
		struct params p = { 0 };
		p.v[p.n++] = names.p;
		p.v[p.n++] = domains.p;
		PGresult *res = NULL;
		if (run(c, ST_HOST_DOMAIN_BY_NAMES, &p, "get hosts", &res) == NSUPD_OK) {
			for (size_t i = 0; i < n; i++)
				w[i]->result = NSUPD_ERR_NOT_FOUND;
			for (int row = 0; row < PQntuples(res); row++) {
				int64_t i = col_i64(res, row, HOST_DOMAIN_NCOLS) - 1;
				if (i < 0 || (size_t)i >= n)
					continue;
				struct lookup_item *it = (struct lookup_item *)w[i];
				struct host_domain hd = { it->host, it->dom };
				read_host_domain(res, row, &hd);
				w[i]->result = NSUPD_OK;
			}
			ok = true;
		}
		PQclear(res);
		release_batch(s, BATCH_LOOKUP, c);
	}
	free(names.p);
	free(domains.p);
	return ok;
}

static void answer_lookups(struct pgs *s, struct batch_item *const *w, size_t n)
{
	if (n > 1 && lookup_batch(s, w, n))
		return;
	for (size_t i = 0; i < n; i++) {
		struct lookup_item *it = (struct lookup_item *)w[i];
		w[i]->result = pg_host_get_with_domain(s, it->name, it->domain, it->host, it->dom);
	}
}

static nsupd_err pg_host_record(void *impl, int64_t id, const store_host_event *ev);
static nsupd_err pg_host_record_many(void *impl, const int64_t *ids,
	const store_host_event *const *evs, size_t n, nsupd_err *results);

static void answer_records(struct pgs *s, struct batch_item *const *w, size_t n)
{
	int64_t ids[BATCH_MAX];
	const store_host_event *evs[BATCH_MAX];
	nsupd_err results[BATCH_MAX];
	for (size_t i = 0; i < n; i++) {
		const struct record_item *it = (const struct record_item *)w[i];
		ids[i] = it->id;
		evs[i] = it->ev;
	}
	if (n > 1 && pg_host_record_many(s, ids, evs, n, results) == NSUPD_OK) {
		for (size_t i = 0; i < n; i++)
			w[i]->result = results[i];
		return;
	}
	for (size_t i = 0; i < n; i++)
		w[i]->result = pg_host_record(s, ids[i], evs[i]);
}

static void (*const batch_answer[BATCH__COUNT])(struct pgs *s, struct batch_item *const *w,
	size_t n) = {
	[BATCH_RECORD] = answer_records,
	[BATCH_LOOKUP] = answer_lookups,
};

struct batch_thread_arg {
	struct pgs *s;
	enum batch_kind kind;
};

/* A kind's thread: answers what queued while the previous batch (or a
 * request in place) ran, then calls each back. */
static void *batch_main(void *arg)
{
	struct pgs *s = ((struct batch_thread_arg *)arg)->s;
	enum batch_kind kind = ((struct batch_thread_arg *)arg)->kind;
	free(arg);
	struct batch_queue *q = &s->queue[kind];
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->head == NULL && !q->stop)
			pthread_cond_wait(&q->cond, &q->mu);
		if (q->head == NULL)
			break;
		struct batch_item *batch[BATCH_MAX];
		size_t n = 0;
		while (q->head != NULL && n < BATCH_MAX) {
			batch[n++] = q->head;
			q->head = q->head->next;
		}
		if (q->head == NULL)
			q->tail = NULL;
		q->running++;
		pthread_mutex_unlock(&q->mu);
		atomic_fetch_add(&q->n_batched, (long long)n);
		atomic_fetch_add(&q->n_batches, 1);

		batch_answer[kind](s, batch, n);
		for (size_t i = 0; i < n; i++) {
			batch[i]->done(batch[i]->ctx, batch[i]->result);
			free(batch[i]);
		}

		pthread_mutex_lock(&q->mu);
		q->running--;
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Queues it while a request of its kind runs: true, and the thread owns
 * it. false: nothing runs (or the thread cannot start); the caller runs it
 * in place, then calls batch_end_in_place. */
static bool batch_queue_or_run(struct pgs *s, enum batch_kind kind, struct batch_item *it)
{
	struct batch_queue *q = &s->queue[kind];
	pthread_mutex_lock(&q->mu);
	bool queue = q->running > 0 || q->head != NULL;
	if (queue && !q->thread_on && !q->stop) {
		struct batch_thread_arg *arg = malloc(sizeof(*arg));
		if (arg != NULL) {
			*arg = (struct batch_thread_arg){ s, kind };
			q->thread_on = pthread_create(&q->thread, NULL, batch_main, arg) == 0;
			if (!q->thread_on)
				free(arg);
		}
		if (!q->thread_on)
			log_warn("store: cannot start the thread of the %s; running them in place",
				 q->name);
	}
	if (queue && q->thread_on && !q->stop) {
		if (q->tail != NULL)
			q->tail->next = it;
		else
			q->head = it;
		q->tail = it;
		pthread_cond_signal(&q->cond);
		pthread_mutex_unlock(&q->mu);
		return true;
	}
	q->running++;
	pthread_mutex_unlock(&q->mu);
	atomic_fetch_add(&q->n_in_place, 1);
	return false;
}

static void batch_end_in_place(struct pgs *s, enum batch_kind kind)
{
	struct batch_queue *q = &s->queue[kind];
	pthread_mutex_lock(&q->mu);
	q->running--;
	pthread_mutex_unlock(&q->mu);
}

/* A request of the kind (it from calloc): queued (false; done is called
 * later, from the kind's thread), or run at once as a batch of one while
 * nothing of its kind runs (true; *result set and it freed). */
static bool batch_start(struct pgs *s, enum batch_kind kind, struct batch_item *it,
	nsupd_err *result)
{
	if (batch_queue_or_run(s, kind, it))
		return false;
	batch_answer[kind](s, &it, 1);
	batch_end_in_place(s, kind);
	*result = it->result;
	free(it);
	return true;
}

static void batch_queue_init(struct batch_queue *q, const char *name)
{
	memset(q, 0, sizeof(*q));
	q->name = name;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cond, NULL);
}

/* Answers what is queued, ends the thread, and logs how well the kind
 * batched. */
static void batch_queue_close(struct batch_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	bool join = q->thread_on;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mu);
	if (join)
		pthread_join(q->thread, NULL);
	long long batches = atomic_load(&q->n_batches);
	if (batches > 0)
		log_info("store: %s: %lld in place, %lld in %lld batches", q->name,
			 (long long)atomic_load(&q->n_in_place),
			 (long long)atomic_load(&q->n_batched), batches);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cond);
}

static bool pg_host_lookup_start(void *impl, const char *name, const char *domain,
	store_host *host, store_domain *dom, nsupd_err *result, store_done_fn done, void *ctx)
{
	struct pgs *s = impl;
	struct lookup_item *it = calloc(1, sizeof(*it));
	if (it == NULL || strlen(name) >= sizeof(it->name) || strlen(domain) >= sizeof(it->domain)) {
		/* Out of memory, or names the queue cannot hold: in place. */
		free(it);
		*result = pg_host_get_with_domain(s, name, domain, host, dom);
		return true;
	}
	*it = (struct lookup_item){ .b = { .done = done, .ctx = ctx }, .host = host, .dom = dom };
	memcpy(it->name, name, strlen(name) + 1);
	memcpy(it->domain, domain, strlen(domain) + 1);
	return batch_start(s, BATCH_LOOKUP, &it->b, result);
}

static bool pg_host_record_start(void *impl, int64_t id, const store_host_event *ev,
	nsupd_err *result, store_done_fn done, void *ctx)
{
	struct pgs *s = impl;
	struct record_item *it = calloc(1, sizeof(*it));
	if (it == NULL) {
		*result = pg_host_record(s, id, ev);
		return true;
	}
	*it = (struct record_item){ .b = { .done = done, .ctx = ctx }, .id = id, .ev = ev };
	return batch_start(s, BATCH_RECORD, &it->b, result);
}

static nsupd_err pg_host_get_by_name(void *impl, const char *name, const char *domain,
	store_host *out)
{
	struct params p = { 0 };
	p_text(&p, name);
	p_text(&p, domain);
	return read_one(impl, ST_HOST_BY_NAME, "get host", &p, read_host, out);
}

static nsupd_err pg_host_get(void *impl, int64_t id, store_host *out)
{
	return read_by_id(impl, ST_HOST_BY_ID, "get host", id, read_host, out);
}

static nsupd_err pg_host_delete(void *impl, int64_t id)
{
	return delete_by_id(impl, ST_HOST_DELETE, "delete host", id);
}

static nsupd_err pg_host_set_secret(void *impl, int64_t id, const char *secret_hash)
{
	struct params p = { 0 };
	p_text(&p, secret_hash);
	p_i64(&p, (int64_t)time(NULL));
	p_i64(&p, id);
	return write_by_id(impl, ST_HOST_SECRET, "set host secret", &p);
}

static nsupd_err pg_host_update_settings(void *impl, int64_t id, const store_host_settings *set)
{
	struct params p = { 0 };
	p_bool(&p, set->set_available);
	p_bool(&p, set->available);
	p_bool(&p, set->set_abuse);
	p_bool(&p, set->abuse);
	p_bool(&p, set->set_abuse_blocked);
	p_bool(&p, set->abuse_blocked);
	p_bool(&p, set->set_netmask_ipv4);
	p_i64(&p, set->netmask_ipv4);
	p_bool(&p, set->set_netmask_ipv6);
	p_i64(&p, set->netmask_ipv6);
	p_msg(&p, set->set_comment ? set->comment : NULL);
	p_i64(&p, (int64_t)time(NULL));
	p_i64(&p, id);
	return write_by_id(impl, ST_HOST_SETTINGS, "update host settings", &p);
}

static void host_record_params(struct params *p, int64_t id, const store_host_event *ev)
{
	p_i64(p, ev->client_faults);
	p_i64(p, ev->server_faults);
	p_i64(p, ev->api_auth_faults);
	p_msg(p, ev->client_msg);
	p_msg(p, ev->server_msg);
	p_msg(p, ev->api_auth_msg);
	p_bool(p, ev->poke_ipv4);
	p_bool(p, ev->poke_ipv6);
	p_bool(p, ev->tls);
	p_i64(p, now_or(ev->now));
	p_bool(p, ev->flag_abuse_blocked);
	p_i64(p, id);
}

static nsupd_err pg_host_record(void *impl, int64_t id, const store_host_event *ev)
{
	struct params p = { 0 };
	host_record_params(&p, id, ev);
	return write_by_id(impl, ST_HOST_RECORD, "record host event", &p);
}

/* ---- many host events in one statement ---- */

/* One host's events of a batch folded into one, in arrival order:
 * counters add up, the last message of each kind and the last address
 * time of each family win. 0 in at4/at6: that family was not touched. */
struct folded_event {
	int64_t id;
	int64_t client_faults, server_faults, api_auth_faults;
	const char *client_msg, *server_msg, *api_auth_msg;
	int64_t at4, at6, at;
	bool tls4, tls6, abuse;
};

struct batch_order {
	int64_t id;
	size_t pos;
};

static int batch_order_cmp(const void *a, const void *b)
{
	const struct batch_order *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void fold_event(struct folded_event *f, const store_host_event *ev)
{
	int64_t at = now_or(ev->now);
	f->client_faults += ev->client_faults;
	f->server_faults += ev->server_faults;
	f->api_auth_faults += ev->api_auth_faults;
	if (ev->client_msg != NULL)
		f->client_msg = ev->client_msg;
	if (ev->server_msg != NULL)
		f->server_msg = ev->server_msg;
	if (ev->api_auth_msg != NULL)
		f->api_auth_msg = ev->api_auth_msg;
	if (ev->poke_ipv4) {
		f->at4 = at;
		f->tls4 = ev->tls;
	}
	if (ev->poke_ipv6) {
		f->at6 = at;
		f->tls6 = ev->tls;
	}
	f->abuse = f->abuse || ev->flag_abuse_blocked;
	f->at = at;
}

/* Folds the events by host, sorted by host id, so that every batch takes
 * its row locks in the same order and two instances' batches cannot
 * deadlock. slot[i] is the folded event of evs[i]. Returns how many. */
static size_t fold_events(const int64_t *ids, const store_host_event *const *evs, size_t n,
	struct batch_order *order, struct folded_event *out, size_t *slot)
{
	for (size_t i = 0; i < n; i++)
		order[i] = (struct batch_order){ .id = ids[i], .pos = i };
	qsort(order, n, sizeof(*order), batch_order_cmp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || order[i].id != order[i - 1].id)
			out[k++] = (struct folded_event){ .id = order[i].id };
		fold_event(&out[k - 1], evs[order[i].pos]);
		slot[order[i].pos] = k - 1;
	}
	return k;
}

enum { RECORD_MANY_COLS = 13 };

/* The events of concurrent requests (one host's folded into one) in one
 * UPDATE: one round trip, one plan start and one commit for the batch
 * instead of one each. On an error nothing was applied and the caller
 * records them one by one. */
static nsupd_err pg_host_record_many(void *impl, const int64_t *ids,
	const store_host_event *const *evs, size_t n, nsupd_err *results)
{
	struct pgs *s = impl;
	struct batch_order *order = calloc(n, sizeof(*order));
	struct folded_event *folded = calloc(n, sizeof(*folded));
	size_t *slot = calloc(n, sizeof(*slot));
	bool *found = calloc(n, sizeof(*found));
	struct textbuf col[RECORD_MANY_COLS];
	memset(col, 0, sizeof(col));
	nsupd_err err = NSUPD_ERR_NOMEM;
	if (order == NULL || folded == NULL || slot == NULL || found == NULL)
		goto out;
	size_t k = fold_events(ids, evs, n, order, folded, slot);
	for (size_t i = 0; i < k; i++) {
		const struct folded_event *f = &folded[i];
		tb_i64(&col[0], i, f->id, false);
		tb_i64(&col[1], i, f->client_faults, false);
		tb_i64(&col[2], i, f->server_faults, false);
		tb_i64(&col[3], i, f->api_auth_faults, false);
		tb_msg(&col[4], i, f->client_msg);
		tb_msg(&col[5], i, f->server_msg);
		tb_msg(&col[6], i, f->api_auth_msg);
		tb_i64(&col[7], i, f->at4, f->at4 == 0);
		tb_bool(&col[8], i, f->tls4, f->at4 == 0);
		tb_i64(&col[9], i, f->at6, f->at6 == 0);
		tb_bool(&col[10], i, f->tls6, f->at6 == 0);
		tb_bool(&col[11], i, f->abuse, false);
		tb_i64(&col[12], i, f->at, false);
	}
	struct params p = { 0 };
	for (size_t i = 0; i < RECORD_MANY_COLS; i++) {
		tb_str(&col[i], "}");
		if (col[i].failed)
			goto out;
		p.v[p.n++] = col[i].p;
	}
	struct conn *c = NULL;
	err = borrow_batch(s, BATCH_RECORD, &c);
	if (err != NSUPD_OK)
		goto out;
	PGresult *res = NULL;
	err = run(c, ST_HOST_RECORD_MANY, &p, "record host events", &res);
	if (err == NSUPD_OK) {
		/* RETURNING h.id: the hosts that exist (in no set order;
		 * folded is sorted by id). */
		for (int row = 0; row < PQntuples(res); row++) {
			int64_t id = col_i64(res, row, 0);
			size_t lo = 0, hi = k;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (folded[mid].id < id)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < k && folded[lo].id == id)
				found[lo] = true;
		}
		for (size_t i = 0; i < n; i++)
			results[i] = found[slot[i]] ? NSUPD_OK : NSUPD_ERR_NOT_FOUND;
	}
	PQclear(res);
	release_batch(s, BATCH_RECORD, c);
out:
	for (size_t i = 0; i < RECORD_MANY_COLS; i++)
		free(col[i].p);
	free(order);
	free(folded);
	free(slot);
	free(found);
	return err;
}

static nsupd_err pg_host_count(void *impl, int64_t *n)
{
	struct pgs *s = impl;
	struct conn *c = NULL;
	nsupd_err err = borrow(s, &c);
	if (err != NSUPD_OK)
		return err;
	struct params p = { 0 };
	PGresult *res = NULL;
	err = run(c, ST_HOST_COUNT, &p, "count hosts", &res);
	if (err == NSUPD_OK)
		*n = PQntuples(res) == 1 ? col_i64(res, 0, 0) : 0;
	PQclear(res);
	release(s, c);
	return err;
}

/* Streams the rows (single-row mode), so a domain with a million hosts
 * does not need a million rows in memory. After cb asks to stop, the rest
 * is read and dropped: the connection must be idle when it goes back. */
static nsupd_err list_once(struct conn *c, enum stmt_id id, const struct params *p,
	store_host_cb cb, void *ctx, int *delivered)
{
	nsupd_err err = prepare(c, id, "list hosts");
	if (err != NSUPD_OK)
		return err;
	char name[32];
	stmt_name(id, name, sizeof(name));
	if (!PQsendQueryPrepared(c->pg, name, p->n, p->v, NULL, NULL, 0))
		return map_result(c->pg, NULL, "list hosts");
	if (!PQsetSingleRowMode(c->pg))
		log_warn("store: list hosts: single-row mode refused");
	bool stop = false;
	PGresult *res;
	store_host h;
	while ((res = PQgetResult(c->pg)) != NULL) {
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) {
			for (int row = 0; row < PQntuples(res) && !stop; row++) {
				read_host(res, row, &h);
				(*delivered)++;
				if (!cb(&h, ctx))
					stop = true;
			}
		} else if (err == NSUPD_OK) {
			err = map_result(c->pg, res, "list hosts");
		}
		PQclear(res);
	}
	return err;
}

static nsupd_err host_list(void *impl, enum stmt_id id, int64_t key, store_host_cb cb, void *ctx)
{
	struct pgs *s = impl;
	struct conn *c = NULL;
	nsupd_err err = borrow(s, &c);
	if (err != NSUPD_OK)
		return err;
	struct params p = { 0 };
	p_i64(&p, key);
	int delivered = 0;
	err = list_once(c, id, &p, cb, ctx, &delivered);
	/* Retry only when nothing reached cb yet, or it would see rows twice. */
	if (err != NSUPD_OK && delivered == 0 && PQstatus(c->pg) == CONNECTION_BAD &&
	    conn_reset(c, "list hosts"))
		err = list_once(c, id, &p, cb, ctx, &delivered);
	release(s, c);
	return err;
}

static nsupd_err pg_host_list_by_domain(void *impl, int64_t domain_id, store_host_cb cb, void *ctx)
{
	return host_list(impl, ST_HOST_LIST, domain_id, cb, ctx);
}

static nsupd_err pg_host_list_by_owner(void *impl, int64_t owner_id, store_host_cb cb, void *ctx)
{
	return host_list(impl, ST_HOST_LIST_OWNER, owner_id, cb, ctx);
}

/* ---- web: users, sessions, rate limits (mirror the SQLite backend) ---- */

static nsupd_err pg_user_set_language(void *impl, int64_t id, const char *language)
{
	struct params p = { 0 };
	p_text(&p, language);
	p_i64(&p, id);
	return write_by_id(impl, ST_USER_LANGUAGE, "set user language", &p);
}

static nsupd_err pg_user_set_last_login(void *impl, int64_t id, int64_t when)
{
	struct params p = { 0 };
	p_time(&p, when);
	p_i64(&p, id);
	return write_by_id(impl, ST_USER_LAST_LOGIN, "set last login", &p);
}

/* 0 = anonymous: NULL in the database. */
static void p_user(struct params *p, int64_t id)
{
	if (id == 0)
		p_null(p);
	else
		p_i64(p, id);
}

static nsupd_err pg_session_create(void *impl, const store_session *sess)
{
	struct params p = { 0 };
	p_text(&p, sess->key);
	p_user(&p, sess->user_id);
	p_text(&p, sess->data);
	p_i64(&p, now_or(sess->created));
	p_i64(&p, sess->expires);
	return insert(impl, ST_SESSION_CREATE, "create session", &p, NULL);
}

static void read_session(const PGresult *res, int row, void *out)
{
	store_session *s = out;
	memset(s, 0, sizeof(*s));
	col_text(res, row, 0, s->key, sizeof(s->key));
	s->user_id = col_i64(res, row, 1);
	col_text(res, row, 2, s->data, sizeof(s->data));
	s->created = col_i64(res, row, 3);
	s->expires = col_i64(res, row, 4);
}

static nsupd_err pg_session_get(void *impl, const char *key, int64_t now, store_session *out)
{
	struct params p = { 0 };
	p_text(&p, key);
	p_i64(&p, now);
	return read_one(impl, ST_SESSION_GET, "get session", &p, read_session, out);
}

static nsupd_err pg_session_save(void *impl, const char *key, int64_t user_id, const char *data,
	int64_t expires)
{
	struct params p = { 0 };
	p_user(&p, user_id);
	p_text(&p, data);
	p_i64(&p, expires);
	p_text(&p, key);
	return write_by_id(impl, ST_SESSION_SAVE, "save session", &p);
}

static nsupd_err pg_session_delete(void *impl, const char *key)
{
	struct params p = { 0 };
	p_text(&p, key);
	return write_by_id(impl, ST_SESSION_DELETE, "delete session", &p);
}

/* A write that may touch no row; *n (optional) gets how many it did. */
static nsupd_err write_any(struct pgs *s, enum stmt_id id, const char *what,
	const struct params *p, int64_t *n)
{
	struct conn *c = NULL;
	nsupd_err err = borrow(s, &c);
	if (err != NSUPD_OK)
		return err;
	PGresult *res = NULL;
	err = run(c, id, p, what, &res);
	if (err == NSUPD_OK && n != NULL)
		*n = changes(res);
	PQclear(res);
	release(s, c);
	return err;
}

static nsupd_err pg_session_delete_user(void *impl, int64_t user_id, const char *except_key)
{
	struct params p = { 0 };
	p_i64(&p, user_id);
	p_text(&p, except_key);
	return write_any(impl, ST_SESSION_DELETE_USER, "delete user sessions", &p, NULL);
}

static nsupd_err pg_session_delete_expired(void *impl, int64_t now, int64_t *n)
{
	struct params p = { 0 };
	p_i64(&p, now);
	return write_any(impl, ST_SESSION_DELETE_EXPIRED, "delete expired sessions", &p, n);
}

static nsupd_err pg_rate_add(void *impl, const char *kind, const char *subject, int64_t at)
{
	struct params p = { 0 };
	p_text(&p, kind);
	p_text(&p, subject);
	p_i64(&p, at);
	return insert(impl, ST_RATE_ADD, "add rate event", &p, NULL);
}

static void read_count(const PGresult *res, int row, void *out)
{
	*(int64_t *)out = col_i64(res, row, 0);
}

static nsupd_err pg_rate_count(void *impl, const char *kind, const char *subject, int64_t since,
	int64_t *n)
{
	struct params p = { 0 };
	p_text(&p, kind);
	p_text(&p, subject);
	p_i64(&p, since);
	*n = 0;
	return read_one(impl, ST_RATE_COUNT, "count rate events", &p, read_count, n);
}

static nsupd_err pg_rate_prune(void *impl, int64_t before)
{
	struct params p = { 0 };
	p_i64(&p, before);
	return write_any(impl, ST_RATE_PRUNE, "prune rate events", &p, NULL);
}

/* ---- generic statements (store_exec) ---- */

/* The cache entry holding sql with n_params parameters, or NULL. The
 * caller's pointer is tried first (the hot path's SQL is a string
 * constant), but only the text decides: a buffer may hold other SQL now. */
static struct gen_stmt *gen_find(struct conn *c, const char *sql, int n_params)
{
	for (int i = 0; i < STORE_PG_GEN_CACHE; i++) {
		struct gen_stmt *g = &c->gen[i];
		if (g->sql != NULL && g->sql_ptr == sql && g->n_params == n_params &&
		    strcmp(g->sql, sql) == 0)
			return g;
	}
	size_t len = strlen(sql);
	for (int i = 0; i < STORE_PG_GEN_CACHE; i++) {
		struct gen_stmt *g = &c->gen[i];
		if (g->sql != NULL && g->len == len && g->n_params == n_params &&
		    memcmp(g->sql, sql, len) == 0) {
			g->sql_ptr = sql;
			return g;
		}
	}
	return NULL;
}

/* A slot for a new statement: a free one, or the first the clock hand
 * finds unused since it last passed (a statement run once, like most of
 * store_admin.c's built SQL, goes before one that keeps being run). */
static struct gen_stmt *gen_victim(struct conn *c)
{
	for (;;) {
		struct gen_stmt *g = &c->gen[c->gen_hand];
		c->gen_hand = (c->gen_hand + 1) % STORE_PG_GEN_CACHE;
		if (g->sql == NULL || !g->referenced)
			return g;
		g->referenced = false;
	}
}

static void gen_name(unsigned name, char *buf, size_t size)
{
	snprintf(buf, size, "nsupd_g%u", name);
}

/* Drops one cached statement, on the server too. Names are never reused
 * on a connection, so a DEALLOCATE that fails leaves nothing to collide. */
static nsupd_err gen_drop(struct conn *c, struct gen_stmt *g)
{
	char cmd[48] = "DEALLOCATE ";
	gen_name(g->name, cmd + strlen(cmd), sizeof(cmd) - strlen(cmd));
	free(g->sql);
	*g = (struct gen_stmt){ 0 };
	return exec_simple(c->pg, cmd, "generic statement: deallocate");
}

/* The prepared statement for q on c, preparing it on first use. The
 * parameters are declared as PQexecParams would (their number, no types),
 * so the server infers the same types from the SQL text as it did when
 * every call was parsed anew: text values never decide a type. */
static nsupd_err gen_prepare(struct conn *c, const store_sql *q, struct gen_stmt **out)
{
	struct gen_stmt *g = gen_find(c, q->sql, q->n_params);
	if (g != NULL) {
		g->referenced = true;
		*out = g;
		return NSUPD_OK;
	}
	size_t len = strlen(q->sql);
	char *copy = malloc(len + 1);
	if (copy == NULL)
		return NSUPD_ERR_NOMEM;
	memcpy(copy, q->sql, len + 1);
	g = gen_victim(c);
	nsupd_err err = g->sql != NULL ? gen_drop(c, g) : NSUPD_OK;
	if (err == NSUPD_OK) {
		unsigned name = c->gen_next_name++;
		char buf[32];
		gen_name(name, buf, sizeof(buf));
		PGresult *res = PQprepare(c->pg, buf, q->sql, q->n_params, NULL);
		err = check_result(c->pg, res, "generic statement");
		PQclear(res);
		if (err == NSUPD_OK)
			*g = (struct gen_stmt){ .sql = copy, .sql_ptr = q->sql, .len = len,
				.n_params = q->n_params, .name = name };
	}
	if (err != NSUPD_OK) {
		free(copy);
		return err;
	}
	*out = g;
	return NSUPD_OK;
}

/* Runs one statement. With stale given, a failure on a stale plan sets
 * *stale and is not logged: the caller prepares it again and retries. */
static nsupd_err pg_exec_one(struct conn *c, store_sql *q, struct gen_stmt **stale)
{
	const char *v[STORE_SQL_PARAMS_MAX];
	char num[STORE_SQL_PARAMS_MAX][24];
	if (q->n_params > STORE_SQL_PARAMS_MAX || q->n_params < 0)
		return NSUPD_ERR_INVALID;
	for (int i = 0; i < q->n_params; i++) {
		const store_param *p = &q->params[i];
		switch (p->type) {
		case STORE_P_NULL: v[i] = NULL; break;
		case STORE_P_INT:
			snprintf(num[i], sizeof(num[i]), "%" PRId64, p->i);
			v[i] = num[i];
			break;
		case STORE_P_BOOL: v[i] = p->i != 0 ? "t" : "f"; break;
		case STORE_P_TEXT: v[i] = p->s != NULL ? p->s : ""; break;
		}
	}
	struct gen_stmt *g = NULL;
	nsupd_err err = gen_prepare(c, q, &g);
	if (err != NSUPD_OK)
		return err;
	char name[32];
	gen_name(g->name, name, sizeof(name));
	PGresult *res = PQexecPrepared(c->pg, name, q->n_params, v, NULL, NULL, 0);
	if (stale != NULL && res != NULL && PQresultStatus(res) == PGRES_FATAL_ERROR &&
	    stale_plan(res)) {
		*stale = g;
		PQclear(res);
		return NSUPD_ERR_DB;
	}
	err = check_result(c->pg, res, "generic statement");
	q->changes = 0;
	if (err == NSUPD_OK) {
		int rows = PQntuples(res);
		int ncols = PQnfields(res);
		if (ncols > STORE_ROW_COLS_MAX)
			ncols = STORE_ROW_COLS_MAX;
		for (int r = 0; r < rows && q->on_row != NULL; r++) {
			store_row row = { .ncols = ncols };
			for (int i = 0; i < ncols; i++)
				row.col[i] = PQgetisnull(res, r, i) ? NULL : PQgetvalue(res, r, i);
			if (!q->on_row(&row, q->ctx))
				break;
		}
		q->changes = changes(res);
	}
	PQclear(res);
	return err;
}

static nsupd_err pg_exec(void *impl, store_sql *q, int n)
{
	struct pgs *s = impl;
	struct conn *c = NULL;
	nsupd_err err = borrow(s, &c);
	if (err != NSUPD_OK)
		return err;
	for (int attempt = 0;; attempt++) {
		struct gen_stmt *stale = NULL;
		err = n > 1 ? exec_simple(c->pg, "BEGIN", "begin") : NSUPD_OK;
		for (int i = 0; i < n && err == NSUPD_OK; i++)
			err = pg_exec_one(c, &q[i], attempt == 0 ? &stale : NULL);
		if (n > 1) {
			if (err == NSUPD_OK)
				err = exec_simple(c->pg, "COMMIT", "commit");
			if (err != NSUPD_OK)
				PQclear(PQexec(c->pg, "ROLLBACK"));
		}
		if (err == NSUPD_OK || attempt > 0)
			break;
		/* Nothing was applied (a failed statement rolls back, alone
		 * or in the transaction): prepare it again and run it all once
		 * more. A dropped connection is re-opened once, like run(). */
		if (stale != NULL) {
			log_info("store: generic statement: table changed, preparing it again");
			if (gen_drop(c, stale) != NSUPD_OK)
				break;
			continue;
		}
		if (PQstatus(c->pg) != CONNECTION_BAD || !conn_reset(c, "generic statement"))
			break;
	}
	release(s, c);
	return err;
}

const struct store_ops store_pg_ops = {
	.name = "postgresql",
	.exec = pg_exec,
	.open = pg_open,
	.close = pg_close,
	.migrate = pg_migrate,
	.schema_version = pg_schema_version,
	.user_add = pg_user_add,
	.user_get_by_name = pg_user_get_by_name,
	.user_get = pg_user_get,
	.user_delete = pg_user_delete,
	.domain_add = pg_domain_add,
	.domain_get_by_name = pg_domain_get_by_name,
	.domain_get = pg_domain_get,
	.domain_set_backoff = pg_domain_set_backoff,
	.domain_set_available = pg_domain_set_available,
	.domain_delete = pg_domain_delete,
	.host_add = pg_host_add,
	.host_get_by_name = pg_host_get_by_name,
	.host_get_with_domain = pg_host_get_with_domain,
	.host_lookup_start = pg_host_lookup_start,
	.host_record_start = pg_host_record_start,
	.host_get = pg_host_get,
	.host_delete = pg_host_delete,
	.host_set_secret = pg_host_set_secret,
	.host_update_settings = pg_host_update_settings,
	.host_record = pg_host_record,
	.host_record_many = pg_host_record_many,
	.host_count = pg_host_count,
	.host_list_by_domain = pg_host_list_by_domain,
	.user_set_language = pg_user_set_language,
	.user_set_last_login = pg_user_set_last_login,
	.host_list_by_owner = pg_host_list_by_owner,
	.session_create = pg_session_create,
	.session_get = pg_session_get,
	.session_save = pg_session_save,
	.session_delete = pg_session_delete,
	.session_delete_user = pg_session_delete_user,
	.session_delete_expired = pg_session_delete_expired,
	.rate_add = pg_rate_add,
	.rate_count = pg_rate_count,
	.rate_prune = pg_rate_prune,
};
