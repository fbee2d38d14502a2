#include "api/prequery.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fqdn.h"
#include "dns/dns.h"
#include "util/strutil.h"

/* Hosts that authenticated, with their domain's nameservers: a direct-mapped
 * table (a newer host may push out an older one with the same slot; then the
 * older one's next request simply runs without a prequery). */
#define REMEMBERED_SLOTS 1024

typedef struct remembered {
	char fqdn[FQDN_MAX + 1];
	char nameserver[STORE_ADDR_MAX];
	char nameserver2[STORE_ADDR_MAX];
} remembered;

static pthread_mutex_t remembered_mu = PTHREAD_MUTEX_INITIALIZER;
static remembered remembered_hosts[REMEMBERED_SLOTS];

struct prequery {
	pthread_mutex_t mu;
	int owners;                  /* the request and, while in flight, the query */
	bool done, answered, found;
	ip_addr addr;
	void (*wake)(void *ctx);
	void *wake_ctx;
	int family;
	char fqdn[FQDN_MAX + 1];
	char nameserver[STORE_ADDR_MAX];
	char nameserver2[STORE_ADDR_MAX];
};

static size_t slot_of(const char *fqdn)
{
	/* FNV-1a */
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)fqdn; *p != '\0'; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h % REMEMBERED_SLOTS;
}

void prequery_remember(const char *fqdn, const store_domain *d)
{
	if (fqdn == NULL || d == NULL || strlen(fqdn) > FQDN_MAX)
		return;
	remembered *r = &remembered_hosts[slot_of(fqdn)];
	pthread_mutex_lock(&remembered_mu);
	if (strcmp(r->fqdn, fqdn) != 0 || strcmp(r->nameserver, d->nameserver) != 0 ||
	    strcmp(r->nameserver2, d->nameserver2) != 0) {
		str_copy(r->fqdn, fqdn, sizeof(r->fqdn));
		str_copy(r->nameserver, d->nameserver, sizeof(r->nameserver));
		str_copy(r->nameserver2, d->nameserver2, sizeof(r->nameserver2));
	}
	pthread_mutex_unlock(&remembered_mu);
}

static void release(prequery *pq)
{
	pthread_mutex_lock(&pq->mu);
	bool last = --pq->owners == 0;
	pthread_mutex_unlock(&pq->mu);
	if (last) {
		pthread_mutex_destroy(&pq->mu);
		free(pq);
	}
}

/* Query thread: the answer (or none). */
static void prequery_done(void *ctx, bool answered, bool found, const ip_addr *addr)
{
	prequery *pq = ctx;
	pthread_mutex_lock(&pq->mu);
	pq->done = true;
	pq->answered = answered;
	pq->found = found;
	if (found && addr != NULL)
		pq->addr = *addr;
	void (*wake)(void *) = pq->wake;
	void *wake_ctx = pq->wake_ctx;
	pthread_mutex_unlock(&pq->mu);
	if (wake != NULL)
		wake(wake_ctx);
	release(pq);
}

prequery *prequery_start(const nsupd_app *app, const char *fqdn, int family)
{
	if (app == NULL || fqdn == NULL || (family != 4 && family != 6) || strlen(fqdn) > FQDN_MAX)
		return NULL;
	prequery *pq = calloc(1, sizeof(*pq));
	if (pq == NULL)
		return NULL;
	bool known = false;
	const remembered *r = &remembered_hosts[slot_of(fqdn)];
	pthread_mutex_lock(&remembered_mu);
	if (strcmp(r->fqdn, fqdn) == 0) {
		known = true;
		str_copy(pq->nameserver, r->nameserver, sizeof(pq->nameserver));
		str_copy(pq->nameserver2, r->nameserver2, sizeof(pq->nameserver2));
	}
	pthread_mutex_unlock(&remembered_mu);
	if (!known) {
		free(pq);
		return NULL;
	}
	str_copy(pq->fqdn, fqdn, sizeof(pq->fqdn));
	pq->family = family;
	/* The zone as updater_zone builds it, as far as a query uses it. */
	dns_zone z;
	memset(&z, 0, sizeof(z));
	if (!dns_server_parse(pq->nameserver, &z.primary) ||
	    (pq->nameserver2[0] != '\0' && !dns_server_parse(pq->nameserver2, &z.secondary))) {
		free(pq);
		return NULL;
	}
	z.has_secondary = pq->nameserver2[0] != '\0';
	z.query_timeout_ms = app->cfg->resolver_timeout * 1000;
	pthread_mutex_init(&pq->mu, NULL);
	pq->owners = 2;
	if (!dns_query_submit(&z, fqdn, family, prequery_done, pq)) {
		pthread_mutex_destroy(&pq->mu);
		free(pq);
		return NULL;
	}
	return pq;
}

bool prequery_matches(const prequery *pq, const char *fqdn, int family, const store_domain *d)
{
	return pq != NULL && fqdn != NULL && d != NULL && pq->family == family &&
	       strcmp(pq->fqdn, fqdn) == 0 && strcmp(pq->nameserver, d->nameserver) == 0 &&
	       strcmp(pq->nameserver2, d->nameserver2) == 0;
}

bool prequery_answer(prequery *pq, void (*wake)(void *ctx), void *ctx, bool *answered,
		     bool *found, ip_addr *addr)
{
	pthread_mutex_lock(&pq->mu);
	bool done = pq->done;
	if (done) {
		*answered = pq->answered;
		*found = pq->found;
		if (pq->found)
			*addr = pq->addr;
	} else {
		pq->wake = wake;
		pq->wake_ctx = ctx;
	}
	pthread_mutex_unlock(&pq->mu);
	return done;
}

void prequery_release(prequery *pq)
{
	if (pq != NULL)
		release(pq);
}
