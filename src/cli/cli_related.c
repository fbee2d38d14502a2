/* nsupd host related add|delete|list and nsupd host forward
 * add|set|delete|list. */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/followup.h"
#include "cli/cli.h"
#include "core/fqdn.h"
#include "core/ifid.h"
#include "util/strutil.h"

#define RELATED_USAGE \
	"usage: nsupd host related add FQDN NAME [--interface-id-ipv4 ID] " \
	"[--interface-id-ipv6 ID] [--unavailable] [--comment TEXT] | " \
	"delete FQDN NAME | list FQDN [--json]"
#define FORWARD_USAGE \
	"usage: nsupd host forward add FQDN --service NAME --login LOGIN --password-stdin " \
	"[--hostname H] [--give-ipv4] [--give-ipv6] [--comment TEXT] | " \
	"set FQDN ID [--hostname H | --no-hostname] [--login LOGIN] [--password-stdin] " \
	"[--give-ipv4 yes|no] [--give-ipv6 yes|no] [--comment TEXT] | delete FQDN ID | " \
	"list FQDN [--json]"

static bool find_host(cli_ctx *ctx, const char *name, store_host *h, store_domain *d)
{
	char fqdn[FQDN_MAX + 1];
	if (!fqdn_normalize(name, fqdn, sizeof(fqdn)) || strchr(fqdn, '.') == NULL) {
		cli_error("invalid host name '%s': give the full name, e.g. myhost.example.org",
			  name);
		return false;
	}
	if (!cli_open_store(ctx))
		return false;
	nsupd_err e = store_host_get_by_fqdn(ctx->store, fqdn, h);
	if (e == NSUPD_ERR_NOT_FOUND) {
		cli_error("no host '%s'", fqdn);
		return false;
	}
	if (e == NSUPD_OK && d != NULL)
		e = store_domain_get(ctx->store, h->domain_id, d);
	if (e != NSUPD_OK) {
		cli_error("cannot look up host '%s': %s", fqdn, nsupd_strerror(e));
		return false;
	}
	return true;
}

static void print_json(json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);
	printf("%s\n", text != NULL ? text : "[]");
	free(text);
}

/* ---- related hosts ---- */

/* Parses and checks one ID option; canon gets what is stored. */
static bool check_id(const char *opt, const char *value, int family, const store_host *h,
		     char *canon)
{
	bool empty = false;
	ip_addr id;
	char why[200];
	if (!ifid_parse(value, family, &empty, &id, canon, why, sizeof(why))) {
		cli_error("%s: %s", opt, why);
		return false;
	}
	/* Prefixes sent with an update may be shorter than the netmask, so
	 * an ID that does not fit today is only worth a warning. */
	unsigned netmask = family == 4 ? h->netmask_ipv4 : h->netmask_ipv6;
	ip_addr zero = { .family = (uint8_t)family }, out;
	if (!empty && !ifid_combine(&zero, netmask, &id, &out, why, sizeof(why)))
		fprintf(stderr, "nsupd: warning: %s %s: %s of the host's netmask; it will only "
			"be used with a shorter prefix sent by the router\n", opt, canon, why);
	return true;
}

static int related_add(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface-id-ipv4", required_argument, NULL, '4' },
		{ "interface-id-ipv6", required_argument, NULL, '6' },
		{ "unavailable", no_argument, NULL, 'u' },
		{ "comment", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *id4 = "", *id6 = "", *comment = "";
	bool available = true;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case '4': id4 = optarg; break;
		case '6': id6 = optarg; break;
		case 'u': available = false; break;
		case 'c': comment = optarg; break;
		default: return CLI_USAGE;
		}
	}
	if (optind + 2 != argc) {
		cli_error(RELATED_USAGE);
		return CLI_USAGE;
	}
	store_related r = { .available = available };
	if (str_copy(r.name, argv[optind + 1], sizeof(r.name)) >= sizeof(r.name)) {
		cli_error("invalid related host name '%s': at most 63 characters",
			  argv[optind + 1]);
		return CLI_FAIL;
	}
	str_ascii_lower(r.name);
	if (!fqdn_valid_host_label(r.name)) {
		cli_error("invalid related host name '%s': use 1-63 lowercase letters, digits and "
			  "inner hyphens (one label, no dots)", argv[optind + 1]);
		return CLI_FAIL;
	}
	if (strlen(comment) >= sizeof(r.comment)) {
		cli_error("--comment is longer than %zu bytes", sizeof(r.comment) - 1);
		return CLI_FAIL;
	}
	str_copy(r.comment, comment, sizeof(r.comment));
	store_host h;
	store_domain d;
	if (!find_host(ctx, argv[optind], &h, &d))
		return CLI_FAIL;
	if (strlen(r.name) + 1 + strlen(h.name) + 1 + strlen(d.name) > FQDN_MAX) {
		cli_error("%s.%s.%s would be longer than %d characters", r.name, h.name, d.name,
			  FQDN_MAX);
		return CLI_FAIL;
	}
	if (!check_id("--interface-id-ipv4", id4, 4, &h, r.interface_id_ipv4) ||
	    !check_id("--interface-id-ipv6", id6, 6, &h, r.interface_id_ipv6))
		return CLI_FAIL;
	size_t n = 0;
	store_related *all = calloc(STORE_RELATED_MAX, sizeof(*all));
	if (all == NULL)
		return CLI_FAIL;
	nsupd_err e = store_related_list(ctx->store, h.id, all, STORE_RELATED_MAX, &n);
	free(all);
	if (e == NSUPD_OK && n >= STORE_RELATED_MAX) {
		cli_error("host %s.%s already has %d related hosts, the most allowed", h.name,
			  d.name, STORE_RELATED_MAX);
		return CLI_FAIL;
	}
	r.main_host_id = h.id;
	r.created = (int64_t)time(NULL);
	e = store_related_add(ctx->store, &r, NULL);
	if (e == NSUPD_ERR_EXISTS) {
		cli_error("host %s.%s already has a related host '%s'", h.name, d.name, r.name);
		return CLI_FAIL;
	}
	if (e != NSUPD_OK) {
		cli_error("cannot add related host '%s': %s", r.name, nsupd_strerror(e));
		return CLI_FAIL;
	}
	return CLI_OK;
}

static int related_delete(cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 3) {
		cli_error(RELATED_USAGE);
		return CLI_USAGE;
	}
	store_host h;
	store_domain d;
	if (!find_host(ctx, argv[1], &h, &d))
		return CLI_FAIL;
	store_related r;
	nsupd_err e = store_related_get(ctx->store, h.id, argv[2], &r);
	if (e == NSUPD_ERR_NOT_FOUND) {
		cli_error("host %s.%s has no related host '%s'", h.name, d.name, argv[2]);
		return CLI_FAIL;
	}
	if (e != NSUPD_OK) {
		cli_error("cannot look up related host '%s': %s", argv[2], nsupd_strerror(e));
		return CLI_FAIL;
	}
	dns_error err;
	if (followup_related_delete_records(&ctx->app, &h, &d, &r, &err) != NSUPD_OK)
		fprintf(stderr, "nsupd: warning: records of %s.%s.%s not removed from DNS: %s\n",
			r.name, h.name, d.name, err.msg);
	e = store_related_delete(ctx->store, r.id);
	if (e != NSUPD_OK) {
		cli_error("cannot delete related host '%s': %s", r.name, nsupd_strerror(e));
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* `--json` or nothing, then exactly one FQDN. */
static bool list_args(int argc, char **argv, const char *usage, bool *as_json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 0;
	*as_json = false;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return false;
		*as_json = true;
	}
	if (optind + 1 != argc) {
		cli_error("%s", usage);
		return false;
	}
	return true;
}

static int related_list(cli_ctx *ctx, int argc, char **argv)
{
	bool as_json;
	if (!list_args(argc, argv, RELATED_USAGE, &as_json))
		return CLI_USAGE;
	store_host h;
	store_domain d;
	if (!find_host(ctx, argv[optind], &h, &d))
		return CLI_FAIL;
	store_related *all = calloc(STORE_RELATED_MAX, sizeof(*all));
	if (all == NULL)
		return CLI_FAIL;
	size_t n = 0;
	nsupd_err e = store_related_list(ctx->store, h.id, all, STORE_RELATED_MAX, &n);
	if (e != NSUPD_OK) {
		free(all);
		cli_error("cannot list the related hosts of %s.%s: %s", h.name, d.name,
			  nsupd_strerror(e));
		return CLI_FAIL;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const store_related *r = &all[i];
		char fqdn[FQDN_MAX + 80];
		snprintf(fqdn, sizeof(fqdn), "%s.%s.%s", r->name, h.name, d.name);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b, s:s, s:s}",
			"name", r->name, "fqdn", fqdn, "comment", r->comment,
			"available", r->available, "interface_id_ipv4", r->interface_id_ipv4,
			"interface_id_ipv6", r->interface_id_ipv6));
		if (!as_json)
			printf("%-40s %-9s v4 id %-15s v6 id %s\n", fqdn,
			       r->available ? "available" : "off",
			       r->interface_id_ipv4[0] ? r->interface_id_ipv4 : "-",
			       r->interface_id_ipv6[0] ? r->interface_id_ipv6 : "-");
	}
	if (as_json)
		print_json(arr);
	json_decref(arr);
	free(all);
	return CLI_OK;
}

int cli_host_related(cli_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2) {
		if (strcmp(argv[1], "add") == 0)
			return related_add(ctx, argc - 1, argv + 1);
		if (strcmp(argv[1], "delete") == 0)
			return related_delete(ctx, argc - 1, argv + 1);
		if (strcmp(argv[1], "list") == 0)
			return related_list(ctx, argc - 1, argv + 1);
	}
	cli_error(RELATED_USAGE);
	return CLI_USAGE;
}

/* ---- forwarding to other services ---- */

/* Reads the first line of stdin into buf without its line end. */
static bool read_password(char *buf, size_t size)
{
	if (fgets(buf, (int)size, stdin) == NULL) {
		cli_error("--password-stdin: no password on standard input");
		return false;
	}
	size_t len = strlen(buf);
	if (len > 0 && buf[len - 1] != '\n' && !feof(stdin)) {
		cli_error("--password-stdin: the password is longer than %zu bytes", size - 2);
		return false;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0) {
		cli_error("--password-stdin: the password is empty");
		return false;
	}
	return true;
}

static int forward_add(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "service", required_argument, NULL, 's' },
		{ "login", required_argument, NULL, 'l' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ "hostname", required_argument, NULL, 'n' },
		{ "give-ipv4", no_argument, NULL, '4' },
		{ "give-ipv6", no_argument, NULL, '6' },
		{ "comment", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *service = NULL, *login = NULL, *hostname = NULL, *comment = "";
	bool password_stdin = false, v4 = false, v6 = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': service = optarg; break;
		case 'l': login = optarg; break;
		case 'p': password_stdin = true; break;
		case 'n': hostname = optarg; break;
		case '4': v4 = true; break;
		case '6': v6 = true; break;
		case 'c': comment = optarg; break;
		default: return CLI_USAGE;
		}
	}
	if (optind + 1 != argc || service == NULL || login == NULL || !password_stdin) {
		cli_error(FORWARD_USAGE);
		return CLI_USAGE;
	}
	store_forward f = { .give_ipv4 = v4, .give_ipv6 = v6, .has_hostname = hostname != NULL };
	if (str_copy(f.login, login, sizeof(f.login)) >= sizeof(f.login) || login[0] == '\0') {
		cli_error("--login must be 1 to %zu bytes", sizeof(f.login) - 1);
		return CLI_FAIL;
	}
	if (hostname != NULL &&
	    str_copy(f.hostname, hostname, sizeof(f.hostname)) >= sizeof(f.hostname)) {
		cli_error("--hostname is longer than %zu bytes", sizeof(f.hostname) - 1);
		return CLI_FAIL;
	}
	if (str_copy(f.comment, comment, sizeof(f.comment)) >= sizeof(f.comment)) {
		cli_error("--comment is longer than %zu bytes", sizeof(f.comment) - 1);
		return CLI_FAIL;
	}
	if (!v4 && !v6)
		fprintf(stderr, "nsupd: warning: neither --give-ipv4 nor --give-ipv6: nothing "
			"will be forwarded\n");
	store_host h;
	if (!find_host(ctx, argv[optind], &h, NULL))
		return CLI_FAIL;
	store_service sv;
	nsupd_err e = store_service_get_by_name(ctx->store, service, &sv);
	if (e != NSUPD_OK) {
		cli_error(e == NSUPD_ERR_NOT_FOUND ?
			  "no service '%s': add it first with 'nsupd service add'" :
			  "cannot look up service '%s'", service);
		return CLI_FAIL;
	}
	if ((v4 && !sv.accept_ipv4) || (v6 && !sv.accept_ipv6))
		fprintf(stderr, "nsupd: warning: service '%s' accepts %s; the other family is "
			"not forwarded\n", sv.name, sv.accept_ipv4 && sv.accept_ipv6 ? "both" :
			sv.accept_ipv4 ? "only IPv4" : sv.accept_ipv6 ? "only IPv6" : "nothing");
	if (!read_password(f.password, sizeof(f.password)))
		return CLI_FAIL;
	f.host_id = h.id;
	f.service_id = sv.id;
	f.owner_id = h.owner_id;
	f.created = (int64_t)time(NULL);
	e = store_forward_add(ctx->store, &f, NULL);
	explicit_bzero(f.password, sizeof(f.password));
	if (e != NSUPD_OK) {
		cli_error("cannot add the forward: %s", nsupd_strerror(e));
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* The forward ID of `host forward list` that belongs to the host FQDN: the
 * name guards against a mistyped ID changing someone else's forward. */
static bool find_forward(cli_ctx *ctx, const char *fqdn, const char *id_text, store_host *h,
			 store_forward *f)
{
	long id;
	if (!str_to_long(id_text, 1, LONG_MAX, &id)) {
		cli_error("invalid forward ID '%s': give the number 'nsupd host forward list %s' "
			  "shows", id_text, fqdn);
		return false;
	}
	if (!find_host(ctx, fqdn, h, NULL))
		return false;
	nsupd_err e = store_forward_get(ctx->store, id, f);
	if (e == NSUPD_OK && f->host_id != h->id)
		e = NSUPD_ERR_NOT_FOUND;
	if (e == NSUPD_ERR_NOT_FOUND) {
		cli_error("host %s.%s has no forward %ld", h->name, h->domain, id);
		return false;
	}
	if (e != NSUPD_OK) {
		cli_error("cannot look up forward %ld: %s", id, nsupd_strerror(e));
		return false;
	}
	return true;
}

static json_t *forward_json(const store_forward *f)
{
	return json_pack("{s:s, s:o, s:s, s:b, s:b, s:s}", "service", f->service.name,
		"hostname", f->has_hostname ? json_string(f->hostname) : json_null(),
		"login", f->login, "give_ipv4", f->give_ipv4, "give_ipv6", f->give_ipv6,
		"comment", f->comment);
}

/* Changes what the owner's form (and the admin's) can change: everything
 * but the service. Options not given keep their value. */
static int forward_set(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hostname", required_argument, NULL, 'n' },
		{ "no-hostname", no_argument, NULL, 'N' },
		{ "login", required_argument, NULL, 'l' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ "give-ipv4", required_argument, NULL, '4' },
		{ "give-ipv6", required_argument, NULL, '6' },
		{ "comment", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *hostname = NULL, *login = NULL, *comment = NULL;
	bool no_hostname = false, password_stdin = false, v4 = false, v6 = false;
	bool set_v4 = false, set_v6 = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': hostname = optarg; break;
		case 'N': no_hostname = true; break;
		case 'l': login = optarg; break;
		case 'p': password_stdin = true; break;
		case '4':
			if (!cli_yes_no("--give-ipv4", optarg, &v4))
				return CLI_USAGE;
			set_v4 = true;
			break;
		case '6':
			if (!cli_yes_no("--give-ipv6", optarg, &v6))
				return CLI_USAGE;
			set_v6 = true;
			break;
		case 'c': comment = optarg; break;
		default: return CLI_USAGE;
		}
	}
	if (optind + 2 != argc || (hostname != NULL && no_hostname) ||
	    (hostname == NULL && !no_hostname && login == NULL && !password_stdin && !set_v4 &&
	     !set_v6 && comment == NULL)) {
		cli_error(FORWARD_USAGE);
		return CLI_USAGE;
	}
	store_forward f;
	if (login != NULL && (login[0] == '\0' || strlen(login) >= sizeof(f.login))) {
		cli_error("--login must be 1 to %zu bytes", sizeof(f.login) - 1);
		return CLI_FAIL;
	}
	if (hostname != NULL && strlen(hostname) >= sizeof(f.hostname)) {
		cli_error("--hostname is longer than %zu bytes", sizeof(f.hostname) - 1);
		return CLI_FAIL;
	}
	if (comment != NULL && strlen(comment) >= sizeof(f.comment)) {
		cli_error("--comment is longer than %zu bytes", sizeof(f.comment) - 1);
		return CLI_FAIL;
	}
	store_host h;
	if (!find_forward(ctx, argv[optind], argv[optind + 1], &h, &f))
		return CLI_FAIL;
	explicit_bzero(f.password, sizeof(f.password));
	json_t *before = forward_json(&f);
	if (hostname != NULL || no_hostname) {
		f.has_hostname = hostname != NULL;
		str_copy(f.hostname, hostname != NULL ? hostname : "", sizeof(f.hostname));
	}
	if (login != NULL)
		str_copy(f.login, login, sizeof(f.login));
	if (comment != NULL)
		str_copy(f.comment, comment, sizeof(f.comment));
	if (set_v4)
		f.give_ipv4 = v4;
	if (set_v6)
		f.give_ipv6 = v6;
	if (!f.give_ipv4 && !f.give_ipv6)
		fprintf(stderr, "nsupd: warning: the forward gives neither IPv4 nor IPv6: nothing "
			"will be forwarded\n");
	else if ((f.give_ipv4 && !f.service.accept_ipv4) || (f.give_ipv6 && !f.service.accept_ipv6))
		fprintf(stderr, "nsupd: warning: service '%s' accepts %s; the other family is "
			"not forwarded\n", f.service.name,
			f.service.accept_ipv4 ? "only IPv4" : f.service.accept_ipv6 ? "only IPv6" :
			"nothing");
	if (password_stdin && !read_password(f.password, sizeof(f.password))) {
		json_decref(before);
		return CLI_FAIL;
	}
	nsupd_err e = store_forward_update(ctx->store, &f, password_stdin);
	explicit_bzero(f.password, sizeof(f.password));
	if (e != NSUPD_OK) {
		json_decref(before);
		cli_error("cannot change forward %lld: %s", (long long)f.id, nsupd_strerror(e));
		return CLI_FAIL;
	}
	json_t *after = forward_json(&f);
	if (password_stdin)
		json_object_set_new(after, "password", json_string("(changed)"));
	char object[STORE_NAME_MAX * 2 + 40];
	snprintf(object, sizeof(object), "host_config %lld %s.%s", (long long)f.id, h.name,
		 h.domain);
	cli_audit(ctx, "host_config.change", object, before, after);
	return CLI_OK;
}

static int forward_delete(cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 3) {
		cli_error(FORWARD_USAGE);
		return CLI_USAGE;
	}
	store_host h;
	store_forward f;
	if (!find_forward(ctx, argv[1], argv[2], &h, &f))
		return CLI_FAIL;
	explicit_bzero(f.password, sizeof(f.password));
	/* Its queued jobs go with it (store_forward_delete). */
	nsupd_err e = store_forward_delete(ctx->store, f.id);
	if (e != NSUPD_OK) {
		cli_error("cannot delete forward %lld: %s", (long long)f.id, nsupd_strerror(e));
		return CLI_FAIL;
	}
	char object[STORE_NAME_MAX * 2 + 40];
	snprintf(object, sizeof(object), "host_config %lld %s.%s", (long long)f.id, h.name,
		 h.domain);
	cli_audit(ctx, "host_config.delete", object, forward_json(&f), NULL);
	return CLI_OK;
}

static json_t *json_time_or_null(int64_t t)
{
	if (t == 0)
		return json_null();
	char buf[32];
	str_iso8601_utc(t, buf, sizeof(buf));
	return json_string(buf);
}

static int forward_list(cli_ctx *ctx, int argc, char **argv)
{
	bool as_json;
	if (!list_args(argc, argv, FORWARD_USAGE, &as_json))
		return CLI_USAGE;
	store_host h;
	if (!find_host(ctx, argv[optind], &h, NULL))
		return CLI_FAIL;
	store_forward *all = calloc(STORE_FORWARD_MAX, sizeof(*all));
	if (all == NULL)
		return CLI_FAIL;
	size_t n = 0;
	nsupd_err e = store_forward_list(ctx->store, h.id, all, STORE_FORWARD_MAX, &n);
	if (e != NSUPD_OK) {
		free(all);
		cli_error("cannot list the forwards of %s.%s: %s", h.name, h.domain,
			  nsupd_strerror(e));
		return CLI_FAIL;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const store_forward *f = &all[i];
		json_t *last = json_null();
		if (f->last_forward != 0)
			last = json_pack("{s:o, s:o, s:s, s:s, s:s}",
				"time", json_time_or_null(f->last_forward),
				"http_status", f->last_http_status != 0 ?
					json_integer(f->last_http_status) : json_null(),
				"result", f->last_result, "state", f->last_state,
				"address", f->last_address);
		/* The password is deliberately not part of the output. */
		json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:b, s:b, s:b, s:o, s:s, s:b, s:b, s:s, "
				      "s:I, s:o}",
			"id", (json_int_t)f->id, "service", f->service.name,
			"server", f->service.server, "path", f->service.path,
			"tls", f->service.secure, "accept_ipv4", f->service.accept_ipv4,
			"accept_ipv6", f->service.accept_ipv6,
			"hostname", f->has_hostname ? json_string(f->hostname) : json_null(),
			"login", f->login, "give_ipv4", f->give_ipv4, "give_ipv6", f->give_ipv6,
			"comment", f->comment, "pending", (json_int_t)f->pending,
			"last", last != NULL ? last : json_null());
		if (o == NULL) {
			cli_error("cannot encode forward %lld (bad UTF-8?)", (long long)f->id);
			continue;
		}
		json_array_append_new(arr, o);
		if (!as_json)
			printf("%-4lld %-20s %s%s hostname=%s login=%s v4=%s v6=%s pending=%lld last=%s %s\n",
			       (long long)f->id, f->service.name, f->service.secure ? "https://" :
			       "http://", f->service.server, f->has_hostname ? f->hostname : "(none)",
			       f->login, f->give_ipv4 ? "yes" : "no", f->give_ipv6 ? "yes" : "no",
			       (long long)f->pending, f->last_state[0] ? f->last_state : "-",
			       f->last_result);
	}
	for (size_t i = 0; i < n; i++)
		explicit_bzero(all[i].password, sizeof(all[i].password));
	free(all);
	if (as_json)
		print_json(arr);
	json_decref(arr);
	return CLI_OK;
}

int cli_host_forward(cli_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2) {
		if (strcmp(argv[1], "add") == 0)
			return forward_add(ctx, argc - 1, argv + 1);
		if (strcmp(argv[1], "set") == 0)
			return forward_set(ctx, argc - 1, argv + 1);
		if (strcmp(argv[1], "delete") == 0)
			return forward_delete(ctx, argc - 1, argv + 1);
		if (strcmp(argv[1], "list") == 0)
			return forward_list(ctx, argc - 1, argv + 1);
	}
	cli_error(FORWARD_USAGE);
	return CLI_USAGE;
}
