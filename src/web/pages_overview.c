/* The overview (spec 5.2): the user's hosts with their live A/AAAA values
 * from the nameservers, then the domains the user may put hosts in (own
 * ones first, then other users' public ones). */
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "web/hostdns.h"
#include "web/web_internal.h"

/* The whole page waits at most this long for the nameservers. */
#define OVERVIEW_DNS_BUDGET_MS 1500
/* More hosts than this are listed without live values (an account with
 * thousands of hosts must not fire thousands of queries per page view). */
#define OVERVIEW_DNS_MAX_HOSTS 200

struct host_list {
	store_host *v;
	size_t n, cap;
	bool oom;
};

static bool collect_host(const store_host *h, void *ctx)
{
	struct host_list *l = ctx;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		store_host *nv = realloc(l->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			l->oom = true;
			return false;
		}
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = *h;
	return true;
}

struct domain_ctx {
	json_t *own;
	json_t *public_;
	int64_t user_id;
};

static bool collect_domain(const store_domain *d, const char *owner, void *ctx)
{
	struct domain_ctx *c = ctx;
	json_t *o = json_pack("{s:I, s:s, s:b, s:b, s:s, s:s}", "id", (json_int_t)d->id,
			      "name", d->name, "public", d->public_, "available", d->available,
			      "owner", owner, "comment", d->comment);
	json_array_append_new(d->owner_id == c->user_id ? c->own : c->public_, o);
	return true;
}

/* The distinct domains of the hosts, loaded in full (a host may sit in a
 * domain that is no longer public, so the visible list is not enough). */
static store_domain *load_domains(web_req *r, const struct host_list *hl, size_t **dom_of,
				  size_t *nd)
{
	store_domain *doms = calloc(hl->n ? hl->n : 1, sizeof(*doms));
	size_t *of = calloc(hl->n ? hl->n : 1, sizeof(*of));
	if (doms == NULL || of == NULL) {
		free(doms);
		free(of);
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < hl->n; i++) {
		size_t j = 0;
		while (j < k && doms[j].id != hl->v[i].domain_id)
			j++;
		if (j == k) {
			nsupd_err e = store_domain_get(r->app->store, hl->v[i].domain_id, &doms[k]);
			if (e != NSUPD_OK) {
				log_error("web: loading domain %lld: %s",
					  (long long)hl->v[i].domain_id, nsupd_strerror(e));
				free(doms);
				free(of);
				return NULL;
			}
			k++;
		}
		of[i] = j;
	}
	*dom_of = of;
	*nd = k;
	return doms;
}

static void overview(web_req *r)
{
	struct host_list hl = { 0 };
	nsupd_err e = store_host_list_by_owner(r->app->store, r->user.id, collect_host, &hl);
	if (e == NSUPD_OK && hl.oom)
		e = NSUPD_ERR_NOMEM;
	if (e != NSUPD_OK) {
		log_error("web: listing the hosts of user %lld: %s", (long long)r->user.id,
			  nsupd_strerror(e));
		free(hl.v);
		web_error(r, 500, NULL);
		return;
	}

	size_t *dom_of = NULL, nd = 0;
	store_domain *doms = load_domains(r, &hl, &dom_of, &nd);
	size_t nq = hl.n <= OVERVIEW_DNS_MAX_HOSTS ? hl.n * 2 : 0;
	hostdns_query *q = nq ? calloc(nq, sizeof(*q)) : NULL;
	char (*fqdns)[STORE_NAME_MAX + 70] = hl.n ? calloc(hl.n, sizeof(*fqdns)) : NULL;
	if (doms == NULL || (nq && q == NULL) || (hl.n && fqdns == NULL)) {
		free(hl.v);
		free(doms);
		free(dom_of);
		free(q);
		free(fqdns);
		web_error(r, 500, NULL);
		return;
	}
	for (size_t i = 0; i < hl.n; i++)
		snprintf(fqdns[i], sizeof(fqdns[i]), "%s.%s", hl.v[i].name, hl.v[i].domain);
	for (size_t i = 0; i < nq; i++) {
		q[i].domain = &doms[dom_of[i / 2]];
		q[i].fqdn = fqdns[i / 2];
		q[i].family = i % 2 == 0 ? 4 : 6;
	}
	hostdns_run(r->app, q, nq, OVERVIEW_DNS_BUDGET_MS);

	json_t *hosts = json_array();
	for (size_t i = 0; i < hl.n; i++) {
		json_t *h = web_host_json(&hl.v[i]);
		if (nq) {
			json_object_set_new(h, "dns_a", hostdns_json(&q[2 * i]));
			json_object_set_new(h, "dns_aaaa", hostdns_json(&q[2 * i + 1]));
		}
		json_array_append_new(hosts, h);
	}
	free(hl.v);
	free(doms);
	free(dom_of);
	free(q);
	free(fqdns);
	json_object_set_new(r->ctx, "hosts", hosts);
	json_object_set_new(r->ctx, "live_dns", json_boolean(nq > 0 || hl.n == 0));

	struct domain_ctx dc = { json_array(), json_array(), r->user.id };
	e = store_domain_list_visible(r->app->store, r->user.id, collect_domain, &dc);
	json_object_set_new(r->ctx, "own_domains", dc.own);
	json_object_set_new(r->ctx, "public_domains", dc.public_);
	if (e != NSUPD_OK) {
		log_error("web: listing the domains for user %lld: %s", (long long)r->user.id,
			  nsupd_strerror(e));
		web_error(r, 500, NULL);
		return;
	}
	web_render(r, 200, "main/overview.html");
}

static const web_page pages[] = {
	{ "/overview/", HTTP_GET, WEB_LOGIN, overview },
};

const web_module web_module_overview = { pages, sizeof(pages) / sizeof(pages[0]) };
