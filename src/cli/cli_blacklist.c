/* `nsupd blacklist add|list|delete`: regular expressions (POSIX extended)
 * that new host names must not match; checked by `host add` and the web
 * form (store_blacklist_match). */
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "cli/maint.h"
#include "util/strutil.h"

#define BL_USAGE "usage: nsupd blacklist add REGEX [--owner USER] | list | delete REGEX"

static bool print_entry(const store_blacklist *b, void *ctx)
{
	int *n = ctx;
	printf("%s\n", b->name_re);
	(*n)++;
	return true;
}

int cli_blacklist(cli_ctx *ctx, int argc, char **argv)
{
	const char *sub = argc >= 2 ? argv[1] : "";
	argc--;
	argv++;
	static const struct option opts[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *owner = NULL;
	bool bad = false;
	int c;
	optind = 0;
	opterr = 0;   /* one line on stderr: the usage */
	while (argc > 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			owner = optarg;
		else
			bad = true;
	}
	if (bad) {
		cli_error(BL_USAGE);
		return CLI_USAGE;
	}
	int npos = argc - optind;
	char **pos = argv + optind;

	if (strcmp(sub, "list") == 0 && npos == 0 && owner == NULL) {
		if (!cli_open_store(ctx))
			return CLI_FAIL;
		int n = 0;
		nsupd_err e = store_blacklist_each(ctx->store, print_entry, &n);
		if (e != NSUPD_OK) {
			cli_error("blacklist: %s", nsupd_strerror(e));
			return CLI_FAIL;
		}
		return CLI_OK;
	}
	if (strcmp(sub, "add") == 0 && npos == 1) {
		const char *re = pos[0];
		regex_t rx;
		int rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char why[256];
			regerror(rc, &rx, why, sizeof(why));
			cli_error("invalid regular expression '%s': %s", re, why);
			return CLI_FAIL;
		}
		regfree(&rx);
		if (strlen(re) >= STORE_NAME_MAX) {
			cli_error("regular expression longer than %d bytes", STORE_NAME_MAX - 1);
			return CLI_FAIL;
		}
		if (!cli_open_store(ctx))
			return CLI_FAIL;
		int64_t owner_id = 0;
		nsupd_err e;
		if (owner != NULL) {
			store_user u;
			e = store_user_get_by_name(ctx->store, owner, &u);
			if (e != NSUPD_OK) {
				cli_error(e == NSUPD_ERR_NOT_FOUND ? "no user '%s'"
								   : "cannot look up user '%s'", owner);
				return CLI_FAIL;
			}
			owner_id = u.id;
		} else if ((e = store_service_default_owner(ctx->store, &owner_id)) != NSUPD_OK) {
			cli_error("blacklist add: no user to own the entry (add one first): %s",
				  nsupd_strerror(e));
			return CLI_FAIL;
		}
		e = store_blacklist_add(ctx->store, re, owner_id, NULL);
		if (e == NSUPD_ERR_EXISTS) {
			cli_error("'%s' is already blacklisted", re);
			return CLI_FAIL;
		}
		if (e != NSUPD_OK) {
			cli_error("blacklist add: %s", nsupd_strerror(e));
			return CLI_FAIL;
		}
		return CLI_OK;
	}
	if (strcmp(sub, "delete") == 0 && npos == 1 && owner == NULL) {
		if (!cli_open_store(ctx))
			return CLI_FAIL;
		nsupd_err e = store_blacklist_delete(ctx->store, pos[0]);
		if (e == NSUPD_ERR_NOT_FOUND) {
			cli_error("'%s' is not blacklisted", pos[0]);
			return CLI_FAIL;
		}
		if (e != NSUPD_OK) {
			cli_error("blacklist delete: %s", nsupd_strerror(e));
			return CLI_FAIL;
		}
		return CLI_OK;
	}
	cli_error(BL_USAGE);
	return CLI_USAGE;
}
