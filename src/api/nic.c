#include "api/nic.h"

#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "api/followup.h"
#include "api/prequery.h"
#include "api/updater.h"
#include "core/dyndns2.h"
#include "core/fqdn.h"
#include "core/secret.h"
#include "util/log.h"
#include "util/strutil.h"

#define REALM "Basic realm=\"authenticate to update DNS\""

static void answer(http_response *res, enum dd_word word, bool by_bad_hosts, const char *body)
{
	http_set_text(res, dd_http_status(word, by_bad_hosts), body);
	http_add_header(res, "Cache-Control", "no-store");
	if (word == DD_BADAUTH)
		http_add_header(res, "WWW-Authenticate", REALM);
}

static void answer_word(http_response *res, enum dd_word word, bool by_bad_hosts)
{
	answer(res, word, by_bad_hosts, dd_word_text(word));
}

static bool is_bad_host(const nsupd_config *cfg, const char *name)
{
	char norm[FQDN_MAX + 1];
	if (name == NULL || !fqdn_normalize(name, norm, sizeof(norm)))
		return false;
	for (size_t i = 0; i < cfg->n_bad_hosts; i++)
		if (strcmp(cfg->bad_hosts[i], norm) == 0)
			return true;
	return false;
}

static bool is_bad_agent(const nsupd_config *cfg, const char *agent)
{
	for (size_t i = 0; i < cfg->n_bad_agents; i++)
		if (strcmp(cfg->bad_agents[i], agent) == 0)
			return true;
	return false;
}

/* Appends the parsed elements of one address parameter to list. */
static bool collect_addrs(const char *value, dd_addr *list, size_t *n)
{
	if (value == NULL || value[0] == '\0')
		return true;
	size_t got = 0;
	if (dd_parse_myip(value, list + *n, DD_MAX_ADDRS - *n, &got) != NSUPD_OK)
		return false;
	*n += got;
	return true;
}

static void store_event(const nsupd_app *app, const store_host *h, const store_host_event *ev,
			bool *failed)
{
	nsupd_err e = store_host_record(app->store, h->id, ev);
	if (e != NSUPD_OK) {
		log_error("host %s.%s: cannot record the result: %s", h->name, h->domain,
			  nsupd_strerror(e));
		*failed = true;
	}
}

/* A request waiting for the store without a thread (store_host_lookup_start,
 * store_host_record_start): whichever of the store's answer and the
 * handler's http_defer comes second resumes it. */
enum { STORE_PENDING, STORE_WAITING, STORE_ANSWERED };
typedef struct store_wait {
	atomic_int state;
	http_deferred *deferred;
	nsupd_err result;
} store_wait;

static void store_wait_init(store_wait *w)
{
	atomic_init(&w->state, STORE_PENDING);
	w->deferred = NULL;
	w->result = NSUPD_OK;
}

/* The store's thread: the answer is in. */
static void store_wait_answered(store_wait *w, nsupd_err result)
{
	w->result = result;
	if (atomic_exchange(&w->state, STORE_ANSWERED) == STORE_WAITING)
		http_resume(w->deferred);
}

/* After a start that queued: puts the request aside until the answer
 * (true: resume(ctx) answers). false: the request cannot be put aside (out
 * of memory); this thread waited for the answer and goes on. */
static bool store_wait_defer(store_wait *w, http_request *req, http_handler resume, void *ctx)
{
	w->deferred = http_defer(req, resume, ctx);
	if (w->deferred == NULL) {
		while (atomic_load(&w->state) != STORE_ANSWERED)
			sched_yield();
		return false;
	}
	int expected = STORE_PENDING;
	if (!atomic_compare_exchange_strong(&w->state, &expected, STORE_WAITING))
		http_resume(w->deferred);
	return true;
}

/* An update request from its first address to its answer. It lives in the
 * request's arena, which stays with the request while a change waits on
 * the zone writer (http_defer), so a waiting change holds no thread. */
typedef struct nic_job {
	nsupd_app *app;
	bool delete_request, dry_run;
	store_host host;
	store_domain domain;
	store_host_event ev;
	dd_addr addrs[DD_MAX_ADDRS];
	dd_outcome outcomes[DD_MAX_ADDRS];
	size_t n, n_plain;
	size_t next;                 /* the address being worked on */
	bool prefix_given[2];        /* [0] IPv4, [1] IPv6 */
	updater_change change;       /* the query and write of the address */
	nsupd_err change_result;
	dns_error change_err;
	bool query_answered, query_found;   /* dns_query_submit's answer */
	ip_addr query_addr;
	dd_answer answer;            /* given once the result is recorded */
	store_wait record;           /* the result write */
	prequery *pq;                /* sent before the lookup (api/prequery.h) */
	http_deferred *deferred;
} nic_job;

static void nic_run(nic_job *j, http_request *req, http_response *res);
static void nic_query_resume(void *app, http_request *req, http_response *res);

/* After a plain address's outcome: related hosts and forwards. */
static void nic_address_done(nic_job *j, http_request *req, size_t i, dd_outcome o)
{
	const dd_addr *ad = &j->addrs[i];
	j->outcomes[i] = o;
	if (j->delete_request || j->dry_run || o.word != DD_GOOD)
		return;
	/* After a good update (also a network-address delete, as in the
	 * original): related hosts follow this address unless the router
	 * sent a prefix for them; other services get it unless it only named
	 * a network. */
	unsigned netmask = ad->addr.family == 4 ? j->host.netmask_ipv4 : j->host.netmask_ipv6;
	bool want_related = !j->prefix_given[ad->addr.family == 6];
	bool want_forward = !ip_is_network_address(&ad->addr, netmask);
	/* Most hosts have neither: the lookup said which (else one read for
	 * both; when it fails, both go ahead and report their own errors). */
	bool related = true, forward = true;
	if (j->host.followups_read) {
		related = j->host.related_due;
		forward = ad->addr.family == 4 ? j->host.forward_due_ipv4 :
						  j->host.forward_due_ipv6;
	} else if ((want_related || want_forward) &&
		   store_followups_due(j->app->store, j->host.id, ad->addr.family, &related,
				       &forward) != NSUPD_OK) {
		related = forward = true;
	}
	if (want_related && related)
		followup_related(j->app, &j->host, &j->domain, &ad->addr, netmask, false, &j->ev,
				 req->arena);
	if (want_forward && forward)
		followup_forward(j->app, &j->host, &ad->addr);
}

/* Zone writer thread: the change is written (or failed). */
static void nic_change_done(void *ctx, nsupd_err result, const dns_error *err)
{
	nic_job *j = ctx;
	j->change_result = result;
	if (err != NULL) {
		j->change_err = *err;
	} else {
		j->change_err.rcode = -1;
		j->change_err.msg[0] = '\0';
	}
	http_resume(j->deferred);
}

/* A worker thread again, after nic_change_done. */
static void nic_resume(void *app, http_request *req, http_response *res)
{
	nic_job *j = req->resume_ctx;
	size_t i = j->next;
	dd_outcome o = updater_finish(j->app, &j->domain, &j->addrs[i], j->delete_request,
				      req->tls, &j->ev, req->arena, j->change_result,
				      &j->change_err);
	nic_address_done(j, req, i, o);
	j->next++;
	nic_run(j, req, res);
}

/* Hands j->change to the zone writer and suspends the request; false when
 * the request cannot be suspended (the caller then waits in place). */
static bool nic_wait_for_change(nic_job *j, http_request *req)
{
	j->deferred = http_defer(req, nic_resume, j);
	if (j->deferred == NULL)
		return false;
	if (!updater_submit(j->app, &j->change, nic_change_done, j)) {
		/* Not queued (e.g. no writer could start): write it here and
		 * resume at once; updater_write says what went wrong. */
		j->change_result = updater_write(j->app, &j->change, &j->change_err);
		http_resume(j->deferred);
	}
	return true;
}

/* The address's query is answered (or was not: then dns_query asks
 * again with every fallback); goes on to the write, or to the next
 * address. True when the request waits again. */
static bool nic_after_query(nic_job *j, http_request *req, nsupd_err qe, bool found,
			    const ip_addr *current, const dns_error *qerr)
{
	size_t i = j->next;
	const dd_addr *ad = &j->addrs[i];
	dd_outcome o;
	if (!updater_decide(j->app, &j->domain, ad, j->delete_request, req->tls, j->dry_run,
			    &j->ev, req->arena, qe, found, current, qerr, &o, &j->change)) {
		if (nic_wait_for_change(j, req))
			return true;
		dns_error err;
		nsupd_err e = updater_write(j->app, &j->change, &err);
		o = updater_finish(j->app, &j->domain, ad, j->delete_request, req->tls, &j->ev,
				   req->arena, e, &err);
	}
	nic_address_done(j, req, i, o);
	return false;
}

/* The query with every fallback (dns_query), on this thread; then as
 * nic_after_query. */
static bool nic_query_in_place(nic_job *j, http_request *req)
{
	ip_addr current;
	bool found = false;
	dns_error err;
	nsupd_err qe = dns_query(&j->change.zone, j->change.fqdn, j->change.family, &current,
				 &found, &err);
	return nic_after_query(j, req, qe, found, &current, &err);
}

/* Query thread: the first try of the query is over. */
static void nic_query_done(void *ctx, bool answered, bool found, const ip_addr *addr)
{
	nic_job *j = ctx;
	j->query_answered = answered;
	j->query_found = found;
	if (found)
		j->query_addr = *addr;
	http_resume(j->deferred);
}

/* A worker thread again, after nic_query_done. */
static void nic_query_resume(void *app, http_request *req, http_response *res)
{
	nic_job *j = req->resume_ctx;
	bool waits = j->query_answered ?
		nic_after_query(j, req, NSUPD_OK, j->query_found, &j->query_addr, NULL) :
		nic_query_in_place(j, req);
	if (waits)
		return;
	j->next++;
	nic_run(j, req, res);
}

/* Sends the address's query and suspends the request until it is
 * answered; false when that is not possible (then the caller asks in
 * place). */
static bool nic_wait_for_query(nic_job *j, http_request *req)
{
	j->deferred = http_defer(req, nic_query_resume, j);
	if (j->deferred == NULL)
		return false;
	if (!dns_query_submit(&j->change.zone, j->change.fqdn, j->change.family, nic_query_done,
			      j)) {
		/* Not sent: resume at once, and dns_query says what is wrong. */
		j->query_answered = false;
		http_resume(j->deferred);
	}
	return true;
}

/* The store's thread: the request's result is written (or failed). */
static void nic_recorded(void *ctx, nsupd_err result)
{
	nic_job *j = ctx;
	store_wait_answered(&j->record, result);
}

/* The answer once the result is recorded (or failed to be: 911). */
static void nic_answer_recorded(nic_job *j, http_response *res, nsupd_err recorded)
{
	if (recorded != NSUPD_OK) {
		log_error("host %s.%s: cannot record the result: %s", j->host.name, j->host.domain,
			  nsupd_strerror(recorded));
		answer_word(res, DD_911, false);
		return;
	}
	answer(res, j->answer.word, false, j->answer.body);
}

/* A worker thread again, after nic_recorded: the answer. */
static void nic_record_resume(void *app, http_request *req, http_response *res)
{
	nic_job *j = req->resume_ctx;
	nic_answer_recorded(j, res, j->record.result);
}

/* The result write, then the answer. Where a write is a round trip of its
 * own (PostgreSQL), it may queue to share a statement with concurrent
 * requests' writes; the request then waits without a thread. */
static void nic_record(nic_job *j, http_request *req, http_response *res)
{
	store_wait_init(&j->record);
	if (store_host_record_start(j->app->store, j->host.id, &j->ev, &j->record.result,
				    nic_recorded, j) ||
	    !store_wait_defer(&j->record, req, nic_record_resume, j))
		nic_answer_recorded(j, res, j->record.result);
}

static void wake_deferred(void *deferred)
{
	http_resume(deferred);
}

/* A worker thread again, after the prequery's answer came in. */
static void nic_prequery_resume(void *app, http_request *req, http_response *res)
{
	nic_job *j = req->resume_ctx;
	prequery_answer(j->pq, NULL, NULL, &j->query_answered, &j->query_found, &j->query_addr);
	prequery_release(j->pq);
	j->pq = NULL;
	nic_query_resume(app, req, res);
}

enum prequery_use { PREQUERY_NONE, PREQUERY_WAITS, PREQUERY_DONE };

/* When the query this address needs was sent before the lookup, its
 * answer instead of a new query. PREQUERY_DONE: the answer was there and
 * the address is done; PREQUERY_WAITS: the request waits (for the answer,
 * or for the write after it); PREQUERY_NONE: ask as usual. */
static enum prequery_use nic_use_prequery(nic_job *j, http_request *req)
{
	prequery *pq = j->pq;
	if (pq == NULL || !prequery_matches(pq, j->change.fqdn, j->change.family, &j->domain))
		return PREQUERY_NONE;
	bool answered = false, found = false;
	ip_addr current;
	if (prequery_answer(pq, NULL, NULL, &answered, &found, &current)) {
		prequery_release(pq);
		j->pq = NULL;
		if (!answered)
			return PREQUERY_NONE;
		return nic_after_query(j, req, NSUPD_OK, found, &current, NULL) ? PREQUERY_WAITS :
										   PREQUERY_DONE;
	}
	j->deferred = http_defer(req, nic_prequery_resume, j);
	if (j->deferred == NULL) {
		prequery_release(pq);
		j->pq = NULL;
		return PREQUERY_NONE;
	}
	/* Answered in between: resume at once, nic_prequery_resume reads it. */
	if (prequery_answer(pq, wake_deferred, j->deferred, &answered, &found, &current))
		http_resume(j->deferred);
	return PREQUERY_WAITS;
}

static void nic_run(nic_job *j, http_request *req, http_response *res)
{
	for (; j->next < j->n; j->next++) {
		size_t i = j->next;
		const dd_addr *ad = &j->addrs[i];
		if (ad->prefix) {
			/* The same prefix twice (myip and a parameter) runs once. */
			size_t k = 0;
			while (k < i && !(j->addrs[k].prefix &&
					  j->addrs[k].addr.family == ad->addr.family))
				k++;
			j->outcomes[i] = k < i ? j->outcomes[k] :
				followup_prefix(j->app, &j->host, &j->domain, ad, req->tls,
						j->dry_run, &j->ev, req->arena);
			continue;
		}
		dd_outcome o;
		if (updater_plan(j->app, &j->host, &j->domain, ad, j->delete_request, req->tls,
				 j->dry_run, &j->ev, req->arena, &o, &j->change)) {
			nic_address_done(j, req, i, o);
			continue;
		}
		enum prequery_use pu = nic_use_prequery(j, req);
		if (pu == PREQUERY_DONE)
			continue;
		if (pu == PREQUERY_WAITS || nic_wait_for_query(j, req) ||
		    nic_query_in_place(j, req))
			return;
	}
	prequery_release(j->pq);
	j->pq = NULL;

	dd_answer ans = dd_combine(j->outcomes, j->n, req->arena);
	/* A prefix that did not change is no fault: routers re-send it with
	 * every update (the original flagged Fritz!Boxes for it). */
	if (ans.client_fault && j->n_plain > 0)
		j->ev.client_faults++;
	j->answer = ans;
	if (j->dry_run)
		nic_answer_recorded(j, res, NSUPD_OK);
	else
		nic_record(j, req, res);
}

/* The family of the one address a request names (myip=, or the client's
 * address when it names none); 0 when it names several or prefixes, is a
 * delete or a HEAD, or the address does not parse (nothing to prequery). */
static int prequery_family(http_request *req, bool delete_request)
{
	if (delete_request || req->head || http_query(req, "myipv4") != NULL ||
	    http_query(req, "myipv6") != NULL || http_query(req, "ip6lanprefix") != NULL ||
	    http_query(req, "ipv6prefix") != NULL)
		return 0;
	const char *myip = http_query(req, "myip");
	if (myip == NULL || myip[0] == '\0')
		return req->client.family;
	dd_addr one;
	size_t n = 0;
	if (dd_parse_myip(myip, &one, 1, &n) != NSUPD_OK || n != 1 || one.prefix)
		return 0;
	return one.addr.family;
}

/* After the lookup (e, host, domain): authentication, the rest of
 * the checks, and the addresses. Takes *pq into the job when there is one. */
static void nic_authorize(nsupd_app *app, http_request *req, http_response *res,
			  bool delete_request, const char *hostname, const char *fqdn,
			  const char *password, prequery **pq, nsupd_err e, const store_host *host,
			  const store_domain *domain)
{
	const nsupd_config *cfg = app->cfg;
	if (e == NSUPD_ERR_NOT_FOUND) {
		answer_word(res, DD_BADAUTH, false);
		return;
	}
	if (e != NSUPD_OK) {
		log_error("looking up host %s: %s", fqdn, nsupd_strerror(e));
		answer_word(res, DD_911, false);
		return;
	}

	const bool dry_run = req->head;
	store_host_event ev = { .now = (int64_t)time(NULL) };
	bool store_failed = false;
	bool rehash = false;
	if (!secret_verify(password, host->secret_hash, &rehash)) {
		if (!dry_run) {
			ev.api_auth_faults = 1;
			ev.api_auth_msg = updater_stamp(req->arena, ev.now,
				"api authentication failure. [hostname: %s (given in basic auth)]", fqdn);
			store_event(app, host, &ev, &store_failed);
		}
		answer_word(res, store_failed ? DD_911 : DD_BADAUTH, false);
		return;
	}
	if (rehash && !dry_run) {
		char hash[SECRET_HASH_MAX];
		if (secret_hash(password, hash) == NSUPD_OK)
			store_host_set_secret(app->store, host->id, hash);
	}
	ev.api_auth_msg = updater_stamp(req->arena, ev.now,
		"api authentication success. [hostname: %s (given in basic auth)]", fqdn);
	prequery_remember(fqdn, domain);

	enum dd_word early = DD_GOOD;   /* DD_GOOD: no early answer */
	if (hostname != NULL) {
		char wanted[FQDN_MAX + 1];
		if (!fqdn_normalize(hostname, wanted, sizeof(wanted)) || strcmp(wanted, fqdn) != 0) {
			early = strchr(hostname, '.') == NULL ? DD_NOTFQDN : DD_NOHOST;
			ev.client_faults = 1;
			ev.client_msg = updater_stamp(req->arena, ev.now,
				"rejecting to %s wrong host %s (given in query string) [instead of %s (given in basic auth)]",
				delete_request ? "delete" : "update", hostname, fqdn);
		}
	}
	if (early == DD_GOOD) {
		const char *agent = http_header(req, "User-Agent");
		if (is_bad_agent(cfg, agent != NULL ? agent : "unknown")) {
			early = DD_BADAGENT;
			ev.client_faults = 1;
			ev.client_msg = updater_stamp(req->arena, ev.now,
				"rejecting %s with bad user agent", delete_request ? "delete" : "update");
		}
	}

	dd_addr addrs[DD_MAX_ADDRS];
	size_t n = 0;
	if (early == DD_GOOD) {
		if (!collect_addrs(http_query(req, "myip"), addrs, &n) ||
		    !collect_addrs(http_query(req, "myipv4"), addrs, &n) ||
		    !collect_addrs(http_query(req, "myipv6"), addrs, &n)) {
			early = DD_DNSERR;
		} else if (n == 0) {
			ip_format(&req->client, addrs[0].text);
			addrs[0].addr = req->client;
			addrs[0].prefix_len = -1;
			addrs[0].prefix = false;
			n = 1;
		}
		/* The router's LAN prefix for the related hosts (api/followup.h).
		 * A delete names record types only, so prefixes are plain
		 * addresses there. */
		if (early == DD_GOOD && delete_request) {
			for (size_t i = 0; i < n; i++)
				addrs[i].prefix = false;
		} else if (early == DD_GOOD &&
			   (!followup_prefix_params(http_query(req, "ip6lanprefix"),
						    http_query(req, "ipv6prefix"), addrs, DD_MAX_ADDRS,
						    &n) ||
			    !followup_prefixes_consistent(addrs, n))) {
			early = DD_DNSERR;
		}
	}
	if (early != DD_GOOD) {
		if (!dry_run)
			store_event(app, host, &ev, &store_failed);
		answer_word(res, store_failed ? DD_911 : early, false);
		return;
	}

	nic_job *j = arena_alloc(req->arena, sizeof(*j));
	if (j == NULL) {
		answer_word(res, DD_911, false);
		return;
	}
	memset(j, 0, sizeof(*j));
	j->app = app;
	j->delete_request = delete_request;
	j->dry_run = dry_run;
	j->host = *host;
	j->domain = *domain;
	j->ev = ev;
	j->pq = *pq;
	*pq = NULL;
	memcpy(j->addrs, addrs, n * sizeof(addrs[0]));
	j->n = n;
	for (size_t i = 0; i < n; i++) {
		if (addrs[i].prefix)
			j->prefix_given[addrs[i].addr.family == 6] = true;
		else
			j->n_plain++;
	}
	nic_run(j, req, res);
}

/* A request waiting for its host's lookup (store_host_lookup_start). */
typedef struct nic_lookup {
	nsupd_app *app;
	bool delete_request;
	const char *hostname, *password;   /* in the request's arena */
	char fqdn[FQDN_MAX + 1];
	prequery *pq;
	store_host host;
	store_domain domain;
	store_wait wait;
} nic_lookup;

static void nic_lookup_finish(nic_lookup *l, http_request *req, http_response *res)
{
	nic_authorize(l->app, req, res, l->delete_request, l->hostname, l->fqdn, l->password,
		      &l->pq, l->wait.result, &l->host, &l->domain);
	prequery_release(l->pq);
	l->pq = NULL;
}

/* The store's lookup thread: the lookup is answered. */
static void nic_looked_up(void *ctx, nsupd_err result)
{
	nic_lookup *l = ctx;
	store_wait_answered(&l->wait, result);
}

/* A worker thread again, after nic_looked_up. */
static void nic_lookup_resume(void *app, http_request *req, http_response *res)
{
	(void)app;
	nic_lookup_finish(req->resume_ctx, req, res);
}

/* /nic/update and /nic/delete: the decision sequence of the dyndns2 API. */
static void handle_nic(nsupd_app *app, http_request *req, http_response *res, bool delete_request)
{
	const nsupd_config *cfg = app->cfg;
	const char *hostname = http_query(req, "hostname");
	if (is_bad_host(cfg, hostname)) {
		answer_word(res, DD_ABUSE, true);
		return;
	}
	const char *auth = http_header(req, "Authorization");
	char *user = NULL, *password = NULL;
	if (auth == NULL || !dd_basic_auth_decode(auth, req->arena, &user, &password)) {
		answer_word(res, DD_BADAUTH, false);
		return;
	}
	char fqdn[FQDN_MAX + 1];
	if (strchr(user, '.') == NULL) {
		answer_word(res, DD_NOTFQDN, false);
		return;
	}
	if (is_bad_host(cfg, user)) {
		answer_word(res, DD_ABUSE, true);
		return;
	}
	if (!fqdn_normalize(user, fqdn, sizeof(fqdn))) {
		answer_word(res, DD_BADAUTH, false);
		return;
	}

	prequery *pq = NULL;
	int family = prequery_family(req, delete_request);
	if (family != 0)
		pq = prequery_start(app, fqdn, family);
	nic_lookup *l = arena_alloc(req->arena, sizeof(*l));
	if (l == NULL) {
		prequery_release(pq);
		answer_word(res, DD_911, false);
		return;
	}
	*l = (nic_lookup){ .app = app, .delete_request = delete_request, .hostname = hostname,
			   .password = password, .pq = pq };
	store_wait_init(&l->wait);
	memcpy(l->fqdn, fqdn, sizeof(l->fqdn));
	if (store_host_lookup_start(app->store, fqdn, &l->host, &l->domain, &l->wait.result,
				    nic_looked_up, l) ||
	    !store_wait_defer(&l->wait, req, nic_lookup_resume, l))
		nic_lookup_finish(l, req, res);
}

static void handle_update(void *app, http_request *req, http_response *res)
{
	handle_nic(app, req, res, false);
}

static void handle_delete(void *app, http_request *req, http_response *res)
{
	handle_nic(app, req, res, true);
}

static void handle_myip(void *app, http_request *req, http_response *res)
{
	char *text = arena_alloc(req->arena, IP_STRLEN);
	if (text == NULL) {
		http_set_text(res, 503, "911");
		return;
	}
	ip_format(&req->client, text);
	http_set_text(res, 200, text);
	http_add_header(res, "Cache-Control", "no-store");
}

/* The body ddclient's "web=dyndns" check and others parse. */
static void handle_checkip(void *app, http_request *req, http_response *res)
{
	char ip[IP_STRLEN];
	ip_format(&req->client, ip);
	char *body = arena_printf(req->arena,
		"<html><head><title>Current IP Check</title></head>"
		"<body>Current IP Address: %s</body></html>", ip);
	if (body == NULL) {
		http_set_text(res, 503, "911");
		return;
	}
	http_set_text(res, 200, body);
	res->content_type = "text/html";
	http_add_header(res, "Cache-Control", "no-store");
}

/* API routes: flags 0, so GET, HEAD and POST reach the handlers and no
 * web behaviour (sessions, CSRF, redirects) ever applies to them. The home
 * page "/" belongs to the web interface (src/web). */
static const http_route routes[] = {
	{ "/nic/update", handle_update, 0, NULL },
	{ "/v3/update", handle_update, 0, NULL },
	{ "/v2/update", handle_update, 0, NULL },
	{ "/nic/delete", handle_delete, 0, NULL },
	{ "/myip", handle_myip, 0, NULL },
	{ "/nic/checkip.html", handle_checkip, 0, NULL },
};

const http_route *nic_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
