/* The dyndns2 API: /nic/update, /nic/delete, /myip, /nic/checkip.html.
 * Thin handlers: decode the request, call core + updater, encode. */
#ifndef NSUPD_API_NIC_H
#define NSUPD_API_NIC_H

#include <stddef.h>

#include "http/server.h"

/* The API's routing table (static storage). */
const http_route *nic_routes(size_t *n);

#endif
