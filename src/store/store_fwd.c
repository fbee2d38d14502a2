/* Related hosts, other services and the forward queue. Their SQL is the
 * same on SQLite and PostgreSQL, so it is written once here and run through
 * the backend's generic exec (store_backend.h): parameters are $1..$n, a
 * parameter whose type PostgreSQL could not infer from a column is CAST,
 * booleans are compared as themselves (never = 1 or = TRUE), and every
 * change of a counter or a claim happens inside one SQL statement. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_backend.h"
#include "store/store_rows.h"
#include "util/strutil.h"

static int64_t now_or(int64_t t)
{
	return t != 0 ? t : (int64_t)time(NULL);
}

/* Collects rows into an array of records. */
typedef void (*reader_fn)(const store_row *r, void *out);
struct collect {
	char *out;
	size_t elem;
	size_t max;
	size_t n;
	reader_fn read;
};

static bool collect_row(const store_row *r, void *ctx)
{
	struct collect *c = ctx;
	if (c->n >= c->max)
		return false;
	c->read(r, c->out + c->n * c->elem);
	c->n++;
	return true;
}

static nsupd_err read_list(store *s, const char *sql, const store_param *p, int np,
			   reader_fn read, void *out, size_t elem, size_t max, size_t *n)
{
	struct collect c = { out, elem, max, 0, read };
	nsupd_err err = max == 0 ? NSUPD_OK : run1(s, sql, p, np, collect_row, &c, NULL);
	*n = c.n;
	return err;
}

static nsupd_err read_single(store *s, const char *sql, const store_param *p, int np,
			     reader_fn read, void *out)
{
	size_t n = 0;
	struct collect c = { out, 0, 1, 0, read };
	nsupd_err err = run1(s, sql, p, np, collect_row, &c, NULL);
	n = c.n;
	if (err == NSUPD_OK && n == 0)
		err = NSUPD_ERR_NOT_FOUND;
	return err;
}

static bool capture_id(const store_row *r, void *ctx)
{
	*(int64_t *)ctx = r_i64(r, 0);
	return false;
}

static nsupd_err insert_returning(store *s, const char *sql, const store_param *p, int np,
				  int64_t *id)
{
	int64_t got = 0;
	nsupd_err err = run1(s, sql, p, np, capture_id, &got, NULL);
	if (err == NSUPD_OK && id != NULL)
		*id = got;
	return err;
}

static bool fits(const char *s, size_t size)
{
	return s != NULL && strlen(s) < size;
}

/* ---- related hosts ---- */

#define RELATED_COLS \
	"id, main_host_id, name, comment, interface_id_ipv4, interface_id_ipv6, available, created "

static void read_related(const store_row *r, void *out)
{
	store_related *x = out;
	memset(x, 0, sizeof(*x));
	x->id = r_i64(r, 0);
	x->main_host_id = r_i64(r, 1);
	r_text(r, 2, x->name, sizeof(x->name));
	r_text(r, 3, x->comment, sizeof(x->comment));
	r_text(r, 4, x->interface_id_ipv4, sizeof(x->interface_id_ipv4));
	r_text(r, 5, x->interface_id_ipv6, sizeof(x->interface_id_ipv6));
	x->available = r_bool(r, 6);
	x->created = r_i64(r, 7);
}

nsupd_err store_related_add(store *s, const store_related *r, int64_t *id)
{
	if (s == NULL || r == NULL || r->name[0] == '\0' || !fits(r->name, sizeof(r->name)) ||
	    !fits(r->comment, sizeof(r->comment)) ||
	    !fits(r->interface_id_ipv4, sizeof(r->interface_id_ipv4)) ||
	    !fits(r->interface_id_ipv6, sizeof(r->interface_id_ipv6)))
		return NSUPD_ERR_INVALID;
	char name[sizeof(r->name)];
	str_copy(name, r->name, sizeof(name));
	str_ascii_lower(name);
	const store_param p[] = {
		P_TEXT(name), P_TEXT(r->comment), P_TEXT(r->interface_id_ipv4),
		P_TEXT(r->interface_id_ipv6), P_BOOL(r->available), P_INT(r->main_host_id),
		P_INT(now_or(r->created)),
	};
	return insert_returning(s,
		"INSERT INTO related_hosts (name, comment, interface_id_ipv4, interface_id_ipv6, "
		"available, main_host_id, created, last_update) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id", p, NPARAMS(p), id);
}

nsupd_err store_related_get(store *s, int64_t main_host_id, const char *name, store_related *out)
{
	if (s == NULL || name == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	char lower[64];
	if (str_copy(lower, name, sizeof(lower)) >= sizeof(lower))
		return NSUPD_ERR_NOT_FOUND;
	str_ascii_lower(lower);
	const store_param p[] = { P_INT(main_host_id), P_TEXT(lower) };
	return read_single(s, "SELECT " RELATED_COLS "FROM related_hosts "
		"WHERE main_host_id = $1 AND name = $2", p, NPARAMS(p), read_related, out);
}

nsupd_err store_related_list(store *s, int64_t main_host_id, store_related *out, size_t max,
			     size_t *n)
{
	if (s == NULL || (out == NULL && max > 0) || n == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(main_host_id) };
	return read_list(s, "SELECT " RELATED_COLS "FROM related_hosts "
		"WHERE main_host_id = $1 ORDER BY name", p, NPARAMS(p), read_related, out,
		sizeof(*out), max, n);
}

nsupd_err store_related_delete(store *s, int64_t id)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(id) };
	int64_t changes = 0;
	nsupd_err err = run1(s, "DELETE FROM related_hosts WHERE id = $1", p, NPARAMS(p), NULL,
			     NULL, &changes);
	if (err == NSUPD_OK && changes == 0)
		err = NSUPD_ERR_NOT_FOUND;
	return err;
}

nsupd_err store_related_get_id(store *s, int64_t id, store_related *out)
{
	if (s == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(id) };
	return read_single(s, "SELECT " RELATED_COLS "FROM related_hosts WHERE id = $1", p,
			   NPARAMS(p), read_related, out);
}

nsupd_err store_related_update(store *s, const store_related *r)
{
	if (s == NULL || r == NULL || r->name[0] == '\0' || !fits(r->name, sizeof(r->name)) ||
	    !fits(r->comment, sizeof(r->comment)) ||
	    !fits(r->interface_id_ipv4, sizeof(r->interface_id_ipv4)) ||
	    !fits(r->interface_id_ipv6, sizeof(r->interface_id_ipv6)))
		return NSUPD_ERR_INVALID;
	char name[sizeof(r->name)];
	str_copy(name, r->name, sizeof(name));
	str_ascii_lower(name);
	const store_param p[] = {
		P_TEXT(name), P_TEXT(r->comment), P_TEXT(r->interface_id_ipv4),
		P_TEXT(r->interface_id_ipv6), P_BOOL(r->available), P_INT(now_or(0)), P_INT(r->id),
	};
	int64_t changes = 0;
	nsupd_err err = run1(s, "UPDATE related_hosts SET name = $1, comment = $2, "
			     "interface_id_ipv4 = $3, interface_id_ipv6 = $4, available = $5, "
			     "last_update = $6 WHERE id = $7", p, NPARAMS(p), NULL, NULL, &changes);
	if (err == NSUPD_OK && changes == 0)
		err = NSUPD_ERR_NOT_FOUND;
	return err;
}

/* ---- services ---- */

#define SERVICE_COLS \
	"id, name, comment, server, path, secure, accept_ipv4, accept_ipv6, owner_id, created "

static void read_service_at(const store_row *r, int o, store_service *x)
{
	memset(x, 0, sizeof(*x));
	x->id = r_i64(r, o + 0);
	r_text(r, o + 1, x->name, sizeof(x->name));
	r_text(r, o + 2, x->comment, sizeof(x->comment));
	r_text(r, o + 3, x->server, sizeof(x->server));
	r_text(r, o + 4, x->path, sizeof(x->path));
	x->secure = r_bool(r, o + 5);
	x->accept_ipv4 = r_bool(r, o + 6);
	x->accept_ipv6 = r_bool(r, o + 7);
	x->owner_id = r_i64(r, o + 8);
	x->created = r_i64(r, o + 9);
}

static void read_service(const store_row *r, void *out)
{
	read_service_at(r, 0, out);
}

nsupd_err store_service_add(store *s, const store_service *sv, int64_t *id)
{
	if (s == NULL || sv == NULL || sv->name[0] == '\0' || sv->server[0] == '\0' ||
	    !fits(sv->name, sizeof(sv->name)) || !fits(sv->comment, sizeof(sv->comment)) ||
	    !fits(sv->server, sizeof(sv->server)) || !fits(sv->path, sizeof(sv->path)))
		return NSUPD_ERR_INVALID;
	const store_param p[] = {
		P_TEXT(sv->name), P_TEXT(sv->comment), P_TEXT(sv->server),
		P_TEXT(sv->path[0] != '\0' ? sv->path : "/nic/update"), P_BOOL(sv->secure),
		P_BOOL(sv->accept_ipv4), P_BOOL(sv->accept_ipv6), P_INT(sv->owner_id),
		P_INT(now_or(sv->created)),
	};
	return insert_returning(s,
		"INSERT INTO service_updaters (name, comment, server, path, secure, accept_ipv4, "
		"accept_ipv6, owner_id, created, last_update) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id", p, NPARAMS(p), id);
}

nsupd_err store_service_get_by_name(store *s, const char *name, store_service *out)
{
	if (s == NULL || name == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_TEXT(name) };
	return read_single(s, "SELECT " SERVICE_COLS "FROM service_updaters WHERE name = $1", p,
			   NPARAMS(p), read_service, out);
}

nsupd_err store_service_get(store *s, int64_t id, store_service *out)
{
	if (s == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(id) };
	return read_single(s, "SELECT " SERVICE_COLS "FROM service_updaters WHERE id = $1", p,
			   NPARAMS(p), read_service, out);
}

nsupd_err store_service_list(store *s, store_service *out, size_t max, size_t *n)
{
	if (s == NULL || (out == NULL && max > 0) || n == NULL)
		return NSUPD_ERR_INVALID;
	return read_list(s, "SELECT " SERVICE_COLS "FROM service_updaters ORDER BY name", NULL, 0,
			 read_service, out, sizeof(*out), max, n);
}

nsupd_err store_service_default_owner(store *s, int64_t *user_id)
{
	if (s == NULL || user_id == NULL)
		return NSUPD_ERR_INVALID;
	int64_t id = 0;
	nsupd_err err = run1(s, "SELECT id FROM users ORDER BY staff DESC, id LIMIT 1", NULL, 0,
			     capture_id, &id, NULL);
	if (err == NSUPD_OK && id == 0)
		err = NSUPD_ERR_NOT_FOUND;
	if (err == NSUPD_OK)
		*user_id = id;
	return err;
}

/* ---- per-host configurations ---- */

#define FORWARD_SELECT \
	"SELECT c.id, c.host_id, c.service_id, c.hostname, c.comment, c.name, c.password, " \
	"c.give_ipv4, c.give_ipv6, c.owner_id, c.created, " \
	"s.id, s.name, s.comment, s.server, s.path, s.secure, s.accept_ipv4, s.accept_ipv6, " \
	"s.owner_id, s.created, " \
	"c.last_forward, c.last_http_status, c.last_result, c.last_state, c.last_address, " \
	"(SELECT COUNT(*) FROM forward_queue q WHERE q.config_id = c.id) " \
	"FROM service_updater_host_configs c JOIN service_updaters s ON s.id = c.service_id "

static void read_forward(const store_row *r, void *out)
{
	store_forward *x = out;
	memset(x, 0, sizeof(*x));
	x->id = r_i64(r, 0);
	x->host_id = r_i64(r, 1);
	x->service_id = r_i64(r, 2);
	x->has_hostname = !r_null(r, 3);
	r_text(r, 3, x->hostname, sizeof(x->hostname));
	r_text(r, 4, x->comment, sizeof(x->comment));
	r_text(r, 5, x->login, sizeof(x->login));
	r_text(r, 6, x->password, sizeof(x->password));
	x->give_ipv4 = r_bool(r, 7);
	x->give_ipv6 = r_bool(r, 8);
	x->owner_id = r_i64(r, 9);
	x->created = r_i64(r, 10);
	read_service_at(r, 11, &x->service);
	x->last_forward = r_i64(r, 21);
	x->last_http_status = (int)r_i64(r, 22);
	r_text(r, 23, x->last_result, sizeof(x->last_result));
	r_text(r, 24, x->last_state, sizeof(x->last_state));
	r_text(r, 25, x->last_address, sizeof(x->last_address));
	x->pending = r_i64(r, 26);
}

nsupd_err store_forward_add(store *s, const store_forward *f, int64_t *id)
{
	if (s == NULL || f == NULL || !fits(f->hostname, sizeof(f->hostname)) ||
	    !fits(f->comment, sizeof(f->comment)) || !fits(f->login, sizeof(f->login)) ||
	    !fits(f->password, sizeof(f->password)))
		return NSUPD_ERR_INVALID;
	const store_param p[] = {
		P_INT(f->service_id), f->has_hostname ? (store_param)P_TEXT(f->hostname) :
		(store_param)P_NULL, P_TEXT(f->comment), P_TEXT(f->login), P_TEXT(f->password),
		P_BOOL(f->give_ipv4), P_BOOL(f->give_ipv6), P_INT(f->host_id), P_INT(f->owner_id),
		P_INT(now_or(f->created)),
	};
	return insert_returning(s,
		"INSERT INTO service_updater_host_configs (service_id, hostname, comment, name, "
		"password, give_ipv4, give_ipv6, host_id, owner_id, created, last_update) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
		p, NPARAMS(p), id);
}

nsupd_err store_forward_get(store *s, int64_t id, store_forward *out)
{
	if (s == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(id) };
	return read_single(s, FORWARD_SELECT "WHERE c.id = $1", p, NPARAMS(p), read_forward, out);
}

nsupd_err store_forward_list(store *s, int64_t host_id, store_forward *out, size_t max,
			     size_t *n)
{
	if (s == NULL || (out == NULL && max > 0) || n == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(host_id) };
	return read_list(s, FORWARD_SELECT "WHERE c.host_id = $1 ORDER BY s.name, c.id", p,
			 NPARAMS(p), read_forward, out, sizeof(*out), max, n);
}

nsupd_err store_forward_update(store *s, const store_forward *f, bool set_password)
{
	if (s == NULL || f == NULL || !fits(f->hostname, sizeof(f->hostname)) ||
	    !fits(f->comment, sizeof(f->comment)) || !fits(f->login, sizeof(f->login)) ||
	    !fits(f->password, sizeof(f->password)))
		return NSUPD_ERR_INVALID;
	const store_param p[] = {
		f->has_hostname ? (store_param)P_TEXT(f->hostname) : (store_param)P_NULL,
		P_TEXT(f->comment), P_TEXT(f->login), P_BOOL(f->give_ipv4), P_BOOL(f->give_ipv6),
		P_INT(now_or(0)), P_INT(f->id), P_BOOL(set_password), P_TEXT(f->password),
	};
	int64_t changes = 0;
	/* One statement either way: the password is replaced only when the
	 * flag says so, never with an empty form field. */
	nsupd_err err = run1(s, "UPDATE service_updater_host_configs SET hostname = $1, "
			     "comment = $2, name = $3, give_ipv4 = $4, give_ipv6 = $5, "
			     "last_update = $6, password = CASE WHEN CAST($8 AS BOOLEAN) "
			     "THEN CAST($9 AS VARCHAR(255)) ELSE password END "
			     "WHERE id = $7", p, NPARAMS(p), NULL, NULL, &changes);
	if (err == NSUPD_OK && changes == 0)
		err = NSUPD_ERR_NOT_FOUND;
	return err;
}

nsupd_err store_forward_delete(store *s, int64_t id)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(id) };
	store_sql q[2] = {
		{ .sql = "DELETE FROM forward_queue WHERE config_id = $1", .params = p,
		  .n_params = NPARAMS(p) },
		{ .sql = "DELETE FROM service_updater_host_configs WHERE id = $1", .params = p,
		  .n_params = NPARAMS(p) },
	};
	nsupd_err err = store_exec(s, q, 2);
	if (err == NSUPD_OK && q[1].changes == 0)
		err = NSUPD_ERR_NOT_FOUND;
	return err;
}

/* ---- the queue ---- */

/* Which configurations get an address of a family. CAST: the family
 * parameter is compared with a literal, which PostgreSQL cannot type. */
#define FORWARD_MATCH \
	"FROM service_updater_host_configs c JOIN service_updaters s ON s.id = c.service_id " \
	"WHERE c.host_id = $1 AND ((CAST($2 AS INTEGER) = 4 AND c.give_ipv4 AND s.accept_ipv4) " \
	"OR (CAST($2 AS INTEGER) = 6 AND c.give_ipv6 AND s.accept_ipv6))"

static bool read_flags(const store_row *r, void *ctx)
{
	bool *flags = ctx;
	flags[0] = r_bool(r, 0);
	flags[1] = r_bool(r, 1);
	return false;
}

nsupd_err store_followups_due(store *s, int64_t host_id, int family, bool *related,
			      bool *forward)
{
	if (s == NULL || related == NULL || forward == NULL || (family != 4 && family != 6))
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(host_id), P_INT(family) };
	bool flags[2] = { false, false };
	nsupd_err err = run1(s, "SELECT EXISTS (SELECT 1 FROM related_hosts WHERE main_host_id = $1 "
			     "AND available), EXISTS (SELECT 1 " FORWARD_MATCH ")", p, NPARAMS(p),
			     read_flags, flags, NULL);
	*related = flags[0];
	*forward = flags[1];
	return err;
}

nsupd_err store_forward_enqueue(store *s, int64_t host_id, int family, const char *address,
				int64_t now, int64_t due, int *queued)
{
	if (queued != NULL)
		*queued = 0;
	if (s == NULL || address == NULL || (family != 4 && family != 6) ||
	    strlen(address) > 45)
		return NSUPD_ERR_INVALID;
	/* The hot path of every good update: one indexed read when the host
	 * forwards nowhere. */
	const store_param pc[] = { P_INT(host_id), P_INT(family) };
	int64_t count = 0;
	nsupd_err err = run1(s, "SELECT COUNT(*) " FORWARD_MATCH, pc, NPARAMS(pc), capture_id,
			     &count, NULL);
	if (err != NSUPD_OK || count == 0)
		return err;

	const store_param pd[] = { P_INT(host_id), P_INT(family), P_INT(now) };
	const store_param pi[] = { P_INT(host_id), P_INT(family), P_TEXT(address), P_INT(due),
				   P_INT(now) };
	store_sql q[2] = {
		{ .sql = "DELETE FROM forward_queue WHERE host_id = $1 AND family = $2 "
			 "AND claimed_until < $3",
		  .params = pd, .n_params = NPARAMS(pd) },
		{ .sql = "INSERT INTO forward_queue (host_id, config_id, address, family, attempts, "
			 "next_attempt, last_result, created, claimed_until) "
			 "SELECT c.host_id, c.id, CAST($3 AS VARCHAR(45)), CAST($2 AS INTEGER), 0, "
			 "CAST($4 AS BIGINT), '', CAST($5 AS BIGINT), 0 " FORWARD_MATCH,
		  .params = pi, .n_params = NPARAMS(pi) },
	};
	err = store_exec(s, q, 2);
	if (err == NSUPD_OK && queued != NULL)
		*queued = (int)q[1].changes;
	return err;
}

struct id_list {
	int64_t ids[64];
	size_t n;
	size_t max;
};

static bool collect_id(const store_row *r, void *ctx)
{
	struct id_list *l = ctx;
	if (l->n >= l->max)
		return false;
	l->ids[l->n++] = r_i64(r, 0);
	return true;
}

static void read_job(const store_row *r, void *out)
{
	store_forward_job *j = out;
	memset(j, 0, sizeof(*j));
	j->id = r_i64(r, 0);
	j->config_id = r_i64(r, 1);
	j->host_id = r_i64(r, 2);
	r_text(r, 3, j->address, sizeof(j->address));
	j->family = (int)r_i64(r, 4);
	j->attempts = (int)r_i64(r, 5);
	j->created = r_i64(r, 6);
}

nsupd_err store_forward_claim(store *s, int64_t now, int64_t lease, store_forward_job *out,
			      size_t max, size_t *n)
{
	if (s == NULL || out == NULL || n == NULL || lease <= 0)
		return NSUPD_ERR_INVALID;
	*n = 0;
	struct id_list due = { .max = max < 64 ? max : 64 };
	const store_param ps[] = { P_INT(now), P_INT((int64_t)due.max) };
	nsupd_err err = run1(s, "SELECT id FROM forward_queue WHERE next_attempt <= $1 "
			     "AND claimed_until < $1 ORDER BY next_attempt, id LIMIT $2",
			     ps, NPARAMS(ps), collect_id, &due, NULL);
	for (size_t i = 0; i < due.n && err == NSUPD_OK; i++) {
		/* Another worker may have taken it since the SELECT: then the
		 * condition fails and no row comes back. */
		const store_param pu[] = { P_INT(now + lease), P_INT(due.ids[i]), P_INT(now) };
		struct collect c = { (char *)(out + *n), sizeof(*out), 1, 0, read_job };
		err = run1(s, "UPDATE forward_queue SET claimed_until = $1, attempts = attempts + 1 "
			   "WHERE id = $2 AND claimed_until < $3 AND next_attempt <= $3 "
			   "RETURNING id, config_id, host_id, address, family, attempts, created",
			   pu, NPARAMS(pu), collect_row, &c, NULL);
		if (err == NSUPD_OK)
			*n += c.n;
	}
	return err;
}

nsupd_err store_forward_finish(store *s, const store_forward_job *job,
			       const store_forward_result *r)
{
	if (s == NULL || job == NULL || r == NULL)
		return NSUPD_ERR_INVALID;
	/* The text may quote a remote server: keep printable ASCII only, so
	 * it is valid in any database encoding and safe on a terminal. */
	char result[STORE_MSG_MAX];
	const char *in = r->result != NULL ? r->result : "";
	size_t k = 0;
	for (; in[k] != '\0' && k < sizeof(result) - 1; k++)
		result[k] = in[k] >= 0x20 && in[k] < 0x7f ? in[k] : '?';
	result[k] = '\0';
	const char *state = r->state == STORE_FWD_DONE ? "done" :
			    r->state == STORE_FWD_RETRY ? "retrying" : "failed";

	const store_param pc[] = { P_INT(now_or(r->time)), P_INT(r->http_status), P_TEXT(result),
				   P_TEXT(state), P_TEXT(job->address), P_INT(job->config_id) };
	const char *config_sql =
		"UPDATE service_updater_host_configs SET last_forward = $1, last_http_status = $2, "
		"last_result = $3, last_state = $4, last_address = $5 WHERE id = $6";
	if (r->state != STORE_FWD_RETRY) {
		const store_param pd[] = { P_INT(job->id) };
		store_sql q[2] = {
			{ .sql = "DELETE FROM forward_queue WHERE id = $1", .params = pd,
			  .n_params = NPARAMS(pd) },
			{ .sql = config_sql, .params = pc, .n_params = NPARAMS(pc) },
		};
		return store_exec(s, q, 2);
	}
	const store_param ps[] = { P_INT(job->id), P_INT(job->config_id), P_INT(job->family) };
	const store_param pr[] = { P_INT(r->retry_at), P_TEXT(result), P_INT(job->id) };
	store_sql q[3] = {
		/* A newer address for the same configuration makes this one
		 * obsolete: sending it later would undo the newer one. */
		{ .sql = "DELETE FROM forward_queue WHERE id = $1 AND EXISTS (SELECT 1 FROM "
			 "forward_queue n WHERE n.config_id = $2 AND n.family = $3 AND n.id > $1)",
		  .params = ps, .n_params = NPARAMS(ps) },
		{ .sql = "UPDATE forward_queue SET claimed_until = 0, next_attempt = $1, "
			 "last_result = $2 WHERE id = $3",
		  .params = pr, .n_params = NPARAMS(pr) },
		{ .sql = config_sql, .params = pc, .n_params = NPARAMS(pc) },
	};
	return store_exec(s, q, 3);
}
