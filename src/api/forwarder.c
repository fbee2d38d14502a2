/* Forwarding runs apart from the requests: the original sent each update to
 * the other services while the router waited (30 s per dead service) and
 * swallowed the result. Here the router's request only queues a job; this
 * thread sends it, records what came back on the host's configuration, and
 * retries with back-off. Jobs are claimed in the database, never held in
 * memory only, so a restart loses nothing and instances sharing a database
 * never send one job twice. */
#include "api/forwarder.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "core/fwdpolicy.h"
#include "util/log.h"

#define BATCH 8
#define BODY_MAX 512
#define POLL_SECONDS 1

struct forwarder {
	const nsupd_app *app;
	pthread_t thread;
	atomic_bool stop;
};

/* One worker per process; enqueueing code wakes it without a handle. */
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond = PTHREAD_COND_INITIALIZER;
static bool wake_flag;

void forwarder_wake(void)
{
	pthread_mutex_lock(&wake_lock);
	wake_flag = true;
	pthread_cond_signal(&wake_cond);
	pthread_mutex_unlock(&wake_lock);
}

/* Sleeps up to seconds, or until woken or stopped. */
static void wait_for_work(forwarder *f, unsigned seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&wake_lock);
	while (!wake_flag && !atomic_load(&f->stop)) {
		if (pthread_cond_timedwait(&wake_cond, &wake_lock, &until) == ETIMEDOUT)
			break;
	}
	wake_flag = false;
	pthread_mutex_unlock(&wake_lock);
}

struct body {
	char buf[BODY_MAX + 1];
	size_t len;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct body *b = ctx;
	size_t n = size * nmemb;
	size_t room = BODY_MAX - b->len;
	size_t take = n < room ? n : room;
	memcpy(b->buf + b->len, data, take);
	b->len += take;
	b->buf[b->len] = '\0';
	return n;   /* the rest is not needed, but reading it is not an error */
}

static int on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt; (void)dn; (void)ut; (void)un;
	forwarder *f = ctx;
	return atomic_load(&f->stop) ? 1 : 0;
}

/* Sends one job; fills the result. Returns false when it was aborted by a
 * stop request (the job goes back to the queue untouched). */
static bool send_job(forwarder *f, CURL *curl, const store_forward *cfg,
		     const store_forward_job *job, store_forward_result *res, char *text,
		     size_t textsize)
{
	const nsupd_config *c = f->app->cfg;
	char *host_q = NULL, *ip_q = NULL;
	ip_q = curl_easy_escape(curl, job->address, 0);
	if (cfg->has_hostname)
		host_q = curl_easy_escape(curl, cfg->hostname, 0);
	/* hostname first, then myip, as the original sent them; no
	 * hostname= at all when the configuration has none (NULL). */
	char query[600];
	if (host_q != NULL)
		snprintf(query, sizeof(query), "hostname=%s&myip=%s", host_q,
			 ip_q != NULL ? ip_q : "");
	else
		snprintf(query, sizeof(query), "myip=%s", ip_q != NULL ? ip_q : "");
	const char *path = cfg->service.path[0] != '\0' ? cfg->service.path : "/nic/update";
	char url[1200];
	snprintf(url, sizeof(url), "%s://%s%s%s%s%s", cfg->service.secure ? "https" : "http",
		 cfg->service.server, path[0] == '/' ? "" : "/", path,
		 strchr(path, '?') != NULL ? "&" : "?", query);
	curl_free(host_q);
	curl_free(ip_q);

	struct body body = { .len = 0 };
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->login);
	curl_easy_setopt(curl, CURLOPT_PASSWORD, cfg->password);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "nsupd-forwarder/" "0.1");
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)c->forward_connect_timeout);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)c->forward_timeout);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, f);

	CURLcode rc = curl_easy_perform(curl);
	if (rc == CURLE_ABORTED_BY_CALLBACK && atomic_load(&f->stop))
		return false;
	long status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	char word[32];
	enum fwd_verdict v = fwd_classify(status, rc == CURLE_OK ? body.buf : NULL, word,
					  sizeof(word));
	int64_t now = (int64_t)time(NULL);
	if (rc != CURLE_OK)
		snprintf(text, textsize, "%s", curl_easy_strerror(rc));
	else if (word[0] != '\0')
		snprintf(text, textsize, "%s", word);
	else
		snprintf(text, textsize, "HTTP %ld without a dyndns2 answer", status);

	res->time = now;
	res->http_status = (int)status;
	res->result = text;
	res->state = v == FWD_DONE ? STORE_FWD_DONE : v == FWD_FAILED ? STORE_FWD_FAILED :
		     STORE_FWD_RETRY;
	if (res->state == STORE_FWD_RETRY) {
		if (now - job->created >= (int64_t)c->forward_give_up) {
			res->state = STORE_FWD_FAILED;
			size_t used = strlen(text);
			snprintf(text + used, textsize - used, " (gave up after %d attempts)",
				 job->attempts);
		} else {
			res->retry_at = now + fwd_backoff(job->attempts, c->forward_retry_min,
							  c->forward_retry_max);
		}
	}
	log_info("forward of %s to %s (config %lld): %s%s%s", job->address, cfg->service.name,
		 (long long)cfg->id, text,
		 res->state == STORE_FWD_RETRY ? ", will retry" : "",
		 res->state == STORE_FWD_FAILED ? ", failed for good" : "");
	return true;
}

static void process(forwarder *f, CURL *curl, const store_forward_job *job)
{
	store *s = f->app->store;
	store_forward cfg;
	nsupd_err e = store_forward_get(s, job->config_id, &cfg);
	if (e != NSUPD_OK) {
		/* Deleted meanwhile: its jobs went with it (cascade). */
		if (e != NSUPD_ERR_NOT_FOUND)
			log_error("forward job %lld: cannot load its configuration: %s",
				  (long long)job->id, nsupd_strerror(e));
		return;
	}
	store_forward_result res = { 0 };
	char text[STORE_MSG_MAX];
	if (!send_job(f, curl, &cfg, job, &res, text, sizeof(text))) {
		/* Stopped mid-request: due again at once after the restart. */
		res = (store_forward_result){ .state = STORE_FWD_RETRY, .time = (int64_t)time(NULL),
					      .result = "interrupted by shutdown",
					      .retry_at = (int64_t)time(NULL) };
	}
	e = store_forward_finish(s, job, &res);
	if (e != NSUPD_OK)
		log_error("forward job %lld: cannot record the result: %s", (long long)job->id,
			  nsupd_strerror(e));
}

static void *run(void *arg)
{
	forwarder *f = arg;
	const nsupd_config *c = f->app->cfg;
	CURL *curl = curl_easy_init();
	if (curl == NULL) {
		log_error("forwarder: cannot initialise libcurl; nothing will be forwarded");
		return NULL;
	}
	/* start_delay lets an operator (or a test) hold the queue; a stop
	 * request ends the wait. */
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!atomic_load(&f->stop)) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)c->forward_start_delay)
			break;
		wait_for_work(f, POLL_SECONDS);
	}
	/* The claim outlives the longest attempt, so a live worker never
	 * loses its job to another one. */
	const int64_t lease = (int64_t)c->forward_connect_timeout + c->forward_timeout + 60;
	while (!atomic_load(&f->stop)) {
		store_forward_job jobs[BATCH];
		size_t n = 0;
		nsupd_err e = store_forward_claim(f->app->store, (int64_t)time(NULL), lease, jobs,
						  BATCH, &n);
		if (e != NSUPD_OK && e != NSUPD_ERR_DB_BUSY)
			log_error("forwarder: cannot read the queue: %s", nsupd_strerror(e));
		for (size_t i = 0; i < n; i++) {
			if (atomic_load(&f->stop)) {
				/* Claimed but not started: release it for the next start. */
				store_forward_result res = {
					.state = STORE_FWD_RETRY, .time = (int64_t)time(NULL),
					.result = "interrupted by shutdown",
					.retry_at = (int64_t)time(NULL),
				};
				store_forward_finish(f->app->store, &jobs[i], &res);
				continue;
			}
			process(f, curl, &jobs[i]);
		}
		if (n < BATCH)
			wait_for_work(f, POLL_SECONDS);
	}
	curl_easy_cleanup(curl);
	return NULL;
}

nsupd_err forwarder_start(const nsupd_app *app, forwarder **out)
{
	*out = NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NSUPD_ERR_INTERNAL;
	forwarder *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NSUPD_ERR_NOMEM;
	f->app = app;
	atomic_init(&f->stop, false);
	if (pthread_create(&f->thread, NULL, run, f) != 0) {
		free(f);
		return NSUPD_ERR_INTERNAL;
	}
	*out = f;
	return NSUPD_OK;
}

void forwarder_stop(forwarder *f)
{
	if (f == NULL)
		return;
	atomic_store(&f->stop, true);
	pthread_mutex_lock(&wake_lock);
	pthread_cond_broadcast(&wake_cond);
	pthread_mutex_unlock(&wake_lock);
	pthread_join(f->thread, NULL);
	free(f);
	curl_global_cleanup();
}
