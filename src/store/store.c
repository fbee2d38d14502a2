/* The backend-neutral half of the store: URL parsing, argument checks and
 * dispatch through struct store_ops. Nothing here knows SQL. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_backend.h"
#include "util/strutil.h"

struct store {
	const struct store_ops *ops;
	void *impl;
};

static void set_err(char *errbuf, size_t errsize, const char *msg)
{
	if (errbuf != NULL && errsize > 0)
		snprintf(errbuf, errsize, "%s", msg);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

nsupd_err store_open(const char *url, store **out, char *errbuf, size_t errsize)
{
	if (out == NULL)
		return NSUPD_ERR_INVALID;
	*out = NULL;
	set_err(errbuf, errsize, "");
	if (url == NULL || url[0] == '\0') {
		set_err(errbuf, errsize, "database url is empty");
		return NSUPD_ERR_CONFIG;
	}

	const struct store_ops *ops = NULL;
	const char *target = NULL;
	if (has_prefix(url, "sqlite:")) {
		ops = &store_sqlite_ops;
		target = url + strlen("sqlite:");
		/* "sqlite:///abs" keeps its leading slash: "//" + "/abs". */
		if (has_prefix(target, "//"))
			target += 2;
		if (target[0] == '\0') {
			set_err(errbuf, errsize, "sqlite database url has no path");
			return NSUPD_ERR_CONFIG;
		}
	} else if (has_prefix(url, "postgresql:") || has_prefix(url, "postgres:")) {
#ifdef NSUPD_HAVE_PG
		/* libpq understands postgresql:// and postgres:// URIs itself,
		 * user, password, host, port, database and ?options included. */
		ops = &store_pg_ops;
		target = url;
#else
		set_err(errbuf, errsize, "PostgreSQL support was not compiled in (needs libpq)");
		return NSUPD_ERR_CONFIG;
#endif
	} else {
		set_err(errbuf, errsize,
			"unknown database url scheme (expected sqlite:PATH or postgresql://...)");
		return NSUPD_ERR_CONFIG;
	}

	store *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		set_err(errbuf, errsize, "out of memory");
		return NSUPD_ERR_NOMEM;
	}
	s->ops = ops;
	nsupd_err err = ops->open(target, &s->impl, errbuf, errsize);
	if (err != NSUPD_OK) {
		free(s);
		return err;
	}
	*out = s;
	return NSUPD_OK;
}

void store_close(store *s)
{
	if (s == NULL)
		return;
	s->ops->close(s->impl);
	free(s);
}

nsupd_err store_migrate(store *s)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->migrate(s->impl);
}

nsupd_err store_schema_version(store *s, int *version, int *latest)
{
	if (s == NULL || version == NULL || latest == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->schema_version(s->impl, version, latest);
}

/* ---- users ---- */

nsupd_err store_user_add(store *s, const store_user *u, int64_t *id)
{
	if (s == NULL || u == NULL || u->name[0] == '\0')
		return NSUPD_ERR_INVALID;
	return s->ops->user_add(s->impl, u, id);
}

nsupd_err store_user_get_by_name(store *s, const char *name, store_user *out)
{
	if (s == NULL || name == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->user_get_by_name(s->impl, name, out);
}

nsupd_err store_user_get(store *s, int64_t id, store_user *out)
{
	if (s == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->user_get(s->impl, id, out);
}

nsupd_err store_user_delete(store *s, int64_t id)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->user_delete(s->impl, id);
}

/* ---- domains ---- */

/* Lowercases name into buf and drops one trailing dot, so "Example.ORG."
 * finds "example.org". false when it does not fit. */
static bool normalise_name(const char *name, char *buf, size_t size)
{
	if (str_copy(buf, name, size) >= size)
		return false;
	str_ascii_lower(buf);
	size_t len = strlen(buf);
	if (len > 0 && buf[len - 1] == '.')
		buf[len - 1] = '\0';
	return true;
}

nsupd_err store_domain_add(store *s, const store_domain *d, int64_t *id)
{
	if (s == NULL || d == NULL)
		return NSUPD_ERR_INVALID;
	store_domain c = *d;
	if (!normalise_name(d->name, c.name, sizeof(c.name)) || c.name[0] == '\0')
		return NSUPD_ERR_INVALID;
	return s->ops->domain_add(s->impl, &c, id);
}

nsupd_err store_domain_get_by_name(store *s, const char *name, store_domain *out)
{
	if (s == NULL || name == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	char buf[STORE_NAME_MAX];
	if (!normalise_name(name, buf, sizeof(buf)) || buf[0] == '\0')
		return NSUPD_ERR_NOT_FOUND;
	return s->ops->domain_get_by_name(s->impl, buf, out);
}

nsupd_err store_domain_get(store *s, int64_t id, store_domain *out)
{
	if (s == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->domain_get(s->impl, id, out);
}

nsupd_err store_domain_set_backoff(store *s, int64_t id, int64_t until)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->domain_set_backoff(s->impl, id, until);
}

nsupd_err store_domain_set_available(store *s, int64_t id, bool available)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->domain_set_available(s->impl, id, available);
}

nsupd_err store_domain_delete(store *s, int64_t id)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->domain_delete(s->impl, id);
}

/* ---- hosts ---- */

void store_host_init(store_host *h)
{
	memset(h, 0, sizeof(*h));
	h->available = true;
	h->netmask_ipv4 = 32;
	h->netmask_ipv6 = 64;
}

nsupd_err store_host_add(store *s, const store_host *h, int64_t *id)
{
	if (s == NULL || h == NULL || h->name[0] == '\0' || strchr(h->name, '.') != NULL)
		return NSUPD_ERR_INVALID;
	if (h->netmask_ipv4 > 32 || h->netmask_ipv6 > 128)
		return NSUPD_ERR_INVALID;
	store_host c = *h;
	str_ascii_lower(c.name);
	return s->ops->host_add(s->impl, &c, id);
}

/* A host label is followed by a domain of up to 255 bytes; anything
 * longer cannot be stored, so it cannot be found either. */
#define FQDN_BUF (64 + STORE_NAME_MAX)

/* Splits a normalised copy of fqdn in buf (FQDN_BUF bytes) into the host
 * label (buf) and its domain (*domain); false when it names no host. */
static bool split_fqdn(const char *fqdn, char *buf, const char **domain)
{
	if (!normalise_name(fqdn, buf, FQDN_BUF))
		return false;
	char *dot = strchr(buf, '.');
	if (dot == NULL || dot == buf || dot[1] == '\0')
		return false;
	*dot = '\0';
	*domain = dot + 1;
	return true;
}

nsupd_err store_host_get_by_fqdn(store *s, const char *fqdn, store_host *out)
{
	if (s == NULL || fqdn == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	char buf[FQDN_BUF];
	const char *domain;
	if (!split_fqdn(fqdn, buf, &domain))
		return NSUPD_ERR_NOT_FOUND;
	return s->ops->host_get_by_name(s->impl, buf, domain, out);
}

nsupd_err store_host_get_with_domain(store *s, const char *fqdn, store_host *host,
				     store_domain *domain)
{
	if (s == NULL || fqdn == NULL || host == NULL || domain == NULL)
		return NSUPD_ERR_INVALID;
	char buf[FQDN_BUF];
	const char *dom;
	if (!split_fqdn(fqdn, buf, &dom))
		return NSUPD_ERR_NOT_FOUND;
	return s->ops->host_get_with_domain(s->impl, buf, dom, host, domain);
}

bool store_host_lookup_start(store *s, const char *fqdn, store_host *host, store_domain *domain,
			     nsupd_err *result, store_done_fn done, void *ctx)
{
	if (s == NULL || fqdn == NULL || host == NULL || domain == NULL || result == NULL ||
	    done == NULL) {
		if (result != NULL)
			*result = NSUPD_ERR_INVALID;
		return true;
	}
	if (s->ops->host_lookup_start == NULL) {
		*result = store_host_get_with_domain(s, fqdn, host, domain);
		return true;
	}
	char buf[FQDN_BUF];
	const char *dom;
	if (!split_fqdn(fqdn, buf, &dom)) {
		*result = NSUPD_ERR_NOT_FOUND;
		return true;
	}
	return s->ops->host_lookup_start(s->impl, buf, dom, host, domain, result, done, ctx);
}

nsupd_err store_host_get(store *s, int64_t id, store_host *out)
{
	if (s == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->host_get(s->impl, id, out);
}

nsupd_err store_host_delete(store *s, int64_t id)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->host_delete(s->impl, id);
}

nsupd_err store_host_set_secret(store *s, int64_t id, const char *secret_hash)
{
	if (s == NULL || secret_hash == NULL || strlen(secret_hash) >= STORE_HASH_MAX)
		return NSUPD_ERR_INVALID;
	return s->ops->host_set_secret(s->impl, id, secret_hash);
}

nsupd_err store_host_update_settings(store *s, int64_t id, const store_host_settings *set)
{
	if (s == NULL || set == NULL)
		return NSUPD_ERR_INVALID;
	if ((set->set_netmask_ipv4 && set->netmask_ipv4 > 32) ||
	    (set->set_netmask_ipv6 && set->netmask_ipv6 > 128) ||
	    (set->set_comment && set->comment == NULL))
		return NSUPD_ERR_INVALID;
	return s->ops->host_update_settings(s->impl, id, set);
}

nsupd_err store_host_record(store *s, int64_t id, const store_host_event *ev)
{
	if (s == NULL || ev == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->host_record(s->impl, id, ev);
}

void store_host_record_many(store *s, const int64_t *ids, const store_host_event *const *evs,
			    size_t n, nsupd_err *results)
{
	if (n == 0)
		return;
	if (s != NULL && s->ops->host_record_many != NULL && n > 1 &&
	    s->ops->host_record_many(s->impl, ids, evs, n, results) == NSUPD_OK)
		return;
	for (size_t i = 0; i < n; i++)
		results[i] = store_host_record(s, ids[i], evs[i]);
}

bool store_host_record_start(store *s, int64_t id, const store_host_event *ev,
			     nsupd_err *result, store_done_fn done, void *ctx)
{
	if (s == NULL || ev == NULL || result == NULL || done == NULL) {
		if (result != NULL)
			*result = NSUPD_ERR_INVALID;
		return true;
	}
	if (s->ops->host_record_start == NULL) {
		*result = s->ops->host_record(s->impl, id, ev);
		return true;
	}
	return s->ops->host_record_start(s->impl, id, ev, result, done, ctx);
}

nsupd_err store_host_count(store *s, int64_t *n)
{
	if (s == NULL || n == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->host_count(s->impl, n);
}

nsupd_err store_host_list_by_domain(store *s, int64_t domain_id, store_host_cb cb, void *ctx)
{
	if (s == NULL || cb == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->host_list_by_domain(s->impl, domain_id, cb, ctx);
}

/* ---- web: users, sessions, rate limits ---- */

/* A backend without the web operations (none today) answers INVALID
 * instead of crashing. */
#define NEED(op) do { if (s == NULL || s->ops->op == NULL) return NSUPD_ERR_INVALID; } while (0)

nsupd_err store_user_set_language(store *s, int64_t id, const char *language)
{
	NEED(user_set_language);
	if (language == NULL || strlen(language) > 10)
		return NSUPD_ERR_INVALID;
	return s->ops->user_set_language(s->impl, id, language);
}

nsupd_err store_user_set_last_login(store *s, int64_t id, int64_t when)
{
	NEED(user_set_last_login);
	return s->ops->user_set_last_login(s->impl, id, when);
}

nsupd_err store_host_list_by_owner(store *s, int64_t owner_id, store_host_cb cb, void *ctx)
{
	NEED(host_list_by_owner);
	if (cb == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->host_list_by_owner(s->impl, owner_id, cb, ctx);
}

static bool key_ok(const char *key)
{
	return key != NULL && key[0] != '\0' && strlen(key) < STORE_SESSION_KEY_MAX;
}

nsupd_err store_session_create(store *s, const store_session *sess)
{
	NEED(session_create);
	if (sess == NULL || !key_ok(sess->key) ||
	    strnlen(sess->data, STORE_SESSION_DATA_MAX) >= STORE_SESSION_DATA_MAX)
		return NSUPD_ERR_INVALID;
	return s->ops->session_create(s->impl, sess);
}

nsupd_err store_session_get(store *s, const char *key, int64_t now, store_session *out)
{
	NEED(session_get);
	if (!key_ok(key) || out == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->session_get(s->impl, key, now, out);
}

nsupd_err store_session_save(store *s, const char *key, int64_t user_id, const char *data,
	int64_t expires)
{
	NEED(session_save);
	if (!key_ok(key) || data == NULL || strlen(data) >= STORE_SESSION_DATA_MAX)
		return NSUPD_ERR_INVALID;
	return s->ops->session_save(s->impl, key, user_id, data, expires);
}

nsupd_err store_session_delete(store *s, const char *key)
{
	NEED(session_delete);
	if (!key_ok(key))
		return NSUPD_ERR_INVALID;
	return s->ops->session_delete(s->impl, key);
}

nsupd_err store_session_delete_user(store *s, int64_t user_id, const char *except_key)
{
	NEED(session_delete_user);
	return s->ops->session_delete_user(s->impl, user_id, except_key != NULL ? except_key : "");
}

nsupd_err store_session_delete_expired(store *s, int64_t now, int64_t *n)
{
	NEED(session_delete_expired);
	int64_t dummy;
	return s->ops->session_delete_expired(s->impl, now, n != NULL ? n : &dummy);
}

nsupd_err store_rate_add(store *s, const char *kind, const char *subject, int64_t at)
{
	NEED(rate_add);
	if (kind == NULL || subject == NULL || strlen(kind) > 16 || strlen(subject) > 64)
		return NSUPD_ERR_INVALID;
	return s->ops->rate_add(s->impl, kind, subject, at);
}

nsupd_err store_rate_count(store *s, const char *kind, const char *subject, int64_t since,
	int64_t *n)
{
	NEED(rate_count);
	if (kind == NULL || subject == NULL || n == NULL)
		return NSUPD_ERR_INVALID;
	return s->ops->rate_count(s->impl, kind, subject, since, n);
}

nsupd_err store_rate_prune(store *s, int64_t before)
{
	NEED(rate_prune);
	return s->ops->rate_prune(s->impl, before);
}

/* ---- shared helpers for backends ---- */

size_t store_utf8_cut(const char *s, size_t max)
{
	size_t len = strlen(s);
	if (len <= max)
		return len;
	/* s[max] is the first byte left out; while it is a continuation byte
	 * the sequence it belongs to started inside the kept part, so drop
	 * that whole sequence. At most 3 steps for valid UTF-8; the bound
	 * keeps invalid input (a run of continuation bytes) from eating the
	 * whole string. */
	size_t cut = max;
	for (int i = 0; i < 4 && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80; i++)
		cut--;
	if (((unsigned char)s[cut] & 0xC0) == 0x80)
		cut = max;
	return cut;
}

/* ---- generic statements ---- */

nsupd_err store_exec(store *s, store_sql *stmts, int n)
{
	if (s == NULL || stmts == NULL || n <= 0 || s->ops->exec == NULL)
		return NSUPD_ERR_INVALID;
	for (int i = 0; i < n; i++)
		if (stmts[i].n_params > STORE_SQL_PARAMS_MAX)
			return NSUPD_ERR_INVALID;
	return s->ops->exec(s->impl, stmts, n);
}
