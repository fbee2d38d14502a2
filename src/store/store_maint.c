/* What the maintenance jobs (`nsupd faults`, `domains`, `hosts`, `users`,
 * `blacklist`) and the mail queue need from the database. The SQL is the
 * same on SQLite and PostgreSQL and runs through the backend's generic exec
 * (store_backend.h), with the conventions of store_fwd.c: $n parameters,
 * booleans compared as themselves, and no read-modify-write in C: a job
 * that runs from cron while `serve` counts faults or records updates must
 * never write back a value it read earlier. Changes that depend on what a
 * job saw carry what it saw in their WHERE clause, so a concurrent client
 * update wins and the job's change is skipped. */
#include "store/store.h"

#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_backend.h"
#include "store/store_rows.h"
#include "util/strutil.h"

static bool first_i64(const store_row *r, void *ctx)
{
	int64_t *out = ctx;
	out[0] = r_i64(r, 0);
	out[1] = 1;             /* "a row came" */
	return false;
}

static nsupd_err count1(store *s, const char *sql, const store_param *p, int np, int64_t *n)
{
	int64_t got[2] = { 0, 0 };
	nsupd_err err = run1(s, sql, p, np, first_i64, got, NULL);
	if (err == NSUPD_OK)
		*n = got[0];
	return err;
}

/* ---- id lists ---- */

struct idlist {
	int64_t *v;
	size_t n, cap;
	bool oom;
};

static bool collect_id(const store_row *r, void *ctx)
{
	struct idlist *l = ctx;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 256;
		int64_t *nv = realloc(l->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			l->oom = true;
			return false;
		}
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = r_i64(r, 0);
	return true;
}

static nsupd_err read_ids(store *s, const char *sql, int64_t **ids, size_t *n)
{
	if (s == NULL || ids == NULL || n == NULL)
		return NSUPD_ERR_INVALID;
	struct idlist l = { 0 };
	nsupd_err err = run1(s, sql, NULL, 0, collect_id, &l, NULL);
	if (err == NSUPD_OK && l.oom)
		err = NSUPD_ERR_NOMEM;
	if (err != NSUPD_OK) {
		free(l.v);
		l.v = NULL;
		l.n = 0;
	}
	*ids = l.v;
	*n = l.n;
	return err;
}

nsupd_err store_host_ids(store *s, int64_t **ids, size_t *n)
{
	return read_ids(s, "SELECT h.id FROM hosts h JOIN domains d ON d.id = h.domain_id "
			"ORDER BY d.name, h.name", ids, n);
}

nsupd_err store_domain_ids(store *s, int64_t **ids, size_t *n)
{
	return read_ids(s, "SELECT id FROM domains ORDER BY name", ids, n);
}

nsupd_err store_user_ids(store *s, int64_t **ids, size_t *n)
{
	return read_ids(s, "SELECT id FROM users ORDER BY username", ids, n);
}

/* ---- hosts with their owners ---- */

#define HOST_INFO_SELECT \
	"SELECT h.id, h.name, h.domain_id, d.name, h.secret_hash, h.comment, h.available, " \
	"h.abuse, h.abuse_blocked, h.netmask_ipv4, h.netmask_ipv6, h.client_faults, " \
	"h.server_faults, h.api_auth_faults, h.client_result_msg, h.server_result_msg, " \
	"h.api_auth_result_msg, h.last_update_ipv4, h.last_update_ipv6, h.tls_update_ipv4, " \
	"h.tls_update_ipv6, h.owner_id, h.created, h.staleness, " \
	"h.staleness_notification_timestamp, u.username, u.email, u.language " \
	"FROM hosts h JOIN domains d ON d.id = h.domain_id JOIN users u ON u.id = h.owner_id "

static void read_host_info(const store_row *r, store_host_info *x)
{
	memset(x, 0, sizeof(*x));
	store_host *h = &x->host;
	h->id = r_i64(r, 0);
	r_text(r, 1, h->name, sizeof(h->name));
	h->domain_id = r_i64(r, 2);
	r_text(r, 3, h->domain, sizeof(h->domain));
	r_text(r, 4, h->secret_hash, sizeof(h->secret_hash));
	r_text(r, 5, h->comment, sizeof(h->comment));
	h->available = r_bool(r, 6);
	h->abuse = r_bool(r, 7);
	h->abuse_blocked = r_bool(r, 8);
	h->netmask_ipv4 = (unsigned)r_i64(r, 9);
	h->netmask_ipv6 = (unsigned)r_i64(r, 10);
	h->client_faults = r_i64(r, 11);
	h->server_faults = r_i64(r, 12);
	h->api_auth_faults = r_i64(r, 13);
	r_text(r, 14, h->client_result_msg, sizeof(h->client_result_msg));
	r_text(r, 15, h->server_result_msg, sizeof(h->server_result_msg));
	r_text(r, 16, h->api_auth_result_msg, sizeof(h->api_auth_result_msg));
	h->last_update_ipv4 = r_i64(r, 17);
	h->last_update_ipv6 = r_i64(r, 18);
	h->tls_update_ipv4 = r_bool(r, 19);
	h->tls_update_ipv6 = r_bool(r, 20);
	h->owner_id = r_i64(r, 21);
	h->created = r_i64(r, 22);
	x->staleness = (unsigned)r_i64(r, 23);
	x->staleness_notified = r_i64(r, 24);
	r_text(r, 25, x->owner_name, sizeof(x->owner_name));
	r_text(r, 26, x->owner_email, sizeof(x->owner_email));
	r_text(r, 27, x->owner_language, sizeof(x->owner_language));
}

struct one_info {
	store_host_info *out;
	bool found;
};

static bool one_info_row(const store_row *r, void *ctx)
{
	struct one_info *o = ctx;
	read_host_info(r, o->out);
	o->found = true;
	return false;
}

nsupd_err store_host_info_get(store *s, int64_t id, store_host_info *out)
{
	if (s == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	struct one_info o = { out, false };
	const store_param p[] = { P_INT(id) };
	nsupd_err err = run1(s, HOST_INFO_SELECT "WHERE h.id = $1", p, NPARAMS(p), one_info_row,
			     &o, NULL);
	if (err == NSUPD_OK && !o.found)
		err = NSUPD_ERR_NOT_FOUND;
	return err;
}

struct each_info {
	store_host_info_cb cb;
	void *ctx;
	store_host_info buf;
};

static bool each_info_row(const store_row *r, void *ctx)
{
	struct each_info *e = ctx;
	read_host_info(r, &e->buf);
	return e->cb(&e->buf, e->ctx);
}

nsupd_err store_host_info_each(store *s, store_host_info_cb cb, void *ctx)
{
	if (s == NULL || cb == NULL)
		return NSUPD_ERR_INVALID;
	struct each_info *e = malloc(sizeof(*e));
	if (e == NULL)
		return NSUPD_ERR_NOMEM;
	e->cb = cb;
	e->ctx = ctx;
	nsupd_err err = run1(s, HOST_INFO_SELECT "ORDER BY d.name, h.name", NULL, 0,
			     each_info_row, e, NULL);
	free(e);
	return err;
}

/* ---- faults ---- */

static bool capture_faults(const store_row *r, void *ctx)
{
	int64_t *out = ctx;
	out[0] = r_i64(r, 0);
	out[1] = 1;
	return false;
}

nsupd_err store_host_faults(store *s, int64_t id, const store_faults_op *op, bool *flagged,
			    int64_t *client_faults)
{
	if (s == NULL || op == NULL)
		return NSUPD_ERR_INVALID;
	if (flagged != NULL)
		*flagged = false;
	/* The resets are one statement after the abuse check; the SET list is
	 * built only from this fixed table. TRUE/FALSE are literals both
	 * databases know (SQLite since 3.23). */
	static const struct {
		size_t off;
		const char *set;
	} resets[] = {
		{ offsetof(store_faults_op, reset_client), "client_faults = 0" },
		{ offsetof(store_faults_op, reset_server), "server_faults = 0" },
		{ offsetof(store_faults_op, reset_api_auth), "api_auth_faults = 0" },
		{ offsetof(store_faults_op, reset_abuse), "abuse = FALSE" },
		{ offsetof(store_faults_op, reset_abuse_blocked), "abuse_blocked = FALSE" },
		{ offsetof(store_faults_op, reset_available), "available = TRUE" },
	};
	char reset_sql[256] = "UPDATE hosts SET ";
	bool any_reset = false;
	for (size_t i = 0; i < sizeof(resets) / sizeof(resets[0]); i++) {
		if (!*(const bool *)((const char *)op + resets[i].off))
			continue;
		if (any_reset)
			strcat(reset_sql, ", ");
		strcat(reset_sql, resets[i].set);
		any_reset = true;
	}
	strcat(reset_sql, " WHERE id = $1");

	int64_t seen[2] = { 0, 0 };
	const store_param pid[] = { P_INT(id) };
	const store_param pflag[] = { P_INT(id), P_INT(op->flag_abuse_over) };
	store_sql q[3];
	int n = 0;
	q[n++] = (store_sql){ .sql = "SELECT client_faults FROM hosts WHERE id = $1",
			      .params = pid, .n_params = 1, .on_row = capture_faults, .ctx = seen };
	int flag_at = -1;
	if (op->flag_abuse_over >= 0) {
		flag_at = n;
		q[n++] = (store_sql){
			.sql = "UPDATE hosts SET abuse = TRUE, client_faults = 0 "
			       "WHERE id = $1 AND client_faults > $2",
			.params = pflag, .n_params = NPARAMS(pflag) };
	}
	if (any_reset)
		q[n++] = (store_sql){ .sql = reset_sql, .params = pid, .n_params = 1 };
	nsupd_err err = store_exec(s, q, n);
	if (err != NSUPD_OK)
		return err;
	if (seen[1] == 0)
		return NSUPD_ERR_NOT_FOUND;
	if (client_faults != NULL)
		*client_faults = seen[0];
	if (flagged != NULL && flag_at >= 0)
		*flagged = q[flag_at].changes > 0;
	return NSUPD_OK;
}

/* ---- staleness ---- */

nsupd_err store_host_set_staleness(store *s, int64_t id, const store_stale_op *op, bool *applied)
{
	if (s == NULL || op == NULL)
		return NSUPD_ERR_INVALID;
	char sql[512];
	/* A NULL time is compared as 0, so one parameter covers both. */
	snprintf(sql, sizeof(sql),
		 "UPDATE hosts SET staleness = $2%s%s "
		 "WHERE id = $1 AND COALESCE(last_update_ipv4, 0) = $3 "
		 "AND COALESCE(last_update_ipv6, 0) = $4 AND staleness = $5",
		 op->notified != 0 ? ", staleness_notification_timestamp = $6" : "",
		 op->make_unavailable ? ", available = FALSE" : "");
	const store_param p[] = {
		P_INT(id), P_INT(op->staleness), P_INT(op->seen_last_ipv4),
		P_INT(op->seen_last_ipv6), P_INT(op->seen_staleness), P_INT(op->notified),
	};
	int64_t changes = 0;
	nsupd_err err = run1(s, sql, p, op->notified != 0 ? 6 : 5, NULL, NULL, &changes);
	if (applied != NULL)
		*applied = err == NSUPD_OK && changes > 0;
	return err;
}

nsupd_err store_host_delete_stale(store *s, int64_t id, int64_t seen_last_ipv4,
				  int64_t seen_last_ipv6, bool *deleted)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(id), P_INT(seen_last_ipv4), P_INT(seen_last_ipv6) };
	int64_t changes = 0;
	nsupd_err err = run1(s,
		"DELETE FROM hosts WHERE id = $1 AND COALESCE(last_update_ipv4, 0) = $2 "
		"AND COALESCE(last_update_ipv6, 0) = $3", p, NPARAMS(p), NULL, NULL, &changes);
	if (deleted != NULL)
		*deleted = err == NSUPD_OK && changes > 0;
	return err;
}

/* ---- domains ---- */

nsupd_err store_domain_mark_dead(store *s, int64_t id, bool *changed)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(id), P_INT(time(NULL)) };
	int64_t changes = 0;
	nsupd_err err = run1(s,
		"UPDATE domains SET available = FALSE, public = FALSE, last_update = $2 "
		"WHERE id = $1 AND available", p, NPARAMS(p), NULL, NULL, &changes);
	if (changed != NULL)
		*changed = err == NSUPD_OK && changes > 0;
	return err;
}

nsupd_err store_domain_host_count(store *s, int64_t id, int64_t *n)
{
	if (s == NULL || n == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(id) };
	return count1(s, "SELECT COUNT(*) FROM hosts WHERE domain_id = $1", p, NPARAMS(p), n);
}

nsupd_err store_domain_delete_if_dead(store *s, int64_t id, bool *deleted)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(id) };
	int64_t changes = 0;
	nsupd_err err = run1(s,
		"DELETE FROM domains WHERE id = $1 AND NOT available "
		"AND NOT EXISTS (SELECT 1 FROM hosts WHERE hosts.domain_id = domains.id)",
		p, NPARAMS(p), NULL, NULL, &changes);
	if (deleted != NULL)
		*deleted = err == NSUPD_OK && changes > 0;
	return err;
}

/* ---- users ---- */

static bool three_counts(const store_row *r, void *ctx)
{
	int64_t *out = ctx;
	out[0] = r_i64(r, 0);
	out[1] = r_i64(r, 1);
	out[2] = r_i64(r, 2);
	return false;
}

nsupd_err store_counts(store *s, int64_t *users, int64_t *hosts, int64_t *domains)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	int64_t c[3] = { 0, 0, 0 };
	nsupd_err err = run1(s,
		"SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM hosts), "
		"(SELECT COUNT(*) FROM domains)", NULL, 0, three_counts, c, NULL);
	if (users != NULL)
		*users = c[0];
	if (hosts != NULL)
		*hosts = c[1];
	if (domains != NULL)
		*domains = c[2];
	return err;
}

nsupd_err store_user_usage(store *s, int64_t id, int64_t *hosts, int64_t *domains)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	int64_t c[3] = { 0, 0, 0 };
	const store_param p[] = { P_INT(id) };
	nsupd_err err = run1(s,
		"SELECT (SELECT COUNT(*) FROM hosts WHERE owner_id = $1), "
		"(SELECT COUNT(*) FROM domains WHERE owner_id = $1), 0", p, NPARAMS(p),
		three_counts, c, NULL);
	if (hosts != NULL)
		*hosts = c[0];
	if (domains != NULL)
		*domains = c[1];
	return err;
}

#define OWNS_NOTHING \
	"NOT EXISTS (SELECT 1 FROM hosts WHERE hosts.owner_id = users.id) " \
	"AND NOT EXISTS (SELECT 1 FROM domains WHERE domains.owner_id = users.id)"

nsupd_err store_user_delete_if_unused(store *s, int64_t id, bool *deleted)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(id) };
	int64_t changes = 0;
	nsupd_err err = run1(s, "DELETE FROM users WHERE id = $1 AND " OWNS_NOTHING, p,
			     NPARAMS(p), NULL, NULL, &changes);
	if (deleted != NULL)
		*deleted = err == NSUPD_OK && changes > 0;
	return err;
}

nsupd_err store_user_delete_unactivated(store *s, int64_t before, int64_t *n)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(before) };
	int64_t changes = 0;
	nsupd_err err = run1(s,
		"DELETE FROM users WHERE NOT active AND last_login IS NULL AND created < $1 AND "
		OWNS_NOTHING, p, NPARAMS(p), NULL, NULL, &changes);
	if (n != NULL)
		*n = err == NSUPD_OK ? changes : 0;
	return err;
}

/* ---- blacklist ---- */

nsupd_err store_blacklist_add(store *s, const char *name_re, int64_t owner_id, int64_t *id)
{
	if (s == NULL || name_re == NULL || name_re[0] == '\0' || strlen(name_re) >= STORE_NAME_MAX)
		return NSUPD_ERR_INVALID;
	regex_t re;
	if (regcomp(&re, name_re, REG_EXTENDED | REG_NOSUB) != 0)
		return NSUPD_ERR_INVALID;
	regfree(&re);
	/* A duplicate is found first, so it is EXISTS on both backends
	 * without relying on how each reports the unique index. */
	int64_t dup = 0;
	const store_param pd[] = { P_TEXT(name_re) };
	nsupd_err err = count1(s, "SELECT COUNT(*) FROM blacklisted_hosts WHERE name_re = $1", pd,
			       NPARAMS(pd), &dup);
	if (err != NSUPD_OK)
		return err;
	if (dup > 0)
		return NSUPD_ERR_EXISTS;
	int64_t now = (int64_t)time(NULL);
	const store_param p[] = { P_TEXT(name_re), P_INT(owner_id), P_INT(now) };
	int64_t got[2] = { 0, 0 };
	err = run1(s, "INSERT INTO blacklisted_hosts (name_re, owner_id, created, last_update) "
		   "VALUES ($1, $2, $3, $3) RETURNING id", p, NPARAMS(p), first_i64, got, NULL);
	if (err == NSUPD_OK && id != NULL)
		*id = got[0];
	return err;
}

nsupd_err store_blacklist_delete(store *s, const char *name_re)
{
	if (s == NULL || name_re == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_TEXT(name_re) };
	int64_t changes = 0;
	nsupd_err err = run1(s, "DELETE FROM blacklisted_hosts WHERE name_re = $1", p, NPARAMS(p),
			     NULL, NULL, &changes);
	if (err == NSUPD_OK && changes == 0)
		err = NSUPD_ERR_NOT_FOUND;
	return err;
}

struct each_bl {
	store_blacklist_cb cb;
	void *ctx;
};

static bool each_bl_row(const store_row *r, void *ctx)
{
	struct each_bl *e = ctx;
	store_blacklist b;
	memset(&b, 0, sizeof(b));
	b.id = r_i64(r, 0);
	r_text(r, 1, b.name_re, sizeof(b.name_re));
	b.owner_id = r_i64(r, 2);
	b.created = r_i64(r, 3);
	return e->cb(&b, e->ctx);
}

nsupd_err store_blacklist_each(store *s, store_blacklist_cb cb, void *ctx)
{
	if (s == NULL || cb == NULL)
		return NSUPD_ERR_INVALID;
	struct each_bl e = { cb, ctx };
	return run1(s, "SELECT id, name_re, owner_id, created FROM blacklisted_hosts ORDER BY id",
		    NULL, 0, each_bl_row, &e, NULL);
}

struct bl_match {
	const char *name;
	bool hit;
	char *matched;
	size_t matched_size;
};

static bool bl_match_one(const store_blacklist *b, void *ctx)
{
	struct bl_match *m = ctx;
	regex_t re;
	/* An expression that no longer compiles (added by hand, or by another
	 * regex library) blocks nothing rather than everything. */
	if (regcomp(&re, b->name_re, REG_EXTENDED | REG_NOSUB) != 0)
		return true;
	bool hit = regexec(&re, m->name, 0, NULL, 0) == 0;
	regfree(&re);
	if (!hit)
		return true;
	m->hit = true;
	if (m->matched != NULL)
		str_copy(m->matched, b->name_re, m->matched_size);
	return false;
}

nsupd_err store_blacklist_match(store *s, const char *name, bool *hit, char *matched,
				size_t matched_size)
{
	if (s == NULL || name == NULL || hit == NULL)
		return NSUPD_ERR_INVALID;
	struct bl_match m = { name, false, matched, matched_size };
	if (matched != NULL && matched_size > 0)
		matched[0] = '\0';
	nsupd_err err = store_blacklist_each(s, bl_match_one, &m);
	*hit = err == NSUPD_OK && m.hit;
	return err;
}

/* ---- mail queue ---- */

nsupd_err store_mail_enqueue(store *s, const char *rcpt, const char *message, int64_t now,
			     int64_t next_attempt, const char *error)
{
	if (s == NULL || rcpt == NULL || message == NULL || strlen(rcpt) >= STORE_NAME_MAX ||
	    strlen(message) >= STORE_MAIL_MAX)
		return NSUPD_ERR_INVALID;
	char err_cut[STORE_MSG_MAX];
	const char *e = error != NULL ? error : "";
	size_t len = store_utf8_cut(e, sizeof(err_cut) - 1);
	memcpy(err_cut, e, len);
	err_cut[len] = '\0';
	const store_param p[] = {
		P_TEXT(rcpt), P_TEXT(message), P_INT(next_attempt), P_TEXT(err_cut), P_INT(now),
	};
	return run1(s, "INSERT INTO mail_queue (rcpt, message, attempts, next_attempt, last_error, "
		    "created) VALUES ($1, $2, 1, $3, $4, $5)", p, NPARAMS(p), NULL, NULL, NULL);
}

struct mail_rows {
	store_mail *out;
	size_t max, n;
};

static bool mail_row(const store_row *r, void *ctx)
{
	struct mail_rows *m = ctx;
	if (m->n >= m->max)
		return false;
	store_mail *x = &m->out[m->n++];
	memset(x, 0, sizeof(*x));
	x->id = r_i64(r, 0);
	r_text(r, 1, x->rcpt, sizeof(x->rcpt));
	r_text(r, 2, x->message, sizeof(x->message));
	x->attempts = (int)r_i64(r, 3);
	x->next_attempt = r_i64(r, 4);
	r_text(r, 5, x->last_error, sizeof(x->last_error));
	x->created = r_i64(r, 6);
	return true;
}

nsupd_err store_mail_claim(store *s, int64_t now, int64_t lease, store_mail *out, size_t max,
			   size_t *n)
{
	if (s == NULL || n == NULL || (out == NULL && max > 0))
		return NSUPD_ERR_INVALID;
	*n = 0;
	if (max == 0)
		return NSUPD_OK;
	struct mail_rows m = { out, max, 0 };
	const store_param p[] = { P_INT(now), P_INT(max) };
	nsupd_err err = run1(s,
		"SELECT id, rcpt, message, attempts, next_attempt, last_error, created "
		"FROM mail_queue WHERE next_attempt <= $1 ORDER BY next_attempt, id LIMIT $2",
		p, NPARAMS(p), mail_row, &m, NULL);
	if (err != NSUPD_OK)
		return err;
	/* Keep only the rows this run's UPDATE moved: another run that read
	 * the same row loses the race and skips it. */
	size_t kept = 0;
	for (size_t i = 0; i < m.n; i++) {
		const store_param pc[] = {
			P_INT(out[i].id), P_INT(now + lease), P_INT(out[i].next_attempt),
		};
		int64_t changes = 0;
		err = run1(s, "UPDATE mail_queue SET next_attempt = $2, attempts = attempts + 1 "
			   "WHERE id = $1 AND next_attempt = $3", pc, NPARAMS(pc), NULL, NULL,
			   &changes);
		if (err != NSUPD_OK)
			break;
		if (changes > 0) {
			if (kept != i)
				memcpy(&out[kept], &out[i], sizeof(out[i]));
			out[kept].attempts++;
			kept++;
		}
	}
	*n = kept;
	return err;
}

nsupd_err store_mail_done(store *s, int64_t id)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(id) };
	return run1(s, "DELETE FROM mail_queue WHERE id = $1", p, NPARAMS(p), NULL, NULL, NULL);
}

nsupd_err store_mail_retry(store *s, int64_t id, int64_t next_attempt, const char *error)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	char err_cut[STORE_MSG_MAX];
	const char *e = error != NULL ? error : "";
	size_t len = store_utf8_cut(e, sizeof(err_cut) - 1);
	memcpy(err_cut, e, len);
	err_cut[len] = '\0';
	const store_param p[] = { P_INT(id), P_INT(next_attempt), P_TEXT(err_cut) };
	return run1(s, "UPDATE mail_queue SET next_attempt = $2, last_error = $3 WHERE id = $1", p,
		    NPARAMS(p), NULL, NULL, NULL);
}

nsupd_err store_mail_count(store *s, int64_t *n)
{
	if (s == NULL || n == NULL)
		return NSUPD_ERR_INVALID;
	return count1(s, "SELECT COUNT(*) FROM mail_queue", NULL, 0, n);
}

nsupd_err store_mail_make_due(store *s, int64_t now)
{
	if (s == NULL)
		return NSUPD_ERR_INVALID;
	const store_param p[] = { P_INT(now) };
	return run1(s, "UPDATE mail_queue SET next_attempt = $1 WHERE next_attempt > $1", p,
		    NPARAMS(p), NULL, NULL, NULL);
}
