/* What the web interface's domain pages, status page and IP detection need
 * from the database: editing a domain, the service statistics and the
 * short-lived IP-detection tokens. The SQL is the same on SQLite and
 * PostgreSQL and runs through the backend's generic exec (store_backend.h),
 * with the conventions of store_fwd.c. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_backend.h"
#include "store/store_rows.h"
#include "util/strutil.h"

/* ---- editing a domain ---- */

/* One statement per changed column, all in one transaction: the backends'
 * generic statements have no dynamic SET lists, and a form changes only a
 * few columns anyway. */
nsupd_err store_domain_update(store *s, int64_t id, const store_domain_settings *set)
{
	if (s == NULL || set == NULL || id <= 0)
		return NSUPD_ERR_INVALID;
	const char *texts[] = { set->nameserver, set->nameserver2, set->algorithm, set->secret,
				set->comment };
	static const char *const text_sql[] = {
		"UPDATE domains SET nameserver = $2, last_update = $3 WHERE id = $1",
		"UPDATE domains SET nameserver2 = $2, last_update = $3 WHERE id = $1",
		"UPDATE domains SET algorithm = $2, last_update = $3 WHERE id = $1",
		"UPDATE domains SET secret = $2, last_update = $3 WHERE id = $1",
		"UPDATE domains SET comment = $2, last_update = $3 WHERE id = $1",
	};
	const size_t limits[] = { STORE_ADDR_MAX, STORE_ADDR_MAX, 16, 128, STORE_NAME_MAX };
	int64_t now = (int64_t)time(NULL);
	store_param params[8][3];
	store_sql q[8];
	int n = 0;
	/* A first statement that only checks the row exists, so a missing
	 * domain is NOT_FOUND even when nothing else changes. */
	params[n][0] = (store_param)P_INT(id);
	q[n] = (store_sql){ .sql = "UPDATE domains SET last_update = $2 WHERE id = $1",
			    .params = params[n], .n_params = 2 };
	params[n][1] = (store_param)P_INT(now);
	n++;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (texts[i] == NULL)
			continue;
		if (strlen(texts[i]) >= limits[i])
			return NSUPD_ERR_INVALID;
		params[n][0] = (store_param)P_INT(id);
		params[n][1] = (store_param)P_TEXT(texts[i]);
		params[n][2] = (store_param)P_INT(now);
		q[n] = (store_sql){ .sql = text_sql[i], .params = params[n], .n_params = 3 };
		n++;
	}
	if (set->set_public) {
		params[n][0] = (store_param)P_INT(id);
		params[n][1] = (store_param)P_BOOL(set->public_);
		params[n][2] = (store_param)P_INT(now);
		q[n] = (store_sql){ .sql = "UPDATE domains SET public = $2, last_update = $3 "
					   "WHERE id = $1", .params = params[n], .n_params = 3 };
		n++;
	}
	if (set->set_available) {
		/* Switching a domain on also ends a back-off: its owner just
		 * showed that the nameserver takes updates. */
		params[n][0] = (store_param)P_INT(id);
		params[n][1] = (store_param)P_BOOL(set->available);
		params[n][2] = (store_param)P_INT(now);
		q[n] = (store_sql){ .sql = set->available ?
			"UPDATE domains SET available = $2, backoff_until = NULL, last_update = $3 "
			"WHERE id = $1" :
			"UPDATE domains SET available = $2, last_update = $3 WHERE id = $1",
			.params = params[n], .n_params = 3 };
		n++;
	}
	nsupd_err e = store_exec(s, q, n);
	if (e == NSUPD_OK && q[0].changes == 0)
		return NSUPD_ERR_NOT_FOUND;
	return e;
}

/* ---- service statistics ---- */

static bool row_cols(const store_row *r, void *ctx)
{
	int64_t *out = ctx;
	for (int i = 0; i < r->ncols && i < STORE_ROW_COLS_MAX; i++)
		out[i] = r_i64(r, i);
	return false;
}

nsupd_err store_stats_get(store *s, int64_t now, store_stats *out)
{
	if (s == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	static const int64_t days[STORE_STATS_WINDOWS] = { 2, 14, 61, 730 };
	memset(out, 0, sizeof(*out));
	int64_t c_dom[STORE_ROW_COLS_MAX] = { 0 }, c_host[STORE_ROW_COLS_MAX] = { 0 };
	int64_t c_upd[STORE_ROW_COLS_MAX] = { 0 }, c_user[STORE_ROW_COLS_MAX] = { 0 };
	store_param pw[STORE_STATS_WINDOWS];
	for (int i = 0; i < STORE_STATS_WINDOWS; i++) {
		out->window[i].days = days[i];
		pw[i] = (store_param)P_INT(now - days[i] * 86400);
	}
	/* SUM() of no rows is NULL, read as 0. */
	store_sql q[] = {
		{ .sql = "SELECT COUNT(*), SUM(CASE WHEN public THEN 1 ELSE 0 END), "
			 "SUM(CASE WHEN available THEN 0 ELSE 1 END) FROM domains",
		  .on_row = row_cols, .ctx = c_dom },
		{ .sql = "SELECT COUNT(*), SUM(CASE WHEN available THEN 0 ELSE 1 END), "
			 "SUM(CASE WHEN abuse THEN 1 ELSE 0 END), "
			 "SUM(CASE WHEN abuse_blocked THEN 1 ELSE 0 END), "
			 "SUM(CASE WHEN client_faults > 0 THEN 1 ELSE 0 END), "
			 "SUM(CASE WHEN server_faults > 0 THEN 1 ELSE 0 END), "
			 "SUM(CASE WHEN api_auth_faults > 0 THEN 1 ELSE 0 END), "
			 "SUM(client_faults), SUM(server_faults), SUM(api_auth_faults) FROM hosts",
		  .on_row = row_cols, .ctx = c_host },
		{ .sql = "SELECT "
#define W(k) \
			 "SUM(CASE WHEN last_update_ipv4 >= $" k " THEN 1 ELSE 0 END), " \
			 "SUM(CASE WHEN last_update_ipv4 >= $" k " AND tls_update_ipv4 THEN 1 ELSE 0 END), " \
			 "SUM(CASE WHEN last_update_ipv6 >= $" k " THEN 1 ELSE 0 END), " \
			 "SUM(CASE WHEN last_update_ipv6 >= $" k " AND tls_update_ipv6 THEN 1 ELSE 0 END)"
			 W("1") ", " W("2") ", " W("3") ", " W("4") " FROM hosts",
#undef W
		  .params = pw, .n_params = STORE_STATS_WINDOWS, .on_row = row_cols, .ctx = c_upd },
		{ .sql = "SELECT COUNT(*), SUM(CASE WHEN active THEN 1 ELSE 0 END), "
#define W(k) \
			 "SUM(CASE WHEN last_login >= $" k " THEN 1 ELSE 0 END), " \
			 "SUM(CASE WHEN created >= $" k " THEN 1 ELSE 0 END)"
			 W("1") ", " W("2") ", " W("3") ", " W("4") " FROM users",
#undef W
		  .params = pw, .n_params = STORE_STATS_WINDOWS, .on_row = row_cols, .ctx = c_user },
	};
	nsupd_err e = store_exec(s, q, (int)(sizeof(q) / sizeof(q[0])));
	if (e != NSUPD_OK)
		return e;
	out->domains = c_dom[0];
	out->domains_public = c_dom[1];
	out->domains_unavailable = c_dom[2];
	out->hosts = c_host[0];
	out->hosts_unavailable = c_host[1];
	out->hosts_abuse = c_host[2];
	out->hosts_abuse_blocked = c_host[3];
	out->hosts_with_client_faults = c_host[4];
	out->hosts_with_server_faults = c_host[5];
	out->hosts_with_auth_faults = c_host[6];
	out->client_faults = c_host[7];
	out->server_faults = c_host[8];
	out->api_auth_faults = c_host[9];
	out->users = c_user[0];
	out->users_active = c_user[1];
	for (int i = 0; i < STORE_STATS_WINDOWS; i++) {
		out->window[i].ipv4 = c_upd[4 * i];
		out->window[i].ipv4_tls = c_upd[4 * i + 1];
		out->window[i].ipv6 = c_upd[4 * i + 2];
		out->window[i].ipv6_tls = c_upd[4 * i + 3];
		out->window[i].users_logged_in = c_user[2 + 2 * i];
		out->window[i].users_created = c_user[3 + 2 * i];
	}
	return NSUPD_OK;
}

/* ---- IP detection tokens ---- */

static bool valid_token(const char *token)
{
	size_t n = token != NULL ? strlen(token) : 0;
	return n > 0 && n < STORE_DETECTIP_TOKEN_MAX;
}

nsupd_err store_detectip_create(store *s, const char *token, int64_t expires)
{
	if (s == NULL || !valid_token(token))
		return NSUPD_ERR_INVALID;
	store_param p[] = { P_TEXT(token), P_INT(expires) };
	store_sql q = { .sql = "INSERT INTO detectip_tokens (token, expires) VALUES ($1, $2)",
			.params = p, .n_params = 2 };
	return store_exec(s, &q, 1);
}

nsupd_err store_detectip_note(store *s, const char *token, int family, const char *addr,
			      int64_t now, bool *found)
{
	if (found != NULL)
		*found = false;
	if (s == NULL || !valid_token(token) || addr == NULL || strlen(addr) >= STORE_ADDR_MAX ||
	    (family != 4 && family != 6))
		return NSUPD_ERR_INVALID;
	store_param p[] = { P_TEXT(token), P_TEXT(addr), P_INT(now) };
	store_sql q = { .sql = family == 4 ?
		"UPDATE detectip_tokens SET ipv4 = $2, ipv4_at = $3 WHERE token = $1 AND expires > $3" :
		"UPDATE detectip_tokens SET ipv6 = $2, ipv6_at = $3 WHERE token = $1 AND expires > $3",
		.params = p, .n_params = 3 };
	nsupd_err e = store_exec(s, &q, 1);
	if (e == NSUPD_OK && found != NULL)
		*found = q.changes > 0;
	return e;
}

static bool row_detectip(const store_row *r, void *ctx)
{
	store_detectip *d = ctx;
	r_text(r, 0, d->token, sizeof(d->token));
	r_text(r, 1, d->ipv4, sizeof(d->ipv4));
	d->ipv4_at = r_i64(r, 2);
	r_text(r, 3, d->ipv6, sizeof(d->ipv6));
	d->ipv6_at = r_i64(r, 4);
	d->expires = r_i64(r, 5);
	return false;
}

nsupd_err store_detectip_get(store *s, const char *token, int64_t now, store_detectip *out)
{
	if (s == NULL || !valid_token(token) || out == NULL)
		return NSUPD_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	store_param p[] = { P_TEXT(token), P_INT(now) };
	store_sql q = { .sql = "SELECT token, ipv4, ipv4_at, ipv6, ipv6_at, expires "
			       "FROM detectip_tokens WHERE token = $1 AND expires > $2",
			.params = p, .n_params = 2, .on_row = row_detectip, .ctx = out };
	nsupd_err e = store_exec(s, &q, 1);
	if (e == NSUPD_OK && out->token[0] == '\0')
		return NSUPD_ERR_NOT_FOUND;
	return e;
}

nsupd_err store_detectip_prune(store *s, int64_t now, int64_t *n)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	store_param p[] = { P_INT(now) };
	store_sql q = { .sql = "DELETE FROM detectip_tokens WHERE expires <= $1",
			.params = p, .n_params = 1 };
	nsupd_err e = store_exec(s, &q, 1);
	if (e == NSUPD_OK && n != NULL)
		*n = q.changes;
	return e;
}
