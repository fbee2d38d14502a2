#include "web/hostdns.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/dns.h"
#include "util/log.h"

#define MAX_THREADS 16

/* A zone of the page: its usable settings (or why not) and whether its
 * nameserver already failed during this page. */
struct zone_slot {
	const store_domain *domain;
	bool usable;
	dns_zone z;
	atomic_bool dead;
};

struct job_set {
	hostdns_query *q;
	size_t n;
	struct zone_slot *zones;
	size_t *zone_of;              /* per query: index into zones */
	atomic_size_t next;
	int64_t deadline_ms;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void run_one(struct job_set *js, size_t i)
{
	hostdns_query *q = &js->q[i];
	struct zone_slot *zs = &js->zones[js->zone_of[i]];
	q->state = HOSTDNS_ERROR;
	if (!zs->usable || atomic_load(&zs->dead) || now_ms() >= js->deadline_ms)
		return;
	ip_addr a;
	bool found = false;
	dns_error err;
	nsupd_err e = dns_query(&zs->z, q->fqdn, q->family, &a, &found, &err);
	if (e != NSUPD_OK) {
		if (dns_error_is_transport(e))
			atomic_store(&zs->dead, true);
		return;
	}
	if (found) {
		ip_format(&a, q->addr);
		q->state = HOSTDNS_FOUND;
	} else {
		q->state = HOSTDNS_NONE;
	}
}

static void *worker(void *arg)
{
	struct job_set *js = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&js->next, 1);
		if (i >= js->n)
			break;
		run_one(js, i);
	}
	return NULL;
}

void hostdns_run(const nsupd_app *app, hostdns_query *q, size_t n, unsigned budget_ms)
{
	if (n == 0)
		return;
	struct zone_slot *zones = calloc(n, sizeof(*zones));
	size_t *zone_of = calloc(n, sizeof(*zone_of));
	if (zones == NULL || zone_of == NULL) {
		free(zones);
		free(zone_of);
		for (size_t i = 0; i < n; i++)
			q[i].state = HOSTDNS_ERROR;
		return;
	}
	unsigned timeout = app->cfg->resolver_timeout * 1000;
	if (timeout == 0 || timeout > budget_ms)
		timeout = budget_ms;
	int64_t now = (int64_t)time(NULL);
	size_t nz = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < nz && zones[k].domain->id != q[i].domain->id)
			k++;
		if (k == nz) {
			struct zone_slot *zs = &zones[nz++];
			zs->domain = q[i].domain;
			atomic_init(&zs->dead, false);
			dns_error err;
			/* A zone in back-off or switched off is not asked: the
			 * values are shown as unknown until it is back. */
			zs->usable = updater_zone(app, q[i].domain, now, &zs->z, &err) == NSUPD_OK;
			zs->z.query_timeout_ms = timeout;
		}
		zone_of[i] = k;
		q[i].addr[0] = '\0';
	}

	struct job_set js = { .q = q, .n = n, .zones = zones, .zone_of = zone_of,
			      .deadline_ms = now_ms() + budget_ms };
	atomic_init(&js.next, 0);
	size_t nthreads = n < MAX_THREADS ? n : MAX_THREADS;
	pthread_t tids[MAX_THREADS];
	size_t started = 0;
	/* This thread works too, so one query needs no extra thread. */
	for (size_t t = 1; t < nthreads; t++) {
		if (pthread_create(&tids[started], NULL, worker, &js) != 0) {
			log_warn("web: cannot start a DNS lookup thread; continuing with %zu",
				 started + 1);
			break;
		}
		started++;
	}
	worker(&js);
	for (size_t t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	free(zones);
	free(zone_of);
}

json_t *hostdns_json(const hostdns_query *q)
{
	static const char *const names[] = { "none", "found", "error" };
	return json_pack("{s:s, s:s}", "state", names[q->state], "addr", q->addr);
}
