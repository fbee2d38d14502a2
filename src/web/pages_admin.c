/* The administration pages under /admin/ (the original's Django admin,
 * spec section 1): for users, hosts, domains, related hosts, services,
 * per-host service configurations and the host-name blacklist a list with
 * search, filters, sorting and paging, a change form with the checks of the
 * user-facing forms, delete with a confirmation that says what else goes
 * (DNS records included, which really are removed), bulk actions, and the
 * audit log every change here is written to.
 *
 * Every page is WEB_STAFF: anyone else, anonymous visitors included, gets
 * 404, before any CSRF check, so the pages do not reveal that they exist.
 *
 * The pages are generic over a table of models (struct adm_model): the
 * store returns rows of any kind as named text columns (store_admin_*), and
 * one list, one form and one delete template show them all. */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/fwdpolicy.h"
#include "api/followup.h"
#include "core/fqdn.h"
#include "core/ifid.h"
#include "dns/dns.h"
#include "util/log.h"
#include "util/strutil.h"
#include "web/email_check.h"
#include "web/web_internal.h"

#define PER_PAGE_DEFAULT 50
#define PER_PAGE_MAX 100          /* bulk forms must stay under HTTP_MAX_FORM_FIELDS */
#define DELETE_LIST_MAX 50        /* affected names shown on a delete page */

/* ---- the models ---- */

enum vld {
	V_TEXT,          /* printable text, at most hi bytes */
	V_EMAIL,
	V_NS,            /* nameserver, required */
	V_NS_OPT,
	V_ALG,
	V_TSIG,          /* base64; blank keeps the current secret */
	V_IFID4,
	V_IFID6,
	V_SERVER,
	V_PATH,
	V_REGEX,
	V_LANG,
	V_PASSWORD,      /* blank keeps the current one */
};

struct adm_field {
	const char *name;            /* column and form field */
	const char *label;
	char type;                   /* 't' text, 'b' checkbox, 'n' number, 'a' algorithm,
				      * 'l' language, 'p' password */
	enum vld vld;
	int lo, hi;                  /* numbers: range; text: hi = max bytes */
	bool required;
	const char *help;
};

/* fmt: 'L' the link to the change page, 's' text, 'm' monospace, 'b' flag,
 * 'i' number, 't' time. */
struct adm_col {
	const char *key;
	const char *label;
	char fmt;
	const char *sort;            /* sort key, or NULL */
};

struct adm_filter {
	const char *param;
	const char *label;
	unsigned bit;
};

struct adm_action {
	const char *action;
	const char *label;
	bool danger;
};

struct adm_model {
	const char *app, *model;     /* URL: /admin/APP/MODEL/ */
	store_admin_kind kind;
	const char *singular;        /* "host" (translated) */
	const char *plural;          /* "Hosts" (translated) */
	const char *audit;           /* the audit log's name for it: "host" */
	const char *title;           /* column naming an object */
	const struct adm_col *cols;  /* list columns */
	const struct adm_col *info;  /* read-only details on the change page */
	const struct adm_filter *filters;
	const struct adm_action *actions;
	const struct adm_field *fields;
	bool can_add, can_delete;
};

static const struct adm_col user_cols[] = {
	{ "username", N_("User name"), 'L', "username" },
	{ "email", N_("E-mail"), 's', "email" },
	{ "staff", N_("Staff"), 'b', NULL },
	{ "active", N_("Active"), 'b', NULL },
	{ "hosts", N_("Hosts"), 'i', NULL },
	{ "domains", N_("Domains"), 'i', NULL },
	{ "created", N_("Created"), 't', "created" },
	{ "last_login", N_("Last login"), 't', "last_login" },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_col user_info[] = {
	{ "username", N_("User name"), 's', NULL },
	{ "hosts", N_("Hosts"), 'i', NULL },
	{ "domains", N_("Domains"), 'i', NULL },
	{ "created", N_("Created"), 't', NULL },
	{ "last_login", N_("Last login"), 't', NULL },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_filter user_filters[] = {
	{ "staff", N_("Staff"), STORE_ADM_F_STAFF },
	{ "inactive", N_("Inactive"), STORE_ADM_F_INACTIVE },
	{ NULL, NULL, 0 },
};
static const struct adm_action user_actions[] = {
	{ "deactivate", N_("Deactivate selected users"), true },
	{ "activate", N_("Activate selected users"), false },
	{ NULL, NULL, false },
};
static const struct adm_field user_fields[] = {
	{ "email", N_("E-mail"), 't', V_EMAIL, 0, 254, true, NULL },
	{ "first_name", N_("First name"), 't', V_TEXT, 0, 150, false, NULL },
	{ "last_name", N_("Last name"), 't', V_TEXT, 0, 150, false, NULL },
	{ "language", N_("Language"), 'l', V_LANG, 0, 10, false, NULL },
	{ "staff", N_("Staff"), 'b', V_TEXT, 0, 0, false,
	  N_("May use these administration pages.") },
	{ "active", N_("Active"), 'b', V_TEXT, 0, 0, false,
	  N_("An inactive user cannot log in; his sessions end at once.") },
	{ NULL, NULL, 0, V_TEXT, 0, 0, false, NULL },
};

static const struct adm_col host_cols[] = {
	{ "fqdn", N_("Host"), 'L', "name" },
	{ "owner", N_("Owner"), 's', "owner" },
	{ "available", N_("Available"), 'b', NULL },
	{ "abuse", N_("Abuse"), 'b', NULL },
	{ "abuse_blocked", N_("Abuse-blocked"), 'b', NULL },
	{ "client_faults", N_("Client faults"), 'i', "client_faults" },
	{ "server_faults", N_("Server faults"), 'i', "server_faults" },
	{ "api_auth_faults", N_("Auth faults"), 'i', "api_auth_faults" },
	{ "last_update_ipv4", N_("Last IPv4 update"), 't', "last_update_ipv4" },
	{ "last_update_ipv6", N_("Last IPv6 update"), 't', "last_update_ipv6" },
	{ "created", N_("Created"), 't', "created" },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_col host_info[] = {
	{ "fqdn", N_("Host"), 's', NULL },
	{ "owner", N_("Owner"), 's', NULL },
	{ "client_faults", N_("Client faults"), 'i', NULL },
	{ "client_result_msg", N_("Last client result"), 'm', NULL },
	{ "server_faults", N_("Server faults"), 'i', NULL },
	{ "server_result_msg", N_("Last server result"), 'm', NULL },
	{ "api_auth_faults", N_("Auth faults"), 'i', NULL },
	{ "api_auth_result_msg", N_("Last authentication result"), 'm', NULL },
	{ "last_update_ipv4", N_("Last IPv4 update"), 't', NULL },
	{ "tls_update_ipv4", N_("IPv4 update with TLS"), 'b', NULL },
	{ "last_update_ipv6", N_("Last IPv6 update"), 't', NULL },
	{ "tls_update_ipv6", N_("IPv6 update with TLS"), 'b', NULL },
	{ "staleness", N_("Staleness"), 'i', NULL },
	{ "related", N_("Related hosts"), 'i', NULL },
	{ "forwards", N_("Service configurations"), 'i', NULL },
	{ "created", N_("Created"), 't', NULL },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_filter host_filters[] = {
	{ "abuse", N_("Abuse"), STORE_ADM_F_ABUSE },
	{ "abuse_blocked", N_("Abuse-blocked"), STORE_ADM_F_ABUSE_BLOCKED },
	{ "unavailable", N_("Unavailable"), STORE_ADM_F_UNAVAILABLE },
	{ "stale", N_("Stale"), STORE_ADM_F_STALE },
	{ "faults", N_("With faults"), STORE_ADM_F_FAULTS },
	{ NULL, NULL, 0 },
};
static const struct adm_action host_actions[] = {
	{ "set_abuse_blocked", N_("Set abuse-blocked (removes the DNS records)"), true },
	{ "clear_abuse_blocked", N_("Clear abuse-blocked"), false },
	{ "reset_faults", N_("Reset fault counters"), false },
	{ "make_available", N_("Make available"), false },
	{ "make_unavailable", N_("Make unavailable"), false },
	{ NULL, NULL, false },
};
static const struct adm_field host_fields[] = {
	{ "comment", N_("Comment"), 't', V_TEXT, 0, 255, false, NULL },
	{ "available", N_("Available"), 'b', V_TEXT, 0, 0, false,
	  N_("Updates of an unavailable host are refused (nohost).") },
	{ "abuse", N_("Abuse"), 'b', V_TEXT, 0, 0, false,
	  N_("Set by the fault checks; the owner may clear it. Saving with it set removes the "
	     "host's DNS records.") },
	{ "abuse_blocked", N_("Abuse-blocked"), 'b', V_TEXT, 0, 0, false,
	  N_("Only staff can set or clear it: updates are refused (abuse) and the DNS records "
	     "are removed.") },
	{ "netmask_ipv4", N_("IPv4 netmask"), 'n', V_TEXT, 0, 32, true, NULL },
	{ "netmask_ipv6", N_("IPv6 netmask"), 'n', V_TEXT, 0, 64, true, NULL },
	{ NULL, NULL, 0, V_TEXT, 0, 0, false, NULL },
};

static const struct adm_col domain_cols[] = {
	{ "name", N_("Domain"), 'L', "name" },
	{ "nameserver", N_("Nameserver"), 'm', NULL },
	{ "public", N_("Public"), 'b', NULL },
	{ "available", N_("Available"), 'b', NULL },
	{ "owner", N_("Owner"), 's', "owner" },
	{ "hosts", N_("Hosts"), 'i', NULL },
	{ "created", N_("Created"), 't', "created" },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_col domain_info[] = {
	{ "name", N_("Domain"), 's', NULL },
	{ "owner", N_("Owner"), 's', NULL },
	{ "hosts", N_("Hosts"), 'i', NULL },
	{ "backoff_until", N_("Back-off until"), 't', NULL },
	{ "created", N_("Created"), 't', NULL },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_filter domain_filters[] = {
	{ "public", N_("Public"), STORE_ADM_F_PUBLIC },
	{ "unavailable", N_("Unavailable"), STORE_ADM_F_UNAVAILABLE },
	{ NULL, NULL, 0 },
};
static const struct adm_field domain_fields[] = {
	{ "nameserver", N_("Nameserver"), 't', V_NS, 0, 79, true, NULL },
	{ "nameserver2", N_("Secondary nameserver"), 't', V_NS_OPT, 0, 79, false, NULL },
	{ "algorithm", N_("Algorithm"), 'a', V_ALG, 0, 15, true, NULL },
	{ "secret", N_("Secret"), 'p', V_TSIG, 0, 127, false,
	  N_("Leave empty to keep the current secret.") },
	{ "comment", N_("Comment"), 't', V_TEXT, 0, 255, false, NULL },
	{ "public", N_("Public"), 'b', V_TEXT, 0, 0, false, NULL },
	{ "available", N_("Available"), 'b', V_TEXT, 0, 0, false,
	  N_("No connectivity test is made here: check the nameserver first.") },
	{ NULL, NULL, 0, V_TEXT, 0, 0, false, NULL },
};

static const struct adm_col related_cols[] = {
	{ "fqdn", N_("Related host"), 'L', "name" },
	{ "main_host", N_("Main host"), 's', "main_host" },
	{ "interface_id_ipv4", N_("IPv4 interface ID"), 'm', NULL },
	{ "interface_id_ipv6", N_("IPv6 interface ID"), 'm', NULL },
	{ "available", N_("Available"), 'b', NULL },
	{ "owner", N_("Owner"), 's', NULL },
	{ "created", N_("Created"), 't', "created" },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_col related_info[] = {
	{ "fqdn", N_("Related host"), 's', NULL },
	{ "main_host", N_("Main host"), 's', NULL },
	{ "owner", N_("Owner"), 's', NULL },
	{ "created", N_("Created"), 't', NULL },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_filter related_filters[] = {
	{ "unavailable", N_("Unavailable"), STORE_ADM_F_UNAVAILABLE },
	{ NULL, NULL, 0 },
};
static const struct adm_field related_fields[] = {
	{ "comment", N_("Comment"), 't', V_TEXT, 0, 255, false, NULL },
	{ "interface_id_ipv4", N_("IPv4 interface ID"), 't', V_IFID4, 0, 15, false, NULL },
	{ "interface_id_ipv6", N_("IPv6 interface ID"), 't', V_IFID6, 0, 39, false, NULL },
	{ "available", N_("Available"), 'b', V_TEXT, 0, 0, false, NULL },
	{ NULL, NULL, 0, V_TEXT, 0, 0, false, NULL },
};

static const struct adm_col service_cols[] = {
	{ "name", N_("Service"), 'L', "name" },
	{ "server", N_("Server"), 'm', "server" },
	{ "path", N_("Path"), 'm', NULL },
	{ "secure", N_("HTTPS"), 'b', NULL },
	{ "accept_ipv4", N_("Accepts IPv4"), 'b', NULL },
	{ "accept_ipv6", N_("Accepts IPv6"), 'b', NULL },
	{ "configs", N_("Host configurations"), 'i', NULL },
	{ "owner", N_("Owner"), 's', NULL },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_col service_info[] = {
	{ "owner", N_("Owner"), 's', NULL },
	{ "configs", N_("Host configurations"), 'i', NULL },
	{ "created", N_("Created"), 't', NULL },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_field service_fields[] = {
	{ "name", N_("Name"), 't', V_TEXT, 1, 32, true, NULL },
	{ "server", N_("Server"), 't', V_SERVER, 0, 255, true,
	  N_("HOST or HOST:PORT ([IPv6]:PORT for an address).") },
	{ "path", N_("Path"), 't', V_PATH, 0, 255, true, NULL },
	{ "secure", N_("HTTPS"), 'b', V_TEXT, 0, 0, false, NULL },
	{ "accept_ipv4", N_("Accepts IPv4"), 'b', V_TEXT, 0, 0, false, NULL },
	{ "accept_ipv6", N_("Accepts IPv6"), 'b', V_TEXT, 0, 0, false, NULL },
	{ "comment", N_("Comment"), 't', V_TEXT, 0, 255, false, NULL },
	{ NULL, NULL, 0, V_TEXT, 0, 0, false, NULL },
};

static const struct adm_col forward_cols[] = {
	{ "host", N_("Host"), 'L', "host" },
	{ "service", N_("Service"), 's', "service" },
	{ "hostname", N_("Host name there"), 'm', NULL },
	{ "login", N_("Login"), 's', NULL },
	{ "give_ipv4", N_("Gives IPv4"), 'b', NULL },
	{ "give_ipv6", N_("Gives IPv6"), 'b', NULL },
	{ "last_state", N_("Last result"), 's', NULL },
	{ "last_forward", N_("Last forward"), 't', "last_forward" },
	{ "owner", N_("Owner"), 's', NULL },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_col forward_info[] = {
	{ "host", N_("Host"), 's', NULL },
	{ "service", N_("Service"), 's', NULL },
	{ "last_result", N_("Last result"), 'm', NULL },
	{ "last_forward", N_("Last forward"), 't', NULL },
	{ "owner", N_("Owner"), 's', NULL },
	{ "created", N_("Created"), 't', NULL },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_field forward_fields[] = {
	{ "hostname", N_("Host name there"), 't', V_TEXT, 0, 255, false, NULL },
	{ "name", N_("Login"), 't', V_TEXT, 1, 255, true, NULL },
	{ "password", N_("Password"), 'p', V_PASSWORD, 0, 255, false,
	  N_("Leave empty to keep the current password.") },
	{ "give_ipv4", N_("Gives IPv4"), 'b', V_TEXT, 0, 0, false, NULL },
	{ "give_ipv6", N_("Gives IPv6"), 'b', V_TEXT, 0, 0, false, NULL },
	{ "comment", N_("Comment"), 't', V_TEXT, 0, 255, false, NULL },
	{ NULL, NULL, 0, V_TEXT, 0, 0, false, NULL },
};

static const struct adm_col blacklist_cols[] = {
	{ "name_re", N_("Regular expression"), 'L', "name_re" },
	{ "owner", N_("Added by"), 's', NULL },
	{ "created", N_("Created"), 't', "created" },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_col blacklist_info[] = {
	{ "owner", N_("Added by"), 's', NULL },
	{ "created", N_("Created"), 't', NULL },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_field blacklist_fields[] = {
	{ "name_re", N_("Regular expression"), 't', V_REGEX, 1, 255, true,
	  N_("POSIX extended regular expression, searched in new host names.") },
	{ NULL, NULL, 0, V_TEXT, 0, 0, false, NULL },
};

static const struct adm_col audit_cols[] = {
	{ "at", N_("Time"), 'L', "at" },
	{ "actor", N_("Who"), 's', "actor" },
	{ "action", N_("Action"), 'm', "action" },
	{ "object", N_("Object"), 's', NULL },
	{ NULL, NULL, 0, NULL },
};
static const struct adm_col audit_info[] = {
	{ "at", N_("Time"), 't', NULL },
	{ "actor", N_("Who"), 's', NULL },
	{ "action", N_("Action"), 'm', NULL },
	{ "object", N_("Object"), 's', NULL },
	{ NULL, NULL, 0, NULL },
};

static const struct adm_filter no_filters[] = { { NULL, NULL, 0 } };
static const struct adm_action no_actions[] = { { NULL, NULL, false } };
static const struct adm_field no_fields[] = { { NULL, NULL, 0, V_TEXT, 0, 0, false, NULL } };

static const struct adm_model models[] = {
	{ "auth", "user", STORE_ADM_USER, N_("user"), N_("Users"), "user", "username",
	  user_cols, user_info, user_filters, user_actions, user_fields, false, true },
	{ "main", "host", STORE_ADM_HOST, N_("host"), N_("Hosts"), "host", "fqdn",
	  host_cols, host_info, host_filters, host_actions, host_fields, false, true },
	{ "main", "domain", STORE_ADM_DOMAIN, N_("domain"), N_("Domains"), "domain", "name",
	  domain_cols, domain_info, domain_filters, no_actions, domain_fields, false, true },
	{ "main", "relatedhost", STORE_ADM_RELATED, N_("related host"), N_("Related hosts"),
	  "related_host", "fqdn", related_cols, related_info, related_filters, no_actions,
	  related_fields, false, true },
	{ "main", "serviceupdater", STORE_ADM_SERVICE, N_("service"), N_("Services"), "service",
	  "name", service_cols, service_info, no_filters, no_actions, service_fields, true, true },
	{ "main", "serviceupdaterhostconfig", STORE_ADM_FORWARD, N_("host configuration"),
	  N_("Service host configurations"), "host_config", "host", forward_cols, forward_info,
	  no_filters, no_actions, forward_fields, false, true },
	{ "main", "blacklistedhost", STORE_ADM_BLACKLIST, N_("blacklist entry"),
	  N_("Host name blacklist"), "blacklist", "name_re", blacklist_cols, blacklist_info,
	  no_filters, no_actions, blacklist_fields, true, true },
	{ "admin", "logentry", STORE_ADM_AUDIT, N_("audit log entry"), N_("Audit log"), "audit",
	  "action", audit_cols, audit_info, no_filters, no_actions, no_fields, false, false },
};
#define N_MODELS (sizeof(models) / sizeof(models[0]))

/* The model of the path's two names, or NULL after a 404. */
static const struct adm_model *path_model(web_req *r)
{
	const char *app = web_path_name(r, 0), *model = web_path_name(r, 1);
	for (size_t i = 0; app != NULL && model != NULL && i < N_MODELS; i++)
		if (strcmp(models[i].app, app) == 0 && strcmp(models[i].model, model) == 0)
			return &models[i];
	web_error(r, 404, NULL);
	return NULL;
}

static const char *model_url(web_req *r, const struct adm_model *m)
{
	return arena_printf(r->a, "/admin/%s/%s/", m->app, m->model);
}

static json_t *model_json(web_req *r, const struct adm_model *m)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b}", "url", model_url(r, m),
		"singular", _(r, m->singular), "plural", _(r, m->plural), "model", m->model,
		"can_add", m->can_add, "can_delete", m->can_delete,
		"can_change", m->fields[0].name != NULL);
}

/* ---- rows as JSON ---- */

static json_t *row_json(const store_admin_row *row)
{
	json_t *o = json_object();
	for (int i = 0; i < row->ncols && row->names[i] != NULL; i++) {
		const char *v = row->col[i];
		json_t *j;
		switch (row->types[i]) {
		case 'i':
			j = v != NULL ? json_integer(strtoll(v, NULL, 10)) : json_null();
			break;
		case 't':
			j = json_integer(v != NULL ? strtoll(v, NULL, 10) : 0);
			break;
		case 'b':
			j = json_boolean(v != NULL && v[0] == '1');
			break;
		default:
			j = v != NULL ? json_string(v) : json_null();
			break;
		}
		/* Text that is not valid UTF-8 (old data) must not vanish. */
		if (j == NULL)
			j = json_string("?");
		json_object_set_new(o, row->names[i], j);
	}
	return o;
}

static bool take_one(const store_admin_row *row, void *ctx)
{
	json_t **out = ctx;
	*out = row_json(row);
	return false;
}

static bool take_all(const store_admin_row *row, void *ctx)
{
	json_array_append_new(ctx, row_json(row));
	return true;
}

/* The object of the path's <int>, or NULL after a 404 or 500. */
static json_t *path_object(web_req *r, const struct adm_model *m, int64_t *id)
{
	*id = web_path_int(r, 0);
	json_t *o = NULL;
	nsupd_err e = store_admin_get(r->app->store, m->kind, *id, take_one, &o);
	if (e == NSUPD_OK && o != NULL)
		return o;
	json_decref(o);
	if (e != NSUPD_ERR_NOT_FOUND) {
		log_error("web: admin: reading %s %lld: %s", m->audit, (long long)*id,
			  nsupd_strerror(e));
		web_error(r, 500, NULL);
	} else {
		web_error(r, 404, NULL);
	}
	return NULL;
}

static const char *json_text(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "";
}

static const char *object_title(web_req *r, const struct adm_model *m, json_t *o)
{
	json_t *t = json_object_get(o, m->title);
	/* A copy: the title outlives the object (audit entries after a delete). */
	if (json_is_string(t))
		return arena_printf(r->a, "%s", json_string_value(t));
	return arena_printf(r->a, "#%lld", (long long)json_integer_value(json_object_get(o, "id")));
}

/* ---- the audit log ---- */

/* Writes one entry; before and after (may be NULL) are consumed. A failure
 * is logged: the change itself is done and must not be reported as failed. */
static void audit(web_req *r, const char *action, const char *object, json_t *before,
		  json_t *after)
{
	char *b = before != NULL ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *a = after != NULL ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	store_audit e = { .at = r->now, .user_id = r->user.id, .actor = r->user.name,
			  .action = action, .object = object, .before = b, .after = a };
	nsupd_err err = store_audit_add(r->app->store, &e);
	if (err != NSUPD_OK)
		log_error("web: admin: writing the audit log (%s %s): %s", action, object,
			  nsupd_strerror(err));
	log_info("web: admin %s: %s %s", r->user.name, action, object);
	free(b);
	free(a);
	json_decref(before);
	json_decref(after);
}

static const char *audit_object(web_req *r, const struct adm_model *m, int64_t id,
				const char *title)
{
	return arena_printf(r->a, "%s %lld %s", m->audit, (long long)id, title);
}

/* ---- DNS side effects ---- */

/* Removes the A/AAAA records of a host and of its related hosts. false
 * when a record could not be removed (logged). */
static bool remove_host_records(web_req *r, int64_t host_id)
{
	store_host h;
	store_domain d;
	if (store_host_get(r->app->store, host_id, &h) != NSUPD_OK ||
	    store_domain_get(r->app->store, h.domain_id, &d) != NSUPD_OK)
		return false;
	bool ok = true;
	dns_error derr;
	memset(&derr, 0, sizeof(derr));
	if (followup_related_delete_all(r->app, &h, &d, &derr) != NSUPD_OK) {
		log_warn("web: admin: host %s.%s: removing related records: %s", h.name, d.name,
			 derr.msg);
		ok = false;
	}
	memset(&derr, 0, sizeof(derr));
	if (updater_delete_records(r->app, &h, &d, &derr) != NSUPD_OK) {
		log_warn("web: admin: host %s.%s: removing records: %s", h.name, d.name, derr.msg);
		ok = false;
	}
	return ok;
}

static bool remove_related_records(web_req *r, json_t *o)
{
	int64_t main_id = json_integer_value(json_object_get(o, "main_host_id"));
	store_host h;
	store_domain d;
	store_related rel;
	if (store_host_get(r->app->store, main_id, &h) != NSUPD_OK ||
	    store_domain_get(r->app->store, h.domain_id, &d) != NSUPD_OK ||
	    store_related_get(r->app->store, main_id, json_text(o, "name"), &rel) != NSUPD_OK)
		return false;
	dns_error derr;
	memset(&derr, 0, sizeof(derr));
	if (followup_related_delete_records(r->app, &h, &d, &rel, &derr) != NSUPD_OK) {
		log_warn("web: admin: related host %s: removing records: %s", json_text(o, "fqdn"),
			 derr.msg);
		return false;
	}
	return true;
}

/* ---- list URLs ---- */

struct listq {
	const char *q;
	unsigned filters;
	const char *created_from, *created_to;
	int64_t owner, domain, host, service;
	const char *sort;
	bool desc;
	int64_t page;
	int per_page;
};

static void enc_append(char *buf, size_t size, size_t *len, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p && *len + 4 < size; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			buf[(*len)++] = (char)*p;
		} else {
			buf[(*len)++] = '%';
			buf[(*len)++] = hex[*p >> 4];
			buf[(*len)++] = hex[*p & 15];
		}
	}
	buf[*len] = '\0';
}

static void param_append(char *buf, size_t size, size_t *len, const char *name,
			 const char *value)
{
	if (value == NULL || value[0] == '\0' || *len + strlen(name) + 3 >= size)
		return;
	char sep = *len == 0 ? '?' : '&';
	buf[(*len)++] = sep;
	buf[*len] = '\0';
	enc_append(buf, size, len, name);
	buf[(*len)++] = '=';
	buf[*len] = '\0';
	enc_append(buf, size, len, value);
}

static const char *list_url(web_req *r, const struct adm_model *m, const struct listq *lq)
{
	char qs[2048] = "";
	size_t n = 0;
	char num[32];
	param_append(qs, sizeof(qs), &n, "q", lq->q);
	for (const struct adm_filter *f = m->filters; f->param != NULL; f++)
		if (lq->filters & f->bit)
			param_append(qs, sizeof(qs), &n, f->param, "1");
	param_append(qs, sizeof(qs), &n, "created_from", lq->created_from);
	param_append(qs, sizeof(qs), &n, "created_to", lq->created_to);
	struct {
		const char *name;
		int64_t v;
	} ids[] = { { "owner", lq->owner }, { "domain", lq->domain }, { "host", lq->host },
		    { "service", lq->service } };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (ids[i].v == 0)
			continue;
		snprintf(num, sizeof(num), "%lld", (long long)ids[i].v);
		param_append(qs, sizeof(qs), &n, ids[i].name, num);
	}
	if (lq->sort != NULL) {
		param_append(qs, sizeof(qs), &n, "sort", lq->sort);
		param_append(qs, sizeof(qs), &n, "dir", lq->desc ? "desc" : "asc");
	}
	if (lq->per_page != PER_PAGE_DEFAULT) {
		snprintf(num, sizeof(num), "%d", lq->per_page);
		param_append(qs, sizeof(qs), &n, "per_page", num);
	}
	if (lq->page > 1) {
		snprintf(num, sizeof(num), "%lld", (long long)lq->page);
		param_append(qs, sizeof(qs), &n, "page", num);
	}
	return arena_printf(r->a, "%s%s", model_url(r, m), qs);
}

static int64_t query_id(web_req *r, const char *name)
{
	const char *v = web_query(r, name);
	long n;
	return v != NULL && str_to_long(v, 1, 0x7fffffffL, &n) ? (int64_t)n : 0;
}

/* "YYYY-MM-DD" as Unix seconds at 00:00 UTC; -1 when malformed. */
static int64_t parse_day(const char *s)
{
	int y, mo, d;
	char tail;
	if (s == NULL || sscanf(s, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3 || y < 1970 ||
	    y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d };
	return (int64_t)timegm(&tm);
}

static void read_listq(web_req *r, const struct adm_model *m, struct listq *lq)
{
	memset(lq, 0, sizeof(*lq));
	const char *q = web_query(r, "q");
	lq->q = q != NULL && strlen(q) <= 200 ? q : NULL;
	for (const struct adm_filter *f = m->filters; f->param != NULL; f++) {
		const char *v = web_query(r, f->param);
		if (v != NULL && v[0] != '\0' && strcmp(v, "0") != 0)
			lq->filters |= f->bit;
	}
	const char *from = web_query(r, "created_from"), *to = web_query(r, "created_to");
	lq->created_from = parse_day(from) >= 0 ? from : NULL;
	lq->created_to = parse_day(to) >= 0 ? to : NULL;
	lq->owner = query_id(r, "owner");
	lq->domain = query_id(r, "domain");
	lq->host = query_id(r, "host");
	lq->service = query_id(r, "service");
	const char *sort = web_query(r, "sort");
	if (sort != NULL && store_admin_sortable(m->kind, sort)) {
		lq->sort = sort;
		const char *dir = web_query(r, "dir");
		lq->desc = dir != NULL && strcmp(dir, "desc") == 0;
	}
	long n;
	const char *pp = web_query(r, "per_page");
	lq->per_page = pp != NULL && str_to_long(pp, 1, PER_PAGE_MAX, &n) ? (int)n :
		       PER_PAGE_DEFAULT;
	const char *page = web_query(r, "page");
	lq->page = page != NULL && str_to_long(page, 1, 100000000L, &n) ? n : 1;
}

/* ---- index ---- */

static void admin_index(web_req *r)
{
	json_t *list = json_array();
	for (size_t i = 0; i < N_MODELS; i++) {
		const struct adm_model *m = &models[i];
		store_admin_query q = { .kind = m->kind, .limit = 1 };
		int64_t total = 0;
		json_t *rows = json_array();
		nsupd_err e = store_admin_list(r->app->store, &q, &total, take_all, rows);
		json_decref(rows);
		if (e != NSUPD_OK) {
			log_error("web: admin: counting %s: %s", m->audit, nsupd_strerror(e));
			json_decref(list);
			web_error(r, 500, NULL);
			return;
		}
		json_t *mj = model_json(r, m);
		json_object_set_new(mj, "count", json_integer(total));
		json_array_append_new(list, mj);
	}
	json_object_set_new(r->ctx, "models", list);

	/* The latest changes, for a first look. */
	json_t *recent = json_array();
	store_admin_query q = { .kind = STORE_ADM_AUDIT, .limit = 10 };
	if (store_admin_list(r->app->store, &q, NULL, take_all, recent) != NSUPD_OK)
		json_array_clear(recent);
	json_object_set_new(r->ctx, "recent", recent);
	web_render(r, 200, "admin/index.html");
}

/* ---- list ---- */

static json_t *cell(web_req *r, const struct adm_model *m, const struct adm_col *c, json_t *row)
{
	json_t *v = json_object_get(row, c->key);
	json_t *out = json_pack("{s:s, s:O}", "fmt", (char[]){ c->fmt, '\0' },
				"value", v != NULL ? v : json_null());
	if (c->fmt == 'L') {
		json_int_t id = json_integer_value(json_object_get(row, "id"));
		json_object_set_new(out, "url", json_string(arena_printf(r->a, "%s%lld/change/",
			model_url(r, m), (long long)id)));
		if (json_is_integer(v))   /* the audit log's time */
			json_object_set_new(out, "time", json_true());
	}
	return out;
}

static void admin_list(web_req *r)
{
	const struct adm_model *m = path_model(r);
	if (m == NULL)
		return;
	struct listq lq;
	read_listq(r, m, &lq);
	store_admin_query q = {
		.kind = m->kind, .search = lq.q, .filters = lq.filters,
		.owner_id = lq.owner, .domain_id = lq.domain, .host_id = lq.host,
		.service_id = lq.service, .sort = lq.sort, .desc = lq.desc,
		.limit = lq.per_page,
	};
	if (lq.created_from != NULL)
		q.created_from = parse_day(lq.created_from);
	if (lq.created_to != NULL)
		q.created_to = parse_day(lq.created_to) + 86400;   /* the whole last day */
	q.offset = (lq.page - 1) * lq.per_page;
	int64_t total = 0;
	json_t *rows = json_array();
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	nsupd_err e = store_admin_list(r->app->store, &q, &total, take_all, rows);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (e == NSUPD_ERR_INVALID) {
		/* An id filter this kind does not have (?host= on users). */
		json_decref(rows);
		web_error(r, 404, NULL);
		return;
	}
	if (e != NSUPD_OK) {
		log_error("web: admin: listing %s: %s", m->audit, nsupd_strerror(e));
		json_decref(rows);
		web_error(r, 500, NULL);
		return;
	}
	int64_t pages = total > 0 ? (total + lq.per_page - 1) / lq.per_page : 1;

	/* Columns with their sort links: a click sorts ascending, a second
	 * click on the sorted column reverses it. */
	bool def_desc = false;
	const char *def_sort = store_admin_default_sort(m->kind, &def_desc);
	const char *cur_sort = lq.sort != NULL ? lq.sort : def_sort;
	bool cur_desc = lq.sort != NULL ? lq.desc : def_desc;
	json_t *cols = json_array();
	for (const struct adm_col *c = m->cols; c->key != NULL; c++) {
		json_t *cj = json_pack("{s:s, s:s}", "key", c->key, "label", _(r, c->label));
		if (c->sort != NULL) {
			struct listq s = lq;
			s.page = 1;
			s.sort = c->sort;
			bool sorted = cur_sort != NULL && strcmp(cur_sort, c->sort) == 0;
			s.desc = sorted ? !cur_desc : false;
			json_object_set_new(cj, "sort_url", json_string(list_url(r, m, &s)));
			if (sorted)
				json_object_set_new(cj, "sorted", json_string(cur_desc ? "desc" : "asc"));
		}
		json_array_append_new(cols, cj);
	}
	json_t *out_rows = json_array();
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		json_t *cells = json_array();
		for (const struct adm_col *c = m->cols; c->key != NULL; c++)
			json_array_append_new(cells, cell(r, m, c, row));
		json_t *flags = json_pack("{s:b, s:b}",
			"abuse_blocked", json_is_true(json_object_get(row, "abuse_blocked")),
			"inactive", json_is_false(json_object_get(row, "active")));
		json_array_append_new(out_rows, json_pack("{s:O, s:o, s:o}", "id",
			json_object_get(row, "id"), "cells", cells, "flags", flags));
	}
	json_decref(rows);

	json_t *filters = json_array();
	for (const struct adm_filter *f = m->filters; f->param != NULL; f++) {
		struct listq t = lq;
		t.page = 1;
		t.filters ^= f->bit;
		json_array_append_new(filters, json_pack("{s:s, s:s, s:b, s:s}", "param", f->param,
			"label", _(r, f->label), "active", (lq.filters & f->bit) != 0,
			"url", list_url(r, m, &t)));
	}
	json_t *actions = json_array();
	for (const struct adm_action *a = m->actions; a->action != NULL; a++)
		json_array_append_new(actions, json_pack("{s:s, s:s, s:b}", "action", a->action,
			"label", _(r, a->label), "danger", a->danger));

	struct listq p = lq;
	json_t *pg = json_pack("{s:I, s:I, s:I, s:I, s:I}", "page", (json_int_t)lq.page,
		"pages", (json_int_t)pages, "total", (json_int_t)total,
		"from", (json_int_t)(total > 0 ? q.offset + 1 : 0),
		"to", (json_int_t)(q.offset + (int64_t)json_array_size(out_rows)));
	if (lq.page > 1) {
		p.page = 1;
		json_object_set_new(pg, "first_url", json_string(list_url(r, m, &p)));
		p.page = lq.page - 1 < pages ? lq.page - 1 : pages;
		json_object_set_new(pg, "prev_url", json_string(list_url(r, m, &p)));
	}
	if (lq.page < pages) {
		p.page = lq.page + 1;
		json_object_set_new(pg, "next_url", json_string(list_url(r, m, &p)));
		p.page = pages;
		json_object_set_new(pg, "last_url", json_string(list_url(r, m, &p)));
	}
	struct listq clear = { .per_page = lq.per_page, .page = 1 };
	json_object_set_new(r->ctx, "model", model_json(r, m));
	json_object_set_new(r->ctx, "columns", cols);
	json_object_set_new(r->ctx, "rows", out_rows);
	json_object_set_new(r->ctx, "filters", filters);
	json_object_set_new(r->ctx, "actions", actions);
	json_object_set_new(r->ctx, "pagination", pg);
	json_object_set_new(r->ctx, "list", json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, "
		"s:b, s:I}",
		"q", lq.q != NULL ? lq.q : "", "created_from", lq.created_from ? lq.created_from : "",
		"created_to", lq.created_to ? lq.created_to : "",
		"sort", lq.sort != NULL ? lq.sort : "", "dir", lq.desc ? "desc" : "asc",
		"clear_url", list_url(r, m, &clear), "self_url", list_url(r, m, &lq),
		"per_page", lq.per_page,
		"narrowed", lq.q != NULL || lq.filters != 0 || lq.created_from != NULL ||
			    lq.created_to != NULL || lq.owner || lq.domain || lq.host || lq.service,
		"query_ms", (json_int_t)((t1.tv_sec - t0.tv_sec) * 1000 +
					 (t1.tv_nsec - t0.tv_nsec) / 1000000)));
	/* The id filters travel as hidden fields of the search form. */
	json_t *hidden = json_array();
	struct {
		const char *name;
		int64_t v;
	} ids[] = { { "owner", lq.owner }, { "domain", lq.domain }, { "host", lq.host },
		    { "service", lq.service } };
	for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++)
		if (ids[k].v != 0)
			json_array_append_new(hidden, json_pack("{s:s, s:I}", "name", ids[k].name,
				"value", (json_int_t)ids[k].v));
	json_object_set_new(r->ctx, "hidden", hidden);
	web_render(r, 200, "admin/list.html");
}

/* ---- bulk actions ---- */

static bool bulk_one(web_req *r, const struct adm_model *m, const char *action, int64_t id,
		     bool *dns_ok)
{
	json_t *before = NULL;
	nsupd_err e = store_admin_get(r->app->store, m->kind, id, take_one, &before);
	if (e != NSUPD_OK || before == NULL) {
		json_decref(before);
		return false;
	}
	const char *title = object_title(r, m, before);
	json_t *b = json_object(), *a = json_object();
	if (m->kind == STORE_ADM_HOST) {
		store_host_settings set = { 0 };
		if (strcmp(action, "set_abuse_blocked") == 0 ||
		    strcmp(action, "clear_abuse_blocked") == 0) {
			set.set_abuse_blocked = true;
			set.abuse_blocked = action[0] == 's';
			json_object_set(b, "abuse_blocked", json_object_get(before, "abuse_blocked"));
			json_object_set_new(a, "abuse_blocked", json_boolean(set.abuse_blocked));
			e = store_host_update_settings(r->app->store, id, &set);
			if (e == NSUPD_OK && set.abuse_blocked && !remove_host_records(r, id))
				*dns_ok = false;
		} else if (strcmp(action, "make_available") == 0 ||
			   strcmp(action, "make_unavailable") == 0) {
			set.set_available = true;
			set.available = strcmp(action, "make_available") == 0;
			json_object_set(b, "available", json_object_get(before, "available"));
			json_object_set_new(a, "available", json_boolean(set.available));
			e = store_host_update_settings(r->app->store, id, &set);
		} else if (strcmp(action, "reset_faults") == 0) {
			store_faults_op op = { .flag_abuse_over = -1, .reset_client = true,
					       .reset_server = true, .reset_api_auth = true };
			static const char *const keys[] = { "client_faults", "server_faults",
							    "api_auth_faults" };
			for (size_t k = 0; k < 3; k++) {
				json_object_set(b, keys[k], json_object_get(before, keys[k]));
				json_object_set_new(a, keys[k], json_integer(0));
			}
			e = store_host_faults(r->app->store, id, &op, NULL, NULL);
		} else {
			e = NSUPD_ERR_INVALID;
		}
	} else if (m->kind == STORE_ADM_USER) {
		bool active = strcmp(action, "activate") == 0;
		if (!active && strcmp(action, "deactivate") != 0) {
			e = NSUPD_ERR_INVALID;
		} else if (!active && id == r->user.id) {
			/* Locking oneself out by a stray tick helps nobody. */
			e = NSUPD_ERR_INVALID;
		} else {
			store_admin_set set = { "active", NULL, active };
			json_object_set(b, "active", json_object_get(before, "active"));
			json_object_set_new(a, "active", json_boolean(active));
			e = store_admin_update(r->app->store, m->kind, id, &set, 1);
			if (e == NSUPD_OK && !active)
				store_session_delete_user(r->app->store, id, NULL);
		}
	} else {
		e = NSUPD_ERR_INVALID;
	}
	json_decref(before);
	if (e != NSUPD_OK) {
		json_decref(b);
		json_decref(a);
		if (e != NSUPD_ERR_INVALID && e != NSUPD_ERR_NOT_FOUND)
			log_error("web: admin: %s on %s %lld: %s", action, m->audit, (long long)id,
				  nsupd_strerror(e));
		return false;
	}
	audit(r, arena_printf(r->a, "%s.%s", m->audit, action), audit_object(r, m, id, title), b, a);
	return true;
}

static void admin_bulk(web_req *r)
{
	const struct adm_model *m = path_model(r);
	if (m == NULL)
		return;
	const char *action = web_form(r, "action");
	const struct adm_action *act = NULL;
	for (const struct adm_action *a = m->actions; action != NULL && a->action != NULL; a++)
		if (strcmp(a->action, action) == 0)
			act = a;
	const char *back = web_form(r, "next");
	if (back == NULL || !web_is_local_path(back) ||
	    strncmp(back, model_url(r, m), strlen(model_url(r, m))) != 0)
		back = model_url(r, m);
	if (act == NULL) {
		web_flash(r, "warning", _(r, "Choose an action."));
		web_redirect(r, back);
		return;
	}
	int64_t ids[PER_PAGE_MAX];
	size_t n = 0;
	for (size_t i = 0; i < r->http->n_form && n < PER_PAGE_MAX; i++) {
		long v;
		if (strcmp(r->http->form[i].name, "ids") == 0 &&
		    str_to_long(r->http->form[i].value, 1, 0x7fffffffL, &v))
			ids[n++] = v;
	}
	if (n == 0) {
		web_flash(r, "warning", _(r, "Select the rows to change first."));
		web_redirect(r, back);
		return;
	}
	size_t done = 0;
	bool dns_ok = true;
	for (size_t i = 0; i < n; i++)
		if (bulk_one(r, m, act->action, ids[i], &dns_ok))
			done++;
	char num[64];
	snprintf(num, sizeof(num), "%zu", done);
	const char *msg = _(r, "%(action)s: %(count)s of the selected rows changed.");
	const char *p = strstr(msg, "%(action)s");
	char *text = p != NULL ? arena_printf(r->a, "%.*s%s%s", (int)(p - msg), msg,
					      _(r, act->label), p + 10) : (char *)msg;
	p = text != NULL ? strstr(text, "%(count)s") : NULL;
	if (p != NULL)
		text = arena_printf(r->a, "%.*s%s%s", (int)(p - text), text, num, p + 9);
	web_flash(r, done == n ? "success" : "warning", text != NULL ? text : msg);
	if (!dns_ok)
		web_flash(r, "warning", _(r, "Some DNS records could not be removed: the name "
					  "server did not answer or refused."));
	web_redirect(r, back);
}

/* ---- change and add forms ---- */

static bool printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}

static bool valid_tsig_secret(const char *b64)
{
	unsigned char bin[128];
	size_t len = 0, n = strlen(b64);
	if (n == 0 || n >= 128)
		return false;
	return sodium_base642bin(bin, sizeof(bin), b64, n, NULL, &len, NULL,
				 sodium_base64_VARIANT_ORIGINAL) == 0 && len > 0;
}

/* Checks one text field; on success *out is the value to store (maybe
 * normalised), else the message for the form. */
static const char *check_text(web_req *r, const struct adm_field *f, char *v, const char **out)
{
	*out = v;
	if (f->required && v[0] == '\0' && f->vld != V_TSIG && f->vld != V_PASSWORD)
		return _(r, "This field is required.");
	if (strlen(v) > (size_t)f->hi || !printable(v))
		return f->hi == 255 ? _(r, "Ensure this value has at most 255 characters.") :
		       _(r, "This value is too long or contains control characters.");
	switch (f->vld) {
	case V_TEXT:
	case V_PASSWORD:
		return NULL;
	case V_EMAIL:
		if (!email_syntax_ok(v) || email_blacklisted(r->app->cfg->email_blacklist,
							     r->app->cfg->n_email_blacklist, v))
			return _(r, "Enter a valid email address.");
		return NULL;
	case V_NS:
	case V_NS_OPT: {
		if (v[0] == '\0')
			return NULL;   /* required was checked above */
		dns_server s;
		if (!dns_server_parse(v, &s))
			return f->vld == V_NS ?
			       _(r, "Enter the IP address of the primary nameserver, optionally "
				    "with a port: 192.0.2.1, 192.0.2.1:5353, 2001:db8::1 or "
				    "[2001:db8::1]:5353.") :
			       _(r, "Enter an IP address with an optional port, or leave the field "
				    "empty.");
		char *canon = arena_alloc(r->a, STORE_ADDR_MAX);
		if (canon != NULL) {
			dns_server_format(&s, canon, STORE_ADDR_MAX);
			*out = canon;
		}
		return NULL;
	}
	case V_ALG: {
		dns_algorithm a;
		if (!dns_algorithm_parse(v, &a))
			return _(r, "Choose an algorithm.");
		*out = dns_algorithm_name(a);
		return NULL;
	}
	case V_TSIG:
		if (v[0] != '\0' && !valid_tsig_secret(v))
			return _(r, "Enter a valid secret in base64 format.");
		return NULL;
	case V_IFID4:
	case V_IFID6: {
		bool empty;
		ip_addr addr;
		char *canon = arena_alloc(r->a, IP_STRLEN);
		char why[160];
		if (canon == NULL || !ifid_parse(v, f->vld == V_IFID4 ? 4 : 6, &empty, &addr, canon,
						 why, sizeof(why)))
			return _(r, "Enter a valid interface ID, e.g. 0.0.0.1 (IPv4) or "
				    "::1:2 (IPv6), or leave the field empty.");
		*out = canon;
		return NULL;
	}
	case V_SERVER:
		if (!fwd_server_valid(v))
			return _(r, "Enter HOST or HOST:PORT ([IPv6]:PORT for an address).");
		return NULL;
	case V_PATH:
		if (!fwd_path_valid(v))
			return _(r, "The path must start with / and contain no spaces.");
		return NULL;
	case V_REGEX: {
		regex_t re;
		if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0)
			return _(r, "This is not a valid regular expression.");
		regfree(&re);
		return NULL;
	}
	case V_LANG:
		if (v[0] != '\0' && !i18n_has(r->w->i18n, v))
			return _(r, "Select a valid choice.");
		return NULL;
	}
	return NULL;
}

static bool parse_number(const char *s, int lo, int hi, int64_t *out)
{
	long v;
	if (s == NULL || strlen(s) > 6 || !str_to_long(s, lo, hi, &v))
		return false;
	*out = v;
	return true;
}

struct form_result {
	store_admin_set set[16];
	size_t n;
	json_t *values;       /* what the form shows again */
	json_t *errors;
	json_t *before, *after;   /* the changed columns */
};

/* Reads and checks every field of m against the current object cur
 * (NULL when adding). */
static void read_form(web_req *r, const struct adm_model *m, json_t *cur, struct form_result *fr)
{
	fr->n = 0;
	fr->values = json_object();
	fr->errors = json_object();
	fr->before = json_object();
	fr->after = json_object();
	for (const struct adm_field *f = m->fields; f->name != NULL && fr->n < 16; f++) {
		json_t *old = cur != NULL ? json_object_get(cur, f->name) : NULL;
		if (f->type == 'b') {
			bool v = web_form_checked(r, f->name);
			json_object_set_new(fr->values, f->name, json_boolean(v));
			if (cur == NULL || json_is_true(old) != v) {
				fr->set[fr->n++] = (store_admin_set){ f->name, NULL, v };
				if (old != NULL)
					json_object_set(fr->before, f->name, old);
				json_object_set_new(fr->after, f->name, json_boolean(v));
			}
			continue;
		}
		char *raw = web_form_trimmed(r, f->name);
		if (raw == NULL)
			continue;
		if (f->type == 'n') {
			int64_t v = 0;
			json_object_set_new(fr->values, f->name, json_string(raw));
			if (!parse_number(raw, f->lo, f->hi, &v)) {
				json_object_set_new(fr->errors, f->name, json_string(
					f->hi == 32 ? _(r, "Enter a whole number from 0 to 32.") :
					f->hi == 64 ? _(r, "Enter a whole number from 0 to 64.") :
					_(r, "Enter a whole number.")));
				continue;
			}
			if (cur == NULL || json_integer_value(old) != v) {
				fr->set[fr->n++] = (store_admin_set){ f->name, NULL, v };
				if (old != NULL)
					json_object_set(fr->before, f->name, old);
				json_object_set_new(fr->after, f->name, json_integer(v));
			}
			continue;
		}
		/* Secrets are never shown again: the form field stays empty. */
		bool secret = f->type == 'p';
		if (!secret)
			json_object_set_new(fr->values, f->name, json_string(raw));
		const char *val = raw;
		const char *err = check_text(r, f, raw, &val);
		if (err != NULL) {
			json_object_set_new(fr->errors, f->name, json_string(err));
			continue;
		}
		if (secret) {
			if (val[0] == '\0') {
				if (cur == NULL && f->required)
					json_object_set_new(fr->errors, f->name,
						json_string(_(r, "This field is required.")));
				continue;
			}
			fr->set[fr->n++] = (store_admin_set){ f->name, val, 0 };
			json_object_set_new(fr->after, f->name, json_string("(changed)"));
			continue;
		}
		if (cur == NULL || !json_is_string(old) || strcmp(json_string_value(old), val) != 0) {
			fr->set[fr->n++] = (store_admin_set){ f->name, val, 0 };
			json_object_set(fr->before, f->name, old != NULL ? old : json_null());
			json_object_set_new(fr->after, f->name, json_string(val));
		}
	}
	/* Cross-field rules of the user-facing forms. */
	if (m->kind == STORE_ADM_DOMAIN && web_form_checked(r, "public") && !web_form_checked(r, "available"))
		json_object_set_new(fr->errors, "public", json_string(_(r,
			"Domain must be available to be public.")));
	if (m->kind == STORE_ADM_USER && cur != NULL &&
	    json_integer_value(json_object_get(cur, "id")) == r->user.id &&
	    (!web_form_checked(r, "staff") || !web_form_checked(r, "active")))
		json_object_set_new(fr->errors, "staff", json_string(_(r,
			"You cannot take away your own staff status or deactivate yourself here.")));
}

static void free_form(struct form_result *fr)
{
	json_decref(fr->values);
	json_decref(fr->errors);
	json_decref(fr->before);
	json_decref(fr->after);
}

static json_t *field_list(web_req *r, const struct adm_model *m, json_t *values, json_t *errors)
{
	json_t *list = json_array();
	for (const struct adm_field *f = m->fields; f->name != NULL; f++) {
		json_t *v = json_object_get(values, f->name);
		json_t *fj = json_pack("{s:s, s:s, s:s, s:b, s:i, s:i, s:i}", "name", f->name,
			"label", _(r, f->label), "type", (char[]){ f->type, '\0' },
			"required", f->required, "lo", f->lo, "hi", f->hi,
			"maxlength", f->type == 'p' || f->type == 't' ? f->hi : 0);
		if (f->type == 'b')
			json_object_set_new(fj, "checked", json_boolean(json_is_true(v)));
		else if (json_is_integer(v))
			json_object_set_new(fj, "value", json_sprintf("%lld",
				(long long)json_integer_value(v)));
		else if (json_is_string(v))
			json_object_set(fj, "value", v);
		if (f->help != NULL)
			json_object_set_new(fj, "help", json_string(_(r, f->help)));
		json_t *e = json_object_get(errors, f->name);
		if (e != NULL)
			json_object_set(fj, "error", e);
		if (f->type == 'a') {
			static const dns_algorithm algs[] = { DNS_HMAC_SHA512, DNS_HMAC_SHA384,
				DNS_HMAC_SHA256, DNS_HMAC_SHA224, DNS_HMAC_SHA1, DNS_HMAC_MD5 };
			json_t *opts = json_array();
			for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
				const char *name = dns_algorithm_name(algs[i]);
				json_array_append_new(opts, json_pack("{s:s, s:s, s:b}", "value", name,
					"label", name, "selected",
					json_is_string(v) && strcmp(json_string_value(v), name) == 0));
			}
			json_object_set_new(fj, "options", opts);
		} else if (f->type == 'l') {
			json_t *opts = json_array();
			json_array_append_new(opts, json_pack("{s:s, s:s, s:b}", "value", "", "label",
				_(r, "Browser's choice"), "selected",
				!json_is_string(v) || json_string_value(v)[0] == '\0'));
			const char *codes[I18N_MAX_LANGS + 1];
			size_t n = i18n_languages(r->w->i18n, codes, I18N_MAX_LANGS + 1);
			for (size_t i = 0; i < n; i++)
				json_array_append_new(opts, json_pack("{s:s, s:s, s:b}", "value", codes[i],
					"label", i18n_language_name(codes[i]), "selected",
					json_is_string(v) && strcmp(json_string_value(v), codes[i]) == 0));
			json_object_set_new(fj, "options", opts);
		}
		json_array_append_new(list, fj);
	}
	return list;
}

static json_t *info_list(web_req *r, const struct adm_model *m, json_t *o)
{
	json_t *list = json_array();
	for (const struct adm_col *c = m->info; c->key != NULL; c++) {
		json_t *v = json_object_get(o, c->key);
		json_array_append_new(list, json_pack("{s:s, s:s, s:O}", "label", _(r, c->label),
			"fmt", (char[]){ c->fmt, '\0' }, "value", v != NULL ? v : json_null()));
	}
	return list;
}

/* Links to the lists of what hangs off an object. */
static json_t *links_of(web_req *r, const struct adm_model *m, json_t *o)
{
	json_t *l = json_array();
	long long id = (long long)json_integer_value(json_object_get(o, "id"));
#define LINK(label, fmt, ...) json_array_append_new(l, json_pack("{s:s, s:s}", "label", \
	_(r, label), "url", arena_printf(r->a, fmt, __VA_ARGS__)))
	switch (m->kind) {
	case STORE_ADM_USER:
		LINK(N_("Hosts of this user"), "/admin/main/host/?owner=%lld", id);
		LINK(N_("Domains of this user"), "/admin/main/domain/?owner=%lld", id);
		LINK(N_("Changes made by this user"), "/admin/admin/logentry/?owner=%lld", id);
		break;
	case STORE_ADM_HOST:
		LINK(N_("Owner"), "/admin/auth/user/%lld/change/",
		     (long long)json_integer_value(json_object_get(o, "owner_id")));
		LINK(N_("Domain"), "/admin/main/domain/%lld/change/",
		     (long long)json_integer_value(json_object_get(o, "domain_id")));
		LINK(N_("Related hosts"), "/admin/main/relatedhost/?host=%lld", id);
		LINK(N_("Service host configurations"), "/admin/main/serviceupdaterhostconfig/"
		     "?host=%lld", id);
		break;
	case STORE_ADM_DOMAIN:
		LINK(N_("Hosts of this domain"), "/admin/main/host/?domain=%lld", id);
		LINK(N_("Owner"), "/admin/auth/user/%lld/change/",
		     (long long)json_integer_value(json_object_get(o, "owner_id")));
		break;
	case STORE_ADM_RELATED:
		LINK(N_("Main host"), "/admin/main/host/%lld/change/",
		     (long long)json_integer_value(json_object_get(o, "main_host_id")));
		break;
	case STORE_ADM_SERVICE:
		LINK(N_("Host configurations of this service"),
		     "/admin/main/serviceupdaterhostconfig/?service=%lld", id);
		break;
	case STORE_ADM_FORWARD:
		LINK(N_("Host"), "/admin/main/host/%lld/change/",
		     (long long)json_integer_value(json_object_get(o, "host_id")));
		LINK(N_("Service"), "/admin/main/serviceupdater/%lld/change/",
		     (long long)json_integer_value(json_object_get(o, "service_id")));
		break;
	default:
		break;
	}
#undef LINK
	return l;
}

/* The audit entry's before/after as rows of field, before, after. */
static json_t *audit_changes(json_t *o)
{
	json_t *before = json_loads(json_text(o, "before"), 0, NULL);
	json_t *after = json_loads(json_text(o, "after"), 0, NULL);
	json_t *rows = json_array();
	json_t *keys = json_object();
	const char *k;
	json_t *v;
	if (json_is_object(before))
		json_object_foreach(before, k, v)
			json_object_set_new(keys, k, json_true());
	if (json_is_object(after))
		json_object_foreach(after, k, v)
			json_object_set_new(keys, k, json_true());
	json_object_foreach(keys, k, v) {
		json_t *b = json_is_object(before) ? json_object_get(before, k) : NULL;
		json_t *a = json_is_object(after) ? json_object_get(after, k) : NULL;
		char *bs = b != NULL ? json_dumps(b, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		char *as = a != NULL ? json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		json_array_append_new(rows, json_pack("{s:s, s:s?, s:s?}", "field", k,
			"before", bs, "after", as));
		free(bs);
		free(as);
	}
	json_decref(keys);
	json_decref(before);
	json_decref(after);
	return rows;
}

static void render_change(web_req *r, const struct adm_model *m, json_t *o, json_t *values,
			  json_t *errors, unsigned status)
{
	json_object_set_new(r->ctx, "model", model_json(r, m));
	json_object_set_new(r->ctx, "object", json_pack("{s:O, s:s}", "id",
		json_object_get(o, "id"), "title", object_title(r, m, o)));
	json_object_set_new(r->ctx, "fields", field_list(r, m, values, errors));
	json_object_set_new(r->ctx, "info", info_list(r, m, o));
	json_object_set_new(r->ctx, "links", links_of(r, m, o));
	json_object_set_new(r->ctx, "has_errors", json_boolean(json_object_size(errors) > 0));
	if (m->kind == STORE_ADM_AUDIT)
		json_object_set_new(r->ctx, "changes", audit_changes(o));
	if (m->kind == STORE_ADM_HOST)
		json_object_set_new(r->ctx, "flags", json_pack("{s:O, s:O}", "abuse_blocked",
			json_object_get(o, "abuse_blocked"), "abuse", json_object_get(o, "abuse")));
	web_render(r, status, "admin/change.html");
}

static void admin_change(web_req *r)
{
	const struct adm_model *m = path_model(r);
	if (m == NULL)
		return;
	int64_t id;
	json_t *o = path_object(r, m, &id);
	if (o == NULL)
		return;
	if (!r->http->post || m->fields[0].name == NULL) {
		if (r->http->post) {
			json_decref(o);
			web_error(r, 404, NULL);
			return;
		}
		json_t *values = json_object();
		for (const struct adm_field *f = m->fields; f->name != NULL; f++)
			if (f->type != 'p' && json_object_get(o, f->name) != NULL)
				json_object_set(values, f->name, json_object_get(o, f->name));
		render_change(r, m, o, values, NULL, 200);
		json_decref(values);
		json_decref(o);
		return;
	}
	struct form_result fr;
	read_form(r, m, o, &fr);
	if (json_object_size(fr.errors) > 0) {
		render_change(r, m, o, fr.values, fr.errors, 200);
		free_form(&fr);
		json_decref(o);
		return;
	}
	/* Switching a domain on ends its back-off, as the owner's form does. */
	if (m->kind == STORE_ADM_DOMAIN && json_is_true(json_object_get(fr.after, "available")) &&
	    fr.n < 16)
		fr.set[fr.n++] = (store_admin_set){ "backoff_until", NULL, 0 };
	nsupd_err e = fr.n > 0 ? store_admin_update(r->app->store, m->kind, id, fr.set, fr.n) :
		      NSUPD_OK;
	if (e == NSUPD_ERR_EXISTS) {
		json_object_set_new(fr.errors, m->fields[0].name, json_string(_(r,
			"An entry with this value already exists.")));
		render_change(r, m, o, fr.values, fr.errors, 200);
		free_form(&fr);
		json_decref(o);
		return;
	}
	if (e != NSUPD_OK) {
		log_error("web: admin: changing %s %lld: %s", m->audit, (long long)id,
			  nsupd_strerror(e));
		free_form(&fr);
		json_decref(o);
		web_error(r, e == NSUPD_ERR_NOT_FOUND ? 404 : 500, NULL);
		return;
	}
	const char *title = object_title(r, m, o);
	bool dns_ok = true;
	/* spec 3.8: saving a host while it is flagged removes its records. */
	if (m->kind == STORE_ADM_HOST && (web_form_checked(r, "abuse") || web_form_checked(r, "abuse_blocked")))
		dns_ok = remove_host_records(r, id);
	if (m->kind == STORE_ADM_USER && json_is_false(json_object_get(fr.after, "active")))
		store_session_delete_user(r->app->store, id, NULL);
	if (fr.n > 0) {
		audit(r, arena_printf(r->a, "%s.change", m->audit), audit_object(r, m, id, title),
		      fr.before, fr.after);
		fr.before = fr.after = NULL;
	}
	free_form(&fr);
	json_decref(o);
	web_flash(r, "success", fr.n > 0 ? _(r, "The changes were saved.") :
		  _(r, "Nothing was changed."));
	if (!dns_ok)
		web_flash(r, "warning", _(r, "Some DNS records could not be removed: the name "
					  "server did not answer or refused."));
	web_redirect(r, arena_printf(r->a, "%s%lld/change/", model_url(r, m), (long long)id));
}

static void admin_add(web_req *r)
{
	const struct adm_model *m = path_model(r);
	if (m == NULL)
		return;
	if (!m->can_add) {
		web_error(r, 404, NULL);
		return;
	}
	json_object_set_new(r->ctx, "model", model_json(r, m));
	if (!r->http->post) {
		json_t *values = json_object();
		if (m->kind == STORE_ADM_SERVICE) {
			json_object_set_new(values, "path", json_string("/nic/update"));
			json_object_set_new(values, "secure", json_true());
		}
		json_object_set_new(r->ctx, "fields", field_list(r, m, values, NULL));
		json_decref(values);
		web_render(r, 200, "admin/change.html");
		return;
	}
	struct form_result fr;
	read_form(r, m, NULL, &fr);
	int64_t id = 0;
	nsupd_err e = NSUPD_OK;
	if (json_object_size(fr.errors) == 0) {
		if (m->kind == STORE_ADM_BLACKLIST) {
			e = store_blacklist_add(r->app->store,
				json_string_value(json_object_get(fr.after, "name_re")), r->user.id, &id);
		} else {
			store_service sv;
			memset(&sv, 0, sizeof(sv));
			str_copy(sv.name, json_text(fr.after, "name"), sizeof(sv.name));
			str_copy(sv.server, json_text(fr.after, "server"), sizeof(sv.server));
			str_copy(sv.path, json_text(fr.after, "path"), sizeof(sv.path));
			str_copy(sv.comment, json_text(fr.after, "comment"), sizeof(sv.comment));
			sv.secure = json_is_true(json_object_get(fr.after, "secure"));
			sv.accept_ipv4 = json_is_true(json_object_get(fr.after, "accept_ipv4"));
			sv.accept_ipv6 = json_is_true(json_object_get(fr.after, "accept_ipv6"));
			sv.owner_id = r->user.id;
			sv.created = r->now;
			e = store_service_add(r->app->store, &sv, &id);
		}
		if (e == NSUPD_ERR_EXISTS)
			json_object_set_new(fr.errors, m->fields[0].name, json_string(_(r,
				"An entry with this value already exists.")));
		else if (e == NSUPD_ERR_INVALID)
			json_object_set_new(fr.errors, m->fields[0].name, json_string(_(r,
				"This value is not accepted.")));
	}
	if (json_object_size(fr.errors) > 0 || e != NSUPD_OK) {
		if (e != NSUPD_OK && e != NSUPD_ERR_EXISTS && e != NSUPD_ERR_INVALID) {
			log_error("web: admin: adding %s: %s", m->audit, nsupd_strerror(e));
			free_form(&fr);
			web_error(r, 500, NULL);
			return;
		}
		json_object_set_new(r->ctx, "fields", field_list(r, m, fr.values, fr.errors));
		json_object_set_new(r->ctx, "has_errors", json_true());
		free_form(&fr);
		web_render(r, 200, "admin/change.html");
		return;
	}
	const char *title = json_text(fr.after, m->title);
	audit(r, arena_printf(r->a, "%s.add", m->audit), audit_object(r, m, id, title), NULL,
	      fr.after);
	fr.after = NULL;
	free_form(&fr);
	web_flash(r, "success", _(r, "The entry was added."));
	web_redirect(r, model_url(r, m));
}

/* ---- delete ---- */

struct idcollect {
	int64_t *ids;
	size_t n, max;
};

static bool collect_host(const store_host *h, void *ctx)
{
	struct idcollect *c = ctx;
	if (c->n < c->max)
		c->ids[c->n++] = h->id;
	return c->n < c->max;
}

/* What else goes with an object, for the confirmation page. */
static void delete_consequences(web_req *r, const struct adm_model *m, json_t *o, int64_t id)
{
	json_t *items = json_array();
	json_t *names = json_array();
	int64_t total = 0;
#define ITEM(text) json_array_append_new(items, json_string(text))
	switch (m->kind) {
	case STORE_ADM_USER: {
		int64_t hosts = json_integer_value(json_object_get(o, "hosts"));
		int64_t domains = json_integer_value(json_object_get(o, "domains"));
		ITEM(arena_printf(r->a, "%s: %lld", _(r, "Hosts of this user"), (long long)hosts));
		ITEM(arena_printf(r->a, "%s: %lld", _(r, "Domains of this user, with every host in "
			"them (also other users' hosts)"), (long long)domains));
		ITEM(_(r, "The A and AAAA records of all these hosts and of their related hosts "
			  "are removed from DNS."));
		int64_t *ids = NULL;
		size_t n = 0;
		if (store_account_host_ids(r->app->store, id, &ids, &n) == NSUPD_OK) {
			total = (int64_t)n;
			for (size_t i = 0; i < n && i < DELETE_LIST_MAX; i++) {
				store_host h;
				if (store_host_get(r->app->store, ids[i], &h) == NSUPD_OK)
					json_array_append_new(names, json_sprintf("%s.%s", h.name,
										 h.domain));
			}
		}
		free(ids);
		break;
	}
	case STORE_ADM_HOST:
		ITEM(_(r, "The host's A and AAAA records are removed from DNS."));
		ITEM(arena_printf(r->a, "%s: %lld", _(r, "Related hosts (their records are removed "
			"too)"), (long long)json_integer_value(json_object_get(o, "related"))));
		ITEM(arena_printf(r->a, "%s: %lld", _(r, "Service host configurations"),
			(long long)json_integer_value(json_object_get(o, "forwards"))));
		break;
	case STORE_ADM_DOMAIN: {
		ITEM(arena_printf(r->a, "%s: %lld", _(r, "Hosts of this domain"),
			(long long)json_integer_value(json_object_get(o, "hosts"))));
		ITEM(_(r, "The A and AAAA records of these hosts and of their related hosts are "
			  "removed from DNS."));
		store_admin_query q = { .kind = STORE_ADM_HOST, .domain_id = id,
					.sort = "name", .limit = DELETE_LIST_MAX };
		json_t *rows = json_array();
		if (store_admin_list(r->app->store, &q, &total, take_all, rows) == NSUPD_OK) {
			size_t i;
			json_t *row;
			json_array_foreach(rows, i, row)
				json_array_append_new(names, json_string(json_text(row, "fqdn")));
		}
		json_decref(rows);
		break;
	}
	case STORE_ADM_RELATED:
		ITEM(_(r, "The related host's A and AAAA records are removed from DNS."));
		break;
	case STORE_ADM_SERVICE:
		ITEM(arena_printf(r->a, "%s: %lld", _(r, "Host configurations of this service"),
			(long long)json_integer_value(json_object_get(o, "configs"))));
		break;
	default:
		break;
	}
#undef ITEM
	json_object_set_new(r->ctx, "consequences", items);
	json_object_set_new(r->ctx, "affected", names);
	json_object_set_new(r->ctx, "affected_more", json_integer(
		total > (int64_t)json_array_size(names) ? total - (int64_t)json_array_size(names) : 0));
}

static void admin_delete(web_req *r)
{
	const struct adm_model *m = path_model(r);
	if (m == NULL)
		return;
	if (!m->can_delete) {
		web_error(r, 404, NULL);
		return;
	}
	int64_t id;
	json_t *o = path_object(r, m, &id);
	if (o == NULL)
		return;
	const char *title = object_title(r, m, o);
	if (!r->http->post) {
		json_object_set_new(r->ctx, "model", model_json(r, m));
		json_object_set_new(r->ctx, "object", json_pack("{s:I, s:s}", "id", (json_int_t)id,
			"title", title));
		delete_consequences(r, m, o, id);
		json_decref(o);
		web_render(r, 200, "admin/delete.html");
		return;
	}
	if (m->kind == STORE_ADM_USER && id == r->user.id) {
		json_decref(o);
		web_flash(r, "danger", _(r, "You cannot delete your own account here."));
		web_redirect(r, arena_printf(r->a, "%s%lld/change/", model_url(r, m), (long long)id));
		return;
	}
	/* DNS first, while the rows still say what to remove. */
	bool dns_ok = true;
	if (m->kind == STORE_ADM_HOST) {
		dns_ok = remove_host_records(r, id);
	} else if (m->kind == STORE_ADM_RELATED) {
		dns_ok = remove_related_records(r, o);
	} else if (m->kind == STORE_ADM_USER || m->kind == STORE_ADM_DOMAIN) {
		int64_t *ids = NULL;
		size_t n = 0;
		nsupd_err e;
		if (m->kind == STORE_ADM_USER) {
			e = store_account_host_ids(r->app->store, id, &ids, &n);
		} else {
			int64_t count = json_integer_value(json_object_get(o, "hosts"));
			struct idcollect c = { calloc((size_t)count + 1, sizeof(int64_t)), 0,
					       (size_t)count + 1 };
			ids = c.ids;
			e = ids != NULL ? store_host_list_by_domain(r->app->store, id, collect_host, &c) :
			    NSUPD_ERR_NOMEM;
			n = c.n;
		}
		if (e != NSUPD_OK) {
			log_error("web: admin: listing the hosts of %s %lld: %s", m->audit,
				  (long long)id, nsupd_strerror(e));
			free(ids);
			json_decref(o);
			web_error(r, 500, NULL);
			return;
		}
		for (size_t i = 0; i < n; i++)
			if (!remove_host_records(r, ids[i]))
				dns_ok = false;
		free(ids);
	}
	nsupd_err e = store_admin_delete(r->app->store, m->kind, id);
	if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND) {
		log_error("web: admin: deleting %s %lld: %s", m->audit, (long long)id,
			  nsupd_strerror(e));
		json_decref(o);
		web_error(r, 500, NULL);
		return;
	}
	audit(r, arena_printf(r->a, "%s.delete", m->audit), audit_object(r, m, id, title), o, NULL);
	web_flash(r, "success", _(r, "The entry was deleted."));
	if (!dns_ok)
		web_flash(r, "warning", _(r, "Some DNS records could not be removed: the name "
					  "server did not answer or refused."));
	web_redirect(r, model_url(r, m));
}

static const web_page pages[] = {
	{ "/admin/", HTTP_GET, WEB_STAFF, admin_index },
	{ "/admin/<name>/<name>/", HTTP_GET, WEB_STAFF, admin_list },
	{ "/admin/<name>/<name>/", HTTP_POST, WEB_STAFF, admin_bulk },
	{ "/admin/<name>/<name>/add/", HTTP_GET | HTTP_POST, WEB_STAFF, admin_add },
	{ "/admin/<name>/<name>/<int>/change/", HTTP_GET | HTTP_POST, WEB_STAFF, admin_change },
	{ "/admin/<name>/<name>/<int>/delete/", HTTP_GET | HTTP_POST, WEB_STAFF, admin_delete },
};

const web_module web_module_admin = { pages, sizeof(pages) / sizeof(pages[0]) };
