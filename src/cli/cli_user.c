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

#define USER_SET_USAGE "usage: nsupd user set NAME [--staff yes|no] [--active yes|no]"

/* Staff status and activation, as the administration pages change them,
 * for the first administrator and for scripts. Written to the audit log
 * (actor "cli") like a change on those pages. */
static int user_set(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "staff", required_argument, NULL, 's' },
		{ "active", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	bool set_staff = false, staff = false, set_active = false, active = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!str_to_bool(optarg, &staff)) {
				cli_error("--staff wants yes or no, not '%s'", optarg);
				return CLI_USAGE;
			}
			set_staff = true;
			break;
		case 'a':
			if (!str_to_bool(optarg, &active)) {
				cli_error("--active wants yes or no, not '%s'", optarg);
				return CLI_USAGE;
			}
			set_active = true;
			break;
		default:
			return CLI_USAGE;
		}
	}
	if (optind + 1 != argc || (!set_staff && !set_active)) {
		cli_error(USER_SET_USAGE);
		return CLI_USAGE;
	}
	const char *name = argv[optind];
	if (!cli_open_store(ctx))
		return CLI_FAIL;
	store_user u;
	nsupd_err e = store_user_get_by_name(ctx->store, name, &u);
	if (e == NSUPD_ERR_NOT_FOUND) {
		cli_error("no user '%s'", name);
		return CLI_FAIL;
	}
	if (e != NSUPD_OK) {
		cli_error("cannot read user '%s': %s", name, nsupd_strerror(e));
		return CLI_FAIL;
	}
	store_admin_set set[2];
	size_t n = 0;
	char before[64] = "", after[64] = "";
	if (set_staff) {
		set[n++] = (store_admin_set){ "staff", NULL, staff };
		snprintf(before, sizeof(before), "\"staff\":%s", u.staff ? "true" : "false");
		snprintf(after, sizeof(after), "\"staff\":%s", staff ? "true" : "false");
	}
	if (set_active) {
		set[n++] = (store_admin_set){ "active", NULL, active };
		size_t bl = strlen(before), al = strlen(after);
		snprintf(before + bl, sizeof(before) - bl, "%s\"active\":%s", bl ? "," : "",
			 u.active ? "true" : "false");
		snprintf(after + al, sizeof(after) - al, "%s\"active\":%s", al ? "," : "",
			 active ? "true" : "false");
	}
	e = store_admin_update(ctx->store, STORE_ADM_USER, u.id, set, n);
	if (e != NSUPD_OK) {
		cli_error("cannot change user '%s': %s", name, nsupd_strerror(e));
		return CLI_FAIL;
	}
	/* A deactivated user's open sessions end now, not at their expiry. */
	if (set_active && !active && store_session_delete_user(ctx->store, u.id, NULL) != NSUPD_OK)
		cli_error("warning: the sessions of '%s' could not be ended", name);
	char b[80], a[80], object[200];
	snprintf(b, sizeof(b), "{%s}", before);
	snprintf(a, sizeof(a), "{%s}", after);
	snprintf(object, sizeof(object), "user %lld %s", (long long)u.id, u.name);
	store_audit entry = { .actor = "cli", .action = "user.change", .object = object,
			      .before = b, .after = a };
	e = store_audit_add(ctx->store, &entry);
	if (e != NSUPD_OK)
		cli_error("warning: the change is done but the audit log could not be written: %s",
			  nsupd_strerror(e));
	return CLI_OK;
}

int cli_user(cli_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return user_add(ctx, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "set") == 0)
		return user_set(ctx, argc - 1, argv + 1);
	cli_error("usage: nsupd user add NAME --email ADDR [--staff] [--password-stdin] | "
		  "user set NAME [--staff yes|no] [--active yes|no]");
	return CLI_USAGE;
}
