/* Socket helpers the files of src/dns share (dns.c, dns_plain.c,
 * zonewriter.c). Internal to the module. */
#ifndef NSUPD_DNS_IO_H
#define NSUPD_DNS_IO_H

#include <stdint.h>
#include <sys/socket.h>

#include "dns/dns.h"

/* The server's socket address in ss; returns its length. */
socklen_t dns_server_sockaddr(const dns_server *s, struct sockaddr_storage *ss);
/* Waits for events on fd until the deadline (dns_mono_ms). Returns 1 when
 * ready, 0 on timeout, -1 with errno on failure. */
int dns_wait_fd(int fd, short events, int64_t deadline);

#endif
