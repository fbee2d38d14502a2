/* How a forward to another dyndns2 service is judged and retried. Pure. */
#ifndef NSUPD_CORE_FWDPOLICY_H
#define NSUPD_CORE_FWDPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fwd_verdict {
	FWD_DONE,      /* good / nochg: delivered */
	FWD_RETRY,     /* 911, dnserr, HTTP or transport trouble: try again later */
	FWD_FAILED,    /* badauth, nohost, notfqdn, abuse, ...: retrying cannot help */
};

/* Judges an answer: http_status 0 means none came (transport failure). The
 * first word of body decides when it is a dyndns2 word, whatever the
 * status (a 401 carrying "badauth" is a permanent failure); otherwise a
 * 401/403 fails for good and anything else is retried. word gets the first
 * word of the body (printable ASCII, at most wordsize - 1 bytes; "" when
 * none). */
enum fwd_verdict fwd_classify(long http_status, const char *body, char *word, size_t wordsize);

/* Seconds to wait before attempt number attempts + 1: min after the first
 * failure, doubling, at most max. */
int64_t fwd_backoff(int attempts, unsigned min, unsigned max);

/* A service's server as its update URL names it: HOST, HOST:PORT,
 * [IPV6] or [IPV6]:PORT (port 1-65535), nothing that could change the URL
 * around it ("scheme://" SERVER PATH). */
bool fwd_server_valid(const char *server);
/* The path of its update URL: starts with '/', printable ASCII without
 * blanks or '#'. */
bool fwd_path_valid(const char *path);

#endif
