/* Subcommands of the nsupd binary. Each returns the process exit status
 * and prints at most one line to stderr on failure. */
#ifndef NSUPD_CLI_CLI_H
#define NSUPD_CLI_CLI_H

#include <stdbool.h>

#include <jansson.h>

#include "api/updater.h"
#include "config/config.h"
#include "store/store.h"

typedef struct cli_ctx {
	const char *config_path;
	nsupd_config cfg;
	store *store;          /* opened by cli_open_store() */
	nsupd_app app;
} cli_ctx;

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints "nsupd: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An option's yes/no value (str_to_bool's words); false after telling
 * what was wrong. */
bool cli_yes_no(const char *opt, const char *value, bool *out);

/* Opens the database named by the configuration; on failure prints the
 * reason and returns false. */
bool cli_open_store(cli_ctx *ctx);

/* Writes an audit log entry (actor "cli"), as the administration pages do
 * for the same change; before/after (may be NULL) are consumed. A failure
 * is only a warning: the change itself is done. */
void cli_audit(cli_ctx *ctx, const char *action, const char *object, json_t *before,
	       json_t *after);

int cli_migrate(cli_ctx *ctx, int argc, char **argv);
int cli_serve(cli_ctx *ctx, int argc, char **argv);
int cli_user(cli_ctx *ctx, int argc, char **argv);
int cli_domain(cli_ctx *ctx, int argc, char **argv);
int cli_host(cli_ctx *ctx, int argc, char **argv);
/* host related ... / host forward ... (cli_related.c), service ... (cli_service.c) */
int cli_host_related(cli_ctx *ctx, int argc, char **argv);
int cli_host_forward(cli_ctx *ctx, int argc, char **argv);
int cli_service(cli_ctx *ctx, int argc, char **argv);
int cli_migrate_db(cli_ctx *ctx, int argc, char **argv);
/* Maintenance jobs (spec section 6): cli_faults.c, cli_stale.c,
 * cli_illegal.c, cli_blacklist.c, cli_maint.c. */
int cli_faults(cli_ctx *ctx, int argc, char **argv);
int cli_domains(cli_ctx *ctx, int argc, char **argv);
int cli_hosts(cli_ctx *ctx, int argc, char **argv);
int cli_users(cli_ctx *ctx, int argc, char **argv);
int cli_testuser(cli_ctx *ctx, int argc, char **argv);
int cli_clearsessions(cli_ctx *ctx, int argc, char **argv);
int cli_cleanupregistration(cli_ctx *ctx, int argc, char **argv);
int cli_illegal(cli_ctx *ctx, int argc, char **argv);
int cli_blacklist(cli_ctx *ctx, int argc, char **argv);
int cli_mail(cli_ctx *ctx, int argc, char **argv);

#endif
