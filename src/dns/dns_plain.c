/* Plain (unsigned) questions, one blocking exchange each: for the zone
 * check (dns_soa.c) and the e-mail domain check at registration, which run
 * now and then. The update path's queries are in dns.c. */
#include "dns/dns.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "dns/dns_io.h"

nsupd_err dns_question(const char *name, uint16_t qtype, bool rd, uint8_t *buf, size_t cap,
		       size_t *len)
{
	knot_dname_storage_t qname;
	if (name == NULL || knot_dname_from_str(qname, name, KNOT_DNAME_MAXLEN) == NULL)
		return NSUPD_ERR_INVALID;
	knot_dname_to_lower(qname);
	/* libknot builds in its own buffer: a wire handed to knot_pkt_new
	 * would be taken as a received message, header and all. */
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_HEADER_SIZE + KNOT_DNAME_MAXLEN + 4, NULL);
	if (pkt == NULL)
		return NSUPD_ERR_NOMEM;
	knot_wire_set_id(pkt->wire, dns_random_id());
	if (rd)
		knot_wire_set_rd(pkt->wire);
	nsupd_err e = NSUPD_ERR_INTERNAL;
	if (knot_pkt_put_question(pkt, qname, KNOT_CLASS_IN, qtype) == KNOT_EOK &&
	    pkt->size <= cap) {
		memcpy(buf, pkt->wire, pkt->size);
		*len = pkt->size;
		e = NSUPD_OK;
	}
	knot_pkt_free(pkt);
	return e;
}

static bool answers(const uint8_t *resp, size_t len, const uint8_t *q)
{
	return len >= KNOT_WIRE_HEADER_SIZE && knot_wire_get_id(resp) == knot_wire_get_id(q) &&
	       knot_wire_get_qr(resp);
}

ssize_t dns_udp_ask(const dns_server *s, const uint8_t *q, size_t qlen, uint8_t *resp, size_t cap,
		    int resend_ms, int64_t deadline)
{
	struct sockaddr_storage ss;
	socklen_t sl = dns_server_sockaddr(s, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ssize_t ret = 0;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		ret = -1;
		goto out;
	}
	int64_t next_send = 0;
	for (;;) {
		int64_t now = dns_mono_ms();
		if (now >= deadline)
			break;
		if (now >= next_send) {
			if (send(fd, q, qlen, MSG_NOSIGNAL) != (ssize_t)qlen) {
				ret = -1;
				break;
			}
			next_send = now + resend_ms;
		}
		int r = dns_wait_fd(fd, POLLIN, next_send < deadline ? next_send : deadline);
		if (r < 0) {
			ret = -1;
			break;
		}
		if (r == 0)
			continue;
		ssize_t got = recv(fd, resp, cap, 0);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			ret = -1;
			break;
		}
		if (answers(resp, (size_t)got, q)) {
			ret = got;
			break;
		}
	}
out:
	{
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return ret;
}

static bool io_all(int fd, uint8_t *buf, size_t len, bool out, int64_t deadline)
{
	size_t done = 0;
	while (done < len) {
		if (dns_wait_fd(fd, out ? POLLOUT : POLLIN, deadline) != 1)
			return false;
		ssize_t n = out ? send(fd, buf + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT)
				: recv(fd, buf + done, len - done, MSG_DONTWAIT);
		if (n == 0)
			return false;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return false;
		}
		done += (size_t)n;
	}
	return true;
}

ssize_t dns_tcp_ask(const dns_server *s, const uint8_t *q, size_t qlen, uint8_t *resp, size_t cap,
		    int64_t deadline)
{
	uint8_t msg[2 + 512];
	if (qlen > 512)
		return -1;
	struct sockaddr_storage ss;
	socklen_t sl = dns_server_sockaddr(s, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	ssize_t ret = -1;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
		goto out;
	if (dns_wait_fd(fd, POLLOUT, deadline) != 1)
		goto out;
	int soerr = 0;
	socklen_t el = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) < 0 || soerr != 0)
		goto out;
	msg[0] = (uint8_t)(qlen >> 8);
	msg[1] = (uint8_t)qlen;
	memcpy(msg + 2, q, qlen);
	uint8_t lenbuf[2];
	if (!io_all(fd, msg, qlen + 2, true, deadline) || !io_all(fd, lenbuf, 2, false, deadline))
		goto out;
	size_t rlen = ((size_t)lenbuf[0] << 8) | lenbuf[1];
	if (rlen < KNOT_WIRE_HEADER_SIZE || rlen > cap || !io_all(fd, resp, rlen, false, deadline))
		goto out;
	if (answers(resp, rlen, q))
		ret = (ssize_t)rlen;
out:
	close(fd);
	return ret;
}
