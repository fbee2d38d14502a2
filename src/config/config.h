/* The INI configuration file. Unknown sections or keys and bad values stop
 * start-up with "FILE:LINE: [section] key: problem". */
#ifndef NSUPD_CONFIG_CONFIG_H
#define NSUPD_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ipaddr.h"
#include "util/error.h"

#define CONFIG_MAX_LISTEN 16

typedef struct config_listen {
	char host[IP_STRLEN];   /* numeric address */
	uint16_t port;
} config_listen;

/* Remote login providers: [oauth.github], [oauth.gitlab], [oauth.google]
 * and [oidc.NAME] sections. Every URL is https://, or http:// to a
 * loopback address (tests, a provider on the same machine). */
#define CONFIG_MAX_OAUTH 16
enum config_oauth_kind {
	CONFIG_OAUTH_GITHUB,          /* OAuth2 + GitHub's user API, no ID token */
	CONFIG_OAUTH_OIDC,            /* OpenID Connect: GitLab, Google, generic */
};
typedef struct config_oauth {
	char name[40];                /* backend name in URLs: github, gitlab,
	                               * google-oauth2, or NAME of [oidc.NAME] */
	enum config_oauth_kind kind;
	char *title;                  /* button text ("GitHub"); "" = from name */
	char *client_id;
	char *client_secret;
	char *discovery_url;          /* OIDC: .well-known/openid-configuration */
	char *issuer;                 /* OIDC: expected iss ("" = from discovery) */
	char *authorize_url;          /* "" = from discovery / built-in */
	char *token_url;
	char *userinfo_url;
	char *jwks_url;
	char *scope;                  /* space-separated */
	int line;                     /* of the section header, for messages */
} config_oauth;

typedef struct nsupd_config {
	/* [server] */
	config_listen listen[CONFIG_MAX_LISTEN];
	size_t n_listen;
	ip_prefix *trusted_proxies;
	size_t n_trusted_proxies;
	unsigned threads;              /* HTTP worker threads (config_default_threads) */
	unsigned max_connections;
	unsigned connection_timeout;   /* seconds idle before a connection is closed */
	/* SO_REUSEPORT on every listen socket: several nsupd processes on one
	 * host share a port and the kernel spreads new connections over them. */
	bool reuse_port;
	/* Native TLS: the addresses nsupd serves HTTPS on itself, with this
	 * certificate (PEM, chain allowed) and unencrypted key; "" = none.
	 * Either both files and at least one address, or none of them. */
	config_listen listen_tls[CONFIG_MAX_LISTEN];
	size_t n_listen_tls;
	char *tls_certificate;
	char *tls_key;

	/* [database] */
	char *database_url;

	/* [site] */
	char *site_name;
	char *base_domain;
	char *www_host;
	char *www_ipv4_host;
	char *www_ipv6_host;
	bool we_have_tls;
	char *secret_key;
	/* Accounts (web registration) */
	bool registration_open;        /* false: /account/register/ sends to .../closed/ */
	char *email_check_resolver;    /* ADDR[:PORT] for the MX check of new addresses; "" =
	                                * the first nameserver of /etc/resolv.conf; "none" =
	                                * no DNS check */
	char **email_blacklist;        /* POSIX extended regexes, searched case-insensitively */
	size_t n_email_blacklist;

	/* [dns] */
	unsigned resolver_timeout;     /* seconds */
	unsigned update_timeout;       /* seconds */
	unsigned ttl;                  /* seconds */
	unsigned unavailable_retry;    /* back-off after a failure, seconds */
	unsigned coalesce_max;         /* changes merged into one UPDATE (1: none) */
	unsigned coalesce_wait_ms;     /* how long a change waits for others */
	unsigned max_inflight;         /* UPDATE messages per zone awaiting an answer */

	/* [abuse] */
	char **bad_agents;
	size_t n_bad_agents;
	char **bad_hosts;              /* lowercased */
	size_t n_bad_hosts;
	ip_prefix *bad_ips;
	size_t n_bad_ips;

	/* [web] paths: "" = the built-in default (see src/web/assets.h) */
	char *web_templates;           /* the default templates */
	char *web_override_templates;  /* operator's files replacing same-named ones */
	char *web_custom_pages;        /* operator's pages served as /custom/NAME */
	char *web_static;              /* operator's static files (win over the defaults) */
	char *web_locale;              /* directory of LANG.po files */
	unsigned login_failures_max;   /* failed logins per client address ... */
	unsigned login_failures_window;/* ... within this many seconds, then 429 */
	unsigned register_max;         /* registrations per client address ... */
	unsigned register_window;      /* ... within this many seconds */

	/* [log] */
	char *log_level;               /* debug, info, warning, error */

	/* [forward]: sending updates on to other dyndns2 services */
	unsigned forward_start_delay;     /* seconds after start before the first send */
	unsigned forward_retry_min;       /* first retry after this many seconds, doubling */
	unsigned forward_retry_max;       /* ... up to this */
	unsigned forward_give_up;         /* a job older than this fails for good */
	unsigned forward_connect_timeout; /* seconds */
	unsigned forward_timeout;         /* seconds for a whole request */

	/* [mail]: notices of the maintenance jobs, sent through SMTP */
	char *mail_smtp_url;              /* smtp://HOST[:PORT] or smtps://...; "" = no mail */
	char *mail_from;                  /* sender address; "" = nsupd@<base_domain> */
	char *mail_username;              /* SMTP AUTH; "" = none */
	char *mail_password;
	bool mail_starttls;               /* require STARTTLS on smtp:// */
	unsigned mail_timeout;            /* seconds for one mail */

	/* [oauth.*], [oidc.*]: remote login providers, in file order */
	config_oauth oauth[CONFIG_MAX_OAUTH];
	size_t n_oauth;

	unsigned magic_;               /* private: set by config_defaults() */
} nsupd_config;

/* Fills cfg with the defaults (strings are allocated: config_free()). */
void config_defaults(nsupd_config *cfg);
/* [server] threads when the file does not say: 4 per core, 4..64. */
unsigned config_default_threads(void);

/* Loads a file on top of the defaults. cfg may hold config_defaults() or an
 * earlier load (the file's keys then replace those values, a repeated key
 * or list replaces the earlier one), or be zeroed/uninitialised, in which
 * case the defaults are filled in first. On failure errbuf holds one line
 * "FILE:LINE: [section] key: problem" (or "FILE: cannot open: ...") and cfg
 * is freed. Returns NSUPD_ERR_CONFIG for bad contents, NSUPD_ERR_IO when
 * the file cannot be read. */
nsupd_err config_load_file(nsupd_config *cfg, const char *path, char *errbuf, size_t errsize);

/* Same for a string (name is used in messages); for tests. */
nsupd_err config_load_string(nsupd_config *cfg, const char *text, const char *name,
			     char *errbuf, size_t errsize);

void config_free(nsupd_config *cfg);

/* "127.0.0.1:8000", "[::1]:8000", "::1" (port def_port). Numeric addresses
 * only; host gets the canonical text (ip_format). def_port 0 means the port
 * is required. Port 1..65535. */
/* true for an https:// URL, or an http:// URL whose host is a loopback
 * address (127.0.0.0/8, [::1], localhost). */
bool config_url_ok(const char *url);

bool config_parse_hostport(const char *text, uint16_t def_port, char *host, size_t hostsize,
			   uint16_t *port);

#endif
