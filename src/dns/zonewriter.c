/* Per-zone writer. One thread per active zone owns the zone's TCP
 * connection: request threads queue their change and sleep on their own
 * condition variable; the writer thread picks changes into messages, sends
 * them (several may await their answers at once, matched by message ID),
 * verifies the answers and wakes the callers. All shared state is under the
 * queue's mutex; sockets and buffers belong to the writer thread alone.
 *
 * Why a thread and not "the first caller sends for the others": pipelining
 * needs someone reading answers while others are being sent, and the
 * caller that would do it may have been answered long before. */
#include "dns/zonewriter.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns/dns_io.h"
#include "util/log.h"
#include "util/strutil.h"

#define DEFAULT_UPDATE_MS 20000
/* Below named's tcp-idle-timeout (30 s), so we, not the server, close an
 * idle connection and never send into one the server is closing. */
#define CONN_IDLE_MS 5000
/* A writer without work for this long ends and frees its zone's state. */
#define QUEUE_IDLE_MS 60000
/* Queued changes looked at when choosing a message. */
#define PLAN_SCAN_MAX 2048
#define MSG_ROOM (DNS_UPDATE_MAX - DNS_UPDATE_OVERHEAD)

/* ------------------------------------------------------------------ */
/* Planning                                                            */

static bool same_rrset(const zw_plan_item *a, const zw_plan_item *b)
{
	if (a->family != b->family)
		return false;
	size_t la = strlen(a->fqdn), lb = strlen(b->fqdn);
	/* "h.example.org." and "h.example.org" are the same name. */
	if (la > 0 && a->fqdn[la - 1] == '.')
		la--;
	if (lb > 0 && b->fqdn[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a->fqdn, b->fqdn, la) == 0;
}

size_t zw_plan(const zw_plan_item *queued, size_t n, const zw_plan_item *busy, size_t nbusy,
	       size_t max_changes, size_t max_bytes, size_t *chosen, bool *full)
{
	size_t k = 0, bytes = 0;

	*full = false;
	if (max_changes == 0)
		max_changes = 1;
	if (n > PLAN_SCAN_MAX)
		n = PLAN_SCAN_MAX;
	for (size_t i = 0; i < n; i++) {
		const zw_plan_item *it = &queued[i];
		bool blocked = false;

		for (size_t j = 0; j < nbusy && !blocked; j++)
			blocked = same_rrset(it, &busy[j]);
		/* Any earlier queued change of the same RRset, chosen or not, goes
		 * first: a later one never overtakes it. */
		for (size_t j = 0; j < i && !blocked; j++)
			blocked = same_rrset(it, &queued[j]);
		if (blocked)
			continue;
		if (it->solo) {
			if (k == 0) {
				chosen[k++] = i;
				*full = true;
				return k;
			}
			continue;
		}
		if (k > 0 && bytes + it->wire_size > max_bytes) {
			*full = true;
			return k;
		}
		chosen[k++] = i;
		bytes += it->wire_size;
		if (k >= max_changes) {
			*full = true;
			return k;
		}
	}
	return k;
}

/* ------------------------------------------------------------------ */
/* State                                                               */

typedef struct zw_req {
	struct zw_req *next;
	dns_change change;
	ip_addr addr;
	size_t wire_size;
	int64_t arrived, deadline;
	bool solo;          /* re-sent alone after its batch got an error rcode */
	bool resent;        /* already re-sent once after a broken connection */
	bool taken;
	bool done;
	nsupd_err result;
	dns_error *err;     /* the caller's; may be NULL; own_err when async */
	pthread_cond_t cond;
	/* Asynchronous changes (zw_submit): heap-allocated, owned by the
	 * writer until done has been called, which happens on the writer's
	 * thread after its mutex is released. */
	struct zw_queue *q;
	zw_done_fn done_fn;
	void *ctx;
	dns_error own_err;
	struct zw_req *finished_next;
	char fqdn[DNS_NAME_TEXT_MAX];
} zw_req;

typedef struct zw_msg {
	zw_req **reqs;      /* room for coalesce_max */
	size_t n;
	uint16_t id;
	uint8_t mac[64];
	size_t mac_len;
	int64_t deadline;
	uint64_t seq;       /* send order */
	bool used;
} zw_msg;

typedef struct zw_queue {
	struct zw_queue *next;          /* registry */
	/* What the zone is; z points into the copies. */
	char *zone, *key_name, *secret;
	dns_zone z;
	zw_options opt;
	char srv[IP_STRLEN + 8];

	pthread_mutex_t mu;
	zw_req *head, *tail;            /* queued, oldest first */
	zw_req *finished;               /* async changes done, callbacks due */
	bool stop;
	bool polling, woken;
	int evfd;

	/* Writer thread only (the messages' reqs are completed under mu). */
	int fd;
	bool connecting;
	unsigned answers_on_conn;
	zw_msg *msgs;                   /* max_inflight slots */
	size_t ninflight;
	uint64_t seq;
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	uint8_t *in;
	size_t in_len;
	uint8_t *build;
	int64_t idle_since;
	zw_plan_item *items;
	zw_req **item_reqs;
	zw_plan_item *busy;
	size_t *chosen;
} zw_queue;

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reg_cond = PTHREAD_COND_INITIALIZER;
static zw_queue *queues;
static size_t n_queues;

static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;
static zw_stats stats;

void zw_get_stats(zw_stats *out)
{
	pthread_mutex_lock(&stats_mu);
	*out = stats;
	pthread_mutex_unlock(&stats_mu);
}

static void stats_add(uint64_t *field, uint64_t v)
{
	pthread_mutex_lock(&stats_mu);
	*field += v;
	pthread_mutex_unlock(&stats_mu);
}

static void set_error(dns_error *err, int rcode, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_error(dns_error *err, int rcode, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->rcode = rcode;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* With q->mu held. */
static void complete(zw_req *r, nsupd_err code, const dns_error *e)
{
	r->result = code;
	if (r->err != NULL) {
		if (e != NULL) {
			*r->err = *e;
		} else {
			r->err->msg[0] = '\0';
			r->err->rcode = -1;
		}
	}
	r->done = true;
	if (r->done_fn != NULL) {
		/* Called later without the mutex: the callback wakes HTTP
		 * connections and must not run under the queue's lock. */
		r->finished_next = r->q->finished;
		r->q->finished = r;
		return;
	}
	pthread_cond_signal(&r->cond);
}

/* Writer thread, mutex not held: runs the callbacks of finished
 * asynchronous changes, oldest first, and frees them. */
static void deliver_finished(zw_queue *q)
{
	pthread_mutex_lock(&q->mu);
	zw_req *list = q->finished;
	q->finished = NULL;
	pthread_mutex_unlock(&q->mu);
	zw_req *ordered = NULL;
	while (list != NULL) {
		zw_req *next = list->finished_next;
		list->finished_next = ordered;
		ordered = list;
		list = next;
	}
	while (ordered != NULL) {
		zw_req *next = ordered->finished_next;
		ordered->done_fn(ordered->ctx, ordered->result, &ordered->own_err);
		free(ordered);
		ordered = next;
	}
}

static void describe(const zw_queue *q, const zw_req *r, char *out, size_t outsize)
{
	dns_change_describe(&q->z, &r->change, out, outsize);
}

/* With q->mu held: every request gets a message naming its own change. */
static void complete_transport(zw_queue *q, zw_req *r, nsupd_err code, int sys_errno)
{
	dns_error e;
	char what[200];

	describe(q, r, what, sizeof(what));
	switch (code) {
	case NSUPD_ERR_DNS_TIMEOUT: {
		unsigned total = q->z.update_timeout_ms != 0 ? q->z.update_timeout_ms
							      : DEFAULT_UPDATE_MS;
		set_error(&e, -1, "timeout after %u ms waiting for %s (%s)", total, q->srv, what);
		break;
	}
	case NSUPD_ERR_DNS_CONNECT:
		if (sys_errno == ECONNREFUSED)
			set_error(&e, -1, "connection refused by %s (%s)", q->srv, what);
		else if (sys_errno == 0)
			set_error(&e, -1, "connection closed by %s without an answer (%s)", q->srv,
				  what);
		else
			set_error(&e, -1, "cannot reach %s: %s (%s)", q->srv, strerror(sys_errno),
				  what);
		break;
	case NSUPD_ERR_DNS_MALFORMED:
		set_error(&e, -1, "answer from %s does not match any request (%s)", q->srv, what);
		break;
	case NSUPD_ERR_DNS_UNAVAILABLE:
		set_error(&e, -1, "nsupd is shutting down (%s)", what);
		break;
	default:
		set_error(&e, -1, "%s (%s)", nsupd_strerror(code), what);
		break;
	}
	complete(r, code, &e);
}

/* ------------------------------------------------------------------ */
/* Connection                                                          */

static void close_conn(zw_queue *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	q->connecting = false;
	q->out_len = q->out_off = 0;
	q->in_len = 0;
	q->answers_on_conn = 0;
}

static void free_msg(zw_queue *q, zw_msg *m)
{
	m->used = false;
	m->n = 0;
	q->ninflight--;
}

/* The in-flight messages in the order they were sent. */
static size_t inflight_in_order(zw_queue *q, zw_msg **out)
{
	size_t k = 0;
	for (size_t i = 0; i < q->opt.max_inflight; i++)
		if (q->msgs[i].used)
			out[k++] = &q->msgs[i];
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && out[j - 1]->seq > out[j]->seq; j--) {
			zw_msg *t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return k;
}

/* With q->mu held: puts the message's changes back at the head of the
 * queue, in their order, so nothing overtakes them. */
static void requeue_front(zw_queue *q, zw_msg *m, bool solo, bool resent)
{
	for (size_t i = m->n; i-- > 0;) {
		zw_req *r = m->reqs[i];
		r->solo = r->solo || solo;
		r->resent = r->resent || resent;
		r->taken = false;
		r->next = q->head;
		q->head = r;
		if (q->tail == NULL)
			q->tail = r;
	}
}

/* The connection broke (or never came up). A connection that already
 * carried answers may simply have been closed by the server between two
 * messages: its unanswered changes are sent once more on a new one (replace
 * and delete are idempotent). Otherwise the callers get the error. */
static void conn_failed(zw_queue *q, nsupd_err code, int sys_errno)
{
	zw_msg *order[ZW_LIMIT_MAX_INFLIGHT];
	bool resend = code == NSUPD_ERR_DNS_CONNECT && q->answers_on_conn > 0;
	size_t k = inflight_in_order(q, order);
	uint64_t resent = 0;

	close_conn(q);
	pthread_mutex_lock(&q->mu);
	for (size_t i = k; i-- > 0;) {
		zw_msg *m = order[i];
		bool again = resend;
		for (size_t j = 0; j < m->n && again; j++)
			again = !m->reqs[j]->resent;
		if (again) {
			requeue_front(q, m, false, true);
			resent += m->n;
		} else {
			for (size_t j = 0; j < m->n; j++)
				complete_transport(q, m->reqs[j], code, sys_errno);
		}
		free_msg(q, m);
	}
	pthread_mutex_unlock(&q->mu);
	if (resent > 0) {
		stats_add(&stats.resends, resent);
		log_info("zone %s: connection to %s lost, sending %llu change%s again", q->z.zone,
			 q->srv, (unsigned long long)resent, resent == 1 ? "" : "s");
	}
}

static bool start_connect(zw_queue *q, int *sys_errno)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	sl = dns_server_sockaddr(&q->z.primary, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*sys_errno = errno;
		return false;
	}
	/* Messages are whole and small: send each at once. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		if (errno != EINPROGRESS) {
			*sys_errno = errno;
			close(fd);
			return false;
		}
		q->connecting = true;
	}
	q->fd = fd;
	q->answers_on_conn = 0;
	stats_add(&stats.connections, 1);
	return true;
}

/* Writes what it can; false on a socket error (sys_errno set). */
static bool flush_out(zw_queue *q, int *sys_errno)
{
	while (q->out_off < q->out_len) {
		ssize_t n = send(q->fd, q->out + q->out_off, q->out_len - q->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			q->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n < 0 && errno == EINTR)
			continue;
		*sys_errno = n < 0 ? errno : 0;
		return false;
	}
	q->out_len = q->out_off = 0;
	return true;
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */

static zw_msg *free_slot(zw_queue *q)
{
	for (size_t i = 0; i < q->opt.max_inflight; i++)
		if (!q->msgs[i].used)
			return &q->msgs[i];
	return NULL;
}

/* Answers are matched by ID, so no two messages awaiting one share it. */
static bool id_in_use_except(zw_queue *q, const zw_msg *m)
{
	for (size_t i = 0; i < q->opt.max_inflight; i++)
		if (&q->msgs[i] != m && q->msgs[i].used && q->msgs[i].id == m->id)
			return true;
	return false;
}

/* With q->mu held: fails queued changes whose time is up, and lowers
 * *wake to the next such deadline. */
static void expire_queued(zw_queue *q, int64_t now, int64_t *wake)
{
	zw_req **pp = &q->head;
	q->tail = NULL;
	while (*pp != NULL) {
		zw_req *r = *pp;
		if (r->deadline <= now) {
			*pp = r->next;
			complete_transport(q, r, NSUPD_ERR_DNS_TIMEOUT, 0);
			continue;
		}
		if (r->deadline < *wake)
			*wake = r->deadline;
		q->tail = r;
		pp = &r->next;
	}
}

/* With q->mu held: chooses the next message and takes its changes off the
 * queue, or returns NULL (nothing to send yet; *wake says when to look
 * again). */
static zw_msg *take_batch(zw_queue *q, int64_t now, int64_t *wake)
{
	size_t n = 0, nbusy = 0;
	bool full = false;

	if (q->head == NULL || q->ninflight >= q->opt.max_inflight)
		return NULL;
	for (zw_req *r = q->head; r != NULL && n < PLAN_SCAN_MAX; r = r->next, n++) {
		q->items[n] = (zw_plan_item){.fqdn = r->change.fqdn, .family = r->change.family,
					     .wire_size = r->wire_size, .solo = r->solo};
		q->item_reqs[n] = r;
	}
	for (size_t i = 0; i < q->opt.max_inflight; i++) {
		zw_msg *m = &q->msgs[i];
		for (size_t j = 0; m->used && j < m->n; j++) {
			zw_req *r = m->reqs[j];
			q->busy[nbusy++] = (zw_plan_item){.fqdn = r->change.fqdn,
							  .family = r->change.family};
		}
	}
	size_t k = zw_plan(q->items, n, q->busy, nbusy, q->opt.coalesce_max, MSG_ROOM, q->chosen,
			   &full);
	if (k == 0)
		return NULL;
	int64_t oldest = INT64_MAX;
	for (size_t i = 0; i < k; i++) {
		int64_t a = q->item_reqs[q->chosen[i]]->arrived;
		if (a < oldest)
			oldest = a;
	}
	/* An idle nameserver gets the change at once; a busy one gets a bigger
	 * message a little later, when it can take it. */
	int64_t send_at = oldest + q->opt.coalesce_wait_ms;
	if (!full && q->ninflight > 0 && now < send_at) {
		if (send_at < *wake)
			*wake = send_at;
		return NULL;
	}

	zw_msg *m = free_slot(q);
	m->used = true;
	m->n = k;
	m->deadline = INT64_MAX;
	m->seq = q->seq++;
	for (size_t i = 0; i < k; i++) {
		zw_req *r = q->item_reqs[q->chosen[i]];
		r->taken = true;
		m->reqs[i] = r;
		if (r->deadline < m->deadline)
			m->deadline = r->deadline;
	}
	zw_req **pp = &q->head;
	q->tail = NULL;
	while (*pp != NULL) {
		if ((*pp)->taken) {
			*pp = (*pp)->next;
			continue;
		}
		q->tail = *pp;
		pp = &(*pp)->next;
	}
	q->ninflight++;
	return m;
}

/* Builds, signs and queues the message for sending (writer thread, without
 * the lock). */
static void send_batch(zw_queue *q, zw_msg *m)
{
	dns_change changes[ZW_LIMIT_COALESCE_MAX];
	dns_error e;
	size_t len = 0;
	int sys_errno = 0;

	for (size_t i = 0; i < m->n; i++)
		changes[i] = m->reqs[i]->change;
	do
		m->id = dns_random_id();
	while (id_in_use_except(q, m));
	m->mac_len = sizeof(m->mac);
	nsupd_err code = dns_build_update(&q->z, changes, m->n, m->id, q->build, DNS_UPDATE_MAX,
					  &len, m->mac, &m->mac_len, &e);
	if (code != NSUPD_OK) {
		pthread_mutex_lock(&q->mu);
		if (m->n > 1) {
			/* One change the builder refuses must not sink the others. */
			requeue_front(q, m, true, false);
		} else {
			complete(m->reqs[0], code, &e);
		}
		free_msg(q, m);
		pthread_mutex_unlock(&q->mu);
		return;
	}

	if (q->fd < 0 && !start_connect(q, &sys_errno)) {
		pthread_mutex_lock(&q->mu);
		for (size_t i = 0; i < m->n; i++)
			complete_transport(q, m->reqs[i], NSUPD_ERR_DNS_CONNECT, sys_errno);
		free_msg(q, m);
		pthread_mutex_unlock(&q->mu);
		return;
	}
	if (q->out_len + 2 + len > q->out_cap) {
		size_t cap = q->out_cap * 2;
		while (cap < q->out_len + 2 + len)
			cap *= 2;
		uint8_t *p = realloc(q->out, cap);
		if (p == NULL) {
			pthread_mutex_lock(&q->mu);
			for (size_t i = 0; i < m->n; i++)
				complete_transport(q, m->reqs[i], NSUPD_ERR_NOMEM, 0);
			free_msg(q, m);
			pthread_mutex_unlock(&q->mu);
			return;
		}
		q->out = p;
		q->out_cap = cap;
	}
	q->out[q->out_len] = (uint8_t)(len >> 8);
	q->out[q->out_len + 1] = (uint8_t)len;
	memcpy(q->out + q->out_len + 2, q->build, len);
	q->out_len += 2 + len;

	pthread_mutex_lock(&stats_mu);
	stats.messages++;
	stats.changes += m->n;
	if (m->n > stats.max_batch)
		stats.max_batch = m->n;
	pthread_mutex_unlock(&stats_mu);
	log_debug("zone %s: UPDATE id %u with %zu change%s to %s (%zu in flight)", q->z.zone,
		  (unsigned)m->id, m->n, m->n == 1 ? "" : "s", q->srv, q->ninflight);

	if (!q->connecting && !flush_out(q, &sys_errno))
		conn_failed(q, NSUPD_ERR_DNS_CONNECT, sys_errno);
}

/* One answer frame from the connection. */
static void handle_answer(zw_queue *q, uint8_t *frame, size_t len)
{
	zw_msg *m = NULL;
	char what[200];
	dns_error e;

	if (len >= 2) {
		uint16_t id = (uint16_t)(frame[0] << 8 | frame[1]);
		for (size_t i = 0; i < q->opt.max_inflight && m == NULL; i++)
			if (q->msgs[i].used && q->msgs[i].id == id)
				m = &q->msgs[i];
	}
	if (m == NULL) {
		/* Not an answer to anything we asked: the stream cannot be trusted. */
		log_warn("zone %s: answer from %s matches no request; reconnecting", q->z.zone,
			 q->srv);
		conn_failed(q, NSUPD_ERR_DNS_MALFORMED, 0);
		return;
	}
	q->answers_on_conn++;
	if (m->n == 1)
		describe(q, m->reqs[0], what, sizeof(what));
	else
		snprintf(what, sizeof(what), "update of %zu records in zone %.60s", m->n, q->z.zone);
	nsupd_err code = dns_check_update_answer(&q->z, frame, len, m->id, m->mac, m->mac_len, what,
						 &e);
	pthread_mutex_lock(&q->mu);
	if (code == NSUPD_ERR_DNS_RCODE && m->n > 1) {
		/* E.g. REFUSED because one name is outside the key's policy: find
		 * out which, by sending each change alone. */
		log_info("zone %s: %s; sending its %zu changes one by one", q->z.zone, e.msg, m->n);
		stats_add(&stats.split_retries, m->n);
		requeue_front(q, m, true, false);
	} else {
		for (size_t i = 0; i < m->n; i++)
			complete(m->reqs[i], code, code == NSUPD_OK ? NULL : &e);
	}
	free_msg(q, m);
	pthread_mutex_unlock(&q->mu);
}

/* Reads what is there and handles every whole frame; false when the
 * connection is gone (already handled). */
static bool read_answers(zw_queue *q)
{
	for (;;) {
		ssize_t n = recv(q->fd, q->in + q->in_len, 2 + DNS_UPDATE_MAX - q->in_len, 0);
		if (n == 0) {
			conn_failed(q, NSUPD_ERR_DNS_CONNECT, 0);
			return false;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return true;
			conn_failed(q, NSUPD_ERR_DNS_CONNECT, errno);
			return false;
		}
		q->in_len += (size_t)n;
		size_t off = 0;
		while (q->in_len - off >= 2) {
			size_t flen = (size_t)q->in[off] << 8 | q->in[off + 1];
			if (q->in_len - off < 2 + flen)
				break;
			int fd = q->fd;
			handle_answer(q, q->in + off + 2, flen);
			if (q->fd != fd)
				return false;   /* the stream was dropped */
			off += 2 + flen;
		}
		memmove(q->in, q->in + off, q->in_len - off);
		q->in_len -= off;
	}
}

/* ------------------------------------------------------------------ */
/* The writer thread                                                   */

static void queue_free(zw_queue *q)
{
	close_conn(q);
	if (q->evfd >= 0)
		close(q->evfd);
	if (q->msgs != NULL)
		for (size_t i = 0; i < q->opt.max_inflight; i++)
			free(q->msgs[i].reqs);
	free(q->msgs);
	free(q->out);
	free(q->in);
	free(q->build);
	free(q->items);
	free(q->item_reqs);
	free(q->busy);
	free(q->chosen);
	if (q->secret != NULL) {
		explicit_bzero(q->secret, strlen(q->secret));
		free(q->secret);
	}
	free(q->zone);
	free(q->key_name);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

/* Leaves the registry when idle (or stopping). With neither lock held. */
static bool retire(zw_queue *q, bool force)
{
	bool gone = false;

	pthread_mutex_lock(&reg_mu);
	pthread_mutex_lock(&q->mu);
	if (force || (q->head == NULL && q->ninflight == 0)) {
		for (zw_queue **pp = &queues; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == q) {
				*pp = q->next;
				break;
			}
		}
		gone = true;
	}
	pthread_mutex_unlock(&q->mu);
	pthread_mutex_unlock(&reg_mu);
	return gone;
}

static void fail_everything(zw_queue *q, nsupd_err code)
{
	zw_msg *order[ZW_LIMIT_MAX_INFLIGHT];
	size_t k = inflight_in_order(q, order);

	pthread_mutex_lock(&q->mu);
	for (size_t i = 0; i < k; i++) {
		for (size_t j = 0; j < order[i]->n; j++)
			complete_transport(q, order[i]->reqs[j], code, 0);
		free_msg(q, order[i]);
	}
	while (q->head != NULL) {
		zw_req *r = q->head;
		q->head = r->next;
		complete_transport(q, r, code, 0);
	}
	q->tail = NULL;
	pthread_mutex_unlock(&q->mu);
}

static void *writer_main(void *arg)
{
	zw_queue *q = arg;

	for (;;) {
		deliver_finished(q);
		int64_t now = dns_mono_ms();
		int64_t wake = now + 1000;
		zw_msg *m = NULL;
		bool stop;

		pthread_mutex_lock(&q->mu);
		q->polling = false;
		q->woken = false;
		stop = q->stop;
		if (!stop) {
			expire_queued(q, now, &wake);
			m = take_batch(q, now, &wake);
			if (q->head != NULL || q->ninflight > 0 || m != NULL)
				q->idle_since = now;
			q->polling = m == NULL;
		}
		bool idle = q->head == NULL && q->ninflight == 0 && m == NULL;
		int64_t idle_for = now - q->idle_since;
		pthread_mutex_unlock(&q->mu);

		if (stop) {
			fail_everything(q, NSUPD_ERR_DNS_UNAVAILABLE);
			retire(q, true);
			break;
		}
		if (m != NULL) {
			send_batch(q, m);
			continue;   /* maybe another message is ready */
		}
		if (idle) {
			if (q->fd >= 0 && idle_for >= CONN_IDLE_MS)
				close_conn(q);
			if (idle_for >= QUEUE_IDLE_MS && retire(q, false))
				break;
			int64_t next = q->idle_since + (q->fd >= 0 ? CONN_IDLE_MS : QUEUE_IDLE_MS);
			if (next < wake)
				wake = next;
		}
		for (size_t i = 0; i < q->opt.max_inflight; i++)
			if (q->msgs[i].used && q->msgs[i].deadline < wake)
				wake = q->msgs[i].deadline;

		struct pollfd p[2] = {{.fd = q->evfd, .events = POLLIN}, {.fd = -1}};
		if (q->fd >= 0) {
			p[1].fd = q->fd;
			p[1].events = POLLIN;
			if (q->connecting || q->out_off < q->out_len)
				p[1].events |= POLLOUT;
		}
		int64_t left = wake - dns_mono_ms();
		int timeout = left <= 0 ? 0 : left > 1000 ? 1000 : (int)left;
		int rc = poll(p, 2, timeout);
		if (rc < 0 && errno != EINTR) {
			log_error("zone %s: poll: %s", q->z.zone, strerror(errno));
			poll(NULL, 0, 10);
		}
		if (rc > 0 && (p[0].revents & POLLIN)) {
			uint64_t v;
			if (read(q->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				log_error("zone %s: eventfd: %s", q->z.zone, strerror(errno));
		}
		if (rc > 0 && q->fd >= 0 && p[1].revents != 0) {
			int sys_errno = 0;
			if (q->connecting) {
				int soerr = 0;
				socklen_t sl = sizeof(soerr);
				if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
					soerr = errno;
				if (soerr == 0 && (p[1].revents & (POLLERR | POLLHUP)) != 0)
					soerr = ECONNREFUSED;
				if (soerr != 0) {
					conn_failed(q, NSUPD_ERR_DNS_CONNECT, soerr);
					continue;
				}
				if (p[1].revents & POLLOUT)
					q->connecting = false;
			}
			if (!q->connecting && q->out_off < q->out_len &&
			    (p[1].revents & (POLLOUT | POLLERR | POLLHUP)) != 0 &&
			    !flush_out(q, &sys_errno)) {
				conn_failed(q, NSUPD_ERR_DNS_CONNECT, sys_errno);
				continue;
			}
			if (!q->connecting && (p[1].revents & (POLLIN | POLLERR | POLLHUP)) != 0 &&
			    !read_answers(q))
				continue;
		}
		/* Messages whose time ran out: the server is stuck or gone, so the
		 * connection goes too, and with it whatever else awaits an answer. */
		now = dns_mono_ms();
		for (size_t i = 0; i < q->opt.max_inflight; i++) {
			if (q->msgs[i].used && q->msgs[i].deadline <= now) {
				conn_failed(q, NSUPD_ERR_DNS_TIMEOUT, 0);
				break;
			}
		}
	}
	deliver_finished(q);
	queue_free(q);
	pthread_mutex_lock(&reg_mu);
	n_queues--;
	pthread_cond_broadcast(&reg_cond);
	pthread_mutex_unlock(&reg_mu);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Registry and callers                                                */

static bool queue_matches(const zw_queue *q, const dns_zone *z)
{
	return !q->stop && str_ascii_ieq(q->zone, z->zone) && str_ascii_ieq(q->key_name, z->key_name) &&
	       strcmp(q->secret, z->secret_b64) == 0 && q->z.algorithm == z->algorithm &&
	       q->z.primary.port == z->primary.port && ip_equal(&q->z.primary.addr, &z->primary.addr) &&
	       q->z.ttl == z->ttl && q->z.update_timeout_ms == z->update_timeout_ms;
}

static void normalise_options(const zw_options *in, zw_options *out)
{
	*out = (zw_options){ZW_DEFAULT_COALESCE_MAX, ZW_DEFAULT_COALESCE_WAIT_MS,
			    ZW_DEFAULT_MAX_INFLIGHT};
	if (in == NULL)
		return;
	*out = *in;
	if (out->coalesce_max < 1)
		out->coalesce_max = 1;
	if (out->coalesce_max > ZW_LIMIT_COALESCE_MAX)
		out->coalesce_max = ZW_LIMIT_COALESCE_MAX;
	if (out->coalesce_wait_ms > ZW_LIMIT_COALESCE_WAIT_MS)
		out->coalesce_wait_ms = ZW_LIMIT_COALESCE_WAIT_MS;
	if (out->max_inflight < 1)
		out->max_inflight = 1;
	if (out->max_inflight > ZW_LIMIT_MAX_INFLIGHT)
		out->max_inflight = ZW_LIMIT_MAX_INFLIGHT;
}

/* With reg_mu held. */
static zw_queue *queue_new(const dns_zone *z, const zw_options *opt)
{
	zw_queue *q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->fd = -1;
	q->evfd = -1;
	q->opt = *opt;
	pthread_mutex_init(&q->mu, NULL);
	q->zone = strdup(z->zone);
	q->key_name = strdup(z->key_name);
	q->secret = strdup(z->secret_b64);
	q->msgs = calloc(opt->max_inflight, sizeof(*q->msgs));
	q->out_cap = 2 * (2 + DNS_UPDATE_MAX);
	q->out = malloc(q->out_cap);
	q->in = malloc(2 + DNS_UPDATE_MAX);
	q->build = malloc(DNS_UPDATE_MAX);
	q->items = calloc(PLAN_SCAN_MAX, sizeof(*q->items));
	q->item_reqs = calloc(PLAN_SCAN_MAX, sizeof(*q->item_reqs));
	q->busy = calloc((size_t)opt->max_inflight * opt->coalesce_max, sizeof(*q->busy));
	q->chosen = calloc(opt->coalesce_max, sizeof(*q->chosen));
	q->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	bool ok = q->zone != NULL && q->key_name != NULL && q->secret != NULL && q->msgs != NULL &&
		  q->out != NULL && q->in != NULL && q->build != NULL && q->items != NULL &&
		  q->item_reqs != NULL && q->busy != NULL && q->chosen != NULL && q->evfd >= 0;
	for (size_t i = 0; ok && i < opt->max_inflight; i++) {
		q->msgs[i].reqs = calloc(opt->coalesce_max, sizeof(*q->msgs[i].reqs));
		ok = q->msgs[i].reqs != NULL;
	}
	if (!ok) {
		queue_free(q);
		return NULL;
	}
	q->z = *z;
	q->z.zone = q->zone;
	q->z.key_name = q->key_name;
	q->z.secret_b64 = q->secret;
	q->z.has_secondary = false;
	dns_server_format(&q->z.primary, q->srv, sizeof(q->srv));
	q->idle_since = dns_mono_ms();

	pthread_attr_t attr;
	pthread_t tid;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&tid, &attr, writer_main, q);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		queue_free(q);
		return NULL;
	}
	q->next = queues;
	queues = q;
	n_queues++;
	stats_add(&stats.writers, 1);
	log_debug("zone %s: writer for %s started (up to %u changes per message, %u ms, %u in flight)",
		  q->zone, q->srv, opt->coalesce_max, opt->coalesce_wait_ms, opt->max_inflight);
	return q;
}

/* The zone's writer (started when there is none), with its mutex held;
 * NULL when none can be started. */
static zw_queue *lock_queue(const dns_zone *z, const zw_options *opt)
{
	zw_queue *q = NULL;

	pthread_mutex_lock(&reg_mu);
	for (zw_queue *p = queues; p != NULL && q == NULL; p = p->next)
		if (queue_matches(p, z))
			q = p;
	if (q == NULL)
		q = queue_new(z, opt);
	if (q != NULL)
		pthread_mutex_lock(&q->mu);
	pthread_mutex_unlock(&reg_mu);
	return q;
}

/* With q->mu held: appends r and wakes the writer when it sleeps. */
static void enqueue(zw_queue *q, zw_req *r)
{
	if (q->tail != NULL)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	bool wake = q->polling && !q->woken;
	if (wake) {
		q->woken = true;
		uint64_t one = 1;
		if (write(q->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_error("zone %s: eventfd: %s", q->zone, strerror(errno));
	}
}

/* Fills r for change c; false when the change cannot go through a writer
 * (dns_change_wire_size refuses it). */
static bool prepare_req(zw_req *r, const dns_zone *z, const dns_change *c)
{
	r->change = *c;
	if (c->addr != NULL) {
		r->addr = *c->addr;
		r->change.addr = &r->addr;
	}
	r->wire_size = dns_change_wire_size(c);
	if (r->wire_size == 0)
		return false;
	r->arrived = dns_mono_ms();
	r->deadline = r->arrived + (z->update_timeout_ms != 0 ? z->update_timeout_ms
							    : DEFAULT_UPDATE_MS);
	return true;
}

static bool zone_usable(const dns_zone *z)
{
	return z != NULL && z->zone != NULL && z->key_name != NULL && z->secret_b64 != NULL;
}

static nsupd_err submit(const dns_zone *z, const zw_options *opt_in, const dns_change *c,
			dns_error *err)
{
	zw_options opt;
	zw_req r;

	if (err != NULL) {
		err->msg[0] = '\0';
		err->rcode = -1;
	}
	if (!zone_usable(z)) {
		set_error(err, -1, "invalid update arguments");
		return NSUPD_ERR_INVALID;
	}
	normalise_options(opt_in, &opt);
	memset(&r, 0, sizeof(r));
	if (!prepare_req(&r, z, c)) {
		/* Let the plain path produce its exact error message. */
		return c->addr != NULL ? dns_replace(z, c->fqdn, c->addr, err)
				       : dns_delete(z, c->fqdn, c->family, err);
	}
	r.err = err;
	pthread_cond_init(&r.cond, NULL);
	zw_queue *q = lock_queue(z, &opt);
	if (q == NULL) {
		pthread_cond_destroy(&r.cond);
		log_warn("zone %s: cannot start a writer; sending the change on its own", z->zone);
		return c->addr != NULL ? dns_replace(z, c->fqdn, c->addr, err)
				       : dns_delete(z, c->fqdn, c->family, err);
	}
	enqueue(q, &r);
	while (!r.done)
		pthread_cond_wait(&r.cond, &q->mu);
	pthread_mutex_unlock(&q->mu);
	pthread_cond_destroy(&r.cond);
	return r.result;
}

bool zw_submit(const dns_zone *z, const zw_options *opt_in, const char *fqdn, int family,
	       const ip_addr *addr, zw_done_fn done, void *ctx)
{
	zw_options opt;

	if (!zone_usable(z) || done == NULL || fqdn == NULL || (family != 4 && family != 6) ||
	    (addr != NULL && addr->family != family) || strlen(fqdn) >= DNS_NAME_TEXT_MAX)
		return false;
	zw_req *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return false;
	memcpy(r->fqdn, fqdn, strlen(fqdn) + 1);
	const dns_change c = { .fqdn = r->fqdn, .family = family, .addr = addr };
	normalise_options(opt_in, &opt);
	if (!prepare_req(r, z, &c)) {
		free(r);
		return false;
	}
	r->err = &r->own_err;
	r->done_fn = done;
	r->ctx = ctx;
	zw_queue *q = lock_queue(z, &opt);
	if (q == NULL) {
		free(r);
		return false;
	}
	r->q = q;
	enqueue(q, r);
	pthread_mutex_unlock(&q->mu);
	return true;
}

nsupd_err zw_replace(const dns_zone *z, const zw_options *opt, const char *fqdn,
		     const ip_addr *addr, dns_error *err)
{
	if (addr == NULL || (addr->family != 4 && addr->family != 6))
		return dns_replace(z, fqdn, addr, err);
	const dns_change c = {.fqdn = fqdn, .family = addr->family, .addr = addr};
	return submit(z, opt, &c, err);
}

nsupd_err zw_delete(const dns_zone *z, const zw_options *opt, const char *fqdn, int family,
		    dns_error *err)
{
	if (family != 4 && family != 6)
		return dns_delete(z, fqdn, family, err);
	const dns_change c = {.fqdn = fqdn, .family = family, .addr = NULL};
	return submit(z, opt, &c, err);
}

void zw_shutdown(void)
{
	pthread_mutex_lock(&reg_mu);
	for (zw_queue *q = queues; q != NULL; q = q->next) {
		pthread_mutex_lock(&q->mu);
		q->stop = true;
		pthread_mutex_unlock(&q->mu);
		uint64_t one = 1;
		if (write(q->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_error("zone %s: eventfd: %s", q->zone, strerror(errno));
	}
	while (n_queues > 0)
		pthread_cond_wait(&reg_cond, &reg_mu);
	pthread_mutex_unlock(&reg_mu);
}
