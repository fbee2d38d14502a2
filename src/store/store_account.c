/* What the self-service account pages need from the database: inactive
 * registrations with their activation token, password reset tokens, the
 * profile columns and the list of hosts whose records go with a deleted
 * account. Generic SQL (store_backend.h), the same on SQLite and
 * PostgreSQL.
 *
 * A token is used up by the same transaction that acts on it, and the
 * action is conditional on the token row still being there and unexpired
 * (a WHERE EXISTS), so two clicks on one link, or a link racing its own
 * expiry, act at most once. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_backend.h"
#include "store/store_rows.h"

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

static bool token_ok(const char *token_hash)
{
	return token_hash != NULL && token_hash[0] != '\0' &&
	       strlen(token_hash) < STORE_TOKEN_HASH_MAX;
}

nsupd_err store_user_name_taken(store *s, const char *name, bool *taken)
{
	if (s == NULL || name == NULL || taken == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_TEXT(name) };
	struct one_id o = { 0, false };
	nsupd_err err = run1(s, "SELECT id FROM users WHERE lower(username) = lower($1)", p,
			     NPARAMS(p), take_id, &o, NULL);
	*taken = err == NSUPD_OK && o.found;
	return err;
}

nsupd_err store_account_register(store *s, const store_user *u, const char *token_hash,
				 int64_t now, int64_t expires, int64_t *id)
{
	if (s == NULL || u == NULL || u->name[0] == '\0' || !token_ok(token_hash))
		return NSUPD_ERR_INVALID;
	bool taken = false;
	nsupd_err err = store_user_name_taken(s, u->name, &taken);
	if (err != NSUPD_OK)
		return err;
	if (taken)
		return NSUPD_ERR_EXISTS;
	const store_param pu[] = {
		P_TEXT(u->name), P_TEXT(u->email), P_TEXT(u->password_hash), P_TEXT(u->language),
		P_BOOL(false), P_BOOL(false), P_INT(now),
	};
	const store_param pt[] = {
		P_TEXT(u->name), P_TEXT(STORE_TOKEN_ACTIVATE), P_TEXT(token_hash), P_INT(now),
		P_INT(expires),
	};
	struct one_id o = { 0, false };
	store_sql q[3] = {
		{ .sql = "INSERT INTO users (username, email, password_hash, language, staff, active, "
			 "created) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		  .params = pu, .n_params = NPARAMS(pu) },
		{ .sql = "INSERT INTO account_tokens (user_id, kind, token_hash, created, expires) "
			 "SELECT id, $2, $3, $4, $5 FROM users WHERE username = $1",
		  .params = pt, .n_params = NPARAMS(pt) },
		{ .sql = "SELECT id FROM users WHERE username = $1", .params = pu, .n_params = 1,
		  .on_row = take_id, .ctx = &o },
	};
	err = store_exec(s, q, 3);
	if (err != NSUPD_OK)
		return err;
	if (q[1].changes != 1 || !o.found)
		return NSUPD_ERR_INTERNAL;
	if (id != NULL)
		*id = o.id;
	return NSUPD_OK;
}

nsupd_err store_token_check(store *s, const char *kind, const char *token_hash, int64_t now,
			    int64_t *user_id)
{
	if (s == NULL || kind == NULL || !token_ok(token_hash))
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_TEXT(token_hash), P_TEXT(kind), P_INT(now) };
	struct one_id o = { 0, false };
	nsupd_err err = run1(s,
		"SELECT user_id FROM account_tokens WHERE token_hash = $1 AND kind = $2 AND "
		"expires > $3", p, NPARAMS(p), take_id, &o, NULL);
	if (err != NSUPD_OK)
		return err;
	if (!o.found)
		return NSUPD_ERR_NOT_FOUND;
	if (user_id != NULL)
		*user_id = o.id;
	return NSUPD_OK;
}

nsupd_err store_account_activate(store *s, const char *token_hash, int64_t now, int64_t *user_id)
{
	int64_t uid = 0;
	nsupd_err err = store_token_check(s, STORE_TOKEN_ACTIVATE, token_hash, now, &uid);
	if (err != NSUPD_OK)
		return err;
	const store_param pa[] = {
		P_BOOL(true), P_INT(uid), P_TEXT(token_hash), P_TEXT(STORE_TOKEN_ACTIVATE), P_INT(now),
	};
	const store_param pd[] = { P_TEXT(token_hash), P_TEXT(STORE_TOKEN_ACTIVATE) };
	store_sql q[2] = {
		{ .sql = "UPDATE users SET active = $1 WHERE id = $2 AND EXISTS (SELECT 1 FROM "
			 "account_tokens t WHERE t.token_hash = $3 AND t.kind = $4 AND "
			 "t.expires > $5 AND t.user_id = $2)",
		  .params = pa, .n_params = NPARAMS(pa) },
		{ .sql = "DELETE FROM account_tokens WHERE token_hash = $1 AND kind = $2",
		  .params = pd, .n_params = NPARAMS(pd) },
	};
	err = store_exec(s, q, 2);
	if (err != NSUPD_OK)
		return err;
	if (q[0].changes != 1)
		return NSUPD_ERR_NOT_FOUND;
	if (user_id != NULL)
		*user_id = uid;
	return NSUPD_OK;
}

nsupd_err store_token_add(store *s, int64_t user_id, const char *kind, const char *token_hash,
			  int64_t now, int64_t expires)
{
	if (s == NULL || kind == NULL || !token_ok(token_hash))
		return NSUPD_ERR_INVALID;
	const store_param p[] = {
		P_INT(user_id), P_TEXT(kind), P_TEXT(token_hash), P_INT(now), P_INT(expires),
	};
	return run1(s, "INSERT INTO account_tokens (user_id, kind, token_hash, created, expires) "
		    "VALUES ($1, $2, $3, $4, $5)", p, NPARAMS(p), NULL, NULL, NULL);
}

nsupd_err store_token_delete_user(store *s, int64_t user_id, const char *kind)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	if (kind == NULL) {
		const store_param p[] = { P_INT(user_id) };
		return run1(s, "DELETE FROM account_tokens WHERE user_id = $1", p, NPARAMS(p), NULL,
			    NULL, NULL);
	}
	const store_param p[] = { P_INT(user_id), P_TEXT(kind) };
	return run1(s, "DELETE FROM account_tokens WHERE user_id = $1 AND kind = $2", p,
		    NPARAMS(p), NULL, NULL, NULL);
}

nsupd_err store_token_prune(store *s, int64_t now)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(now) };
	return run1(s, "DELETE FROM account_tokens WHERE expires <= $1", p, NPARAMS(p), NULL, NULL,
		    NULL);
}

nsupd_err store_account_reset_password(store *s, const char *token_hash, int64_t user_id,
				       const char *password_hash, int64_t now)
{
	if (s == NULL || !token_ok(token_hash) || password_hash == NULL || password_hash[0] == '\0')
		return NSUPD_ERR_INVALID;
	const store_param pu[] = {
		P_TEXT(password_hash), P_INT(user_id), P_TEXT(token_hash), P_TEXT(STORE_TOKEN_RESET),
		P_INT(now),
	};
	const store_param pd[] = { P_INT(user_id), P_TEXT(STORE_TOKEN_RESET) };
	store_sql q[2] = {
		{ .sql = "UPDATE users SET password_hash = $1 WHERE id = $2 AND EXISTS (SELECT 1 "
			 "FROM account_tokens t WHERE t.token_hash = $3 AND t.kind = $4 AND "
			 "t.expires > $5 AND t.user_id = $2)",
		  .params = pu, .n_params = NPARAMS(pu) },
		{ .sql = "DELETE FROM account_tokens WHERE user_id = $1 AND kind = $2",
		  .params = pd, .n_params = NPARAMS(pd) },
	};
	nsupd_err err = store_exec(s, q, 2);
	if (err != NSUPD_OK)
		return err;
	return q[0].changes == 1 ? NSUPD_OK : NSUPD_ERR_NOT_FOUND;
}

nsupd_err store_user_set_password(store *s, int64_t id, const char *password_hash)
{
	if (s == NULL || password_hash == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_TEXT(password_hash), P_INT(id) };
	int64_t changes = 0;
	nsupd_err err = run1(s, "UPDATE users SET password_hash = $1 WHERE id = $2", p,
			     NPARAMS(p), NULL, NULL, &changes);
	if (err == NSUPD_OK && changes == 0)
		err = NSUPD_ERR_NOT_FOUND;
	return err;
}

struct profile_row {
	store_user_profile *p;
	bool found;
};

static bool take_profile(const store_row *r, void *ctx)
{
	struct profile_row *pr = ctx;
	store_user_profile *p = pr->p;
	r_text(r, 0, p->first_name, sizeof(p->first_name));
	r_text(r, 1, p->last_name, sizeof(p->last_name));
	r_text(r, 2, p->email, sizeof(p->email));
	r_text(r, 3, p->language, sizeof(p->language));
	pr->found = true;
	return false;
}

nsupd_err store_user_profile_get(store *s, int64_t id, store_user_profile *out)
{
	if (s == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	struct profile_row pr = { out, false };
	const store_param p[] = { P_INT(id) };
	nsupd_err err = run1(s, "SELECT first_name, last_name, email, language FROM users "
			     "WHERE id = $1", p, NPARAMS(p), take_profile, &pr, NULL);
	if (err == NSUPD_OK && !pr.found)
		err = NSUPD_ERR_NOT_FOUND;
	return err;
}

nsupd_err store_user_profile_set(store *s, int64_t id, const store_user_profile *pr)
{
	if (s == NULL || pr == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = {
		P_TEXT(pr->first_name), P_TEXT(pr->last_name), P_TEXT(pr->email),
		P_TEXT(pr->language), P_INT(id),
	};
	int64_t changes = 0;
	nsupd_err err = run1(s, "UPDATE users SET first_name = $1, last_name = $2, email = $3, "
			     "language = $4 WHERE id = $5", p, NPARAMS(p), NULL, NULL, &changes);
	if (err == NSUPD_OK && changes == 0)
		err = NSUPD_ERR_NOT_FOUND;
	return err;
}

struct idbuf {
	int64_t *v;
	size_t n, cap;
	bool grow;     /* malloc'ed and growing, else fixed at cap */
	bool oom;
};

static bool collect_id(const store_row *r, void *ctx)
{
	struct idbuf *b = ctx;
	if (b->n == b->cap) {
		if (!b->grow)
			return false;
		size_t ncap = b->cap ? b->cap * 2 : 64;
		int64_t *nv = realloc(b->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			b->oom = true;
			return false;
		}
		b->v = nv;
		b->cap = ncap;
	}
	b->v[b->n++] = r_i64(r, 0);
	return true;
}

nsupd_err store_user_ids_by_email(store *s, const char *email, int64_t *ids, size_t max,
				  size_t *n)
{
	if (s == NULL || email == NULL || ids == NULL || n == NULL)
		return NSUPD_ERR_INVALID;
	*n = 0;
	const store_param p[] = { P_TEXT(email) };
	struct idbuf b = { .v = ids, .cap = max };
	nsupd_err err = run1(s, "SELECT id FROM users WHERE lower(email) = lower($1) AND active "
			     "AND password_hash <> '' ORDER BY id", p, NPARAMS(p), collect_id, &b,
			     NULL);
	if (err == NSUPD_OK)
		*n = b.n;
	return err;
}

nsupd_err store_account_host_ids(store *s, int64_t user_id, int64_t **ids, size_t *n)
{
	if (s == NULL || ids == NULL || n == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(user_id) };
	struct idbuf b = { .grow = true };
	nsupd_err err = run1(s,
		"SELECT h.id FROM hosts h JOIN domains d ON d.id = h.domain_id "
		"WHERE h.owner_id = $1 OR d.owner_id = $1 ORDER BY h.id", p, NPARAMS(p),
		collect_id, &b, NULL);
	if (err == NSUPD_OK && b.oom)
		err = NSUPD_ERR_NOMEM;
	if (err != NSUPD_OK) {
		free(b.v);
		b.v = NULL;
		b.n = 0;
	}
	*ids = b.v;
	*n = b.n;
	return err;
}
