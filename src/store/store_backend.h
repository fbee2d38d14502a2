/* Internal to src/store: the table of operations one database backend
 * provides. store.c parses the URL, picks the backend and forwards every
 * public call to it, so a PostgreSQL backend only has to fill in another
 * table. Each backend owns its SQL text and its migrations. */
#ifndef NSUPD_STORE_BACKEND_H
#define NSUPD_STORE_BACKEND_H

#include "store/store.h"

struct store_ops {
	const char *name;

	/* target is the URL with the scheme removed (a path for SQLite).
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
	nsupd_err (*host_get)(void *impl, int64_t id, store_host *out);
	nsupd_err (*host_delete)(void *impl, int64_t id);
	nsupd_err (*host_set_secret)(void *impl, int64_t id, const char *secret_hash);
	nsupd_err (*host_update_settings)(void *impl, int64_t id, const store_host_settings *set);
	nsupd_err (*host_record)(void *impl, int64_t id, const store_host_event *ev);
	nsupd_err (*host_count)(void *impl, int64_t *n);
	nsupd_err (*host_list_by_domain)(void *impl, int64_t domain_id, store_host_cb cb, void *ctx);
};

extern const struct store_ops store_sqlite_ops;

/* Schema migrations of one backend, in order. Version N is applied in one
 * transaction together with the row recording it in schema_version; a
 * released migration is never edited, a change is a new entry. */
struct store_migration {
	int version;
	const char *sql;
};
extern const struct store_migration store_sqlite_migrations[];
extern const int store_sqlite_migrations_count;

/* For tests: the SQL of the hot-path statements, to check their plans. */
const char *store_sqlite_sql_host_by_name(void);
const char *store_sqlite_sql_host_record(void);

/* Length of the longest prefix of s, at most max bytes, that does not end
 * inside a UTF-8 sequence. Result messages and comments are cut with it so
 * that a stored string stays valid UTF-8 when its input was. */
size_t store_utf8_cut(const char *s, size_t max);

#endif
