/* `nsupd illegal`: hosts that share an IPv4 address, read from the DNS
 * (the A record of every host), grouped by address with the largest group
 * first. Many accounts pointing at one address usually means one person
 * farming names; the report shows them, and --interactive asks per user
 * whether to delete the account (with its hosts and their records). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/maint.h"
#include "util/strutil.h"

#define SAMPLES 10

typedef struct entry {
	char addr[IP_STRLEN];
	char fqdn[STORE_NAME_MAX + 64];
	int64_t owner_id;
	int64_t domain_id;
	char owner[151];
	char email[STORE_NAME_MAX];
} entry;

struct collect {
	entry *v;
	size_t n, cap;
	bool oom;
};

static bool collect_info(const store_host_info *hi, void *ctx)
{
	struct collect *c = ctx;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 256;
		entry *nv = realloc(c->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			c->oom = true;
			return false;
		}
		c->v = nv;
		c->cap = ncap;
	}
	entry *e = &c->v[c->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->fqdn, sizeof(e->fqdn), "%s.%s", hi->host.name, hi->host.domain);
	e->owner_id = hi->host.owner_id;
	e->domain_id = hi->host.domain_id;
	str_copy(e->owner, hi->owner_name, sizeof(e->owner));
	str_copy(e->email, hi->owner_email, sizeof(e->email));
	return true;
}

static int by_addr_owner(const void *a, const void *b)
{
	const entry *x = a, *y = b;
	int c = strcmp(x->addr, y->addr);
	if (c != 0)
		return c;
	if (x->owner_id != y->owner_id)
		return x->owner_id < y->owner_id ? -1 : 1;
	return strcmp(x->fqdn, y->fqdn);
}

typedef struct group {
	size_t start, len;
} group;

static int by_size(const void *a, const void *b)
{
	const group *x = a, *y = b;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return x->start < y->start ? -1 : 1;
}

/* The zone of each domain, looked up once. */
typedef struct zone_cache {
	int64_t domain_id;
	bool ok;
	store_domain d;
	dns_zone z;
} zone_cache;

static zone_cache *zone_for(maint *m, zone_cache ***cache, size_t *n, int64_t domain_id)
{
	for (size_t i = 0; i < *n; i++)
		if ((*cache)[i]->domain_id == domain_id)
			return (*cache)[i];
	/* One allocation per zone: z points into d, so entries never move. */
	zone_cache **nc = realloc(*cache, (*n + 1) * sizeof(*nc));
	if (nc == NULL)
		return NULL;
	*cache = nc;
	zone_cache *zc = calloc(1, sizeof(*zc));
	if (zc == NULL)
		return NULL;
	nc[(*n)++] = zc;
	zc->domain_id = domain_id;
	dns_error err;
	if (store_domain_get(m->ctx->store, domain_id, &zc->d) == NSUPD_OK &&
	    updater_zone(&m->ctx->app, &zc->d, (int64_t)time(NULL), &zc->z, &err) == NSUPD_OK)
		zc->ok = true;
	return zc;
}

/* "no [default], y = yes, Y = YES to all, a = abort"; EOF is abort. */
static char ask(const char *user)
{
	printf("Delete user %s? no [default], y = yes, Y = YES to all, a = abort: ", user);
	fflush(stdout);
	char line[64];
	if (fgets(line, sizeof(line), stdin) == NULL) {
		printf("\n");
		return 'a';
	}
	char *t = str_trim(line);
	if (strcmp(t, "y") == 0 || strcmp(t, "Y") == 0 || strcmp(t, "a") == 0)
		return t[0];
	return 'n';
}

int cli_illegal(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interactive", no_argument, NULL, 'i' },
		{ "min-hosts", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	bool interactive = false, bad = false;
	long min_hosts = 2;
	int c;
	optind = 0;
	opterr = 0;   /* one line on stderr: the usage */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'i')
			interactive = true;
		else if (c == 'm' && str_to_long(optarg, 1, 1000000000L, &min_hosts))
			continue;
		else
			bad = true;
	}
	if (bad || optind != argc) {
		cli_error("usage: nsupd illegal [--min-hosts N] [--interactive]");
		return CLI_USAGE;
	}
	maint m;
	if (!maint_begin(ctx, &m, false))
		return CLI_FAIL;
	struct collect col = { 0 };
	nsupd_err e;
	MAINT_RETRY(e, store_host_info_each(ctx->store, collect_info, &col));
	if (e == NSUPD_OK && col.oom)
		e = NSUPD_ERR_NOMEM;
	if (e != NSUPD_OK) {
		cli_error("illegal: cannot list the hosts: %s", nsupd_strerror(e));
		free(col.v);
		maint_end(&m);
		return CLI_FAIL;
	}
	zone_cache **cache = NULL;
	size_t ncache = 0, queried = 0, with_a = 0;
	for (size_t i = 0; i < col.n; i++) {
		zone_cache *zc = zone_for(&m, &cache, &ncache, col.v[i].domain_id);
		if (zc == NULL || !zc->ok)
			continue;
		ip_addr a;
		bool found = false;
		dns_error err;
		queried++;
		nsupd_err qe = dns_query(&zc->z, col.v[i].fqdn, 4, &a, &found, &err);
		if (qe != NSUPD_OK) {
			fprintf(stderr, "nsupd: illegal: %s: %s\n", col.v[i].fqdn, err.msg);
			continue;
		}
		if (found) {
			ip_format(&a, col.v[i].addr);
			with_a++;
		}
	}
	for (size_t i = 0; i < ncache; i++)
		free(cache[i]);
	free(cache);
	/* Hosts without an A record drop out: move the rest to the front. */
	size_t k = 0;
	for (size_t i = 0; i < col.n; i++)
		if (col.v[i].addr[0] != '\0')
			col.v[k++] = col.v[i];
	if (k > 1)   /* col.v is NULL when there are no hosts */
		qsort(col.v, k, sizeof(col.v[0]), by_addr_owner);
	group *groups = malloc((k + 1) * sizeof(*groups));
	size_t ng = 0;
	for (size_t i = 0; groups != NULL && i < k;) {
		size_t j = i;
		while (j < k && strcmp(col.v[j].addr, col.v[i].addr) == 0)
			j++;
		if (j - i >= (size_t)min_hosts)
			groups[ng++] = (group){ i, j - i };
		i = j;
	}
	if (ng > 0)
		qsort(groups, ng, sizeof(groups[0]), by_size);

	int64_t *deleted = calloc(k + 1, sizeof(*deleted));
	size_t ndeleted = 0;
	bool yes_all = false, abort_all = false;
	for (size_t g = 0; g < ng && !abort_all; g++) {
		entry *v = col.v + groups[g].start;
		size_t len = groups[g].len;
		printf("IP %s is referred to by %zu hosts.\n", v[0].addr, len);
		/* Entries of one address are sorted by owner: one line each. */
		for (size_t i = 0; i < len && !abort_all;) {
			size_t j = i;
			while (j < len && v[j].owner_id == v[i].owner_id)
				j++;
			printf("  user %s <%s>: %zu hosts:", v[i].owner, v[i].email, j - i);
			for (size_t s = i; s < j && s - i < SAMPLES; s++)
				printf(" %s", v[s].fqdn);
			printf("%s\n", j - i > SAMPLES ? " ..." : "");
			bool already = false;
			for (size_t d = 0; d < ndeleted; d++)
				if (deleted[d] == v[i].owner_id)
					already = true;
			if (interactive && !already && deleted != NULL) {
				char a = yes_all ? 'y' : ask(v[i].owner);
				if (a == 'Y')
					yes_all = true;
				if (a == 'a')
					abort_all = true;
				if (a == 'y' || a == 'Y') {
					nsupd_err de = maint_delete_user(&m, v[i].owner_id);
					if (de == NSUPD_OK || de == NSUPD_ERR_NOT_FOUND) {
						deleted[ndeleted++] = v[i].owner_id;
						printf("  deleted user %s\n", v[i].owner);
					} else {
						maint_error(&m, "illegal: cannot delete user %s: %s",
							    v[i].owner, nsupd_strerror(de));
					}
				}
			}
			i = j;
		}
	}
	printf("illegal: %zu hosts, %zu queried, %zu with an A record, %zu addresses shared by "
	       "%ld or more hosts, %zu users deleted, %d errors\n", col.n, queried, with_a, ng,
	       min_hosts, ndeleted, m.errors);
	free(deleted);
	free(groups);
	free(col.v);
	maint_end(&m);
	return m.errors == 0 ? CLI_OK : CLI_FAIL;
}
