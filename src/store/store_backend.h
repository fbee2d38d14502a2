/* Internal to src/store: the table of operations one database backend
 * provides. store.c parses the URL, picks the backend and forwards every
 * public call to it, so a PostgreSQL backend only has to fill in another
 * table. Each backend owns its SQL text and its migrations. */
#ifndef NSUPD_STORE_BACKEND_H
#define NSUPD_STORE_BACKEND_H

#include "store/store.h"

/* A generic statement: SQL that runs unchanged on every backend, with
 * parameters $1..$n (SQLite gets them as ?1..?n). Rows come back as text
 * (integers in decimal, booleans "0"/"1" from SQLite or "t"/"f" from
 * PostgreSQL; see store_row_bool), NULL for SQL NULL. */
enum store_param_type { STORE_P_NULL, STORE_P_INT, STORE_P_BOOL, STORE_P_TEXT };
typedef struct store_param {
	enum store_param_type type;
	int64_t i;                 /* STORE_P_INT, STORE_P_BOOL */
	const char *s;             /* STORE_P_TEXT */
} store_param;
#define STORE_SQL_PARAMS_MAX 16
#define STORE_ROW_COLS_MAX 32
typedef struct store_row {
	int ncols;
	const char *col[STORE_ROW_COLS_MAX];
} store_row;
/* Called per row while the connection is borrowed (must not call the
 * store); false stops the statement's rows. */
typedef bool (*store_row_fn)(const store_row *row, void *ctx);
typedef struct store_sql {
	const char *sql;
	const store_param *params;
	int n_params;
	store_row_fn on_row;       /* NULL when no rows are expected */
	void *ctx;
	int64_t changes;           /* out: rows inserted, updated or deleted */
} store_sql;
/* exec runs n statements in order, on one connection, in one transaction
 * when n > 1, and stops at the first failure (rolling back). Statements
 * that do not start with SELECT are writes (SQLite takes its write lock). */

/* Three columns that follow a host's and its domain's row on the update
 * path (store_host.followups_read): whether the host has an available
 * related host, and a forward configuration for IPv4 and for IPv6 (as
 * store_followups_due matches them), so a good update needs no read of its
 * own to know. `h` is the hosts row. */
#define STORE_FOLLOWUP_COLS \
	"EXISTS (SELECT 1 FROM related_hosts r WHERE r.main_host_id = h.id AND r.available), " \
	"EXISTS (SELECT 1 FROM service_updater_host_configs c JOIN service_updaters s " \
	"ON s.id = c.service_id WHERE c.host_id = h.id AND c.give_ipv4 AND s.accept_ipv4), " \
	"EXISTS (SELECT 1 FROM service_updater_host_configs c JOIN service_updaters s " \
	"ON s.id = c.service_id WHERE c.host_id = h.id AND c.give_ipv6 AND s.accept_ipv6) "
/* Where they start: after 23 host and 12 domain columns. */
#define STORE_FOLLOWUP_COL 35

struct store_ops {
	const char *name;

	/* target is the URL with the scheme removed (a path for SQLite); for
	 * PostgreSQL it is the whole URL, which libpq parses itself.
	 * On success *impl is the backend's handle, freed by close(). */
	nsupd_err (*open)(const char *target, void **impl, char *errbuf, size_t errsize);
	void (*close)(void *impl);

	nsupd_err (*migrate)(void *impl);
	nsupd_err (*schema_version)(void *impl, int *version, int *latest);

	nsupd_err (*user_add)(void *impl, const store_user *u, int64_t *id);
	nsupd_err (*user_get_by_name)(void *impl, const char *name, store_user *out);
	nsupd_err (*user_get)(void *impl, int64_t id, store_user *out);
	nsupd_err (*user_delete)(void *impl, int64_t id);

	nsupd_err (*domain_add)(void *impl, const store_domain *d, int64_t *id);
	nsupd_err (*domain_get_by_name)(void *impl, const char *name, store_domain *out);
	nsupd_err (*domain_get)(void *impl, int64_t id, store_domain *out);
	nsupd_err (*domain_set_backoff)(void *impl, int64_t id, int64_t until);
	nsupd_err (*domain_set_available)(void *impl, int64_t id, bool available);
	nsupd_err (*domain_delete)(void *impl, int64_t id);

	nsupd_err (*host_add)(void *impl, const store_host *h, int64_t *id);
	/* name and domain are already split and lowercased by store.c */
	nsupd_err (*host_get_by_name)(void *impl, const char *name, const char *domain,
		store_host *out);
	nsupd_err (*host_get_with_domain)(void *impl, const char *name, const char *domain,
		store_host *host, store_domain *dom);
	/* Optional (NULL: store.c looks up in place): store_host_lookup_start
	 * with the name split as for host_get_by_name. */
	bool (*host_lookup_start)(void *impl, const char *name, const char *domain,
		store_host *host, store_domain *dom, nsupd_err *result,
		store_done_fn done, void *ctx);
	nsupd_err (*host_get)(void *impl, int64_t id, store_host *out);
	nsupd_err (*host_delete)(void *impl, int64_t id);
	nsupd_err (*host_set_secret)(void *impl, int64_t id, const char *secret_hash);
	nsupd_err (*host_update_settings)(void *impl, int64_t id, const store_host_settings *set);
	nsupd_err (*host_record)(void *impl, int64_t id, const store_host_event *ev);
	/* Optional (NULL: store.c records in place): store_host_record_start. */
	bool (*host_record_start)(void *impl, int64_t id, const store_host_event *ev,
		nsupd_err *result, store_done_fn done, void *ctx);
	/* Optional (NULL: store.c records one by one): several events in one
	 * statement; results[i] as host_record's. */
	nsupd_err (*host_record_many)(void *impl, const int64_t *ids,
		const store_host_event *const *evs, size_t n, nsupd_err *results);
	nsupd_err (*host_count)(void *impl, int64_t *n);
	nsupd_err (*host_list_by_domain)(void *impl, int64_t domain_id, store_host_cb cb, void *ctx);

	/* Added for the web interface. */
	nsupd_err (*user_set_language)(void *impl, int64_t id, const char *language);
	nsupd_err (*user_set_last_login)(void *impl, int64_t id, int64_t when);
	nsupd_err (*host_list_by_owner)(void *impl, int64_t owner_id, store_host_cb cb, void *ctx);
	nsupd_err (*session_create)(void *impl, const store_session *sess);
	nsupd_err (*session_get)(void *impl, const char *key, int64_t now, store_session *out);
	nsupd_err (*session_save)(void *impl, const char *key, int64_t user_id, const char *data,
		int64_t expires);
	nsupd_err (*session_delete)(void *impl, const char *key);
	nsupd_err (*session_delete_user)(void *impl, int64_t user_id, const char *except_key);
	nsupd_err (*session_delete_expired)(void *impl, int64_t now, int64_t *n);
	nsupd_err (*rate_add)(void *impl, const char *kind, const char *subject, int64_t at);
	nsupd_err (*rate_count)(void *impl, const char *kind, const char *subject, int64_t since,
		int64_t *n);
	nsupd_err (*rate_prune)(void *impl, int64_t before);

	/* Generic statements, for store_fwd.c (related hosts, services,
	 * forwarding), whose SQL is the same on every backend. */
	nsupd_err (*exec)(void *impl, struct store_sql *stmts, int n);
};

extern const struct store_ops store_sqlite_ops;
#ifdef NSUPD_HAVE_PG
extern const struct store_ops store_pg_ops;
#endif

/* Schema migrations of one backend, in order. Version N is applied in one
 * transaction together with the row recording it in schema_version; a
 * released migration is never edited, a change is a new entry. */
struct store_migration {
	int version;
	const char *sql;
};
extern const struct store_migration store_sqlite_migrations[];
extern const int store_sqlite_migrations_count;
#ifdef NSUPD_HAVE_PG
extern const struct store_migration store_pg_migrations[];
extern const int store_pg_migrations_count;
#endif

/* For tests: the SQL of the hot-path statements, to check their plans. */
const char *store_sqlite_sql_host_by_name(void);
const char *store_sqlite_sql_host_record(void);
#ifdef NSUPD_HAVE_PG
const char *store_pg_sql_host_by_name(void);
const char *store_pg_sql_host_record(void);
#endif

/* Dispatches generic statements to the store's backend (see store_sql). */
nsupd_err store_exec(store *s, store_sql *stmts, int n);

/* Length of the longest prefix of s, at most max bytes, that does not end
 * inside a UTF-8 sequence. Result messages and comments are cut with it so
 * that a stored string stays valid UTF-8 when its input was. */
size_t store_utf8_cut(const char *s, size_t max);

#endif
