/* One error space for the whole program. Protocol outcomes (dyndns2 words,
 * DNS rcodes) are not errors and travel separately. */
#ifndef NSUPD_UTIL_ERROR_H
#define NSUPD_UTIL_ERROR_H

typedef enum nsupd_err {
	NSUPD_OK = 0,
	NSUPD_ERR_NOMEM,          /* allocation failed */
	NSUPD_ERR_INVALID,        /* malformed or out-of-range input */
	NSUPD_ERR_NOT_FOUND,      /* no such user, host, domain, ... */
	NSUPD_ERR_EXISTS,         /* unique constraint: it is already there */
	NSUPD_ERR_DB,             /* database failure */
	NSUPD_ERR_DB_BUSY,        /* database locked for longer than the busy timeout */
	NSUPD_ERR_SCHEMA,         /* schema missing or newer than this program */
	NSUPD_ERR_CONFIG,         /* bad configuration */
	NSUPD_ERR_IO,             /* file or socket failure */
	NSUPD_ERR_DNS_TIMEOUT,    /* nameserver did not answer in time */
	NSUPD_ERR_DNS_CONNECT,    /* connection refused, unreachable, reset */
	NSUPD_ERR_DNS_RCODE,      /* nameserver answered with an error rcode */
	NSUPD_ERR_DNS_TSIG,       /* TSIG failure: bad signature, bad key, bad time */
	NSUPD_ERR_DNS_MALFORMED,  /* answer could not be parsed or did not match */
	NSUPD_ERR_DNS_KEY,        /* TSIG secret or algorithm not usable */
	NSUPD_ERR_DNS_UNAVAILABLE,/* zone disabled or in back-off */
	NSUPD_ERR_INTERNAL,       /* a bug: broken invariant */
	NSUPD_ERR__COUNT
} nsupd_err;

/* Never NULL; static storage. */
const char *nsupd_strerror(nsupd_err err);

#endif
