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
} store_host;

/* Opens a database by URL:
 *   "sqlite:PATH"          PATH relative to the working directory, or absolute
 *   "sqlite://PATH"        the same (relative)
 *   "sqlite:///abs/path"   absolute
 *   "sqlite::memory:"      a private in-memory database, for tests. It lives in
 *                          ONE connection (each SQLite connection would get its
 *                          own empty memory database), so calls are serialised
 *                          and a store_host_cb must not call the store.
 *   "postgresql://..."     NSUPD_ERR_CONFIG: comes in a later release.
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

#endif
