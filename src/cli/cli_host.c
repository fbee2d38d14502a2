#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/followup.h"
#include "cli/cli.h"
#include "core/fqdn.h"
#include "core/secret.h"
#include "util/strutil.h"

#define HOST_USAGE \
	"usage: nsupd host add FQDN --owner NAME | secret FQDN | set FQDN [options] | " \
	"show FQDN --json | delete FQDN | related ... | forward ..."

/* Loads the host named by argv[optind] (exactly one positional argument). */
static bool load_host(cli_ctx *ctx, int argc, char **argv, store_host *h)
{
	if (optind + 1 != argc) {
		cli_error(HOST_USAGE);
		return false;
	}
	char fqdn[FQDN_MAX + 1];
	if (!fqdn_normalize(argv[optind], fqdn, sizeof(fqdn)) || strchr(fqdn, '.') == NULL) {
		cli_error("invalid host name '%s': give the full name, e.g. myhost.example.org",
			  argv[optind]);
		return false;
	}
	if (!cli_open_store(ctx))
		return false;
	nsupd_err e = store_host_get_by_fqdn(ctx->store, fqdn, h);
	if (e == NSUPD_ERR_NOT_FOUND) {
		cli_error("no host '%s'", fqdn);
		return false;
	}
	if (e != NSUPD_OK) {
		cli_error("cannot look up host '%s': %s", fqdn, nsupd_strerror(e));
		return false;
	}
	return true;
}

static int new_secret(cli_ctx *ctx, const store_host *h, char secret[SECRET_LEN + 1])
{
	char hash[SECRET_HASH_MAX];
	if (secret_generate(secret) != NSUPD_OK || secret_hash(secret, hash) != NSUPD_OK) {
		cli_error("cannot generate a secret");
		return CLI_FAIL;
	}
	nsupd_err e = store_host_set_secret(ctx->store, h->id, hash);
	if (e != NSUPD_OK) {
		cli_error("cannot store the secret of %s.%s: %s", h->name, h->domain,
			  nsupd_strerror(e));
		return CLI_FAIL;
	}
	return CLI_OK;
}

static int host_add(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ "comment", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *owner = NULL, *comment = "";
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': owner = optarg; break;
		case 'c': comment = optarg; break;
		default: return CLI_USAGE;
		}
	}
	if (optind + 1 != argc || owner == NULL) {
		cli_error("usage: nsupd host add FQDN --owner NAME");
		return CLI_USAGE;
	}
	char fqdn[FQDN_MAX + 1];
	char *label, *zone;
	if (!fqdn_normalize(argv[optind], fqdn, sizeof(fqdn)) ||
	    !fqdn_split_first(fqdn, &label, &zone)) {
		cli_error("invalid host name '%s': give the full name, e.g. myhost.example.org",
			  argv[optind]);
		return CLI_FAIL;
	}
	if (!fqdn_valid_host_label(label)) {
		cli_error("invalid host name '%s': use 1-63 lowercase letters, digits and inner hyphens",
			  label);
		return CLI_FAIL;
	}
	if (strlen(comment) >= STORE_NAME_MAX) {
		cli_error("--comment is longer than %d bytes", STORE_NAME_MAX - 1);
		return CLI_FAIL;
	}
	if (!cli_open_store(ctx))
		return CLI_FAIL;
	/* The admin's blacklist of host names (spec 3.6): searched, so an
	 * expression matches anywhere in the name unless anchored. */
	bool blacklisted = false;
	nsupd_err be = store_blacklist_match(ctx->store, label, &blacklisted, NULL, 0);
	if (be != NSUPD_OK) {
		cli_error("cannot check the host name blacklist: %s", nsupd_strerror(be));
		return CLI_FAIL;
	}
	if (blacklisted) {
		cli_error("This name is blacklisted.");
		return CLI_FAIL;
	}
	store_user u;
	nsupd_err e = store_user_get_by_name(ctx->store, owner, &u);
	if (e != NSUPD_OK) {
		cli_error(e == NSUPD_ERR_NOT_FOUND ? "no user '%s'" : "cannot look up user '%s'",
			  owner);
		return CLI_FAIL;
	}
	store_domain d;
	e = store_domain_get_by_name(ctx->store, zone, &d);
	if (e != NSUPD_OK) {
		if (e == NSUPD_ERR_NOT_FOUND)
			cli_error("no domain '%s': add it first with 'nsupd domain add'", zone);
		else
			cli_error("cannot look up domain '%s': %s", zone, nsupd_strerror(e));
		return CLI_FAIL;
	}
	if (d.owner_id != u.id && !d.public_ && !u.staff) {
		cli_error("domain '%s' is neither public nor owned by '%s'", zone, owner);
		return CLI_FAIL;
	}
	char secret[SECRET_LEN + 1];
	store_host h = {
		.domain_id = d.id,
		.available = true,
		.netmask_ipv4 = 32,
		.netmask_ipv6 = 64,
		.owner_id = u.id,
		.created = (int64_t)time(NULL),
	};
	str_copy(h.name, label, sizeof(h.name));
	str_copy(h.comment, comment, sizeof(h.comment));
	if (secret_generate(secret) != NSUPD_OK ||
	    secret_hash(secret, h.secret_hash) != NSUPD_OK) {
		cli_error("cannot generate a secret");
		return CLI_FAIL;
	}
	e = store_host_add(ctx->store, &h, &h.id);
	if (e == NSUPD_ERR_EXISTS) {
		cli_error("host '%s.%s' already exists", label, zone);
		return CLI_FAIL;
	}
	if (e != NSUPD_OK) {
		cli_error("cannot add host '%s.%s': %s", label, zone, nsupd_strerror(e));
		return CLI_FAIL;
	}
	printf("%s\n", secret);
	return CLI_OK;
}

static int host_secret(cli_ctx *ctx, int argc, char **argv)
{
	optind = 1;
	store_host h;
	if (!load_host(ctx, argc, argv, &h))
		return CLI_FAIL;
	char secret[SECRET_LEN + 1];
	int rc = new_secret(ctx, &h, secret);
	if (rc == CLI_OK)
		printf("%s\n", secret);
	return rc;
}

static int host_set(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netmask-ipv4", required_argument, NULL, '4' },
		{ "netmask-ipv6", required_argument, NULL, '6' },
		{ "available", required_argument, NULL, 'v' },
		{ "abuse", required_argument, NULL, 'a' },
		{ "abuse-blocked", required_argument, NULL, 'b' },
		{ "comment", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	store_host_settings set = { 0 };
	long n;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case '4':
			if (!str_to_long(optarg, 0, 32, &n)) {
				cli_error("--netmask-ipv4: expected 0..32, got '%s'", optarg);
				return CLI_FAIL;
			}
			set.set_netmask_ipv4 = true;
			set.netmask_ipv4 = (unsigned)n;
			break;
		case '6':
			if (!str_to_long(optarg, 0, 128, &n)) {
				cli_error("--netmask-ipv6: expected 0..128, got '%s'", optarg);
				return CLI_FAIL;
			}
			set.set_netmask_ipv6 = true;
			set.netmask_ipv6 = (unsigned)n;
			break;
		case 'v':
			if (!cli_yes_no("--available", optarg, &set.available))
				return CLI_FAIL;
			set.set_available = true;
			break;
		case 'a':
			if (!cli_yes_no("--abuse", optarg, &set.abuse))
				return CLI_FAIL;
			set.set_abuse = true;
			break;
		case 'b':
			if (!cli_yes_no("--abuse-blocked", optarg, &set.abuse_blocked))
				return CLI_FAIL;
			set.set_abuse_blocked = true;
			break;
		case 'c':
			if (strlen(optarg) >= STORE_NAME_MAX) {
				cli_error("--comment is longer than %d bytes", STORE_NAME_MAX - 1);
				return CLI_FAIL;
			}
			set.set_comment = true;
			set.comment = optarg;
			break;
		default:
			return CLI_USAGE;
		}
	}
	store_host h;
	if (!load_host(ctx, argc, argv, &h))
		return CLI_FAIL;
	nsupd_err e = store_host_update_settings(ctx->store, h.id, &set);
	if (e != NSUPD_OK) {
		cli_error("cannot change host '%s.%s': %s", h.name, h.domain, nsupd_strerror(e));
		return CLI_FAIL;
	}
	/* A host that becomes flagged loses its records at once, so an abuser
	 * stops being reachable under our name. */
	bool newly_flagged = (set.set_abuse && set.abuse && !h.abuse) ||
			     (set.set_abuse_blocked && set.abuse_blocked && !h.abuse_blocked);
	if (newly_flagged) {
		store_domain d;
		dns_error err;
		if (store_domain_get(ctx->store, h.domain_id, &d) == NSUPD_OK &&
		    updater_delete_records(&ctx->app, &h, &d, &err) != NSUPD_OK)
			fprintf(stderr, "nsupd: warning: records of %s.%s not removed: %s\n", h.name,
				h.domain, err.msg);
	}
	return CLI_OK;
}

static json_t *json_time(int64_t t)
{
	if (t == 0)
		return json_null();
	char buf[32];
	str_iso8601_utc(t, buf, sizeof(buf));
	return json_string(buf);
}

static int host_show(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bool as_json = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return CLI_USAGE;
		as_json = true;
	}
	store_host h;
	if (!load_host(ctx, argc, argv, &h))
		return CLI_FAIL;
	json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:b, s:I, s:I, s:I, s:i, s:i, s:o, s:o, s:b, s:b, s:s, s:s, s:s}",
		"name", h.name,
		"domain", h.domain,
		"available", h.available,
		"abuse", h.abuse,
		"abuse_blocked", h.abuse_blocked,
		"client_faults", (json_int_t)h.client_faults,
		"server_faults", (json_int_t)h.server_faults,
		"api_auth_faults", (json_int_t)h.api_auth_faults,
		"netmask_ipv4", (int)h.netmask_ipv4,
		"netmask_ipv6", (int)h.netmask_ipv6,
		"last_update_ipv4", json_time(h.last_update_ipv4),
		"last_update_ipv6", json_time(h.last_update_ipv6),
		"tls_update_ipv4", h.tls_update_ipv4,
		"tls_update_ipv6", h.tls_update_ipv6,
		"client_result_msg", h.client_result_msg,
		"server_result_msg", h.server_result_msg,
		"api_auth_result_msg", h.api_auth_result_msg);
	if (o == NULL) {
		cli_error("cannot encode host '%s.%s' (bad UTF-8 in a stored message?)", h.name,
			  h.domain);
		return CLI_FAIL;
	}
	if (as_json) {
		char *text = json_dumps(o, JSON_COMPACT);
		printf("%s\n", text != NULL ? text : "{}");
		free(text);
	} else {
		const char *key;
		json_t *value;
		json_object_foreach(o, key, value) {
			char *v = json_dumps(value, JSON_ENCODE_ANY);
			printf("%-20s %s\n", key, v != NULL ? v : "");
			free(v);
		}
	}
	json_decref(o);
	return CLI_OK;
}

static int host_delete(cli_ctx *ctx, int argc, char **argv)
{
	optind = 1;
	store_host h;
	if (!load_host(ctx, argc, argv, &h))
		return CLI_FAIL;
	store_domain d;
	nsupd_err e = store_domain_get(ctx->store, h.domain_id, &d);
	if (e == NSUPD_OK) {
		dns_error err;
		if (updater_delete_records(&ctx->app, &h, &d, &err) != NSUPD_OK)
			fprintf(stderr, "nsupd: warning: records of %s.%s not removed from DNS: %s\n",
				h.name, h.domain, err.msg);
		if (followup_related_delete_all(&ctx->app, &h, &d, &err) != NSUPD_OK)
			fprintf(stderr, "nsupd: warning: records of related hosts of %s.%s not "
				"removed from DNS: %s\n", h.name, h.domain, err.msg);
	}
	e = store_host_delete(ctx->store, h.id);
	if (e != NSUPD_OK) {
		cli_error("cannot delete host '%s.%s': %s", h.name, h.domain, nsupd_strerror(e));
		return CLI_FAIL;
	}
	return CLI_OK;
}

int cli_host(cli_ctx *ctx, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(cli_ctx *, int, char **);
	} subs[] = {
		{ "add", host_add },
		{ "secret", host_secret },
		{ "set", host_set },
		{ "show", host_show },
		{ "delete", host_delete },
		{ "related", cli_host_related },
		{ "forward", cli_host_forward },
	};
	if (argc >= 2)
		for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
			if (strcmp(argv[1], subs[i].name) == 0)
				return subs[i].run(ctx, argc - 1, argv + 1);
	cli_error(HOST_USAGE);
	return CLI_USAGE;
}
