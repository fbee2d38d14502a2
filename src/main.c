/* nsupd: a dynamic DNS service. This file only picks the subcommand. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/secret.h"
#include "util/log.h"

static void usage(FILE *out)
{
	fputs("usage: nsupd [-c FILE] COMMAND [ARGS]\n"
	      "\n"
	      "commands:\n"
	      "  migrate                      create or upgrade the database schema\n"
	      "  migrate-db --from URL --to URL  copy everything but sessions into an empty database\n"
	      "  serve                        run the HTTP service until SIGTERM/SIGINT\n"
	      "  user add NAME --email ADDR [--staff] [--password-stdin]\n"
	      "  user set NAME [--staff yes|no] [--active yes|no]\n"
	      "  domain add ZONE --owner NAME --nameserver ADDR[:PORT] [--nameserver2 ADDR[:PORT]]\n"
	      "             --algorithm ALG --secret BASE64 [--public] [--unavailable]\n"
	      "  host add FQDN --owner NAME   print the new update secret\n"
	      "  host secret FQDN             make a new update secret and print it\n"
	      "  host set FQDN [--netmask-ipv4 N] [--netmask-ipv6 N] [--available yes|no]\n"
	      "                [--abuse yes|no] [--abuse-blocked yes|no]\n"
	      "  host show FQDN --json\n"
	      "  host delete FQDN             also delete its A/AAAA records in DNS\n"
	      "  host related add FQDN NAME [--interface-id-ipv4 ID] [--interface-id-ipv6 ID]\n"
	      "                [--unavailable] [--comment TEXT]\n"
	      "  host related delete FQDN NAME  also delete its A/AAAA records in DNS\n"
	      "  host related list FQDN [--json]\n"
	      "  host forward add FQDN --service NAME --login LOGIN --password-stdin\n"
	      "                [--hostname H] [--give-ipv4] [--give-ipv6] [--comment TEXT]\n"
	      "  host forward set FQDN ID [--hostname H | --no-hostname] [--login LOGIN]\n"
	      "                [--password-stdin] [--give-ipv4 yes|no] [--give-ipv6 yes|no]\n"
	      "                [--comment TEXT]   ID as shown by host forward list\n"
	      "  host forward delete FQDN ID  also drops its queued forwards\n"
	      "  host forward list FQDN [--json]  with the last result of each forward\n"
	      "  service add NAME --server HOST[:PORT] [--path PATH] [--no-tls]\n"
	      "                [--accept-ipv4] [--accept-ipv6] [--owner USER] [--comment TEXT]\n"
	      "  service set NAME [--name NEW] [--server HOST[:PORT]] [--path PATH] [--tls yes|no]\n"
	      "                [--accept-ipv4 yes|no] [--accept-ipv6 yes|no] [--comment TEXT]\n"
	      "  service delete NAME [--force]  --force: also its hosts' forwards to it\n"
	      "  service list [--json]\n"
	      "\n"
	      "maintenance (safe to run from cron while serve runs; see docs/admin-guide.md):\n"
	      "  faults [--show-client] [--show-server] [--show-api-auth] [--flag-abuse=N]\n"
	      "         [--notify-user] [--reset-client] [--reset-server] [--reset-api-auth]\n"
	      "         [--reset-abuse] [--reset-abuse-blocked] [--reset-available]\n"
	      "  domains [--check [--notify-user]] [--stale-check]\n"
	      "  hosts --stale-check [--notify-user]\n"
	      "  users [--stale-check]\n"
	      "  testuser                     recreate user 'test' (password 'test')\n"
	      "  clearsessions                delete expired web sessions\n"
	      "  cleanupregistration          delete accounts not activated within 7 days\n"
	      "  illegal [--min-hosts N] [--interactive]  hosts sharing an IPv4 address\n"
	      "  blacklist add REGEX [--owner USER] | list | delete REGEX\n"
	      "  mail flush | mail test ADDRESS  retry queued notices / check [mail]\n"
	      "\n"
	      "The configuration file is -c FILE, else $NSUPD_CONFIG, else ./nsupd.conf.\n",
	      out);
}

static const struct {
	const char *name;
	int (*run)(cli_ctx *, int, char **);
} commands[] = {
	{ "migrate", cli_migrate },
	{ "migrate-db", cli_migrate_db },
	{ "serve", cli_serve },
	{ "user", cli_user },
	{ "domain", cli_domain },
	{ "host", cli_host },
	{ "service", cli_service },
	{ "faults", cli_faults },
	{ "domains", cli_domains },
	{ "hosts", cli_hosts },
	{ "users", cli_users },
	{ "testuser", cli_testuser },
	{ "clearsessions", cli_clearsessions },
	{ "cleanupregistration", cli_cleanupregistration },
	{ "illegal", cli_illegal },
	{ "blacklist", cli_blacklist },
	{ "mail", cli_mail },
};

int main(int argc, char **argv)
{
	cli_ctx ctx = { 0 };
	const char *path = getenv("NSUPD_CONFIG");
	bool explicit_path = path != NULL && path[0] != '\0';
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				cli_error("%s needs a file name", argv[i]);
				return CLI_USAGE;
			}
			path = argv[++i];
			explicit_path = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return CLI_OK;
		} else {
			cli_error("unknown option %s (try --help)", argv[i]);
			return CLI_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!explicit_path)
		path = "nsupd.conf";
	ctx.config_path = path;

	int (*run)(cli_ctx *, int, char **) = NULL;
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			run = commands[k].run;
	if (run == NULL) {
		cli_error("unknown command '%s' (try --help)", argv[i]);
		return CLI_USAGE;
	}

	if (secret_init() != NSUPD_OK) {
		cli_error("cannot initialise the random number generator");
		return CLI_FAIL;
	}
	config_defaults(&ctx.cfg);
	/* A missing default file means "all defaults"; a file the operator
	 * named must exist. */
	FILE *probe = explicit_path ? NULL : fopen(path, "r");
	if (explicit_path || probe != NULL) {
		if (probe != NULL)
			fclose(probe);
		char errbuf[512] = "";
		if (config_load_file(&ctx.cfg, path, errbuf, sizeof(errbuf)) != NSUPD_OK) {
			cli_error("%s", errbuf[0] != '\0' ? errbuf : "cannot load the configuration");
			return CLI_FAIL;
		}
	}
	if (ctx.cfg.log_level != NULL) {
		static const char *const levels[] = { "debug", "info", "warning", "error" };
		for (int l = 0; l < 4; l++)
			if (strcmp(ctx.cfg.log_level, levels[l]) == 0)
				log_set_level((enum log_level)l);
	}

	/* getopt in the subcommands starts at argv[0] = the command name. */
	optind = 0;
	int status = run(&ctx, argc - i, argv + i);
	store_close(ctx.store);
	config_free(&ctx.cfg);
	return status;
}
