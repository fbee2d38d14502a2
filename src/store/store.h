/* The storage interface: application-level operations, never SQL. One
 * implementation per database (SQLite now, PostgreSQL later) behind the
 * same functions. All functions are thread-safe: the store keeps a pool of
 * connections and each call borrows one. Times are Unix seconds (UTC);
 * 0 means "never/NULL". Records are plain structs with fixed buffers, so
 * the caller owns them (usually on the stack). */
#ifndef NSUPD_STORE_STORE_H
#define NSUPD_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct store store;

#define STORE_NAME_MAX 256     /* buffer sizes, including the NUL */
#define STORE_MSG_MAX 256
#define STORE_HASH_MAX 160
#define STORE_ADDR_MAX 80

typedef struct store_user {
	int64_t id;
	char name[151];
	char email[STORE_NAME_MAX];
	char password_hash[STORE_HASH_MAX];   /* "" = no local password */
	bool staff;
	bool active;
	int64_t created;
	int64_t last_login;
	char language[11];                    /* UI language ("de"), "" = not chosen */
} store_user;

typedef struct store_domain {
	int64_t id;
	char name[STORE_NAME_MAX];            /* lowercase, no trailing dot */
	char nameserver[STORE_ADDR_MAX];      /* "ADDR[:PORT]" or "[v6]:PORT" */
	char nameserver2[STORE_ADDR_MAX];     /* "" = none */
	char algorithm[16];                   /* "hmac-sha512" ... */
	char secret[128];                     /* TSIG secret, base64 */
	bool public_;
	bool available;                       /* set by owner or checks only */
	int64_t backoff_until;                /* operations fail fast until then */
	char comment[STORE_NAME_MAX];
	int64_t owner_id;
	int64_t created;
} store_domain;

typedef struct store_host {
	int64_t id;
	char name[64];                        /* lowercase label */
	int64_t domain_id;
	char domain[STORE_NAME_MAX];          /* the domain's name, filled on reads */
	char secret_hash[STORE_HASH_MAX];     /* "" = no secret yet */
	char comment[STORE_NAME_MAX];
	bool available;
	bool abuse;
	bool abuse_blocked;
	unsigned netmask_ipv4;                /* default 32 */
	unsigned netmask_ipv6;                /* default 64 */
	int64_t client_faults;
	int64_t server_faults;
	int64_t api_auth_faults;
	char client_result_msg[STORE_MSG_MAX];
	char server_result_msg[STORE_MSG_MAX];
	char api_auth_result_msg[STORE_MSG_MAX];
	int64_t last_update_ipv4;
	int64_t last_update_ipv6;
	bool tls_update_ipv4;
	bool tls_update_ipv6;
	int64_t owner_id;
	int64_t created;
	/* Read only with the domain on the update path
	 * (store_host_get_with_domain, store_host_lookup_start): true, and
	 * whether a good update has anything to follow up, as
	 * store_followups_due would say. false elsewhere: ask it. */
	bool followups_read;
	bool related_due;
	bool forward_due_ipv4;
	bool forward_due_ipv6;
} store_host;

/* Opens a database by URL:
 *   "sqlite:PATH"          PATH relative to the working directory, or absolute
 *   "sqlite://PATH"        the same (relative)
 *   "sqlite:///abs/path"   absolute
 *   "sqlite::memory:"      a private in-memory database, for tests. It lives in
 *                          ONE connection (each SQLite connection would get its
 *                          own empty memory database), so calls are serialised
 *                          and a store_host_cb must not call the store.
 *   "postgresql://..."     PostgreSQL (also "postgres://..."): the URL goes to
 *                          libpq as is, so its ?options and the usual PG*
 *                          environment variables apply. Up to 32 connections
 *                          per process, a 5 s lock_timeout (unless the URL or
 *                          the role sets one: then NSUPD_ERR_DB_BUSY), and a
 *                          connection the server dropped is re-opened once per
 *                          call. NSUPD_ERR_CONFIG when built without libpq.
 * File databases get WAL, foreign keys, synchronous=NORMAL and a 5 s busy
 * timeout on every connection; up to 64 connections are opened on demand.
 * errbuf gets a readable reason on failure (never a password).
 *
 * Errors of every call below: NSUPD_ERR_NOT_FOUND when the row (or a row it
 * refers to, such as an owner) does not exist, NSUPD_ERR_EXISTS on a unique
 * name clash, NSUPD_ERR_INVALID for bad arguments, NSUPD_ERR_DB_BUSY when the
 * database stayed locked past the busy timeout, NSUPD_ERR_DB otherwise (the
 * reason is logged). */
nsupd_err store_open(const char *url, store **out, char *errbuf, size_t errsize);
void store_close(store *s);

/* Creates or upgrades the schema; idempotent. Other calls return
 * NSUPD_ERR_SCHEMA while the schema is missing or older than this program. */
nsupd_err store_migrate(store *s);
nsupd_err store_schema_version(store *s, int *version, int *latest);

/* Users. Names are stored as given (case-sensitive, like Django's).
 * created 0 = now; last_login 0 = never. */
nsupd_err store_user_add(store *s, const store_user *u, int64_t *id);
nsupd_err store_user_get_by_name(store *s, const char *name, store_user *out);
nsupd_err store_user_get(store *s, int64_t id, store_user *out);
/* The profile's UI language ("" = none chosen; the browser decides). */
nsupd_err store_user_set_language(store *s, int64_t id, const char *language);
nsupd_err store_user_set_last_login(store *s, int64_t id, int64_t when);
/* Also deletes the user's domains, hosts (of all domains the user owned, and
 * the user's hosts in others' domains) and everything hanging off them. DNS
 * records are not touched: delete them first. */
nsupd_err store_user_delete(store *s, int64_t id);

/* Domains (zones). Names are stored lowercase without a trailing dot and
 * looked up case-insensitively. created 0 = now; backoff_until 0 = none. */
nsupd_err store_domain_add(store *s, const store_domain *d, int64_t *id);
nsupd_err store_domain_get_by_name(store *s, const char *name, store_domain *out);
nsupd_err store_domain_get(store *s, int64_t id, store_domain *out);
nsupd_err store_domain_set_backoff(store *s, int64_t id, int64_t until);
nsupd_err store_domain_set_available(store *s, int64_t id, bool available);
/* Also deletes the domain's hosts (DNS records are not touched). */
nsupd_err store_domain_delete(store *s, int64_t id);

/* Hosts. The host is found by splitting fqdn at the first dot into name
 * and domain; case does not matter and one trailing dot is ignored. An fqdn
 * without a name or a domain part is NSUPD_ERR_NOT_FOUND. */

/* Fills h with the defaults of a new host (available, netmasks 32 and 64,
 * everything else zero). Start from it before store_host_add: a zeroed
 * struct would make an unavailable host with netmasks 0. */
void store_host_init(store_host *h);
/* Stores name (lowercased), domain_id, owner_id, secret_hash, comment, the
 * flags, netmasks, counters, messages, last_update_ipv4/6 and tls flags as
 * given; created = now when 0. `domain` is ignored. */
nsupd_err store_host_add(store *s, const store_host *h, int64_t *id);
nsupd_err store_host_get_by_fqdn(store *s, const char *fqdn, store_host *out);
/* The same, with the host's domain row read in the same statement (the
 * update path needs both). */
nsupd_err store_host_get_with_domain(store *s, const char *fqdn, store_host *host,
				     store_domain *domain);
/* The same for a caller that can wait without a thread (the update API).
 * true: done here, *result as store_host_get_with_domain's. false: queued;
 * done(ctx, result) is called exactly once, from another thread, after
 * host and domain are filled (they must stay valid until then). Where
 * lookups are round trips (PostgreSQL), concurrent ones are answered
 * together. */
typedef void (*store_done_fn)(void *ctx, nsupd_err result);
bool store_host_lookup_start(store *s, const char *fqdn, store_host *host, store_domain *domain,
			     nsupd_err *result, store_done_fn done, void *ctx);
nsupd_err store_host_get(store *s, int64_t id, store_host *out);
nsupd_err store_host_delete(store *s, int64_t id);
nsupd_err store_host_set_secret(store *s, int64_t id, const char *secret_hash);
nsupd_err store_host_count(store *s, int64_t *n);

/* Calls cb for each host of the domain, ordered by name, until cb returns
 * false. h is valid only during the call. cb must not call the store (a
 * connection is borrowed meanwhile; with sqlite::memory: it is the only one):
 * collect ids and act after the listing. */
typedef bool (*store_host_cb)(const store_host *h, void *ctx);
nsupd_err store_host_list_by_domain(store *s, int64_t domain_id, store_host_cb cb, void *ctx);
/* The same for every host of a user (all domains), ordered by name and
 * domain. */
nsupd_err store_host_list_by_owner(store *s, int64_t owner_id, store_host_cb cb, void *ctx);

/* Settings a user or admin changes; fields with set_* false are kept. */
typedef struct store_host_settings {
	bool set_available, available;
	bool set_abuse, abuse;
	bool set_abuse_blocked, abuse_blocked;
	bool set_netmask_ipv4; unsigned netmask_ipv4;
	bool set_netmask_ipv6; unsigned netmask_ipv6;
	bool set_comment; const char *comment;
} store_host_settings;
nsupd_err store_host_update_settings(store *s, int64_t id, const store_host_settings *set);

/* What one API request did to a host, applied atomically in one statement
 * or transaction (counters are incremented in SQL, never read-modify-write
 * in C). NULL messages are left unchanged; messages longer than 255 bytes
 * are cut (never inside a UTF-8 sequence). The host's last_update becomes
 * now (time(NULL) when ev->now is 0). */
typedef struct store_host_event {
	int client_faults;        /* added to the counters */
	int server_faults;
	int api_auth_faults;
	const char *client_msg;
	const char *server_msg;
	const char *api_auth_msg;
	bool poke_ipv4;           /* last_update_ipv4 = now, tls_update_ipv4 = tls */
	bool poke_ipv6;
	bool tls;
	bool flag_abuse_blocked;  /* abuse = abuse_blocked = true */
	int64_t now;
} store_host_event;
nsupd_err store_host_record(store *s, int64_t id, const store_host_event *ev);
/* The same for a caller that can wait without a thread, as
 * store_host_lookup_start: true, written here, *result set; false, queued,
 * done(ctx, result) is called once from another thread after the write (ev
 * must stay valid until then). Where a write is a round trip (PostgreSQL),
 * concurrent ones share one statement. */
bool store_host_record_start(store *s, int64_t id, const store_host_event *ev,
			     nsupd_err *result, store_done_fn done, void *ctx);
/* Records n events (ids[i], evs[i]) like store_host_record, each with its
 * own result in results[i]; where the backend can (PostgreSQL), in one
 * statement, falling back to one by one when that fails as a whole. */
void store_host_record_many(store *s, const int64_t *ids, const store_host_event *const *evs,
			    size_t n, nsupd_err *results);

/* Web sessions. The key is what the database holds: the web layer stores a
 * hash of the cookie value, so a leaked database does not hand out logins.
 * data is the session's JSON object as text. */
#define STORE_SESSION_KEY_MAX 65          /* 64 hex digits + NUL */
#define STORE_SESSION_DATA_MAX 4096
typedef struct store_session {
	char key[STORE_SESSION_KEY_MAX];
	int64_t user_id;                  /* 0 = anonymous */
	char data[STORE_SESSION_DATA_MAX];
	int64_t created;                  /* 0 = now */
	int64_t expires;
} store_session;
/* NSUPD_ERR_EXISTS when the key is taken; NSUPD_ERR_INVALID when data does
 * not fit. */
nsupd_err store_session_create(store *s, const store_session *sess);
/* NSUPD_ERR_NOT_FOUND when missing or expired at now. */
nsupd_err store_session_get(store *s, const char *key, int64_t now, store_session *out);
/* Replaces user, data and expiry of a session (NOT_FOUND when gone). */
nsupd_err store_session_save(store *s, const char *key, int64_t user_id, const char *data,
	int64_t expires);
nsupd_err store_session_delete(store *s, const char *key);
/* Deletes all sessions of a user except the one with except_key (may be
 * NULL): after a password change or account deletion. */
nsupd_err store_session_delete_user(store *s, int64_t user_id, const char *except_key);
/* Deletes the sessions expired at now; *n (may be NULL) gets how many. */
nsupd_err store_session_delete_expired(store *s, int64_t now, int64_t *n);

/* Rate limiting across instances: events (kind "login", "register", ...)
 * per subject (a client address or network) with their time. */
nsupd_err store_rate_add(store *s, const char *kind, const char *subject, int64_t at);
/* Events of kind for subject at or after since. */
nsupd_err store_rate_count(store *s, const char *kind, const char *subject, int64_t since,
	int64_t *n);
/* Forgets every event before `before`. */
nsupd_err store_rate_prune(store *s, int64_t before);

/* Copies a whole installation from the database at from_url to the one at
 * to_url (`nsupd migrate-db`, e.g. SQLite to PostgreSQL): every row of every
 * table, ids included, except web sessions. The source must be at this
 * program's schema version and is only read (in one snapshot); the target is
 * migrated first and must be empty (NSUPD_ERR_EXISTS otherwise, so re-running
 * is refused). The target is written in one transaction, committed only after
 * the row counts of source, copy and target agree per table. report gets
 * those counts; errbuf a readable reason on failure (never a password). */
#define STORE_COPY_TABLES_MAX 16
typedef struct store_copy_report {
	int ntables;
	struct {
		char table[48];
		int64_t rows;
	} tables[STORE_COPY_TABLES_MAX];
} store_copy_report;
nsupd_err store_copy_database(const char *from_url, const char *to_url,
	store_copy_report *report, char *errbuf, size_t errsize);

/* ---- Related hosts (store_fwd.c) ----
 * Other machines behind a host's router: <name>.<host>.<zone> gets the
 * host's prefix plus its own interface ID after each good update. */
#define STORE_RELATED_MAX 64          /* per main host */
typedef struct store_related {
	int64_t id;
	int64_t main_host_id;
	char name[64];                        /* lowercase label */
	char comment[STORE_NAME_MAX];
	char interface_id_ipv4[16];           /* canonical ("0.0.0.1"); "" = none */
	char interface_id_ipv6[40];           /* canonical ("::1"); "" = none */
	bool available;
	int64_t created;
} store_related;
/* NSUPD_ERR_EXISTS when the host already has one of that name. The caller
 * validates the name and IDs (core/fqdn.h, core/ifid.h). created 0 = now. */
nsupd_err store_related_add(store *s, const store_related *r, int64_t *id);
nsupd_err store_related_get(store *s, int64_t main_host_id, const char *name,
	store_related *out);
/* The host's related hosts ordered by name, at most max; *n = how many. */
nsupd_err store_related_list(store *s, int64_t main_host_id, store_related *out, size_t max,
	size_t *n);
nsupd_err store_related_delete(store *s, int64_t id);
/* By id (the web pages' URLs); NOT_FOUND when missing. */
nsupd_err store_related_get_id(store *s, int64_t id, store_related *out);
/* Sets name, comment, interface IDs and available of row r->id (validated
 * by the caller). EXISTS when the host has another one of that name,
 * NOT_FOUND when the row is gone. */
nsupd_err store_related_update(store *s, const store_related *r);

/* ---- Other dyndns2 services and forwarding (store_fwd.c) ---- */
typedef struct store_service {
	int64_t id;
	char name[33];                        /* unique */
	char comment[STORE_NAME_MAX];
	char server[STORE_NAME_MAX];          /* "host" or "host:port" */
	char path[STORE_NAME_MAX];            /* "/nic/update" */
	bool secure;                          /* https */
	bool accept_ipv4;
	bool accept_ipv6;
	int64_t owner_id;
	int64_t created;
} store_service;
nsupd_err store_service_add(store *s, const store_service *sv, int64_t *id);
nsupd_err store_service_get_by_name(store *s, const char *name, store_service *out);
nsupd_err store_service_get(store *s, int64_t id, store_service *out);
nsupd_err store_service_list(store *s, store_service *out, size_t max, size_t *n);
/* The user a service added without an owner belongs to: the first staff
 * user, else the first user. NSUPD_ERR_NOT_FOUND when there is none. */
nsupd_err store_service_default_owner(store *s, int64_t *user_id);

/* A host's configuration for one service, read together with the service
 * and the result of its last forward. */
#define STORE_FORWARD_MAX 32          /* per host */
typedef struct store_forward {
	int64_t id;
	int64_t host_id;
	int64_t service_id;
	bool has_hostname;                    /* false: no hostname= is sent */
	char hostname[STORE_NAME_MAX];
	char comment[STORE_NAME_MAX];
	char login[STORE_NAME_MAX];
	char password[STORE_NAME_MAX];        /* the other service's; sent, never shown */
	bool give_ipv4;
	bool give_ipv6;
	int64_t owner_id;
	int64_t created;
	/* filled on reads */
	store_service service;
	int64_t last_forward;                 /* time of the last attempt; 0 = none yet */
	int last_http_status;                 /* 0 = no HTTP answer */
	char last_result[STORE_MSG_MAX];      /* answer's first word, or what failed */
	char last_state[16];                  /* "", "done", "retrying", "failed" */
	char last_address[STORE_ADDR_MAX];
	int64_t pending;                      /* jobs in the queue */
} store_forward;
/* service_id, host_id, owner_id, login, password, hostname (when
 * has_hostname), comment, give flags; created 0 = now. */
nsupd_err store_forward_add(store *s, const store_forward *f, int64_t *id);
nsupd_err store_forward_get(store *s, int64_t id, store_forward *out);
nsupd_err store_forward_list(store *s, int64_t host_id, store_forward *out, size_t max,
	size_t *n);
/* Sets hostname (NULL unless has_hostname), comment, login, give flags of
 * row f->id, and the password only with set_password (a form that leaves
 * it empty keeps the stored one). NOT_FOUND when the row is gone. */
nsupd_err store_forward_update(store *s, const store_forward *f, bool set_password);
/* Deletes a configuration and its queued jobs; NOT_FOUND when missing. */
nsupd_err store_forward_delete(store *s, int64_t id);

/* Whether a good update of the host's address (family 4 or 6) has anything
 * to follow up: an available related host, a forward configuration for that
 * family (as store_forward_enqueue matches them). One read for both, as
 * almost every host has neither. */
nsupd_err store_followups_due(store *s, int64_t host_id, int family, bool *related,
			      bool *forward);

/* The queue. store_forward_enqueue adds a job for the address (family 4 or
 * 6) to every configuration of the host that gives that family to a service
 * that accepts it, due at `due`; a job of the same configuration and family
 * that no worker holds is replaced (its address is out of date). *queued
 * (optional) = the number of jobs added; 0 costs one read. */
nsupd_err store_forward_enqueue(store *s, int64_t host_id, int family, const char *address,
	int64_t now, int64_t due, int *queued);

typedef struct store_forward_job {
	int64_t id;
	int64_t config_id;
	int64_t host_id;
	char address[STORE_ADDR_MAX];
	int family;
	int attempts;                         /* including the claimed one */
	int64_t created;
} store_forward_job;
/* Claims up to max jobs due at now for lease seconds. Each row is taken
 * with one conditional UPDATE (... WHERE id = ? AND claimed_until < now),
 * so workers of several instances never get the same job. */
nsupd_err store_forward_claim(store *s, int64_t now, int64_t lease, store_forward_job *out,
	size_t max, size_t *n);

enum store_forward_state { STORE_FWD_DONE, STORE_FWD_RETRY, STORE_FWD_FAILED };
typedef struct store_forward_result {
	enum store_forward_state state;
	int64_t time;
	int http_status;
	const char *result;                   /* cut to 255 bytes */
	int64_t retry_at;                     /* STORE_FWD_RETRY */
} store_forward_result;
/* Records the result on the configuration. DONE and FAILED remove the job;
 * RETRY releases it until retry_at, unless a newer job of the same
 * configuration and family exists (then it is dropped). */
nsupd_err store_forward_finish(store *s, const store_forward_job *job,
	const store_forward_result *r);

/* ---- Maintenance jobs (store_maint.c): `nsupd faults`, `domains`,
 * `hosts`, `users`, `blacklist` and the mail queue. Every change is one
 * atomic SQL statement or one short transaction per row, so the jobs can
 * run from cron while `serve` writes the same rows. */

/* A host with what the maintenance jobs need beyond the host row. */
typedef struct store_host_info {
	store_host host;
	unsigned staleness;
	int64_t staleness_notified;           /* 0 = never */
	char owner_name[151];
	char owner_email[STORE_NAME_MAX];
	char owner_language[11];
} store_host_info;

/* The ids of all hosts (ordered by domain and name), domains (by name) or
 * users (by name); *ids is malloc'ed (free() it, also when *n is 0). */
nsupd_err store_host_ids(store *s, int64_t **ids, size_t *n);
nsupd_err store_domain_ids(store *s, int64_t **ids, size_t *n);
nsupd_err store_user_ids(store *s, int64_t **ids, size_t *n);
nsupd_err store_host_info_get(store *s, int64_t id, store_host_info *out);
/* Every host ordered by domain and name; cb as store_host_cb. */
typedef bool (*store_host_info_cb)(const store_host_info *hi, void *ctx);
nsupd_err store_host_info_each(store *s, store_host_info_cb cb, void *ctx);

/* `faults` on one host, in one transaction: first the abuse check
 * (flag_abuse_over >= 0: when client_faults > flag_abuse_over, abuse = true
 * and client_faults = 0), then the resets. *flagged says whether the check
 * flagged the host and *client_faults (both may be NULL) is the counter as
 * the transaction found it. NOT_FOUND when the host is gone. */
typedef struct store_faults_op {
	int64_t flag_abuse_over;              /* < 0: no abuse check */
	bool reset_client, reset_server, reset_api_auth;
	bool reset_abuse, reset_abuse_blocked, reset_available;
} store_faults_op;
nsupd_err store_host_faults(store *s, int64_t id, const store_faults_op *op, bool *flagged,
	int64_t *client_faults);

/* `hosts --stale-check`. The change applies only while the host's last
 * update times and staleness are still the ones the caller saw (a client
 * update in between wins); *applied says whether it did. notified 0 keeps
 * the notification time. */
typedef struct store_stale_op {
	int64_t seen_last_ipv4, seen_last_ipv6;   /* 0 = NULL */
	unsigned seen_staleness;
	unsigned staleness;
	int64_t notified;
	bool make_unavailable;
} store_stale_op;
nsupd_err store_host_set_staleness(store *s, int64_t id, const store_stale_op *op, bool *applied);
/* Deletes the host only while its last update times are still the seen
 * ones. DNS records are not touched. */
nsupd_err store_host_delete_stale(store *s, int64_t id, int64_t seen_last_ipv4,
	int64_t seen_last_ipv6, bool *deleted);

/* `domains`: available = public = false, only when still available. */
nsupd_err store_domain_mark_dead(store *s, int64_t id, bool *changed);
nsupd_err store_domain_host_count(store *s, int64_t id, int64_t *n);
/* Deletes the domain only while it is unavailable and has no hosts. */
nsupd_err store_domain_delete_if_dead(store *s, int64_t id, bool *deleted);

/* `users`. */
nsupd_err store_counts(store *s, int64_t *users, int64_t *hosts, int64_t *domains);
nsupd_err store_user_usage(store *s, int64_t id, int64_t *hosts, int64_t *domains);
/* Deletes the user only while it has no hosts and no domains. */
nsupd_err store_user_delete_if_unused(store *s, int64_t id, bool *deleted);
/* `cleanupregistration`: deletes accounts that were never activated
 * (inactive, never logged in, created before `before`, owning nothing). */
nsupd_err store_user_delete_unactivated(store *s, int64_t before, int64_t *n);

/* Host name blacklist: POSIX extended regular expressions searched in a
 * new host's name. */
typedef struct store_blacklist {
	int64_t id;
	char name_re[STORE_NAME_MAX];
	int64_t owner_id;
	int64_t created;
} store_blacklist;
/* EXISTS when the same expression is listed; INVALID when it does not
 * compile (regcomp REG_EXTENDED). */
nsupd_err store_blacklist_add(store *s, const char *name_re, int64_t owner_id, int64_t *id);
nsupd_err store_blacklist_delete(store *s, const char *name_re);
typedef bool (*store_blacklist_cb)(const store_blacklist *b, void *ctx);
nsupd_err store_blacklist_each(store *s, store_blacklist_cb cb, void *ctx);
/* *hit = some expression matches name; matched (may be NULL) gets it. */
nsupd_err store_blacklist_match(store *s, const char *name, bool *hit, char *matched,
	size_t matched_size);

/* Outgoing mail that could not be sent yet: the whole RFC 5322 message
 * and its envelope recipient, retried by the next maintenance run. */
#define STORE_MAIL_MAX 16384
typedef struct store_mail {
	int64_t id;
	char rcpt[STORE_NAME_MAX];
	char message[STORE_MAIL_MAX];
	int attempts;
	int64_t next_attempt;
	char last_error[STORE_MSG_MAX];
	int64_t created;
} store_mail;
nsupd_err store_mail_enqueue(store *s, const char *rcpt, const char *message, int64_t now,
	int64_t next_attempt, const char *error);
/* Claims up to max mails due at now for lease seconds (a conditional
 * UPDATE per row, so two runs never send the same mail). */
nsupd_err store_mail_claim(store *s, int64_t now, int64_t lease, store_mail *out, size_t max,
	size_t *n);
nsupd_err store_mail_done(store *s, int64_t id);
nsupd_err store_mail_retry(store *s, int64_t id, int64_t next_attempt, const char *error);
nsupd_err store_mail_count(store *s, int64_t *n);
/* Makes every queued mail due at now (an operator's explicit flush). */
nsupd_err store_mail_make_due(store *s, int64_t now);

/* ---- Web overview and host pages (store_hostpages.c) ---- */

/* A domain as the host pages list it (secret left empty) with its owner's
 * user name; d is valid only during the call, which must not call the
 * store. */
typedef bool (*store_domain_visible_cb)(const store_domain *d, const char *owner_name,
	void *ctx);
/* The domains user_id may put hosts in: the user's own, ordered by name,
 * then other users' public ones, ordered by name. */
nsupd_err store_domain_list_visible(store *s, int64_t user_id, store_domain_visible_cb cb,
	void *ctx);

/* ---- Accounts (store_account.c): self-service registration, activation,
 * password reset and the profile. Tokens are stored only as a hash of the
 * random value that went out by mail (token_hash: 64 hex digits), belong
 * to one user, and are single-use and expiring. */
#define STORE_TOKEN_ACTIVATE "activate"
#define STORE_TOKEN_RESET "reset"
#define STORE_TOKEN_HASH_MAX 65

/* *taken: some user's name equals name ignoring ASCII case (a new name
 * must not differ from an existing one only in case). */
nsupd_err store_user_name_taken(store *s, const char *name, bool *taken);
/* Adds u (inactive whatever u->active says) together with its activation
 * token, in one transaction. EXISTS when the name is taken. */
nsupd_err store_account_register(store *s, const store_user *u, const char *token_hash,
	int64_t now, int64_t expires, int64_t *id);
/* Activates the user of a valid activation token and uses the token up.
 * NOT_FOUND when the token is unknown, used or expired. */
nsupd_err store_account_activate(store *s, const char *token_hash, int64_t now,
	int64_t *user_id);
nsupd_err store_token_add(store *s, int64_t user_id, const char *kind, const char *token_hash,
	int64_t now, int64_t expires);
/* The user of a valid (unexpired) token of kind; NOT_FOUND otherwise. */
nsupd_err store_token_check(store *s, const char *kind, const char *token_hash, int64_t now,
	int64_t *user_id);
/* Deletes the user's tokens of kind (NULL: all kinds). */
nsupd_err store_token_delete_user(store *s, int64_t user_id, const char *kind);
/* Deletes expired tokens. */
nsupd_err store_token_prune(store *s, int64_t now);
/* Sets the password of user_id when token_hash is still a valid reset
 * token of that user; then every reset token of the user is gone.
 * NOT_FOUND when the token was not (any more) valid: nothing changed. */
nsupd_err store_account_reset_password(store *s, const char *token_hash, int64_t user_id,
	const char *password_hash, int64_t now);
nsupd_err store_user_set_password(store *s, int64_t id, const char *password_hash);

typedef struct store_user_profile {
	char first_name[151];
	char last_name[151];
	char email[STORE_NAME_MAX];
	char language[11];
} store_user_profile;
nsupd_err store_user_profile_get(store *s, int64_t id, store_user_profile *out);
nsupd_err store_user_profile_set(store *s, int64_t id, const store_user_profile *p);
/* Active users with a password whose e-mail equals email ignoring ASCII
 * case, at most max ids; *n = how many. */
nsupd_err store_user_ids_by_email(store *s, const char *email, int64_t *ids, size_t max,
	size_t *n);
/* The hosts whose DNS records go away with the user: the user's own hosts
 * and every host in a domain the user owns. *ids is malloc'ed (free() it,
 * also when *n is 0). */
nsupd_err store_account_host_ids(store *s, int64_t user_id, int64_t **ids, size_t *n);

/* ---- Web interface: domain pages, status page, IP detection
 * (store_domweb.c) ---- */

/* A domain's settings as its owner edits them; NULL strings and fields
 * with set_* false are kept. Setting available also ends a back-off. */
typedef struct store_domain_settings {
	const char *nameserver;
	const char *nameserver2;              /* "" = none */
	const char *algorithm;
	const char *secret;
	const char *comment;
	bool set_public, public_;
	bool set_available, available;
} store_domain_settings;
nsupd_err store_domain_update(store *s, int64_t id, const store_domain_settings *set);

/* The counts of the status page (at now). */
#define STORE_STATS_WINDOWS 4                 /* 2, 14, 61 and 730 days */
typedef struct store_stats {
	int64_t domains, domains_public, domains_unavailable;
	int64_t hosts, hosts_unavailable, hosts_abuse, hosts_abuse_blocked;
	int64_t hosts_with_client_faults, hosts_with_server_faults, hosts_with_auth_faults;
	int64_t client_faults, server_faults, api_auth_faults;   /* sums */
	int64_t users, users_active;
	struct {
		int64_t days;
		int64_t ipv4, ipv4_tls, ipv6, ipv6_tls;   /* hosts updated within */
		int64_t users_logged_in, users_created;
	} window[STORE_STATS_WINDOWS];
} store_stats;
nsupd_err store_stats_get(store *s, int64_t now, store_stats *out);

/* IP detection tokens (spec 2.9): a page makes a random token that the
 * single-stack hosts' /detectip/<token>/ requests use to report the
 * visitor's address; the visitor's own session reads it back. They live in
 * the database, so every instance behind a load balancer sees them. */
#define STORE_DETECTIP_TOKEN_MAX 65
typedef struct store_detectip {
	char token[STORE_DETECTIP_TOKEN_MAX];
	char ipv4[STORE_ADDR_MAX];            /* "" = not reported */
	int64_t ipv4_at;
	char ipv6[STORE_ADDR_MAX];
	int64_t ipv6_at;
	int64_t expires;
} store_detectip;
nsupd_err store_detectip_create(store *s, const char *token, int64_t expires);
/* Stores the address (family 4 or 6) while the token is valid at now;
 * *found (may be NULL) says whether it was. */
nsupd_err store_detectip_note(store *s, const char *token, int family, const char *addr,
	int64_t now, bool *found);
/* NOT_FOUND when missing or expired at now. */
nsupd_err store_detectip_get(store *s, const char *token, int64_t now, store_detectip *out);
nsupd_err store_detectip_prune(store *s, int64_t now, int64_t *n);

/* ---- Remote login and two-factor login (store_remote.c) ---- */

/* An identity at a remote login provider (OAuth2 / OpenID Connect),
 * associated with one account. (provider, subject) is unique. */
#define STORE_REMOTE_MAX 16                   /* listed per user */
typedef struct store_remote {
	int64_t id;
	int64_t user_id;
	char provider[65];                    /* backend name: "github", NAME of [oidc.NAME] */
	char subject[STORE_NAME_MAX];         /* the provider's stable id ("sub") */
	char email[STORE_NAME_MAX];           /* as the provider last said, may be "" */
	char login[STORE_NAME_MAX];           /* display name at the provider, may be "" */
	int64_t created;
	int64_t last_login;                   /* 0 = never */
} store_remote;
nsupd_err store_remote_get(store *s, const char *provider, const char *subject,
	store_remote *out);
/* The user's identities ordered by provider and id, at most max. */
nsupd_err store_remote_list(store *s, int64_t user_id, store_remote *out, size_t max,
	size_t *n);
/* Associates r (user_id, provider, subject, email, login, created,
 * last_login: 0 = never) with an account. EXISTS when the identity is
 * associated already; NOT_FOUND when the user is gone. */
nsupd_err store_remote_add(store *s, const store_remote *r, int64_t *id);
/* A new account for a remote login: u (active, no password) and its
 * identity r in one transaction. EXISTS when the user name (ignoring ASCII
 * case) or the identity is taken. */
nsupd_err store_remote_register(store *s, const store_user *u, const store_remote *r,
	int64_t now, int64_t *user_id);
/* Notes a login through identity id, with what the provider said now. */
nsupd_err store_remote_touch(store *s, int64_t id, int64_t when, const char *email,
	const char *login);
/* Deletes identity id of user_id, but only while the account keeps another
 * way to log in (a local password or another identity); the check and the
 * delete hold the user's row, so two concurrent disconnects cannot remove
 * the last two ways. *deleted says whether it happened; NOT_FOUND when the
 * user has no such identity. */
nsupd_err store_remote_delete(store *s, int64_t user_id, int64_t id, bool *deleted);

/* TOTP (RFC 6238) for an account: the shared secret (base32) and the
 * newest time step a code was accepted for. NOT_FOUND: not enabled. */
#define STORE_TOTP_SECRET_MAX 65
typedef struct store_totp {
	char secret[STORE_TOTP_SECRET_MAX];
	int64_t last_step;
	int64_t created;
} store_totp;
nsupd_err store_totp_get(store *s, int64_t user_id, store_totp *out);
/* Enables TOTP with secret (its confirming code used step last_step) and
 * replaces the recovery codes with the given hashes (STORE_TOKEN_HASH_MAX
 * each), in one transaction. EXISTS when TOTP is on already. */
nsupd_err store_totp_enable(store *s, int64_t user_id, const char *secret, int64_t last_step,
	const char *const *code_hashes, size_t n_codes, int64_t now);
/* Takes time step `step` when it is newer than the last accepted one (one
 * conditional UPDATE: a code works once, also across instances). */
nsupd_err store_totp_use_step(store *s, int64_t user_id, int64_t step, bool *accepted);
/* Uses up an unused recovery code of the user with this hash. */
nsupd_err store_totp_use_recovery(store *s, int64_t user_id, const char *code_hash, int64_t now,
	bool *accepted);
nsupd_err store_totp_recovery_left(store *s, int64_t user_id, int64_t *n);
/* Turns TOTP off and deletes the recovery codes. */
nsupd_err store_totp_disable(store *s, int64_t user_id);

/* ---- Administration pages (store_admin.c) ----
 * One listing, one reader and one writer for every kind of object the
 * staff's pages show. Rows come back as text in a fixed column order per
 * kind (store_admin_columns), so a page can show any kind the same way. */
typedef enum store_admin_kind {
	STORE_ADM_USER,
	STORE_ADM_HOST,
	STORE_ADM_DOMAIN,
	STORE_ADM_RELATED,
	STORE_ADM_SERVICE,
	STORE_ADM_FORWARD,
	STORE_ADM_BLACKLIST,
	STORE_ADM_AUDIT,
	STORE_ADM_KINDS
} store_admin_kind;

/* Filters; a kind ignores the bits it does not know. */
enum {
	STORE_ADM_F_ABUSE = 1u << 0,          /* hosts */
	STORE_ADM_F_ABUSE_BLOCKED = 1u << 1,  /* hosts */
	STORE_ADM_F_UNAVAILABLE = 1u << 2,    /* hosts, domains, related hosts */
	STORE_ADM_F_AVAILABLE = 1u << 3,      /* hosts, domains, related hosts */
	STORE_ADM_F_STALE = 1u << 4,          /* hosts: staleness > 0 */
	STORE_ADM_F_FAULTS = 1u << 5,         /* hosts: some fault counter > 0 */
	STORE_ADM_F_STAFF = 1u << 6,          /* users */
	STORE_ADM_F_INACTIVE = 1u << 7,       /* users */
	STORE_ADM_F_ACTIVE = 1u << 8,         /* users */
	STORE_ADM_F_PUBLIC = 1u << 9,         /* domains */
};

#define STORE_ADM_COLS_MAX 32
/* One row. col[i] is NULL for SQL NULL. types[i]: 'i' integer, 's' text,
 * 'b' flag ("0"/"1" on every backend), 't' Unix time (NULL/0 = never).
 * Valid only during the callback, which must not call the store. */
typedef struct store_admin_row {
	int ncols;
	const char *const *names;
	const char *types;
	const char *col[STORE_ADM_COLS_MAX];
} store_admin_row;
typedef bool (*store_admin_row_cb)(const store_admin_row *row, void *ctx);

/* The column names (NULL-terminated) and types of a kind; returns how
 * many. Secrets (password hashes, TSIG secrets, other services'
 * passwords) are never among them. */
int store_admin_columns(store_admin_kind kind, const char *const **names, const char **types);
/* Whether key is one of the kind's sort keys; the default sort key and
 * direction of a kind. */
bool store_admin_sortable(store_admin_kind kind, const char *key);
const char *store_admin_default_sort(store_admin_kind kind, bool *desc);

typedef struct store_admin_query {
	store_admin_kind kind;
	const char *search;           /* substring, ASCII case-insensitive; NULL/"" = all */
	unsigned filters;             /* STORE_ADM_F_* */
	int64_t created_from;         /* created >= (0 = open) */
	int64_t created_to;           /* created < (0 = open) */
	int64_t owner_id, domain_id, host_id, service_id;   /* 0 = any */
	const char *sort;             /* a sort key; NULL = the kind's default */
	bool desc;                    /* ignored with the default sort */
	int64_t offset;
	int limit;                    /* 1 .. 1000 */
} store_admin_query;
/* *total (may be NULL) gets the number of matching rows; cb each row of
 * the page in order. INVALID for an unknown sort key, or an id filter the
 * kind does not have. */
nsupd_err store_admin_list(store *s, const store_admin_query *q, int64_t *total,
	store_admin_row_cb cb, void *ctx);
/* One row by id; NOT_FOUND when missing. */
nsupd_err store_admin_get(store *s, store_admin_kind kind, int64_t id, store_admin_row_cb cb,
	void *ctx);

/* A column to change: text for text columns, value for integers and flags
 * (for nullable times 0 = NULL). Only the kind's changeable columns are
 * accepted (INVALID otherwise): users email, first_name, last_name,
 * language, staff, active; hosts comment, available, abuse, abuse_blocked,
 * netmask_ipv4/6, client/server/api_auth_faults, staleness; domains
 * nameserver, nameserver2, algorithm, secret, comment, public, available,
 * backoff_until; related hosts comment, interface_id_ipv4/6, available;
 * services name, comment, server, path, secure, accept_ipv4/6; host
 * configurations hostname, comment, name (the login), password,
 * give_ipv4/6; blacklist name_re. The caller validates the values. */
typedef struct store_admin_set {
	const char *column;
	const char *text;
	int64_t value;
} store_admin_set;
/* All columns in one transaction. NOT_FOUND when the row is gone, EXISTS
 * on a unique clash (service name, blacklist expression). */
nsupd_err store_admin_update(store *s, store_admin_kind kind, int64_t id,
	const store_admin_set *set, size_t n);
/* Deletes a row and what hangs off it (users, hosts and domains through
 * store_user_delete, store_host_delete, store_domain_delete). DNS records
 * are not touched. NOT_FOUND when missing; the audit log cannot be
 * deleted (INVALID). */
nsupd_err store_admin_delete(store *s, store_admin_kind kind, int64_t id);

/* The audit log: who (user_id 0 = none, e.g. the CLI; actor keeps the
 * name), when (at 0 = now), what (action "host.change", object "host 12
 * a.example.org"), and the values before and after as JSON text (NULL =
 * none). Read it with store_admin_list(STORE_ADM_AUDIT). */
typedef struct store_audit {
	int64_t at;
	int64_t user_id;
	const char *actor;
	const char *action;
	const char *object;
	const char *before;
	const char *after;
} store_audit;
nsupd_err store_audit_add(store *s, const store_audit *a);

#endif
