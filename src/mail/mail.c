#include "mail/mail.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util/log.h"
#include "util/strutil.h"
#include "web/assets.h"

/* How long a queued mail is retried, and the pause after each failure
 * (doubling per attempt, capped): a daily cron then retries it daily, a
 * frequent one does not hammer a broken server. */
#define MAIL_GIVE_UP (7 * 86400)
#define MAIL_RETRY_MIN 300
#define MAIL_RETRY_MAX 21600
#define MAIL_FLUSH_BATCH 8

/* ---- pure parts ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t base64(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static bool plain_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* Appends to out (NUL-terminated) if it fits. */
static bool append(char *out, size_t outsize, size_t *len, const char *s, size_t n)
{
	if (*len + n >= outsize)
		return false;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
	return true;
}

bool mail_encode_subject(const char *subject, char *out, size_t outsize)
{
	if (outsize == 0)
		return false;
	out[0] = '\0';
	if (plain_ascii(subject))
		return str_copy(out, subject, outsize) < outsize;
	/* 45 input bytes make 60 base64 characters: with "=?utf-8?B?" and
	 * "?=" the word stays within RFC 2047's 75. */
	size_t len = 0, n = strlen(subject), i = 0;
	bool first = true;
	while (i < n) {
		size_t take = n - i < 45 ? n - i : 45;
		/* Never end a word inside a UTF-8 sequence. */
		while (take > 0 && i + take < n &&
		       ((unsigned char)subject[i + take] & 0xC0) == 0x80)
			take--;
		if (take == 0)
			take = n - i < 45 ? n - i : 45;
		char word[80];
		size_t wl = (size_t)snprintf(word, sizeof(word), "%s=?utf-8?B?", first ? "" : "\r\n ");
		wl += base64((const unsigned char *)subject + i, take, word + wl);
		memcpy(word + wl, "?=", 3);
		wl += 2;
		if (!append(out, outsize, &len, word, wl))
			return false;
		i += take;
		first = false;
	}
	return true;
}

void mail_from_address(const nsupd_config *cfg, char *out, size_t outsize)
{
	if (cfg->mail_from != NULL && cfg->mail_from[0] != '\0')
		str_copy(out, cfg->mail_from, outsize);
	else
		snprintf(out, outsize, "nsupd@%s",
			 cfg->base_domain != NULL && cfg->base_domain[0] != '\0'
				 ? cfg->base_domain : "localhost");
}

static bool has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

nsupd_err mail_format(const char *from, const char *to, const char *subject, const char *body,
		      int64_t now, const char *msgid_token, char *out, size_t outsize)
{
	if (from == NULL || to == NULL || subject == NULL || body == NULL || out == NULL ||
	    outsize == 0 || has_crlf(from) || has_crlf(to) || has_crlf(subject) ||
	    from[0] == '\0' || to[0] == '\0')
		return NSUPD_ERR_INVALID;
	char enc[MAIL_SUBJECT_MAX * 3];
	if (!mail_encode_subject(subject, enc, sizeof(enc)))
		return NSUPD_ERR_INVALID;
	char date[64];
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	/* strftime's %a/%b follow the locale; the CLI never sets one, but
	 * RFC 5322 wants English names whatever happens. */
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	snprintf(date, sizeof(date), "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
		 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		 tm.tm_sec);
	const char *at = strrchr(from, '@');
	const char *domain = at != NULL && at[1] != '\0' ? at + 1 : "localhost";
	int n = snprintf(out, outsize,
			 "Date: %s\r\n"
			 "From: %s\r\n"
			 "To: %s\r\n"
			 "Subject: %s\r\n"
			 "Message-ID: <%s@%s>\r\n"
			 "MIME-Version: 1.0\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: 8bit\r\n"
			 "\r\n",
			 date, from, to, enc, msgid_token != NULL ? msgid_token : "0", domain);
	if (n < 0 || (size_t)n >= outsize)
		return NSUPD_ERR_INVALID;
	size_t len = (size_t)n;
	for (const char *p = body; *p; p++) {
		if (*p == '\r')
			continue;
		bool ok = *p == '\n' ? append(out, outsize, &len, "\r\n", 2)
				     : append(out, outsize, &len, p, 1);
		if (!ok)
			return NSUPD_ERR_INVALID;
	}
	if (len < 2 || memcmp(out + len - 2, "\r\n", 2) != 0)
		if (!append(out, outsize, &len, "\r\n", 2))
			return NSUPD_ERR_INVALID;
	return NSUPD_OK;
}

bool mail_expand(const char *text, const char *const *names, const char *const *values,
		 size_t n, char *out, size_t outsize)
{
	size_t len = 0;
	bool ok = true;
	if (outsize == 0)
		return false;
	out[0] = '\0';
	for (const char *p = text; *p;) {
		if (p[0] == '%' && p[1] == '(') {
			const char *end = strstr(p + 2, ")s");
			bool done = false;
			for (size_t i = 0; end != NULL && i < n; i++) {
				size_t nl = strlen(names[i]);
				if ((size_t)(end - (p + 2)) == nl && memcmp(p + 2, names[i], nl) == 0) {
					const char *v = values[i] != NULL ? values[i] : "";
					ok = append(out, outsize, &len, v, strlen(v)) && ok;
					p = end + 2;
					done = true;
					break;
				}
			}
			if (done)
				continue;
		}
		ok = append(out, outsize, &len, p, 1) && ok;
		p++;
	}
	return ok;
}

/* ---- sending ---- */

i18n *mail_load_catalogs(const nsupd_config *cfg)
{
	char dir[4096];
	if (cfg->web_locale != NULL && cfg->web_locale[0] != '\0')
		str_copy(dir, cfg->web_locale, sizeof(dir));
	else
		assets_default_dir("po", dir, sizeof(dir), NULL, 0);
	i18n *t = NULL;
	if (i18n_new(&t) != NSUPD_OK)
		return NULL;
	char err[512] = "";
	if (assets_load_catalogs(t, dir, err, sizeof(err)) != NSUPD_OK) {
		log_warn("mail: translations not loaded from %s: %s; notices are in English", dir,
			 err[0] != '\0' ? err : "error");
		i18n_free(t);
		return NULL;
	}
	return t;
}

const i18n_catalog *mail_catalog(const mailer *m, const char *language)
{
	if (m == NULL || m->tr == NULL || language == NULL || language[0] == '\0')
		return NULL;
	return i18n_catalog_get(m->tr, language);
}

struct upload {
	const char *data;
	size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *userp)
{
	struct upload *u = userp;
	size_t room = size * nmemb;
	size_t n = u->left < room ? u->left : room;
	memcpy(buf, u->data, n);
	u->data += n;
	u->left -= n;
	return n;
}

static void angle(char *out, size_t size, const char *addr)
{
	snprintf(out, size, "<%s>", addr);
}

nsupd_err mail_send_raw(const nsupd_config *cfg, const char *rcpt, const char *message,
			char *err, size_t errsize)
{
	if (errsize > 0)
		err[0] = '\0';
	if (cfg->mail_smtp_url == NULL || cfg->mail_smtp_url[0] == '\0') {
		snprintf(err, errsize, "no [mail] smtp_url configured");
		return NSUPD_ERR_CONFIG;
	}
	if (rcpt == NULL || rcpt[0] == '\0' || has_crlf(rcpt) || strchr(rcpt, '@') == NULL) {
		snprintf(err, errsize, "bad recipient address");
		return NSUPD_ERR_INVALID;
	}
	static bool curl_ready = false;
	if (!curl_ready) {
		/* Once per process; the CLI is single-threaded here. */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, errsize, "cannot initialise libcurl");
			return NSUPD_ERR_INTERNAL;
		}
		curl_ready = true;
	}
	CURL *c = curl_easy_init();
	if (c == NULL) {
		snprintf(err, errsize, "cannot initialise libcurl");
		return NSUPD_ERR_NOMEM;
	}
	char from[MAIL_ADDR_MAX], from_env[MAIL_ADDR_MAX + 2], to_env[MAIL_ADDR_MAX + 2];
	mail_from_address(cfg, from, sizeof(from));
	angle(from_env, sizeof(from_env), from);
	angle(to_env, sizeof(to_env), rcpt);
	struct curl_slist *rcpts = curl_slist_append(NULL, to_env);
	struct upload up = { message, strlen(message) };
	char curl_err[CURL_ERROR_SIZE] = "";
	long timeout = cfg->mail_timeout != 0 ? (long)cfg->mail_timeout : 30;

	curl_easy_setopt(c, CURLOPT_URL, cfg->mail_smtp_url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from_env);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout < 10 ? timeout : 10L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (cfg->mail_starttls)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (cfg->mail_username != NULL && cfg->mail_username[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->mail_username);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
				 cfg->mail_password != NULL ? cfg->mail_password : "");
	}
	CURLcode rc = rcpts == NULL ? CURLE_OUT_OF_MEMORY : curl_easy_perform(c);
	nsupd_err e = NSUPD_OK;
	if (rc != CURLE_OK) {
		long code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code != 0)
			snprintf(err, errsize, "%s (SMTP %ld)",
				 curl_err[0] != '\0' ? curl_err : curl_easy_strerror(rc), code);
		else
			snprintf(err, errsize, "%s",
				 curl_err[0] != '\0' ? curl_err : curl_easy_strerror(rc));
		e = NSUPD_ERR_IO;
	}
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(c);
	return e;
}

static void random_token(char *out, size_t size)
{
	unsigned char r[12];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));
	size_t o = (size_t)snprintf(out, size, "%lld.", (long long)time(NULL));
	for (size_t i = 0; i < sizeof(r) && o + 2 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%02x", r[i]);
}

static int64_t retry_delay(int attempts)
{
	int64_t d = MAIL_RETRY_MIN;
	for (int i = 1; i < attempts && d < MAIL_RETRY_MAX; i++)
		d *= 2;
	return d < MAIL_RETRY_MAX ? d : MAIL_RETRY_MAX;
}

nsupd_err mail_send(mailer *m, const char *to, const char *subject, const char *body)
{
	const nsupd_config *cfg = m->cfg;
	if (cfg->mail_smtp_url == NULL || cfg->mail_smtp_url[0] == '\0') {
		log_warn("mail: no [mail] smtp_url configured; notice \"%s\" to %s not sent", subject,
			 to);
		m->dropped++;
		return NSUPD_ERR_CONFIG;
	}
	char from[MAIL_ADDR_MAX], token[64];
	mail_from_address(cfg, from, sizeof(from));
	random_token(token, sizeof(token));
	char *msg = malloc(STORE_MAIL_MAX);
	if (msg == NULL)
		return NSUPD_ERR_NOMEM;
	int64_t now = (int64_t)time(NULL);
	nsupd_err e = mail_format(from, to, subject, body, now, token, msg, STORE_MAIL_MAX);
	if (e != NSUPD_OK) {
		log_error("mail: cannot build notice \"%s\" to %s (bad address or too long)", subject,
			  to);
		m->dropped++;
		free(msg);
		return e;
	}
	char err[512];
	e = mail_send_raw(cfg, to, msg, err, sizeof(err));
	if (e == NSUPD_OK) {
		m->sent++;
		log_info("mail: sent \"%s\" to %s", subject, to);
	} else if (e == NSUPD_ERR_INVALID || m->store == NULL) {
		log_error("mail: notice \"%s\" to %s not sent: %s", subject, to, err);
		m->dropped++;
	} else {
		nsupd_err qe = store_mail_enqueue(m->store, to, msg, now, now + retry_delay(1), err);
		if (qe == NSUPD_OK) {
			m->queued++;
			log_warn("mail: notice \"%s\" to %s not sent: %s; queued for a later retry",
				 subject, to, err);
		} else {
			m->dropped++;
			log_error("mail: notice \"%s\" to %s not sent: %s; cannot queue it: %s",
				  subject, to, err, nsupd_strerror(qe));
		}
		e = NSUPD_ERR_IO;
	}
	free(msg);
	return e;
}

nsupd_err mail_flush(mailer *m, int64_t now, bool all, int *sent, int *left)
{
	int n_sent = 0;
	nsupd_err e = NSUPD_OK;
	if (m->store == NULL)
		goto out;
	if (all && (e = store_mail_make_due(m->store, now)) != NSUPD_OK)
		return e;
	store_mail *batch = malloc(MAIL_FLUSH_BATCH * sizeof(*batch));
	if (batch == NULL)
		return NSUPD_ERR_NOMEM;
	for (;;) {
		size_t n = 0;
		/* The lease outlasts the sends of one batch, so a crash leaves
		 * the mails to a later run rather than losing them. */
		int64_t lease = (int64_t)(m->cfg->mail_timeout + 5) * MAIL_FLUSH_BATCH;
		e = store_mail_claim(m->store, now, lease, batch, MAIL_FLUSH_BATCH, &n);
		if (e != NSUPD_OK || n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			store_mail *ml = &batch[i];
			char err[512];
			nsupd_err se = mail_send_raw(m->cfg, ml->rcpt, ml->message, err, sizeof(err));
			if (se == NSUPD_OK) {
				store_mail_done(m->store, ml->id);
				n_sent++;
				m->sent++;
				log_info("mail: queued mail to %s sent (attempt %d)", ml->rcpt,
					 ml->attempts);
			} else if (now - ml->created >= MAIL_GIVE_UP || se == NSUPD_ERR_INVALID) {
				store_mail_done(m->store, ml->id);
				m->dropped++;
				log_error("mail: giving up on the mail to %s queued at %lld after %d "
					  "attempts: %s", ml->rcpt, (long long)ml->created,
					  ml->attempts, err);
			} else {
				store_mail_retry(m->store, ml->id, now + retry_delay(ml->attempts),
						 err);
				log_warn("mail: queued mail to %s still not sent (attempt %d): %s",
					 ml->rcpt, ml->attempts, err);
			}
		}
		if (n < MAIL_FLUSH_BATCH)
			break;
	}
	free(batch);
out:
	if (sent != NULL)
		*sent = n_sent;
	if (left != NULL) {
		int64_t q = 0;
		if (m->store != NULL)
			store_mail_count(m->store, &q);
		*left = (int)q;
	}
	return e;
}
