/* Remote login identities and TOTP two-factor state. Generic SQL
 * (store_backend.h), the same on SQLite and PostgreSQL.
 *
 * The rules that must hold under concurrency are single statements or
 * transactions: a TOTP time step is taken with one conditional UPDATE, a
 * recovery code is used up with one conditional UPDATE, and disconnecting
 * an identity first writes the user's row (a row lock on PostgreSQL, the
 * write lock on SQLite) so that the "another way to log in remains" check
 * and the delete see the same state. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_backend.h"
#include "store/store_rows.h"

#define RECOVERY_MAX 32

static bool text_ok(const char *t, size_t max)
{
	return t != NULL && strlen(t) < max;
}

/* ---- remote identities ---- */

#define REMOTE_COLS "id, user_id, provider, subject, email, login, created, last_login"

struct remote_list {
	store_remote *out;
	size_t max, n;
};

static bool take_remote(const store_row *row, void *ctx)
{
	struct remote_list *l = ctx;
	if (l->n >= l->max)
		return false;
	store_remote *r = &l->out[l->n++];
	memset(r, 0, sizeof(*r));
	r->id = r_i64(row, 0);
	r->user_id = r_i64(row, 1);
	r_text(row, 2, r->provider, sizeof(r->provider));
	r_text(row, 3, r->subject, sizeof(r->subject));
	r_text(row, 4, r->email, sizeof(r->email));
	r_text(row, 5, r->login, sizeof(r->login));
	r->created = r_i64(row, 6);
	r->last_login = r_i64(row, 7);
	return true;
}

nsupd_err store_remote_get(store *s, const char *provider, const char *subject,
			   store_remote *out)
{
	if (s == NULL || out == NULL || !text_ok(provider, sizeof(out->provider)) ||
	    !text_ok(subject, sizeof(out->subject)))
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_TEXT(provider), P_TEXT(subject) };
	struct remote_list l = { out, 1, 0 };
	nsupd_err err = run1(s, "SELECT " REMOTE_COLS " FROM remote_identities "
			     "WHERE provider = $1 AND subject = $2", p, NPARAMS(p), take_remote, &l,
			     NULL);
	if (err != NSUPD_OK)
		return err;
	return l.n == 1 ? NSUPD_OK : NSUPD_ERR_NOT_FOUND;
}

nsupd_err store_remote_list(store *s, int64_t user_id, store_remote *out, size_t max, size_t *n)
{
	if (s == NULL || (out == NULL && max > 0) || n == NULL)
		return NSUPD_ERR_INVALID;
	*n = 0;
	const store_param p[] = { P_INT(user_id) };
	struct remote_list l = { out, max, 0 };
	nsupd_err err = run1(s, "SELECT " REMOTE_COLS " FROM remote_identities "
			     "WHERE user_id = $1 ORDER BY provider, id", p, NPARAMS(p), take_remote,
			     &l, NULL);
	*n = l.n;
	return err;
}

static bool remote_ok(const store_remote *r)
{
	return r != NULL && r->provider[0] != '\0' && r->subject[0] != '\0';
}

struct one_id {
	int64_t id;
	bool found;
};

static bool take_id(const store_row *r, void *ctx)
{
	struct one_id *o = ctx;
	o->id = r_i64(r, 0);
	o->found = true;
	return false;
}

nsupd_err store_remote_add(store *s, const store_remote *r, int64_t *id)
{
	if (s == NULL || !remote_ok(r) || r->user_id <= 0)
		return NSUPD_ERR_INVALID;
	const store_param p[] = {
		P_INT(r->user_id), P_TEXT(r->provider), P_TEXT(r->subject), P_TEXT(r->email),
		P_TEXT(r->login), P_INT(r->created), P_INT(r->last_login),
	};
	const store_param pk[] = { P_TEXT(r->provider), P_TEXT(r->subject) };
	struct one_id o = { 0, false };
	store_sql q[2] = {
		/* INSERT ... SELECT: PostgreSQL does not take the parameters'
		 * types from the target columns here, hence the casts. */
		{ .sql = "INSERT INTO remote_identities (user_id, provider, subject, email, login, "
			 "created, last_login) SELECT id, CAST($2 AS TEXT), CAST($3 AS TEXT), "
			 "CAST($4 AS TEXT), CAST($5 AS TEXT), CAST($6 AS BIGINT), "
			 "NULLIF(CAST($7 AS BIGINT), 0) FROM users WHERE id = $1",
		  .params = p, .n_params = NPARAMS(p) },
		{ .sql = "SELECT id FROM remote_identities WHERE provider = $1 AND subject = $2",
		  .params = pk, .n_params = NPARAMS(pk), .on_row = take_id, .ctx = &o },
	};
	nsupd_err err = store_exec(s, q, 2);
	if (err != NSUPD_OK)
		return err;
	if (q[0].changes != 1)
		return NSUPD_ERR_NOT_FOUND;   /* the user is gone */
	if (id != NULL)
		*id = o.id;
	return NSUPD_OK;
}

nsupd_err store_remote_register(store *s, const store_user *u, const store_remote *r,
				int64_t now, int64_t *user_id)
{
	if (s == NULL || u == NULL || u->name[0] == '\0' || !remote_ok(r))
		return NSUPD_ERR_INVALID;
	bool taken = false;
	nsupd_err err = store_user_name_taken(s, u->name, &taken);
	if (err != NSUPD_OK)
		return err;
	if (taken)
		return NSUPD_ERR_EXISTS;
	const store_param pu[] = {
		P_TEXT(u->name), P_TEXT(u->email), P_TEXT(u->language), P_INT(now), P_BOOL(false),
		P_BOOL(true),
	};
	const store_param pr[] = {
		P_TEXT(u->name), P_TEXT(r->provider), P_TEXT(r->subject), P_TEXT(r->email),
		P_TEXT(r->login), P_INT(now),
	};
	struct one_id o = { 0, false };
	store_sql q[3] = {
		{ .sql = "INSERT INTO users (username, email, password_hash, language, staff, active, "
			 "created, last_login) VALUES ($1, $2, '', $3, $5, $6, $4, $4)",
		  .params = pu, .n_params = NPARAMS(pu) },
		{ .sql = "INSERT INTO remote_identities (user_id, provider, subject, email, login, "
			 "created, last_login) SELECT id, CAST($2 AS TEXT), CAST($3 AS TEXT), "
			 "CAST($4 AS TEXT), CAST($5 AS TEXT), CAST($6 AS BIGINT), "
			 "CAST($6 AS BIGINT) FROM users WHERE username = $1",
		  .params = pr, .n_params = NPARAMS(pr) },
		{ .sql = "SELECT id FROM users WHERE username = $1", .params = pu, .n_params = 1,
		  .on_row = take_id, .ctx = &o },
	};
	err = store_exec(s, q, 3);
	if (err != NSUPD_OK)
		return err;
	if (q[1].changes != 1 || !o.found)
		return NSUPD_ERR_INTERNAL;
	if (user_id != NULL)
		*user_id = o.id;
	return NSUPD_OK;
}

nsupd_err store_remote_touch(store *s, int64_t id, int64_t when, const char *email,
			     const char *login)
{
	if (s == NULL || !text_ok(email, STORE_NAME_MAX) || !text_ok(login, STORE_NAME_MAX))
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(id), P_INT(when), P_TEXT(email), P_TEXT(login) };
	int64_t changes = 0;
	nsupd_err err = run1(s, "UPDATE remote_identities SET last_login = $2, email = $3, "
			     "login = $4 WHERE id = $1", p, NPARAMS(p), NULL, NULL, &changes);
	if (err == NSUPD_OK && changes == 0)
		return NSUPD_ERR_NOT_FOUND;
	return err;
}

nsupd_err store_remote_delete(store *s, int64_t user_id, int64_t id, bool *deleted)
{
	if (s == NULL || deleted == NULL)
		return NSUPD_ERR_INVALID;
	*deleted = false;
	const store_param p[] = { P_INT(user_id), P_INT(id) };
	struct one_id o = { 0, false };
	store_sql q[3] = {
		/* Holds the user's row until the end of the transaction. */
		{ .sql = "UPDATE users SET password_hash = password_hash WHERE id = $1",
		  .params = p, .n_params = 1 },
		{ .sql = "SELECT id FROM remote_identities WHERE user_id = $1 AND id = $2",
		  .params = p, .n_params = 2, .on_row = take_id, .ctx = &o },
		{ .sql = "DELETE FROM remote_identities WHERE user_id = $1 AND id = $2 AND ("
			 "EXISTS (SELECT 1 FROM users WHERE id = $1 AND password_hash <> '') OR "
			 "EXISTS (SELECT 1 FROM remote_identities WHERE user_id = $1 AND id <> $2))",
		  .params = p, .n_params = 2 },
	};
	nsupd_err err = store_exec(s, q, 3);
	if (err != NSUPD_OK)
		return err;
	if (!o.found)
		return NSUPD_ERR_NOT_FOUND;
	*deleted = q[2].changes == 1;
	return NSUPD_OK;
}

/* ---- TOTP ---- */

static bool take_totp(const store_row *row, void *ctx)
{
	store_totp *t = ctx;
	r_text(row, 0, t->secret, sizeof(t->secret));
	t->last_step = r_i64(row, 1);
	t->created = r_i64(row, 2);
	return false;
}

nsupd_err store_totp_get(store *s, int64_t user_id, store_totp *out)
{
	if (s == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	const store_param p[] = { P_INT(user_id) };
	nsupd_err err = run1(s, "SELECT secret, last_step, created FROM user_totp "
			     "WHERE user_id = $1", p, NPARAMS(p), take_totp, out, NULL);
	if (err != NSUPD_OK)
		return err;
	return out->secret[0] != '\0' ? NSUPD_OK : NSUPD_ERR_NOT_FOUND;
}

nsupd_err store_totp_enable(store *s, int64_t user_id, const char *secret, int64_t last_step,
			    const char *const *code_hashes, size_t n_codes, int64_t now)
{
	if (s == NULL || secret == NULL || secret[0] == '\0' ||
	    strlen(secret) >= STORE_TOTP_SECRET_MAX || n_codes > RECOVERY_MAX ||
	    (n_codes > 0 && code_hashes == NULL))
		return NSUPD_ERR_INVALID;
	for (size_t i = 0; i < n_codes; i++)
		if (!text_ok(code_hashes[i], STORE_TOKEN_HASH_MAX) || code_hashes[i][0] == '\0')
			return NSUPD_ERR_INVALID;
	const store_param pt[] = { P_INT(user_id), P_TEXT(secret), P_INT(last_step), P_INT(now) };
	store_param pc[RECOVERY_MAX][2];
	store_sql q[2 + RECOVERY_MAX];
	memset(q, 0, sizeof(q));
	q[0] = (store_sql){ .sql = "DELETE FROM totp_recovery_codes WHERE user_id = $1",
			    .params = pt, .n_params = 1 };
	q[1] = (store_sql){ .sql = "INSERT INTO user_totp (user_id, secret, last_step, created) "
				   "VALUES ($1, $2, $3, $4)",
			    .params = pt, .n_params = NPARAMS(pt) };
	for (size_t i = 0; i < n_codes; i++) {
		pc[i][0] = (store_param)P_INT(user_id);
		pc[i][1] = (store_param)P_TEXT(code_hashes[i]);
		q[2 + i] = (store_sql){ .sql = "INSERT INTO totp_recovery_codes (user_id, code_hash) "
					       "VALUES ($1, $2)",
					.params = pc[i], .n_params = 2 };
	}
	return store_exec(s, q, (int)(2 + n_codes));
}

nsupd_err store_totp_use_step(store *s, int64_t user_id, int64_t step, bool *accepted)
{
	if (s == NULL || accepted == NULL)
		return NSUPD_ERR_INVALID;
	*accepted = false;
	const store_param p[] = { P_INT(user_id), P_INT(step) };
	int64_t changes = 0;
	nsupd_err err = run1(s, "UPDATE user_totp SET last_step = $2 WHERE user_id = $1 AND "
			     "last_step < $2", p, NPARAMS(p), NULL, NULL, &changes);
	*accepted = err == NSUPD_OK && changes == 1;
	return err;
}

nsupd_err store_totp_use_recovery(store *s, int64_t user_id, const char *code_hash, int64_t now,
				  bool *accepted)
{
	if (s == NULL || accepted == NULL || !text_ok(code_hash, STORE_TOKEN_HASH_MAX))
		return NSUPD_ERR_INVALID;
	*accepted = false;
	const store_param p[] = { P_INT(user_id), P_TEXT(code_hash), P_INT(now) };
	int64_t changes = 0;
	nsupd_err err = run1(s, "UPDATE totp_recovery_codes SET used = $3 WHERE id = "
			     "(SELECT MIN(id) FROM totp_recovery_codes WHERE user_id = $1 AND "
			     "code_hash = $2 AND used IS NULL) AND used IS NULL", p, NPARAMS(p),
			     NULL, NULL, &changes);
	*accepted = err == NSUPD_OK && changes == 1;
	return err;
}

nsupd_err store_totp_recovery_left(store *s, int64_t user_id, int64_t *n)
{
	if (s == NULL || n == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(user_id) };
	struct one_id o = { 0, false };
	nsupd_err err = run1(s, "SELECT COUNT(*) FROM totp_recovery_codes WHERE user_id = $1 AND "
			     "used IS NULL", p, NPARAMS(p), take_id, &o, NULL);
	*n = o.id;
	return err;
}

nsupd_err store_totp_disable(store *s, int64_t user_id)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(user_id) };
	store_sql q[2] = {
		{ .sql = "DELETE FROM totp_recovery_codes WHERE user_id = $1", .params = p,
		  .n_params = 1 },
		{ .sql = "DELETE FROM user_totp WHERE user_id = $1", .params = p, .n_params = 1 },
	};
	return store_exec(s, q, 2);
}
