/* The visitor's addresses (spec 2.9, 4.7, 5.1): every rendered page keeps
 * the connection's address in the session, the home page asks the
 * single-stack hosts (www_ipv4_host, www_ipv6_host) for the other family
 * through hidden requests to /detectip/<token>/, and /ajax_get_ips/ hands
 * the result to the page's script.
 *
 * The token is random, lives 60 s in the database (so any instance behind
 * a load balancer answers it) and only points at a row holding the
 * reported addresses; the visitor's own session reads that row back. The
 * session id therefore never appears in a URL, and the two single-stack
 * requests, which arrive at the same time, never write the session
 * concurrently.
 *
 * Reverse DNS goes through the system resolver (getnameinfo), in a
 * background thread with a short wait, so a slow resolver never holds a
 * page: the answer is cached here and in the session, and the next request
 * (usually the page's own /ajax_get_ips/) picks it up. */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>

#include "util/log.h"
#include "util/strutil.h"
#include "web/web_internal.h"

#define MAX_IP_AGE 180              /* s: an address older than this is forgotten */
#define IP_REFRESH 90               /* s: a seen-again address gets a new timestamp */
#define DETECTIP_TTL 60             /* s: life of a detection token */
#define DETECTIP_REUSE 30           /* s: a token with this much life left is reused */
#define DETECTIP_PRUNE 300          /* s: expired tokens are deleted this often */
#define TOKEN_BYTES 16              /* 32 hex digits, like the original's uuid4 */
#define RDNS_WAIT_PAGE_MS 300
#define RDNS_WAIT_AJAX_MS 2000
#define RDNS_CACHE 256
#define RDNS_CACHE_AGE 3600         /* s */
#define RDNS_MAX_THREADS 8
#define RDNS_TRIES 5                /* spec 4.7: on EAI_AGAIN, 20 ms doubling */

/* ---- reverse DNS ---- */

enum rdns_state { RDNS_EMPTY, RDNS_PENDING, RDNS_DONE };

typedef struct rdns_entry {
	ip_addr addr;
	enum rdns_state state;
	int64_t done_at;
	int64_t used;
	char name[NI_MAXHOST];
} rdns_entry;

static pthread_mutex_t rdns_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rdns_cv = PTHREAD_COND_INITIALIZER;
static rdns_entry rdns_cache[RDNS_CACHE];
static int rdns_threads;

static bool in_v4(const uint8_t *b, uint32_t net, unsigned len)
{
	uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
	return (v & mask) == (net & mask);
}

/* Only addresses a resolver can say something about are looked up:
 * public ones, and 127.0.0.1, which every hosts file names. Private,
 * link-local and documentation addresses would only send queries about
 * local networks to the upstream resolver. */
static bool rdns_wanted(const ip_addr *a)
{
	if (a->family == 4) {
		static const struct { uint32_t net; unsigned len; } skip[] = {
			{ 0x00000000, 8 }, { 0x0a000000, 8 }, { 0x64400000, 10 }, { 0x7f000000, 8 },
			{ 0xa9fe0000, 16 }, { 0xac100000, 12 }, { 0xc0000000, 24 },
			{ 0xc0000200, 24 }, { 0xc0a80000, 16 }, { 0xc6120000, 15 },
			{ 0xc6336400, 24 }, { 0xcb007100, 24 }, { 0xe0000000, 3 },
		};
		if (in_v4(a->bytes, 0x7f000001, 32))
			return true;
		for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
			if (in_v4(a->bytes, skip[i].net, skip[i].len))
				return false;
		return true;
	}
	/* Global unicast 2000::/3, except the documentation 2001:db8::/32. */
	if ((a->bytes[0] & 0xe0) != 0x20)
		return false;
	return !(a->bytes[0] == 0x20 && a->bytes[1] == 0x01 && a->bytes[2] == 0x0d &&
		 a->bytes[3] == 0xb8);
}

static void *rdns_thread(void *arg)
{
	ip_addr a = *(ip_addr *)arg;
	free(arg);
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	if (a.family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a.bytes, 4);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a.bytes, 16);
		len = sizeof(*s6);
	}
	char name[NI_MAXHOST] = "";
	long delay_ms = 20;
	for (int i = 0; i < RDNS_TRIES; i++) {
		int rc = getnameinfo((struct sockaddr *)&ss, len, name, sizeof(name), NULL, 0,
				     NI_NAMEREQD);
		if (rc == 0)
			break;
		name[0] = '\0';
		if (rc != EAI_AGAIN)
			break;
		struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		delay_ms *= 2;
	}
	pthread_mutex_lock(&rdns_mu);
	for (size_t i = 0; i < RDNS_CACHE; i++) {
		rdns_entry *e = &rdns_cache[i];
		if (e->state == RDNS_PENDING && ip_equal(&e->addr, &a)) {
			str_copy(e->name, name, sizeof(e->name));
			e->state = RDNS_DONE;
			e->done_at = (int64_t)time(NULL);
			break;
		}
	}
	rdns_threads--;
	pthread_cond_broadcast(&rdns_cv);
	pthread_mutex_unlock(&rdns_mu);
	return NULL;
}

/* Starts a lookup for slot e (locked). False when no thread could run. */
static bool rdns_start(rdns_entry *e, const ip_addr *a, int64_t now)
{
	if (rdns_threads >= RDNS_MAX_THREADS)
		return false;
	ip_addr *arg = malloc(sizeof(*arg));
	if (arg == NULL)
		return false;
	*arg = *a;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	int rc = pthread_create(&t, &attr, rdns_thread, arg);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		free(arg);
		return false;
	}
	rdns_threads++;
	e->addr = *a;
	e->state = RDNS_PENDING;
	e->used = now;
	e->name[0] = '\0';
	return true;
}

/* The name of a (or "") into out. True when the answer is known, false
 * while the lookup is still running after wait_ms. */
static bool rdns_lookup(const ip_addr *a, unsigned wait_ms, char *out, size_t outsize)
{
	out[0] = '\0';
	if (!rdns_wanted(a))
		return true;
	int64_t now = (int64_t)time(NULL);
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += wait_ms / 1000;
	deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	bool known = true;
	pthread_mutex_lock(&rdns_mu);
	rdns_entry *e = NULL, *victim = NULL;
	for (size_t i = 0; i < RDNS_CACHE; i++) {
		rdns_entry *c = &rdns_cache[i];
		if (c->state != RDNS_EMPTY && ip_equal(&c->addr, a)) {
			e = c;
			break;
		}
		if (c->state != RDNS_PENDING && (victim == NULL || c->state == RDNS_EMPTY ||
		    (victim->state != RDNS_EMPTY && c->used < victim->used)))
			victim = c;
	}
	if (e != NULL && e->state == RDNS_DONE && now - e->done_at > RDNS_CACHE_AGE) {
		victim = e;
		e = NULL;
	}
	if (e == NULL) {
		/* Every slot busy or no thread to spare: no name this time. */
		if (victim == NULL || !rdns_start(victim, a, now)) {
			pthread_mutex_unlock(&rdns_mu);
			return true;
		}
		e = victim;
	}
	e->used = now;
	while (e->state == RDNS_PENDING && ip_equal(&e->addr, a)) {
		if (pthread_cond_timedwait(&rdns_cv, &rdns_mu, &deadline) == ETIMEDOUT)
			break;
	}
	if (e->state == RDNS_DONE && ip_equal(&e->addr, a))
		str_copy(out, e->name, outsize);
	else
		known = false;
	pthread_mutex_unlock(&rdns_mu);
	return known;
}

/* ---- session IP tracking ---- */

static const char *const kinds[2] = { "ipv4", "ipv6" };

static const char *key_of(web_req *r, const char *kind, const char *suffix)
{
	char *k = arena_printf(r->a, "%s_%s", kind, suffix);
	return k != NULL ? k : "";
}

static int64_t ts_of(web_req *r, json_t *data, const char *kind)
{
	json_t *v = json_object_get(data, key_of(r, kind, "timestamp"));
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* spec 5.1 for one observed address: a new address replaces the old one
 * (and its name), the same one only refreshes an old timestamp. Then the
 * name, when still unknown. */
static void note_address(web_req *r, json_t *data, const ip_addr *addr, int64_t at,
			 unsigned wait_ms)
{
	const char *kind = addr->family == 4 ? kinds[0] : kinds[1];
	char ip[IP_STRLEN];
	ip_format(addr, ip);
	const char *cur = json_string_value(json_object_get(data, kind));
	int64_t ts = ts_of(r, data, kind);
	const char *rdns_key = key_of(r, kind, "rdns");
	if (cur == NULL || strcmp(cur, ip) != 0) {
		if (cur != NULL && cur[0] != '\0' && ts > at)
			return;                 /* a newer observation of another address wins */
		json_object_set_new(data, kind, json_string(ip));
		json_object_set_new(data, key_of(r, kind, "timestamp"), json_integer(at));
		json_object_del(data, rdns_key);
	} else if (at - ts > IP_REFRESH) {
		json_object_set_new(data, key_of(r, kind, "timestamp"), json_integer(at));
	}
	if (json_object_get(data, rdns_key) == NULL) {
		char name[NI_MAXHOST];
		if (rdns_lookup(addr, wait_ms, name, sizeof(name)))
			json_object_set_new(data, rdns_key, json_string(name));
	}
}

/* Addresses older than MAX_IP_AGE (or without a valid time) are reset. */
static void expire_addresses(web_req *r, json_t *data)
{
	for (int i = 0; i < 2; i++) {
		const char *cur = json_string_value(json_object_get(data, kinds[i]));
		if (cur == NULL || cur[0] == '\0')
			continue;
		int64_t ts = ts_of(r, data, kinds[i]);
		if (ts < 0 || r->now - ts > MAX_IP_AGE) {
			json_object_set_new(data, kinds[i], json_string(""));
			json_object_set_new(data, key_of(r, kinds[i], "rdns"), json_string(""));
			json_object_del(data, key_of(r, kinds[i], "timestamp"));
		}
	}
}

/* What the single-stack hosts reported for the session's token. */
static void merge_detected(web_req *r, json_t *data, unsigned wait_ms)
{
	const char *token = json_string_value(json_object_get(data, "detectip_token"));
	if (token == NULL)
		return;
	store_detectip d;
	nsupd_err e = store_detectip_get(r->app->store, token, r->now, &d);
	if (e == NSUPD_ERR_NOT_FOUND) {
		json_object_del(data, "detectip_token");
		json_object_del(data, "detectip_expires");
		return;
	}
	if (e != NSUPD_OK) {
		log_error("web: reading an IP detection token: %s", nsupd_strerror(e));
		return;
	}
	const char *addrs[2] = { d.ipv4, d.ipv6 };
	const int64_t ats[2] = { d.ipv4_at, d.ipv6_at };
	for (int i = 0; i < 2; i++) {
		ip_addr a;
		if (addrs[i][0] != '\0' && ip_parse(addrs[i], &a) && r->now - ats[i] <= MAX_IP_AGE)
			note_address(r, data, &a, ats[i], wait_ms);
	}
}

static void ips_to_ctx(web_req *r, json_t *data)
{
	json_t *ips = json_object();
	for (int i = 0; i < 2; i++) {
		const char *ip = data != NULL ? json_string_value(json_object_get(data, kinds[i])) : NULL;
		const char *name = data != NULL ?
			json_string_value(json_object_get(data, key_of(r, kinds[i], "rdns"))) : NULL;
		json_object_set_new(ips, kinds[i], json_string(ip != NULL ? ip : ""));
		json_object_set_new(ips, key_of(r, kinds[i], "rdns"), json_string(name != NULL ? name : ""));
	}
	json_object_set_new(r->ctx, "ips", ips);
}

static atomic_llong last_prune;

/* A token for this session's hidden detection requests: the current one
 * while it has some life left, else a new one. NULL on failure. */
static const char *detectip_token(web_req *r, json_t *data)
{
	const char *cur = json_string_value(json_object_get(data, "detectip_token"));
	json_t *exp = json_object_get(data, "detectip_expires");
	if (cur != NULL && json_is_integer(exp) &&
	    (int64_t)json_integer_value(exp) - r->now >= DETECTIP_REUSE)
		return cur;
	unsigned char raw[TOKEN_BYTES];
	char token[TOKEN_BYTES * 2 + 1];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(token, sizeof(token), raw, sizeof(raw));
	int64_t expires = r->now + DETECTIP_TTL;
	nsupd_err e = store_detectip_create(r->app->store, token, expires);
	if (e != NSUPD_OK) {
		log_error("web: creating an IP detection token: %s", nsupd_strerror(e));
		return NULL;
	}
	json_object_set_new(data, "detectip_token", json_string(token));
	json_object_set_new(data, "detectip_expires", json_integer(expires));
	long long last = atomic_load(&last_prune);
	if (r->now - last >= DETECTIP_PRUNE &&
	    atomic_compare_exchange_strong(&last_prune, &last, (long long)r->now)) {
		e = store_detectip_prune(r->app->store, r->now, NULL);
		if (e != NSUPD_OK)
			log_error("web: deleting old IP detection tokens: %s", nsupd_strerror(e));
	}
	return json_string_value(json_object_get(data, "detectip_token"));
}

void web_ip_track(web_req *r)
{
	json_t *data = web_session_data(r);
	if (data == NULL) {
		ips_to_ctx(r, NULL);
		return;
	}
	expire_addresses(r, data);
	merge_detected(r, data, RDNS_WAIT_PAGE_MS);
	note_address(r, data, &r->http->client, r->now, RDNS_WAIT_PAGE_MS);
	/* Pages that show the addresses ask for the hidden requests by
	 * setting want_detectip; a session that knows both needs none. */
	const char *v4 = json_string_value(json_object_get(data, "ipv4"));
	const char *v6 = json_string_value(json_object_get(data, "ipv6"));
	if (json_is_true(json_object_get(r->ctx, "want_detectip")) &&
	    (v4 == NULL || v4[0] == '\0' || v6 == NULL || v6[0] == '\0')) {
		const char *token = detectip_token(r, data);
		if (token != NULL)
			json_object_set_new(r->ctx, "detectip_token", json_string(token));
	}
	ips_to_ctx(r, data);
}

/* ---- endpoints ---- */

static bool hex_token(const char *t)
{
	if (t == NULL || strlen(t) != TOKEN_BYTES * 2)
		return false;
	for (const char *p = t; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* Always 204 with no body, whatever the token: the answer must not tell
 * which tokens exist. No session is made for these requests. */
static void detectip(web_req *r)
{
	const char *token = web_path_name(r, 0);
	if (hex_token(token) && !r->http->head) {
		char ip[IP_STRLEN];
		ip_format(&r->http->client, ip);
		nsupd_err e = store_detectip_note(r->app->store, token, r->http->client.family, ip,
						  r->now, NULL);
		if (e != NSUPD_OK)
			log_error("web: storing a detected address: %s", nsupd_strerror(e));
	}
	web_text(r, 204, "text/plain", "");
}

static char *json_quote(web_req *r, const char *s)
{
	json_t *v = json_string(s != NULL ? s : "");
	char *t = v != NULL ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
	json_decref(v);
	char *out = arena_strdup(r->a, t != NULL ? t : "\"\"");
	free(t);
	return out;
}

/* The session's addresses as JSON with the keys in the original's order
 * and its separators (spec 2.9). No session is created for a visitor who
 * has none; the connection's own address is not noted here (as in the
 * original, only rendered pages do that), so the result shows what the
 * single-stack hosts saw. */
static void ajax_get_ips(web_req *r)
{
	json_t *data = NULL;
	if (http_cookie(r->http, WEB_SESSION_COOKIE) != NULL && web_session_csrf(r) != NULL) {
		data = web_session_data(r);
		if (data != NULL) {
			expire_addresses(r, data);
			merge_detected(r, data, RDNS_WAIT_AJAX_MS);
			/* A name that was still pending when the page was made. */
			for (int i = 0; i < 2; i++) {
				const char *ip = json_string_value(json_object_get(data, kinds[i]));
				ip_addr a;
				if (ip != NULL && ip_parse(ip, &a) &&
				    json_object_get(data, key_of(r, kinds[i], "rdns")) == NULL)
					note_address(r, data, &a, ts_of(r, data, kinds[i]),
						     RDNS_WAIT_AJAX_MS);
			}
		}
	}
	const char *v[4];
	for (int i = 0; i < 2; i++) {
		v[2 * i] = data != NULL ? json_string_value(json_object_get(data, kinds[i])) : NULL;
		v[2 * i + 1] = data != NULL ?
			json_string_value(json_object_get(data, key_of(r, kinds[i], "rdns"))) : NULL;
	}
	char *body = arena_printf(r->a, "{\"ipv4\": %s, \"ipv4_rdns\": %s, \"ipv6\": %s, "
				  "\"ipv6_rdns\": %s}", json_quote(r, v[0]), json_quote(r, v[1]),
				  json_quote(r, v[2]), json_quote(r, v[3]));
	web_text(r, 200, "application/json", body != NULL ? body : "{}");
}

static const web_page pages[] = {
	{ "/detectip/<name>/", HTTP_GET, 0, detectip },
	{ "/ajax_get_ips/", HTTP_GET, 0, ajax_get_ips },
};

const web_module web_module_ip = { pages, sizeof(pages) / sizeof(pages[0]) };
