/* Helpers of the store modules written in generic SQL on store_exec
 * (store_account.c, store_fwd.c, store_maint.c, ...): parameters, one
 * statement, and a row's columns as the backends deliver them (text; NULL
 * for SQL NULL). Internal to src/store. */
#ifndef NSUPD_STORE_ROWS_H
#define NSUPD_STORE_ROWS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_backend.h"

#define P_INT(x) { STORE_P_INT, (int64_t)(x), NULL }
#define P_BOOL(x) { STORE_P_BOOL, (x) ? 1 : 0, NULL }
#define P_TEXT(x) { STORE_P_TEXT, 0, (x) }
#define P_NULL { STORE_P_NULL, 0, NULL }
#define NPARAMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Column i as an integer; 0 for NULL (or a missing column). */
static inline int64_t r_i64(const store_row *r, int i)
{
	return i < r->ncols && r->col[i] != NULL ? strtoll(r->col[i], NULL, 10) : 0;
}

/* Column i as a boolean: PostgreSQL says 't', SQLite 1. */
static inline bool r_bool(const store_row *r, int i)
{
	const char *c = i < r->ncols ? r->col[i] : NULL;
	return c != NULL && (c[0] == 't' || c[0] == '1');
}

static inline bool r_null(const store_row *r, int i)
{
	return i >= r->ncols || r->col[i] == NULL;
}

/* Column i into buf, cut at a UTF-8 boundary when too long; "" for NULL. */
static inline void r_text(const store_row *r, int i, char *buf, size_t size)
{
	const char *c = i < r->ncols && r->col[i] != NULL ? r->col[i] : "";
	size_t len = strlen(c);
	if (len >= size)
		len = store_utf8_cut(c, size - 1);
	memcpy(buf, c, len);
	buf[len] = '\0';
}

/* One statement; *changes (optional) = the rows it changed. */
static inline nsupd_err run1(store *s, const char *sql, const store_param *p, int np,
			     store_row_fn fn, void *ctx, int64_t *changes)
{
	store_sql q = { .sql = sql, .params = p, .n_params = np, .on_row = fn, .ctx = ctx };
	nsupd_err err = store_exec(s, &q, 1);
	if (changes != NULL)
		*changes = q.changes;
	return err;
}

#endif
