/* Host and domain names as users and routers type them. */
#ifndef NSUPD_CORE_FQDN_H
#define NSUPD_CORE_FQDN_H

#include <stdbool.h>
#include <stddef.h>

#define FQDN_MAX 253          /* text form, without trailing dot */
#define HOST_LABEL_MAX 63

/* A host name label: lowercase letters, digits and inner hyphens, 1..63
 * characters (the DNS limit; the original had none). */
bool fqdn_valid_host_label(const char *label);

/* A zone name: two or more labels of letters, digits, '-' and '_', no empty
 * label, no label over 63 characters, at most FQDN_MAX characters; one
 * trailing dot is tolerated. */
bool fqdn_valid_zone(const char *name);

/* Copies name into out (size FQDN_MAX + 1), lowercased and without a
 * trailing dot. Returns false when it does not fit or is empty. */
bool fqdn_normalize(const char *name, char *out, size_t outsize);

/* Splits "host.zone" at the first dot. Returns false when there is no dot
 * or either side is empty. host/zone point into buf (which is modified). */
bool fqdn_split_first(char *buf, char **host, char **zone);

#endif
