#include "api/recorder.h"

#include <pthread.h>
#include <stdlib.h>

#include "util/log.h"

typedef struct record_item {
	struct record_item *next;
	int64_t host_id;
	const store_host_event *ev;
	recorder_done_fn done;
	void *ctx;
} record_item;

static pthread_mutex_t rec_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rec_cond = PTHREAD_COND_INITIALIZER;
static record_item *rec_head, *rec_tail;
static bool rec_running, rec_stop;
static store *rec_store;
static pthread_t rec_thread;

static void *recorder_main(void *arg)
{
	(void)arg;
	for (;;) {
		record_item *batch[RECORDER_BATCH_MAX];
		size_t n = 0;
		pthread_mutex_lock(&rec_mu);
		while (rec_head == NULL && !rec_stop)
			pthread_cond_wait(&rec_cond, &rec_mu);
		if (rec_head == NULL) {
			pthread_mutex_unlock(&rec_mu);
			break;
		}
		while (rec_head != NULL && n < RECORDER_BATCH_MAX) {
			batch[n++] = rec_head;
			rec_head = rec_head->next;
		}
		if (rec_head == NULL)
			rec_tail = NULL;
		pthread_mutex_unlock(&rec_mu);

		int64_t ids[RECORDER_BATCH_MAX];
		const store_host_event *evs[RECORDER_BATCH_MAX];
		nsupd_err results[RECORDER_BATCH_MAX];
		for (size_t i = 0; i < n; i++) {
			ids[i] = batch[i]->host_id;
			evs[i] = batch[i]->ev;
		}
		store_host_record_many(rec_store, ids, evs, n, results);
		for (size_t i = 0; i < n; i++) {
			batch[i]->done(batch[i]->ctx, results[i]);
			free(batch[i]);
		}
	}
	return NULL;
}

bool recorder_start(store *s)
{
	pthread_mutex_lock(&rec_mu);
	bool ok = rec_running;
	if (!ok) {
		rec_store = s;
		rec_stop = false;
		ok = pthread_create(&rec_thread, NULL, recorder_main, NULL) == 0;
		rec_running = ok;
	}
	pthread_mutex_unlock(&rec_mu);
	if (!ok)
		log_error("cannot start the result recorder; results are written one by one");
	return ok;
}

bool recorder_submit(int64_t host_id, const store_host_event *ev, recorder_done_fn done,
		     void *ctx)
{
	if (ev == NULL || done == NULL)
		return false;
	record_item *it = calloc(1, sizeof(*it));
	if (it == NULL)
		return false;
	*it = (record_item){ .host_id = host_id, .ev = ev, .done = done, .ctx = ctx };
	pthread_mutex_lock(&rec_mu);
	bool ok = rec_running && !rec_stop;
	if (ok) {
		if (rec_tail != NULL)
			rec_tail->next = it;
		else
			rec_head = it;
		rec_tail = it;
		pthread_cond_signal(&rec_cond);
	}
	pthread_mutex_unlock(&rec_mu);
	if (!ok)
		free(it);
	return ok;
}

void recorder_stop(void)
{
	pthread_mutex_lock(&rec_mu);
	bool running = rec_running;
	rec_stop = true;
	pthread_cond_signal(&rec_cond);
	pthread_mutex_unlock(&rec_mu);
	if (running)
		pthread_join(rec_thread, NULL);
	pthread_mutex_lock(&rec_mu);
	rec_running = false;
	rec_stop = false;
	pthread_mutex_unlock(&rec_mu);
}
