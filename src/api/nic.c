#include "api/nic.h"

#include <string.h>
#include <time.h>

#include "api/followup.h"
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

	store_host host;
	store_domain domain;
	nsupd_err e = store_host_get_with_domain(app->store, fqdn, &host, &domain);
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
	if (!secret_verify(password, host.secret_hash, &rehash)) {
		if (!dry_run) {
			ev.api_auth_faults = 1;
			ev.api_auth_msg = updater_stamp(req->arena, ev.now,
				"api authentication failure. [hostname: %s (given in basic auth)]", fqdn);
			store_event(app, &host, &ev, &store_failed);
		}
		answer_word(res, store_failed ? DD_911 : DD_BADAUTH, false);
		return;
	}
	if (rehash && !dry_run) {
		char hash[SECRET_HASH_MAX];
		if (secret_hash(password, hash) == NSUPD_OK)
			store_host_set_secret(app->store, host.id, hash);
	}
	ev.api_auth_msg = updater_stamp(req->arena, ev.now,
		"api authentication success. [hostname: %s (given in basic auth)]", fqdn);

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
			store_event(app, &host, &ev, &store_failed);
		answer_word(res, store_failed ? DD_911 : early, false);
		return;
	}

	dd_outcome outcomes[DD_MAX_ADDRS];
	bool prefix_given[2] = { false, false };   /* [0] IPv4, [1] IPv6 */
	size_t n_plain = 0;
	for (size_t i = 0; i < n; i++) {
		if (addrs[i].prefix)
			prefix_given[addrs[i].addr.family == 6] = true;
		else
			n_plain++;
	}
	for (size_t i = 0; i < n; i++) {
		const dd_addr *ad = &addrs[i];
		if (ad->prefix) {
			/* The same prefix twice (myip and a parameter) runs once. */
			size_t k = 0;
			while (k < i && !(addrs[k].prefix && addrs[k].addr.family == ad->addr.family))
				k++;
			outcomes[i] = k < i ? outcomes[k] :
				followup_prefix(app, &host, &domain, ad, req->tls, dry_run, &ev,
						req->arena);
			continue;
		}
		outcomes[i] = updater_apply(app, &host, &domain, ad, delete_request, req->tls,
					    dry_run, &ev, req->arena);
		if (delete_request || dry_run || outcomes[i].word != DD_GOOD)
			continue;
		/* After a good update (also a network-address delete, as in
		 * the original): related hosts follow this address unless the
		 * router sent a prefix for them; other services get it unless
		 * it only named a network. */
		unsigned netmask = ad->addr.family == 4 ? host.netmask_ipv4 : host.netmask_ipv6;
		bool want_related = !prefix_given[ad->addr.family == 6];
		bool want_forward = !ip_is_network_address(&ad->addr, netmask);
		/* One read instead of one per kind: most hosts have neither.
		 * When it fails, both go ahead and report their own errors. */
		bool related = true, forward = true;
		if ((want_related || want_forward) &&
		    store_followups_due(app->store, host.id, ad->addr.family, &related,
					&forward) != NSUPD_OK)
			related = forward = true;
		if (want_related && related)
			followup_related(app, &host, &domain, &ad->addr, netmask, false, &ev,
					 req->arena);
		if (want_forward && forward)
			followup_forward(app, &host, &ad->addr);
	}
	dd_answer ans = dd_combine(outcomes, n, req->arena);
	/* A prefix that did not change is no fault: routers re-send it with
	 * every update (the original flagged Fritz!Boxes for it). */
	if (ans.client_fault && n_plain > 0)
		ev.client_faults++;
	if (!dry_run)
		store_event(app, &host, &ev, &store_failed);
	if (store_failed)
		answer_word(res, DD_911, false);
	else
		answer(res, ans.word, false, ans.body);
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
