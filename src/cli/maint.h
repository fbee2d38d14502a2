/* Shared by the maintenance subcommands (cli_faults.c, cli_stale.c,
 * cli_illegal.c, cli_blacklist.c): the store, the mailer with the
 * recipient's language, and removing a host's records. Internal to
 * src/cli. */
#ifndef NSUPD_CLI_MAINT_H
#define NSUPD_CLI_MAINT_H

#include <stdbool.h>

#include "cli/cli.h"
#include "mail/mail.h"

typedef struct maint {
	cli_ctx *ctx;
	mailer mail;
	i18n *tr;
	int errors;            /* per-row failures, printed as they happen */
} maint;

/* Opens the store; with mail, loads the catalogs and first retries the
 * queued mails that are due. False (reason printed) when the store cannot
 * be opened. */
bool maint_begin(cli_ctx *ctx, maint *m, bool mail);
void maint_end(maint *m);

/* The site name for mail signatures. */
const char *maint_site(const maint *m);

/* Sends a notice to a user (language = the profile's); mail failures are
 * logged and queued by the mailer, never counted as errors. */
void maint_notify(maint *m, const char *email, const char *language,
		  void (*build)(const i18n_catalog *c, void *arg, mail_notice *out), void *arg);

/* Deletes the A/AAAA records of h (and prints a warning when that fails:
 * the row change stands either way). */
void maint_delete_records(maint *m, const store_host *h);

/* Deletes a user and everything it owns; first the DNS records of its
 * hosts (spec 3.8). */
nsupd_err maint_delete_user(maint *m, int64_t user_id);

/* Runs op again while the database stays locked (another process in a
 * long transaction): a cron job should wait a bit, not fail. */
#define MAINT_BUSY_RETRIES 5
#define MAINT_RETRY(e, call) \
	do { \
		for (int maint_try_ = 0; maint_try_ < MAINT_BUSY_RETRIES; maint_try_++) { \
			(e) = (call); \
			if ((e) != NSUPD_ERR_DB_BUSY) \
				break; \
		} \
	} while (0)

/* Prints "nsupd: <what>: <error>" to stderr and counts it. */
void maint_error(maint *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
