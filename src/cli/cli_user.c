#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/secret.h"
#include "util/strutil.h"

static bool valid_username(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 150)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("@.+-_", *p) == NULL)
			return false;
	return true;
}

static bool valid_email(const char *email)
{
	const char *at = strchr(email, '@');
	if (at == NULL || at == email || strchr(at + 1, '@') != NULL || strlen(email) > 254)
		return false;
	const char *dot = strrchr(at, '.');
	if (dot == NULL || dot == at + 1 || dot[1] == '\0')
		return false;
	for (const char *p = email; *p; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return false;
	return true;
}

static int user_add(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "staff", no_argument, NULL, 's' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *email = NULL;
	bool staff = false, password_stdin = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e': email = optarg; break;
		case 's': staff = true; break;
		case 'p': password_stdin = true; break;
		default: return CLI_USAGE;
		}
	}
	if (optind + 1 != argc) {
		cli_error("usage: nsupd user add NAME --email ADDR [--staff] [--password-stdin]");
		return CLI_USAGE;
	}
	const char *name = argv[optind];
	if (!valid_username(name)) {
		cli_error("invalid user name '%s': use 1-150 letters, digits and @.+-_", name);
		return CLI_FAIL;
	}
	if (email == NULL || !valid_email(email)) {
		cli_error("a valid --email address is required");
		return CLI_FAIL;
	}
	store_user u = { .staff = staff, .active = true, .created = (int64_t)time(NULL) };
	str_copy(u.name, name, sizeof(u.name));
	str_copy(u.email, email, sizeof(u.email));
	if (password_stdin) {
		char line[1024];
		if (fgets(line, sizeof(line), stdin) == NULL) {
			cli_error("--password-stdin: no password on standard input");
			return CLI_FAIL;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (strlen(line) < 8) {
			cli_error("password too short: use at least 8 characters");
			return CLI_FAIL;
		}
		nsupd_err e = password_hash(line, u.password_hash, sizeof(u.password_hash));
		memset(line, 0, sizeof(line));
		if (e != NSUPD_OK) {
			cli_error("cannot hash the password: %s", nsupd_strerror(e));
			return CLI_FAIL;
		}
	}
	if (!cli_open_store(ctx))
		return CLI_FAIL;
	int64_t id;
	nsupd_err e = store_user_add(ctx->store, &u, &id);
	if (e == NSUPD_ERR_EXISTS) {
		cli_error("user '%s' already exists", name);
		return CLI_FAIL;
	}
	if (e != NSUPD_OK) {
		cli_error("cannot add user '%s': %s", name, nsupd_strerror(e));
		return CLI_FAIL;
	}
	return CLI_OK;
}

int cli_user(cli_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return user_add(ctx, argc - 1, argv + 1);
	cli_error("usage: nsupd user add NAME --email ADDR [--staff] [--password-stdin]");
	return CLI_USAGE;
}
