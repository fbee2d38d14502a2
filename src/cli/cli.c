#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/strutil.h"

void cli_error(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "nsupd: %s\n", line);
}

bool cli_yes_no(const char *opt, const char *value, bool *out)
{
	if (str_to_bool(value, out))
		return true;
	cli_error("%s wants yes or no, not '%s'", opt, value);
	return false;
}

bool cli_open_store(cli_ctx *ctx)
{
	char errbuf[512] = "";
	nsupd_err e = store_open(ctx->cfg.database_url, &ctx->store, errbuf, sizeof(errbuf));
	if (e != NSUPD_OK) {
		cli_error("cannot open database %s: %s", ctx->cfg.database_url,
			  errbuf[0] != '\0' ? errbuf : nsupd_strerror(e));
		return false;
	}
	ctx->app.cfg = &ctx->cfg;
	ctx->app.store = ctx->store;
	return true;
}

void cli_audit(cli_ctx *ctx, const char *action, const char *object, json_t *before,
	       json_t *after)
{
	char *b = before != NULL ? json_dumps(before, JSON_COMPACT) : NULL;
	char *a = after != NULL ? json_dumps(after, JSON_COMPACT) : NULL;
	store_audit entry = { .actor = "cli", .action = action, .object = object,
			      .before = b, .after = a };
	nsupd_err e = store_audit_add(ctx->store, &entry);
	if (e != NSUPD_OK)
		cli_error("warning: the change is done but the audit log could not be written: %s",
			  nsupd_strerror(e));
	free(b);
	free(a);
	json_decref(before);
	json_decref(after);
}

int cli_migrate(cli_ctx *ctx, int argc, char **argv)
{
	if (argc > 1) {
		cli_error("migrate takes no arguments");
		return CLI_USAGE;
	}
	if (!cli_open_store(ctx))
		return CLI_FAIL;
	nsupd_err e = store_migrate(ctx->store);
	if (e != NSUPD_OK) {
		cli_error("migration failed: %s", nsupd_strerror(e));
		return CLI_FAIL;
	}
	int version = 0, latest = 0;
	if (store_schema_version(ctx->store, &version, &latest) == NSUPD_OK)
		printf("database schema at version %d\n", version);
	return CLI_OK;
}
