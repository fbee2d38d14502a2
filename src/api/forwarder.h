/* The background worker of `nsupd serve` that sends queued updates on to
 * other dyndns2 services (libcurl; the queue is in the database, so jobs
 * survive a restart and several instances can share it). */
#ifndef NSUPD_API_FORWARDER_H
#define NSUPD_API_FORWARDER_H

#include "api/updater.h"

typedef struct forwarder forwarder;

/* Starts the worker thread. It waits [forward] start_delay seconds, then
 * sends every due job, and polls once a second (or when woken). */
nsupd_err forwarder_start(const nsupd_app *app, forwarder **out);

/* Stops the worker: a request in flight is aborted and its job released
 * for the next start (due at once), then the thread is joined. */
void forwarder_stop(forwarder *f);

/* Tells the running worker of this process that a job was queued. */
void forwarder_wake(void);

#endif
