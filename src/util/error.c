#include "util/error.h"

#include <stddef.h>

static const char *const messages[NSUPD_ERR__COUNT] = {
	[NSUPD_OK]                  = "success",
	[NSUPD_ERR_NOMEM]           = "out of memory",
	[NSUPD_ERR_INVALID]         = "invalid input",
	[NSUPD_ERR_NOT_FOUND]       = "not found",
	[NSUPD_ERR_EXISTS]          = "already exists",
	[NSUPD_ERR_DB]              = "database error",
	[NSUPD_ERR_DB_BUSY]         = "database busy",
	[NSUPD_ERR_SCHEMA]          = "database schema mismatch (run 'nsupd migrate')",
	[NSUPD_ERR_CONFIG]          = "configuration error",
	[NSUPD_ERR_IO]              = "input/output error",
	[NSUPD_ERR_DNS_TIMEOUT]     = "nameserver timeout",
	[NSUPD_ERR_DNS_CONNECT]     = "nameserver connection failed",
	[NSUPD_ERR_DNS_RCODE]       = "nameserver refused the request",
	[NSUPD_ERR_DNS_TSIG]        = "TSIG verification failed",
	[NSUPD_ERR_DNS_MALFORMED]   = "malformed DNS message",
	[NSUPD_ERR_DNS_KEY]         = "unusable TSIG key",
	[NSUPD_ERR_DNS_UNAVAILABLE] = "nameserver flagged unavailable",
	[NSUPD_ERR_INTERNAL]        = "internal error",
};

const char *nsupd_strerror(nsupd_err err)
{
	if ((unsigned)err >= NSUPD_ERR__COUNT || messages[err] == NULL)
		return "unknown error";
	return messages[err];
}
