/* Helpers of the maintenance subcommands, and the small ones:
 * `clearsessions`, `cleanupregistration` and `mail`. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/maint.h"
#include "util/log.h"

/* Registrations not activated within this many days are removed (the
 * original's ACCOUNT_ACTIVATION_DAYS). */
#define ACTIVATION_DAYS 7

bool maint_begin(cli_ctx *ctx, maint *m, bool mail)
{
	memset(m, 0, sizeof(*m));
	m->ctx = ctx;
	if (!cli_open_store(ctx))
		return false;
	m->mail.cfg = &ctx->cfg;
	m->mail.store = ctx->store;
	if (mail) {
		m->tr = mail_load_catalogs(&ctx->cfg);
		m->mail.tr = m->tr;
		/* Notices an earlier run could not send go out first. */
		mail_flush(&m->mail, (int64_t)time(NULL), false, NULL, NULL);
	}
	return true;
}

void maint_end(maint *m)
{
	if (m->tr != NULL)
		i18n_free(m->tr);
	m->tr = NULL;
}

const char *maint_site(const maint *m)
{
	const char *s = m->ctx->cfg.site_name;
	return s != NULL && s[0] != '\0' ? s : "nsupd";
}

void maint_error(maint *m, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, "nsupd: %s\n", line);
	m->errors++;
}

void maint_notify(maint *m, const char *email, const char *language,
		  void (*build)(const i18n_catalog *c, void *arg, mail_notice *out), void *arg)
{
	if (email == NULL || email[0] == '\0') {
		log_warn("mail: user has no e-mail address; notice not sent");
		m->mail.dropped++;
		return;
	}
	mail_notice *n = malloc(sizeof(*n));
	if (n == NULL) {
		log_error("mail: out of memory");
		return;
	}
	build(mail_catalog(&m->mail, language), arg, n);
	mail_send(&m->mail, email, n->subject, n->body);
	free(n);
}

void maint_delete_records(maint *m, const store_host *h)
{
	store_domain d;
	nsupd_err e = store_domain_get(m->ctx->store, h->domain_id, &d);
	if (e != NSUPD_OK) {
		fprintf(stderr, "nsupd: warning: records of %s.%s not removed: domain: %s\n",
			h->name, h->domain, nsupd_strerror(e));
		return;
	}
	dns_error err;
	if (updater_delete_records(&m->ctx->app, h, &d, &err) != NSUPD_OK)
		fprintf(stderr, "nsupd: warning: records of %s.%s not removed: %s\n", h->name,
			h->domain, err.msg);
}

static bool no_args(int argc, char **argv, const char *usage)
{
	if (argc > 1) {
		cli_error("usage: %s", usage);
		return false;
	}
	(void)argv;
	return true;
}

int cli_clearsessions(cli_ctx *ctx, int argc, char **argv)
{
	if (!no_args(argc, argv, "nsupd clearsessions"))
		return CLI_USAGE;
	maint m;
	if (!maint_begin(ctx, &m, false))
		return CLI_FAIL;
	int64_t n = 0;
	nsupd_err e;
	MAINT_RETRY(e, store_session_delete_expired(ctx->store, (int64_t)time(NULL), &n));
	maint_end(&m);
	if (e != NSUPD_OK) {
		cli_error("clearsessions: %s", nsupd_strerror(e));
		return CLI_FAIL;
	}
	printf("clearsessions: deleted %lld expired sessions\n", (long long)n);
	return CLI_OK;
}

int cli_cleanupregistration(cli_ctx *ctx, int argc, char **argv)
{
	if (!no_args(argc, argv, "nsupd cleanupregistration"))
		return CLI_USAGE;
	maint m;
	if (!maint_begin(ctx, &m, false))
		return CLI_FAIL;
	int64_t n = 0;
	nsupd_err e;
	int64_t before = (int64_t)time(NULL) - ACTIVATION_DAYS * 86400;
	MAINT_RETRY(e, store_user_delete_unactivated(ctx->store, before, &n));
	maint_end(&m);
	if (e != NSUPD_OK) {
		cli_error("cleanupregistration: %s", nsupd_strerror(e));
		return CLI_FAIL;
	}
	printf("cleanupregistration: deleted %lld expired registrations\n", (long long)n);
	return CLI_OK;
}

/* `mail flush`: retries every queued mail now. `mail test ADDRESS`: sends
 * a test mail, to check the [mail] settings. */
int cli_mail(cli_ctx *ctx, int argc, char **argv)
{
	const char *usage = "usage: nsupd mail flush | mail test ADDRESS";
	if (argc >= 2 && strcmp(argv[1], "flush") == 0 && argc == 2) {
		maint m;
		if (!maint_begin(ctx, &m, false))
			return CLI_FAIL;
		int sent = 0, left = 0;
		nsupd_err e = mail_flush(&m.mail, (int64_t)time(NULL), true, &sent, &left);
		maint_end(&m);
		if (e != NSUPD_OK) {
			cli_error("mail flush: %s", nsupd_strerror(e));
			return CLI_FAIL;
		}
		printf("mail: %d sent, %d still queued, %d given up\n", sent, left, m.mail.dropped);
		return left == 0 ? CLI_OK : CLI_FAIL;
	}
	if (argc == 3 && strcmp(argv[1], "test") == 0) {
		char from[MAIL_ADDR_MAX];
		mail_from_address(&ctx->cfg, from, sizeof(from));
		char *msg = malloc(STORE_MAIL_MAX);
		if (msg == NULL)
			return CLI_FAIL;
		char body[512];
		snprintf(body, sizeof(body),
			 "This is a test mail of %s (nsupd mail test).\n"
			 "If you read this, the [mail] settings work.\n",
			 ctx->cfg.site_name != NULL ? ctx->cfg.site_name : "nsupd");
		char token[64];
		snprintf(token, sizeof(token), "test.%lld.%ld", (long long)time(NULL),
			 (long)getpid());
		nsupd_err e = mail_format(from, argv[2], "nsupd mail test", body,
					  (int64_t)time(NULL), token, msg, STORE_MAIL_MAX);
		char err[512] = "";
		if (e == NSUPD_OK)
			e = mail_send_raw(&ctx->cfg, argv[2], msg, err, sizeof(err));
		free(msg);
		if (e != NSUPD_OK) {
			cli_error("mail test to %s failed: %s", argv[2],
				  err[0] != '\0' ? err : nsupd_strerror(e));
			return CLI_FAIL;
		}
		printf("mail: test mail sent to %s\n", argv[2]);
		return CLI_OK;
	}
	cli_error("%s", usage);
	return CLI_USAGE;
}
