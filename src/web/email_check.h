/* Is an e-mail address good enough for a new account (spec 5.12)? Three
 * checks, cheapest first: the address's form, the operator's blacklist of
 * regular expressions ([site] email_blacklist), and whether its domain can
 * receive mail: an MX record whose target resolves (A, else AAAA) to an
 * address other than 127.0.0.1, ::1 or 0.0.0.0, asked of the resolver
 * [site] email_check_resolver within a few seconds. A domain without MX
 * records fails, as in the original. */
#ifndef NSUPD_WEB_EMAIL_CHECK_H
#define NSUPD_WEB_EMAIL_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/dns.h"
#include "util/error.h"

#define EMAIL_MAX 254
#define EMAIL_CHECK_TIMEOUT_MS 5000

/* The address's form: local@domain, the local part a dot-atom of at most
 * 64 characters, the domain at least two DNS labels (letters, digits,
 * hyphens) with an alphabetic top-level label, the whole at most 254
 * characters, ASCII only. */
bool email_syntax_ok(const char *addr);

/* True when one of the n POSIX extended expressions is found in addr
 * (case-insensitively). An expression that does not compile is skipped
 * (the configuration check refuses such lists). */
bool email_blacklisted(char *const *res, size_t n, const char *addr);

/* The resolver for the domain check from the configuration's value: ""
 * = the first nameserver of /etc/resolv.conf (127.0.0.1 when there is
 * none), else ADDR[:PORT]. False for "none": no DNS check. */
bool email_resolver(const char *config_value, dns_server *out);

/* Asks the resolver whether domain can receive mail (see above) within
 * timeout_ms. NSUPD_OK with *ok set when the resolver answered (*ok false
 * also for NXDOMAIN or no MX), else the transport failure; why gets a
 * short reason for the log either way. */
nsupd_err email_domain_deliverable(const dns_server *resolver, unsigned timeout_ms,
				   const char *domain, bool *ok, char *why, size_t whysize);

#endif
