/* Records the results of API requests (store_host_record) for many
 * requests at once: one thread takes what has queued up while the previous
 * batch was being written and writes it in one statement
 * (store_host_record_many). Used where the store can batch (PostgreSQL),
 * where a request's write is a round trip of its own; the request waits for
 * its own write without holding a thread (http_defer). */
#ifndef NSUPD_API_RECORDER_H
#define NSUPD_API_RECORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Most events written in one batch. */
#define RECORDER_BATCH_MAX 64

typedef void (*recorder_done_fn)(void *ctx, nsupd_err result);

/* Starts the thread for store s (which must outlive recorder_stop). */
bool recorder_start(store *s);
/* Queues the event of host_id; ev must stay valid until done is called,
 * exactly once, on the recorder's thread with the write's result. false:
 * not queued (not started, or out of memory); done is never called. */
bool recorder_submit(int64_t host_id, const store_host_event *ev, recorder_done_fn done,
		     void *ctx);
/* Writes what is queued, then ends the thread. */
void recorder_stop(void);

#endif
