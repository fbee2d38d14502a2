/* What the web's overview and host pages need beyond the core calls: the
 * domains a user may put hosts in. Generic SQL (store_backend.h), the same
 * on SQLite and PostgreSQL, in the manner of store_maint.c. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_backend.h"
#include "store/store_rows.h"

struct visible_ctx {
	store_domain_visible_cb cb;
	void *ctx;
};

static bool visible_row(const store_row *r, void *vctx)
{
	struct visible_ctx *v = vctx;
	store_domain d;
	memset(&d, 0, sizeof(d));
	d.id = r_i64(r, 0);
	r_text(r, 1, d.name, sizeof(d.name));
	r_text(r, 2, d.nameserver, sizeof(d.nameserver));
	r_text(r, 3, d.nameserver2, sizeof(d.nameserver2));
	r_text(r, 4, d.algorithm, sizeof(d.algorithm));
	d.public_ = r_bool(r, 5);
	d.available = r_bool(r, 6);
	d.backoff_until = r_i64(r, 7);
	r_text(r, 8, d.comment, sizeof(d.comment));
	d.owner_id = r_i64(r, 9);
	d.created = r_i64(r, 10);
	char owner[151];
	r_text(r, 11, owner, sizeof(owner));
	return v->cb(&d, owner, v->ctx);
}

nsupd_err store_domain_list_visible(store *s, int64_t user_id, store_domain_visible_cb cb,
				    void *ctx)
{
	if (s == NULL || cb == NULL)
		return NSUPD_ERR_INVALID;
	/* The secret stays in the database: no page listing domains shows it. */
	const store_param p[] = { { STORE_P_INT, user_id, NULL } };
	struct visible_ctx v = { cb, ctx };
	store_sql q = {
		.sql = "SELECT d.id, d.name, d.nameserver, d.nameserver2, d.algorithm, d.public, "
		       "d.available, d.backoff_until, d.comment, d.owner_id, d.created, u.username "
		       "FROM domains d JOIN users u ON u.id = d.owner_id "
		       "WHERE d.owner_id = $1 OR d.public "
		       "ORDER BY CASE WHEN d.owner_id = $1 THEN 0 ELSE 1 END, d.name",
		.params = p,
		.n_params = 1,
		.on_row = visible_row,
		.ctx = &v,
	};
	return store_exec(s, &q, 1);
}
