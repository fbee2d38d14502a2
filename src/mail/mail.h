/* E-mail notices: plain-text mails through the SMTP server of the [mail]
 * configuration (libcurl), and the texts of the notices the maintenance
 * jobs send (spec section 8), translated into the recipient's language. A
 * mail the server does not take is logged and kept in the database's mail
 * queue; every later maintenance run retries it. Sending never aborts a
 * job: failures come back as errors to count, not to stop on. */
#ifndef NSUPD_MAIL_MAIL_H
#define NSUPD_MAIL_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "store/store.h"
#include "util/error.h"
#include "web/i18n.h"

#define MAIL_SUBJECT_MAX 512
#define MAIL_BODY_MAX 8192
#define MAIL_ADDR_MAX 256

/* ---- pure parts (unit-tested) ---- */

/* The subject as a header value: itself when it is printable ASCII, else
 * RFC 2047 "=?utf-8?B?...?=" words (each at most 75 bytes, never splitting
 * a UTF-8 sequence), folded with CRLF SP. False when out is too small. */
bool mail_encode_subject(const char *subject, char *out, size_t outsize);

/* The sender address: cfg->mail_from, else "nsupd@<base_domain>". */
void mail_from_address(const nsupd_config *cfg, char *out, size_t outsize);

/* Builds a whole RFC 5322 message: Date (of now), From, To, Subject,
 * Message-ID (msgid_token@<sender's domain>), MIME-Version, Content-Type
 * text/plain; charset=utf-8, Content-Transfer-Encoding 8bit, then the body
 * with every line ending as CRLF. NSUPD_ERR_INVALID when an address or the
 * subject holds CR or LF, or the message does not fit. Dot-stuffing is
 * left to libcurl. */
nsupd_err mail_format(const char *from, const char *to, const char *subject, const char *body,
		      int64_t now, const char *msgid_token, char *out, size_t outsize);

/* Replaces %(name)s in text with values[i] for names[i]; an unknown name
 * stays as written. False when out is too small (out is still a string). */
bool mail_expand(const char *text, const char *const *names, const char *const *values,
		 size_t n, char *out, size_t outsize);

/* The notices. c is the recipient's catalog (NULL = English); site is the
 * service's name for the signature. */
typedef struct mail_notice {
	char subject[MAIL_SUBJECT_MAX];
	char body[MAIL_BODY_MAX];
} mail_notice;
/* 8.1: faults --flag-abuse --notify-user */
void mail_notice_abuse(const i18n_catalog *c, const char *site, const char *fqdn,
		       const char *comment, int64_t faults, mail_notice *out);
/* 8.2: domains --check --notify-user */
void mail_notice_domain(const i18n_catalog *c, const char *site, const char *domain,
			mail_notice *out);
/* 8.3: hosts --stale-check --notify-user; stage as mail_stale_stage. */
enum mail_stale_stage { MAIL_STALE_FIX, MAIL_STALE_UNAVAILABLE, MAIL_STALE_DELETED };
void mail_notice_stale(const i18n_catalog *c, const char *site, const char *fqdn,
		       const char *comment, unsigned staleness, enum mail_stale_stage stage,
		       mail_notice *out);
/* The stage line ("Host X has not seen IP updates for a long time;
 * staleness: N -> please fix!") in English or translated. */
void mail_stale_issue(const i18n_catalog *c, const char *fqdn, unsigned staleness,
		      enum mail_stale_stage stage, char *out, size_t outsize);

/* ---- sending ---- */

typedef struct mailer {
	const nsupd_config *cfg;
	store *store;          /* for the queue; NULL = no retries */
	const i18n *tr;        /* catalogs; NULL = English only */
	int sent;              /* counters of this run */
	int queued;
	int dropped;
} mailer;

/* Loads the catalogs of [web] locale (or the default po/ directory) for
 * the notices; on failure logs and returns NULL (English only). */
i18n *mail_load_catalogs(const nsupd_config *cfg);
/* The catalog for a profile language ("" or unknown: NULL = English). */
const i18n_catalog *mail_catalog(const mailer *m, const char *language);

/* Sends one message now. err gets the reason on failure. */
nsupd_err mail_send_raw(const nsupd_config *cfg, const char *rcpt, const char *message,
			char *err, size_t errsize);

/* Formats and sends a notice to `to`; when the server does not take it,
 * logs why and queues it (NSUPD_ERR_IO), so it is retried later. With no
 * smtp_url configured nothing is sent (NSUPD_ERR_CONFIG, logged). */
nsupd_err mail_send(mailer *m, const char *to, const char *subject, const char *body);

/* Retries the queued mails that are due (all of them with all); a mail
 * older than 7 days is dropped (logged). *sent / *left (may be NULL): sent
 * now / still queued. */
nsupd_err mail_flush(mailer *m, int64_t now, bool all, int *sent, int *left);

#endif
