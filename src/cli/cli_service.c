/* nsupd service add|set|delete|list: the other dyndns2 services hosts may
 * forward to. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/fwdpolicy.h"
#include "util/strutil.h"

#define SERVICE_USAGE \
	"usage: nsupd service add NAME --server HOST[:PORT] [--path PATH] [--no-tls] " \
	"[--accept-ipv4] [--accept-ipv6] [--owner USER] [--comment TEXT] | " \
	"set NAME [--name NEW] [--server HOST[:PORT]] [--path PATH] [--tls yes|no] " \
	"[--accept-ipv4 yes|no] [--accept-ipv6 yes|no] [--comment TEXT] | " \
	"delete NAME [--force] | list [--json]"

static int service_add(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "path", required_argument, NULL, 'p' },
		{ "no-tls", no_argument, NULL, 'n' },
		{ "accept-ipv4", no_argument, NULL, '4' },
		{ "accept-ipv6", no_argument, NULL, '6' },
		{ "owner", required_argument, NULL, 'o' },
		{ "comment", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	store_service sv = { .secure = true };
	const char *server = NULL, *path = "/nic/update", *owner = NULL, *comment = "";
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 'p': path = optarg; break;
		case 'n': sv.secure = false; break;
		case '4': sv.accept_ipv4 = true; break;
		case '6': sv.accept_ipv6 = true; break;
		case 'o': owner = optarg; break;
		case 'c': comment = optarg; break;
		default: return CLI_USAGE;
		}
	}
	if (optind + 1 != argc || server == NULL) {
		cli_error(SERVICE_USAGE);
		return CLI_USAGE;
	}
	const char *name = argv[optind];
	if (name[0] == '\0' || str_copy(sv.name, name, sizeof(sv.name)) >= sizeof(sv.name)) {
		cli_error("invalid service name '%s': 1 to %zu characters", name,
			  sizeof(sv.name) - 1);
		return CLI_FAIL;
	}
	if (strlen(server) >= sizeof(sv.server) || !fwd_server_valid(server)) {
		cli_error("invalid --server '%s': give HOST or HOST:PORT ([IPv6]:PORT for an "
			  "IPv6 address), without scheme or path", server);
		return CLI_FAIL;
	}
	if (strlen(path) >= sizeof(sv.path) || !fwd_path_valid(path)) {
		cli_error("invalid --path '%s': it must start with '/' and contain no spaces",
			  path);
		return CLI_FAIL;
	}
	if (strlen(comment) >= sizeof(sv.comment)) {
		cli_error("--comment is longer than %zu bytes", sizeof(sv.comment) - 1);
		return CLI_FAIL;
	}
	str_copy(sv.server, server, sizeof(sv.server));
	str_copy(sv.path, path, sizeof(sv.path));
	str_copy(sv.comment, comment, sizeof(sv.comment));
	if (!sv.accept_ipv4 && !sv.accept_ipv6)
		fprintf(stderr, "nsupd: warning: neither --accept-ipv4 nor --accept-ipv6: nothing "
			"will be forwarded to '%s'\n", sv.name);
	if (!cli_open_store(ctx))
		return CLI_FAIL;
	nsupd_err e;
	if (owner != NULL) {
		store_user u;
		e = store_user_get_by_name(ctx->store, owner, &u);
		if (e != NSUPD_OK) {
			cli_error(e == NSUPD_ERR_NOT_FOUND ? "no user '%s'" :
				  "cannot look up user '%s'", owner);
			return CLI_FAIL;
		}
		sv.owner_id = u.id;
	} else {
		e = store_service_default_owner(ctx->store, &sv.owner_id);
		if (e != NSUPD_OK) {
			cli_error(e == NSUPD_ERR_NOT_FOUND ?
				  "no user to own the service: add one with 'nsupd user add'" :
				  "cannot find an owner for the service: %s", nsupd_strerror(e));
			return CLI_FAIL;
		}
	}
	sv.created = (int64_t)time(NULL);
	e = store_service_add(ctx->store, &sv, NULL);
	if (e == NSUPD_ERR_EXISTS) {
		cli_error("service '%s' already exists", sv.name);
		return CLI_FAIL;
	}
	if (e != NSUPD_OK) {
		cli_error("cannot add service '%s': %s", sv.name, nsupd_strerror(e));
		return CLI_FAIL;
	}
	return CLI_OK;
}

static bool find_service(cli_ctx *ctx, const char *name, store_service *sv)
{
	if (!cli_open_store(ctx))
		return false;
	nsupd_err e = store_service_get_by_name(ctx->store, name, sv);
	if (e == NSUPD_ERR_NOT_FOUND) {
		cli_error("no service '%s'", name);
		return false;
	}
	if (e != NSUPD_OK) {
		cli_error("cannot look up service '%s': %s", name, nsupd_strerror(e));
		return false;
	}
	return true;
}

static json_t *service_json(const store_service *s)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:s}", "name", s->name,
		"server", s->server, "path", s->path, "tls", s->secure,
		"accept_ipv4", s->accept_ipv4, "accept_ipv6", s->accept_ipv6, "comment", s->comment);
}

/* Changes what the admin's service form changes; options not given keep
 * their value. The host configurations using it follow (they refer to it
 * by id). */
static int service_set(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'N' },
		{ "server", required_argument, NULL, 's' },
		{ "path", required_argument, NULL, 'p' },
		{ "tls", required_argument, NULL, 't' },
		{ "accept-ipv4", required_argument, NULL, '4' },
		{ "accept-ipv6", required_argument, NULL, '6' },
		{ "comment", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	store_admin_set set[7];
	size_t n = 0;
	bool flag;
	int c;
	int longindex = 0;
	store_service sv;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, &longindex)) != -1) {
		switch (c) {
		case 'N':
			if (optarg[0] == '\0' || strlen(optarg) >= sizeof(sv.name)) {
				cli_error("invalid --name '%s': 1 to %zu characters", optarg,
					  sizeof(sv.name) - 1);
				return CLI_FAIL;
			}
			set[n++] = (store_admin_set){ "name", optarg, 0 };
			break;
		case 's':
			if (strlen(optarg) >= sizeof(sv.server) || !fwd_server_valid(optarg)) {
				cli_error("invalid --server '%s': give HOST or HOST:PORT ([IPv6]:PORT "
					  "for an IPv6 address), without scheme or path", optarg);
				return CLI_FAIL;
			}
			set[n++] = (store_admin_set){ "server", optarg, 0 };
			break;
		case 'p':
			if (strlen(optarg) >= sizeof(sv.path) || !fwd_path_valid(optarg)) {
				cli_error("invalid --path '%s': it must start with '/' and contain no "
					  "spaces", optarg);
				return CLI_FAIL;
			}
			set[n++] = (store_admin_set){ "path", optarg, 0 };
			break;
		case 't':
			if (!cli_yes_no("--tls", optarg, &flag))
				return CLI_USAGE;
			set[n++] = (store_admin_set){ "secure", NULL, flag };
			break;
		case '4':
			if (!cli_yes_no("--accept-ipv4", optarg, &flag))
				return CLI_USAGE;
			set[n++] = (store_admin_set){ "accept_ipv4", NULL, flag };
			break;
		case '6':
			if (!cli_yes_no("--accept-ipv6", optarg, &flag))
				return CLI_USAGE;
			set[n++] = (store_admin_set){ "accept_ipv6", NULL, flag };
			break;
		case 'c':
			if (strlen(optarg) >= sizeof(sv.comment)) {
				cli_error("--comment is longer than %zu bytes", sizeof(sv.comment) - 1);
				return CLI_FAIL;
			}
			set[n++] = (store_admin_set){ "comment", optarg, 0 };
			break;
		default:
			return CLI_USAGE;
		}
		/* Each option once: a repeated one would be set twice. */
		for (size_t i = 0; i + 1 < n; i++)
			if (strcmp(set[i].column, set[n - 1].column) == 0) {
				cli_error("option --%s given twice", opts[longindex].name);
				return CLI_USAGE;
			}
	}
	if (optind + 1 != argc || n == 0) {
		cli_error(SERVICE_USAGE);
		return CLI_USAGE;
	}
	if (!find_service(ctx, argv[optind], &sv))
		return CLI_FAIL;
	json_t *before = service_json(&sv);
	nsupd_err e = store_admin_update(ctx->store, STORE_ADM_SERVICE, sv.id, set, n);
	if (e == NSUPD_ERR_EXISTS) {
		json_decref(before);
		cli_error("service '%s' already exists", set[0].text);
		return CLI_FAIL;
	}
	if (e != NSUPD_OK) {
		json_decref(before);
		cli_error("cannot change service '%s': %s", sv.name, nsupd_strerror(e));
		return CLI_FAIL;
	}
	store_service now;
	e = store_service_get(ctx->store, sv.id, &now);
	json_t *after = e == NSUPD_OK ? service_json(&now) : NULL;
	if (e == NSUPD_OK && !now.accept_ipv4 && !now.accept_ipv6)
		fprintf(stderr, "nsupd: warning: service '%s' accepts neither IPv4 nor IPv6: "
			"nothing will be forwarded to it\n", now.name);
	char object[sizeof(sv.name) + 40];
	snprintf(object, sizeof(object), "service %lld %s", (long long)sv.id,
		 e == NSUPD_OK ? now.name : sv.name);
	cli_audit(ctx, "service.change", object, before, after);
	return CLI_OK;
}

static bool count_only(const store_admin_row *row, void *ctx)
{
	(void)row;
	(void)ctx;
	return true;
}

/* The host configurations using a service go with it (ON DELETE CASCADE):
 * only with --force when there are any. */
static int service_delete(cli_ctx *ctx, int argc, char **argv)
{
	bool force = false;
	const char *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0 && !force) {
			force = true;
		} else if (argv[i][0] != '-' && name == NULL) {
			name = argv[i];
		} else {
			cli_error(SERVICE_USAGE);
			return CLI_USAGE;
		}
	}
	if (name == NULL) {
		cli_error(SERVICE_USAGE);
		return CLI_USAGE;
	}
	store_service sv;
	if (!find_service(ctx, name, &sv))
		return CLI_FAIL;
	store_admin_query q = { .kind = STORE_ADM_FORWARD, .service_id = sv.id, .limit = 1 };
	int64_t used = 0;
	nsupd_err e = store_admin_list(ctx->store, &q, &used, count_only, NULL);
	if (e != NSUPD_OK) {
		cli_error("cannot count the host configurations of service '%s': %s", sv.name,
			  nsupd_strerror(e));
		return CLI_FAIL;
	}
	if (used > 0 && !force) {
		cli_error("service '%s' is used by %lld host configuration%s; add --force to "
			  "delete them with it", sv.name, (long long)used, used == 1 ? "" : "s");
		return CLI_FAIL;
	}
	e = store_admin_delete(ctx->store, STORE_ADM_SERVICE, sv.id);
	if (e != NSUPD_OK) {
		cli_error("cannot delete service '%s': %s", sv.name, nsupd_strerror(e));
		return CLI_FAIL;
	}
	json_t *before = service_json(&sv);
	json_object_set_new(before, "host_configs", json_integer(used));
	char object[sizeof(sv.name) + 40];
	snprintf(object, sizeof(object), "service %lld %s", (long long)sv.id, sv.name);
	cli_audit(ctx, "service.delete", object, before, NULL);
	return CLI_OK;
}

static int service_list(cli_ctx *ctx, int argc, char **argv)
{
	bool as_json = argc == 2 && strcmp(argv[1], "--json") == 0;
	if (argc > 2 || (argc == 2 && !as_json)) {
		cli_error(SERVICE_USAGE);
		return CLI_USAGE;
	}
	if (!cli_open_store(ctx))
		return CLI_FAIL;
	enum { MAX = 256 };
	store_service *all = calloc(MAX, sizeof(*all));
	if (all == NULL)
		return CLI_FAIL;
	size_t n = 0;
	nsupd_err e = store_service_list(ctx->store, all, MAX, &n);
	if (e != NSUPD_OK) {
		free(all);
		cli_error("cannot list services: %s", nsupd_strerror(e));
		return CLI_FAIL;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const store_service *s = &all[i];
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:s}",
			"name", s->name, "server", s->server, "path", s->path, "tls", s->secure,
			"accept_ipv4", s->accept_ipv4, "accept_ipv6", s->accept_ipv6,
			"comment", s->comment));
		if (!as_json)
			printf("%-20s %s://%s%s v4=%s v6=%s\n", s->name, s->secure ? "https" : "http",
			       s->server, s->path, s->accept_ipv4 ? "yes" : "no",
			       s->accept_ipv6 ? "yes" : "no");
	}
	if (as_json) {
		char *text = json_dumps(arr, JSON_COMPACT);
		printf("%s\n", text != NULL ? text : "[]");
		free(text);
	}
	json_decref(arr);
	free(all);
	return CLI_OK;
}

int cli_service(cli_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2) {
		if (strcmp(argv[1], "add") == 0)
			return service_add(ctx, argc - 1, argv + 1);
		if (strcmp(argv[1], "set") == 0)
			return service_set(ctx, argc - 1, argv + 1);
		if (strcmp(argv[1], "delete") == 0)
			return service_delete(ctx, argc - 1, argv + 1);
		if (strcmp(argv[1], "list") == 0)
			return service_list(ctx, argc - 1, argv + 1);
	}
	cli_error(SERVICE_USAGE);
	return CLI_USAGE;
}
