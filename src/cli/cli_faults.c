/* `nsupd faults`: show and reset the fault counters, flag abusers (spec
 * section 6). Each host is one short transaction (store_host_faults), so
 * the job can run while `serve` counts new faults: nothing it did not mean
 * to reset is ever overwritten. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/maint.h"
#include "util/strutil.h"

#define FAULTS_USAGE \
	"usage: nsupd faults [--show-client] [--show-server] [--show-api-auth] " \
	"[--flag-abuse=N] [--notify-user] [--reset-client] [--reset-server] " \
	"[--reset-api-auth] [--reset-abuse] [--reset-abuse-blocked] [--reset-available]"

struct abuse_arg {
	const char *fqdn;
	const char *comment;
	int64_t faults;
	const char *site;
};

static void build_abuse(const i18n_catalog *c, void *arg, mail_notice *out)
{
	struct abuse_arg *a = arg;
	mail_notice_abuse(c, a->site, a->fqdn, a->comment, a->faults, out);
}

int cli_faults(cli_ctx *ctx, int argc, char **argv)
{
	enum {
		O_SHOW_CLIENT = 1, O_SHOW_SERVER, O_SHOW_API, O_FLAG, O_NOTIFY, O_R_CLIENT,
		O_R_SERVER, O_R_API, O_R_ABUSE, O_R_BLOCKED, O_R_AVAIL,
	};
	static const struct option opts[] = {
		{ "show-client", no_argument, NULL, O_SHOW_CLIENT },
		{ "show-server", no_argument, NULL, O_SHOW_SERVER },
		{ "show-api-auth", no_argument, NULL, O_SHOW_API },
		{ "flag-abuse", required_argument, NULL, O_FLAG },
		{ "notify-user", no_argument, NULL, O_NOTIFY },
		{ "reset-client", no_argument, NULL, O_R_CLIENT },
		{ "reset-server", no_argument, NULL, O_R_SERVER },
		{ "reset-api-auth", no_argument, NULL, O_R_API },
		{ "reset-abuse", no_argument, NULL, O_R_ABUSE },
		{ "reset-abuse-blocked", no_argument, NULL, O_R_BLOCKED },
		{ "reset-available", no_argument, NULL, O_R_AVAIL },
		{ NULL, 0, NULL, 0 },
	};
	bool show_client = false, show_server = false, show_api = false, notify = false;
	store_faults_op op = { .flag_abuse_over = -1 };
	long n;
	int c;
	optind = 0;
	opterr = 0;   /* one line on stderr: the usage */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_SHOW_CLIENT: show_client = true; break;
		case O_SHOW_SERVER: show_server = true; break;
		case O_SHOW_API: show_api = true; break;
		case O_FLAG:
			if (!str_to_long(optarg, 0, 2147483647L, &n)) {
				cli_error("--flag-abuse: expected a number of client faults, got '%s'",
					  optarg);
				return CLI_USAGE;
			}
			op.flag_abuse_over = n;
			break;
		case O_NOTIFY: notify = true; break;
		case O_R_CLIENT: op.reset_client = true; break;
		case O_R_SERVER: op.reset_server = true; break;
		case O_R_API: op.reset_api_auth = true; break;
		case O_R_ABUSE: op.reset_abuse = true; break;
		case O_R_BLOCKED: op.reset_abuse_blocked = true; break;
		case O_R_AVAIL: op.reset_available = true; break;
		default:
			cli_error(FAULTS_USAGE);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		cli_error(FAULTS_USAGE);
		return CLI_USAGE;
	}
	bool show = show_client || show_server || show_api;
	bool resets = op.reset_client || op.reset_server || op.reset_api_auth || op.reset_abuse ||
		      op.reset_abuse_blocked || op.reset_available;
	bool change = resets || op.flag_abuse_over >= 0;

	maint m;
	if (!maint_begin(ctx, &m, notify))
		return CLI_FAIL;
	int64_t *ids = NULL;
	size_t nids = 0;
	nsupd_err e;
	MAINT_RETRY(e, store_host_ids(ctx->store, &ids, &nids));
	if (e != NSUPD_OK) {
		cli_error("faults: cannot list the hosts: %s", nsupd_strerror(e));
		maint_end(&m);
		return CLI_FAIL;
	}
	int flagged_n = 0, changed_n = 0;
	store_host_info *hi = malloc(sizeof(*hi));
	if (hi == NULL) {
		free(ids);
		maint_end(&m);
		return CLI_FAIL;
	}
	for (size_t i = 0; i < nids; i++) {
		MAINT_RETRY(e, store_host_info_get(ctx->store, ids[i], hi));
		if (e == NSUPD_ERR_NOT_FOUND)
			continue;       /* deleted meanwhile */
		if (e != NSUPD_OK) {
			maint_error(&m, "faults: host %lld: %s", (long long)ids[i],
				    nsupd_strerror(e));
			continue;
		}
		const store_host *h = &hi->host;
		if (show) {
			if (show_client)
				printf("%-6lld ", (long long)h->client_faults);
			if (show_server)
				printf("%-6lld ", (long long)h->server_faults);
			if (show_api)
				printf("%-6lld ", (long long)h->api_auth_faults);
			printf("%s %s.%s\n", hi->owner_name, h->name, h->domain);
		}
		if (!change)
			continue;
		bool flagged = false;
		int64_t faults = 0;
		MAINT_RETRY(e, store_host_faults(ctx->store, h->id, &op, &flagged, &faults));
		if (e == NSUPD_ERR_NOT_FOUND)
			continue;
		if (e != NSUPD_OK) {
			maint_error(&m, "faults: host %s.%s: %s", h->name, h->domain,
				    nsupd_strerror(e));
			continue;
		}
		changed_n++;
		if (!flagged)
			continue;
		flagged_n++;
		char fqdn[STORE_NAME_MAX + 64];
		snprintf(fqdn, sizeof(fqdn), "%s.%s", h->name, h->domain);
		printf("Setting abuse flag for host %s (created by %s, client faults: %lld)\n", fqdn,
		       hi->owner_name, (long long)faults);
		fflush(stdout);
		/* A flagged host stops resolving at once (spec 3.8), even if
		 * a reset in this same run clears the flag again. */
		maint_delete_records(&m, h);
		if (notify) {
			struct abuse_arg a = { fqdn, h->comment, faults, maint_site(&m) };
			maint_notify(&m, hi->owner_email, hi->owner_language, build_abuse, &a);
		}
	}
	free(hi);
	free(ids);
	printf("faults: %zu hosts, %d changed, %d flagged as abuse, %d mails sent, %d queued, "
	       "%d errors\n", nids, changed_n, flagged_n, m.mail.sent, m.mail.queued, m.errors);
	maint_end(&m);
	return m.errors == 0 ? CLI_OK : CLI_FAIL;
}
