/* nsupd migrate-db --from URL --to URL: copies a whole installation to
 * another database (see store_copy_database). Sessions are not copied, so
 * users log in again afterwards. The URLs are never printed: they may hold
 * a password. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"

#define MIGRATE_DB_USAGE "usage: nsupd migrate-db --from URL --to URL"

int cli_migrate_db(cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *to = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		default:
			cli_error(MIGRATE_DB_USAGE);
			return CLI_USAGE;
		}
	}
	if (from == NULL || to == NULL || optind != argc) {
		cli_error(MIGRATE_DB_USAGE);
		return CLI_USAGE;
	}

	store_copy_report report;
	char errbuf[512] = "";
	nsupd_err e = store_copy_database(from, to, &report, errbuf, sizeof(errbuf));
	if (e != NSUPD_OK) {
		cli_error("migrate-db: %s", errbuf[0] != '\0' ? errbuf : nsupd_strerror(e));
		return CLI_FAIL;
	}
	long long total = 0;
	for (int i = 0; i < report.ntables; i++) {
		printf("%-30s %lld\n", report.tables[i].table, (long long)report.tables[i].rows);
		total += report.tables[i].rows;
	}
	printf("copied %lld rows in %d tables; source and target counts agree "
	       "(sessions are not copied)\n", total, report.ntables);
	return CLI_OK;
}
