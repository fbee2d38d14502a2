#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/fqdn.h"
#include "dns/dns.h"
#include "util/strutil.h"

#define DOMAIN_ADD_USAGE \
	"usage: nsupd domain add ZONE --owner NAME --nameserver ADDR[:PORT] " \
	"[--nameserver2 ADDR[:PORT]] --algorithm ALG --secret BASE64 [--public] [--unavailable]"

static bool valid_base64_secret(const char *b64)
{
	unsigned char bin[512];
	size_t len = 0;
	size_t n = strlen(b64);
	if (n == 0 || n > 680)
		return false;
	if (sodium_base642bin(bin, sizeof(bin), b64, n, NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) == 0 && len > 0)
		return true;
	return sodium_base642bin(bin, sizeof(bin), b64, n, NULL, &len, NULL,
				 sodium_base64_VARIANT_ORIGINAL_NO_PADDING) == 0 && len > 0;
}

static bool parse_server(const char *text, const char *what, char *out, size_t outsize)
{
	dns_server s;
	if (!dns_server_parse(text, &s)) {
		cli_error("invalid %s '%s': use an IP address with an optional port, "
			  "e.g. 192.0.2.1, 192.0.2.1:5353 or [2001:db8::1]:5353", what, text);
		return false;
	}
	dns_server_format(&s, out, outsize);
	return true;
}

static int domain_add(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ "nameserver", required_argument, NULL, 'n' },
		{ "nameserver2", required_argument, NULL, '2' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "secret", required_argument, NULL, 's' },
		{ "public", no_argument, NULL, 'p' },
		{ "unavailable", no_argument, NULL, 'u' },
		{ "comment", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *owner = NULL, *ns = NULL, *ns2 = NULL, *alg = NULL, *secret = NULL;
	const char *comment = "";
	bool public_ = false, unavailable = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': owner = optarg; break;
		case 'n': ns = optarg; break;
		case '2': ns2 = optarg; break;
		case 'a': alg = optarg; break;
		case 's': secret = optarg; break;
		case 'p': public_ = true; break;
		case 'u': unavailable = true; break;
		case 'c': comment = optarg; break;
		default: return CLI_USAGE;
		}
	}
	if (optind + 1 != argc || owner == NULL || ns == NULL || alg == NULL || secret == NULL) {
		cli_error(DOMAIN_ADD_USAGE);
		return CLI_USAGE;
	}
	store_domain d = { .public_ = public_, .available = !unavailable,
			   .created = (int64_t)time(NULL) };
	if (!fqdn_valid_zone(argv[optind]) ||
	    !fqdn_normalize(argv[optind], d.name, sizeof(d.name))) {
		cli_error("invalid zone name '%s'", argv[optind]);
		return CLI_FAIL;
	}
	if (!parse_server(ns, "--nameserver", d.nameserver, sizeof(d.nameserver)))
		return CLI_FAIL;
	if (ns2 != NULL && !parse_server(ns2, "--nameserver2", d.nameserver2, sizeof(d.nameserver2)))
		return CLI_FAIL;
	dns_algorithm a;
	if (!dns_algorithm_parse(alg, &a)) {
		cli_error("invalid --algorithm '%s': use hmac-sha512, hmac-sha384, hmac-sha256, "
			  "hmac-sha224, hmac-sha1 or hmac-md5", alg);
		return CLI_FAIL;
	}
	str_copy(d.algorithm, dns_algorithm_name(a), sizeof(d.algorithm));
	if (strlen(secret) >= sizeof(d.secret) || !valid_base64_secret(secret)) {
		cli_error("invalid --secret: not a base64 TSIG key");
		return CLI_FAIL;
	}
	str_copy(d.secret, secret, sizeof(d.secret));
	if (strlen(comment) >= sizeof(d.comment)) {
		cli_error("--comment is longer than %zu bytes", sizeof(d.comment) - 1);
		return CLI_FAIL;
	}
	str_copy(d.comment, comment, sizeof(d.comment));

	if (!cli_open_store(ctx))
		return CLI_FAIL;
	store_user u;
	nsupd_err e = store_user_get_by_name(ctx->store, owner, &u);
	if (e == NSUPD_ERR_NOT_FOUND) {
		cli_error("no user '%s'", owner);
		return CLI_FAIL;
	}
	if (e != NSUPD_OK) {
		cli_error("cannot look up user '%s': %s", owner, nsupd_strerror(e));
		return CLI_FAIL;
	}
	d.owner_id = u.id;
	int64_t id;
	e = store_domain_add(ctx->store, &d, &id);
	if (e == NSUPD_ERR_EXISTS) {
		cli_error("domain '%s' already exists", d.name);
		return CLI_FAIL;
	}
	if (e != NSUPD_OK) {
		cli_error("cannot add domain '%s': %s", d.name, nsupd_strerror(e));
		return CLI_FAIL;
	}
	return CLI_OK;
}

static int domain_set(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "available", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *available = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'a')
			return CLI_USAGE;
		available = optarg;
	}
	bool avail = false;
	if (optind + 1 != argc || available == NULL || !str_to_bool(available, &avail)) {
		cli_error("usage: nsupd domain set ZONE --available yes|no");
		return CLI_USAGE;
	}
	char name[FQDN_MAX + 1];
	if (!fqdn_normalize(argv[optind], name, sizeof(name))) {
		cli_error("invalid zone name '%s'", argv[optind]);
		return CLI_FAIL;
	}
	if (!cli_open_store(ctx))
		return CLI_FAIL;
	store_domain d;
	nsupd_err e = store_domain_get_by_name(ctx->store, name, &d);
	if (e == NSUPD_OK)
		e = store_domain_set_available(ctx->store, d.id, avail);
	if (e == NSUPD_OK && avail)
		e = store_domain_set_backoff(ctx->store, d.id, 0);
	if (e != NSUPD_OK) {
		cli_error("domain '%s': %s", name, nsupd_strerror(e));
		return CLI_FAIL;
	}
	return CLI_OK;
}

int cli_domain(cli_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return domain_add(ctx, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "set") == 0)
		return domain_set(ctx, argc - 1, argv + 1);
	cli_error(DOMAIN_ADD_USAGE);
	return CLI_USAGE;
}
