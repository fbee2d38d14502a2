/* `nsupd domains`, `hosts`, `users` and `testuser` (spec section 6). The
 * original runs each of them in one big transaction; here every row is
 * its own short statement, and changes that depend on what was read carry
 * it in their WHERE clause, so a client update that arrives meanwhile wins
 * and the server never waits on a lock held across DNS queries. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/maint.h"
#include "core/maint.h"
#include "core/secret.h"
#include "util/strutil.h"

/* ---- domains ---- */

struct domain_arg {
	const char *site;
	const char *domain;
};

static void build_domain(const i18n_catalog *c, void *arg, mail_notice *out)
{
	struct domain_arg *a = arg;
	mail_notice_domain(c, a->site, a->domain, out);
}

int cli_domains(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "stale-check", no_argument, NULL, 's' },
		{ "notify-user", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	bool check = false, stale = false, notify = false, bad = false;
	int c;
	optind = 0;
	opterr = 0;   /* one line on stderr: the usage */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': check = true; break;
		case 's': stale = true; break;
		case 'n': notify = true; break;
		default: bad = true; break;
		}
	}
	if (bad || optind != argc) {
		cli_error("usage: nsupd domains [--check [--notify-user]] [--stale-check]");
		return CLI_USAGE;
	}
	maint m;
	if (!maint_begin(ctx, &m, notify))
		return CLI_FAIL;
	int64_t *ids = NULL;
	size_t n = 0;
	nsupd_err e;
	MAINT_RETRY(e, store_domain_ids(ctx->store, &ids, &n));
	if (e != NSUPD_OK) {
		cli_error("domains: cannot list the domains: %s", nsupd_strerror(e));
		maint_end(&m);
		return CLI_FAIL;
	}
	int checked = 0, dead = 0, deleted = 0;
	for (size_t i = 0; i < n; i++) {
		store_domain d;
		MAINT_RETRY(e, store_domain_get(ctx->store, ids[i], &d));
		if (e == NSUPD_ERR_NOT_FOUND)
			continue;
		if (e != NSUPD_OK) {
			maint_error(&m, "domains: domain %lld: %s", (long long)ids[i],
				    nsupd_strerror(e));
			continue;
		}
		store_user owner;
		if (store_user_get(ctx->store, d.owner_id, &owner) != NSUPD_OK)
			memset(&owner, 0, sizeof(owner));
		if (check && d.available) {
			checked++;
			/* The check itself must run whatever back-off the zone is
			 * in: it is what decides about the zone. */
			store_domain probe = d;
			probe.backoff_until = 0;
			dns_zone z;
			dns_error err;
			e = updater_zone(&ctx->app, &probe, (int64_t)time(NULL), &z, &err);
			if (e == NSUPD_OK)
				e = dns_check_zone(&z, &err);
			if (e != NSUPD_OK) {
				bool changed = false;
				nsupd_err se;
				MAINT_RETRY(se, store_domain_mark_dead(ctx->store, d.id, &changed));
				if (se != NSUPD_OK) {
					maint_error(&m, "domains: domain %s: %s", d.name,
						    nsupd_strerror(se));
				} else if (changed) {
					dead++;
					d.available = false;
					printf("Setting unavailable flag for domain %s (created by %s)\n",
					       d.name, owner.name);
					fprintf(stderr, "nsupd: domain %s: %s\n", d.name, err.msg);
					fflush(stdout);
					if (notify) {
						struct domain_arg a = { maint_site(&m), d.name };
						maint_notify(&m, owner.email, owner.language,
							     build_domain, &a);
					}
				}
			}
		}
		if (stale) {
			if (d.available) {
				printf("Domain %s is available.\n", d.name);
				continue;
			}
			int64_t hosts = 0;
			MAINT_RETRY(e, store_domain_host_count(ctx->store, d.id, &hosts));
			if (e != NSUPD_OK) {
				maint_error(&m, "domains: domain %s: %s", d.name, nsupd_strerror(e));
				continue;
			}
			if (hosts > 0) {
				printf("Domain %s is not available, but has %lld hosts.\n", d.name,
				       (long long)hosts);
				continue;
			}
			bool gone = false;
			MAINT_RETRY(e, store_domain_delete_if_dead(ctx->store, d.id, &gone));
			if (e != NSUPD_OK)
				maint_error(&m, "domains: domain %s: %s", d.name, nsupd_strerror(e));
			else if (gone) {
				deleted++;
				printf("Domain %s is not available and has no hosts -> deleted domain.\n",
				       d.name);
			}
		}
	}
	free(ids);
	printf("domains: %zu domains, %d checked, %d made unavailable, %d deleted, "
	       "%d mails sent, %d queued, %d errors\n", n, checked, dead, deleted, m.mail.sent,
	       m.mail.queued, m.errors);
	maint_end(&m);
	return m.errors == 0 ? CLI_OK : CLI_FAIL;
}

/* ---- hosts ---- */

struct stale_arg {
	const char *site;
	const char *fqdn;
	const char *comment;
	unsigned staleness;
	enum mail_stale_stage stage;
};

static void build_stale(const i18n_catalog *c, void *arg, mail_notice *out)
{
	struct stale_arg *a = arg;
	mail_notice_stale(c, a->site, a->fqdn, a->comment, a->staleness, a->stage, out);
}

int cli_hosts(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stale-check", no_argument, NULL, 's' },
		{ "notify-user", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	bool stale = false, notify = false;
	int c;
	bool bad = false;
	optind = 0;
	opterr = 0;   /* one line on stderr: the usage */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			stale = true;
		else if (c == 'n')
			notify = true;
		else
			bad = true;
	}
	if (bad || optind != argc) {
		cli_error("usage: nsupd hosts --stale-check [--notify-user]");
		return CLI_USAGE;
	}
	maint m;
	if (!maint_begin(ctx, &m, notify))
		return CLI_FAIL;
	int64_t *ids = NULL;
	size_t n = 0;
	nsupd_err e;
	MAINT_RETRY(e, store_host_ids(ctx->store, &ids, &n));
	if (e != NSUPD_OK) {
		cli_error("hosts: cannot list the hosts: %s", nsupd_strerror(e));
		maint_end(&m);
		return CLI_FAIL;
	}
	int notified = 0, unavailable = 0, deleted = 0, reset = 0;
	store_host_info *hi = malloc(sizeof(*hi));
	for (size_t i = 0; stale && hi != NULL && i < n; i++) {
		MAINT_RETRY(e, store_host_info_get(ctx->store, ids[i], hi));
		if (e == NSUPD_ERR_NOT_FOUND)
			continue;
		if (e != NSUPD_OK) {
			maint_error(&m, "hosts: host %lld: %s", (long long)ids[i], nsupd_strerror(e));
			continue;
		}
		const store_host *h = &hi->host;
		int64_t now = (int64_t)time(NULL);
		stale_decision dec = stale_decide(h->last_update_ipv4, h->last_update_ipv6,
						  hi->staleness, hi->staleness_notified, now);
		if (dec.action == STALE_KEEP)
			continue;
		char fqdn[STORE_NAME_MAX + 64];
		snprintf(fqdn, sizeof(fqdn), "%s.%s", h->name, h->domain);
		store_stale_op op = {
			.seen_last_ipv4 = h->last_update_ipv4,
			.seen_last_ipv6 = h->last_update_ipv6,
			.seen_staleness = hi->staleness,
			.staleness = dec.staleness,
		};
		bool applied = false;
		enum mail_stale_stage stage = MAIL_STALE_FIX;
		switch (dec.action) {
		case STALE_RESET:
			MAINT_RETRY(e, store_host_set_staleness(ctx->store, h->id, &op, &applied));
			if (e == NSUPD_OK && applied)
				reset++;
			break;
		case STALE_DELETE:
			stage = MAIL_STALE_DELETED;
			/* Records go first: once the row is gone, nothing knows
			 * the host's zone and key any more. */
			maint_delete_records(&m, h);
			MAINT_RETRY(e, store_host_delete_stale(ctx->store, h->id, h->last_update_ipv4,
							       h->last_update_ipv6, &applied));
			if (e == NSUPD_OK && applied)
				deleted++;
			break;
		case STALE_UNAVAILABLE:
		case STALE_NOTIFY:
			stage = dec.action == STALE_UNAVAILABLE ? MAIL_STALE_UNAVAILABLE : MAIL_STALE_FIX;
			op.notified = now;
			op.make_unavailable = dec.action == STALE_UNAVAILABLE;
			MAINT_RETRY(e, store_host_set_staleness(ctx->store, h->id, &op, &applied));
			if (e == NSUPD_OK && applied)
				*(dec.action == STALE_UNAVAILABLE ? &unavailable : &notified) += 1;
			break;
		case STALE_KEEP:
			break;
		}
		if (e != NSUPD_OK) {
			maint_error(&m, "hosts: host %s: %s", fqdn, nsupd_strerror(e));
			continue;
		}
		if (!applied || dec.action == STALE_RESET)
			continue;       /* updated meanwhile: not stale after all */
		char issue[512];
		mail_stale_issue(NULL, fqdn, dec.staleness, stage, issue, sizeof(issue));
		printf("%s (created by %s)\n", issue, hi->owner_name);
		fflush(stdout);
		if (notify) {
			struct stale_arg a = { maint_site(&m), fqdn, h->comment, dec.staleness,
					       stage };
			maint_notify(&m, hi->owner_email, hi->owner_language, build_stale, &a);
		}
	}
	free(hi);
	free(ids);
	printf("hosts: %zu hosts, %d notified, %d made unavailable, %d deleted, %d back to "
	       "fresh, %d mails sent, %d queued, %d errors\n", n, notified, unavailable, deleted,
	       reset, m.mail.sent, m.mail.queued, m.errors);
	maint_end(&m);
	return m.errors == 0 ? CLI_OK : CLI_FAIL;
}

/* ---- users ---- */

static void print_counts(cli_ctx *ctx, const char *when)
{
	int64_t u = 0, h = 0, d = 0;
	nsupd_err e;
	MAINT_RETRY(e, store_counts(ctx->store, &u, &h, &d));
	if (e == NSUPD_OK)
		printf("%s: users: %lld, hosts: %lld, domains: %lld\n", when, (long long)u,
		       (long long)h, (long long)d);
}

int cli_users(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stale-check", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	bool stale = false, bad = false;
	int c;
	optind = 0;
	opterr = 0;   /* one line on stderr: the usage */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			stale = true;
		else
			bad = true;
	}
	if (bad || optind != argc) {
		cli_error("usage: nsupd users [--stale-check]");
		return CLI_USAGE;
	}
	maint m;
	if (!maint_begin(ctx, &m, false))
		return CLI_FAIL;
	print_counts(ctx, "before");
	int64_t *ids = NULL;
	size_t n = 0;
	int deleted = 0;
	nsupd_err e = NSUPD_OK;
	if (stale)
		MAINT_RETRY(e, store_user_ids(ctx->store, &ids, &n));
	if (e != NSUPD_OK)
		maint_error(&m, "users: cannot list the users: %s", nsupd_strerror(e));
	for (size_t i = 0; i < n; i++) {
		store_user u;
		MAINT_RETRY(e, store_user_get(ctx->store, ids[i], &u));
		if (e == NSUPD_ERR_NOT_FOUND)
			continue;
		if (e != NSUPD_OK) {
			maint_error(&m, "users: user %lld: %s", (long long)ids[i], nsupd_strerror(e));
			continue;
		}
		int64_t now = (int64_t)time(NULL);
		int64_t age = user_age(u.last_login, u.created, now);
		double years = (double)age / (365.25 * 86400);
		if (age < USER_STALE_AFTER) {
			printf("'%s <%s>' kept, was used recently.\n", u.name, u.email);
			continue;
		}
		int64_t hosts = 0, domains = 0;
		MAINT_RETRY(e, store_user_usage(ctx->store, u.id, &hosts, &domains));
		if (e != NSUPD_OK) {
			maint_error(&m, "users: user %s: %s", u.name, nsupd_strerror(e));
			continue;
		}
		if (hosts > 0) {
			printf("'%s <%s>' kept, has hosts. age: %.1fy, hosts: %lld.\n", u.name, u.email,
			       years, (long long)hosts);
			continue;
		}
		if (domains > 0) {
			printf("'%s <%s>' kept, has domains. age: %.1fy, domains: %lld.\n", u.name,
			       u.email, years, (long long)domains);
			continue;
		}
		bool gone = false;
		MAINT_RETRY(e, store_user_delete_if_unused(ctx->store, u.id, &gone));
		if (e != NSUPD_OK) {
			maint_error(&m, "users: user %s: %s", u.name, nsupd_strerror(e));
			continue;
		}
		if (gone) {
			deleted++;
			printf("'%s <%s>' hasn't logged in for %.1fy, has no hosts and no domains "
			       "-> deleted user.\n", u.name, u.email, years);
		}
	}
	free(ids);
	print_counts(ctx, "after");
	printf("users: %zu users checked, %d deleted, %d errors\n", n, deleted, m.errors);
	maint_end(&m);
	return m.errors == 0 ? CLI_OK : CLI_FAIL;
}

/* ---- testuser ---- */

struct id_list {
	store_host v[64];
	size_t n;
	bool more;
};

static bool collect_host(const store_host *h, void *ctx)
{
	struct id_list *l = ctx;
	if (l->n >= sizeof(l->v) / sizeof(l->v[0])) {
		l->more = true;
		return false;
	}
	l->v[l->n++] = *h;
	return true;
}

nsupd_err maint_delete_user(maint *m, int64_t user_id)
{
	struct id_list *l = malloc(sizeof(*l));
	if (l == NULL)
		return NSUPD_ERR_NOMEM;
	nsupd_err e;
	/* Batches, since the listing callback may not call the store. */
	do {
		l->n = 0;
		l->more = false;
		MAINT_RETRY(e, store_host_list_by_owner(m->ctx->store, user_id, collect_host, l));
		if (e != NSUPD_OK)
			break;
		for (size_t i = 0; i < l->n; i++) {
			maint_delete_records(m, &l->v[i]);
			MAINT_RETRY(e, store_host_delete(m->ctx->store, l->v[i].id));
			if (e == NSUPD_ERR_NOT_FOUND)
				e = NSUPD_OK;
			if (e != NSUPD_OK)
				break;
		}
	} while (e == NSUPD_OK && l->more);
	free(l);
	if (e == NSUPD_OK)
		MAINT_RETRY(e, store_user_delete(m->ctx->store, user_id));
	return e;
}

int cli_testuser(cli_ctx *ctx, int argc, char **argv)
{
	if (argc > 1) {
		cli_error("usage: nsupd testuser");
		return CLI_USAGE;
	}
	maint m;
	if (!maint_begin(ctx, &m, false))
		return CLI_FAIL;
	store_user u;
	nsupd_err e;
	MAINT_RETRY(e, store_user_get_by_name(ctx->store, "test", &u));
	if (e == NSUPD_OK)
		e = maint_delete_user(&m, u.id);
	else if (e == NSUPD_ERR_NOT_FOUND)
		e = NSUPD_OK;
	if (e != NSUPD_OK) {
		cli_error("testuser: cannot delete the old test user: %s", nsupd_strerror(e));
		maint_end(&m);
		return CLI_FAIL;
	}
	memset(&u, 0, sizeof(u));
	str_copy(u.name, "test", sizeof(u.name));
	mail_from_address(&ctx->cfg, u.email, sizeof(u.email));
	u.active = true;
	u.created = (int64_t)time(NULL);
	e = password_hash("test", u.password_hash, sizeof(u.password_hash));
	int64_t id = 0;
	if (e == NSUPD_OK)
		MAINT_RETRY(e, store_user_add(ctx->store, &u, &id));
	maint_end(&m);
	if (e != NSUPD_OK) {
		cli_error("testuser: cannot create the test user: %s", nsupd_strerror(e));
		return CLI_FAIL;
	}
	printf("Successfully reinitialized the test user\n");
	return CLI_OK;
}
