/* The INI configuration: defaults, every key, and the error messages that
 * must name file, line and key. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

static char err[512];

/* Loads text into a fresh config; returns the error code. */
static nsupd_err load(nsupd_config *cfg, const char *text)
{
	config_defaults(cfg);
	err[0] = '\0';
	return config_load_string(cfg, text, "t.conf", err, sizeof(err));
}

/* Loads text that must fail and returns the message. */
static const char *load_fail(const char *text)
{
	nsupd_config cfg;
	nsupd_err e = load(&cfg, text);
	ck_assert_msg(e == NSUPD_ERR_CONFIG, "expected a config error for <<%s>>, got %d", text, e);
	/* Failure frees and zeroes the config. */
	ck_assert_ptr_null(cfg.database_url);
	ck_assert_ptr_null(cfg.trusted_proxies);
	ck_assert_uint_eq(cfg.n_listen, 0);
	return err;
}

static void load_ok(nsupd_config *cfg, const char *text)
{
	nsupd_err e = load(cfg, text);
	ck_assert_msg(e == NSUPD_OK, "load failed: %s", err);
	ck_assert_str_eq(err, "");
}

static bool is_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static void check_defaults(const nsupd_config *cfg)
{
	ck_assert_uint_eq(cfg->n_listen, 1);
	ck_assert_str_eq(cfg->listen[0].host, "127.0.0.1");
	ck_assert_uint_eq(cfg->listen[0].port, 8000);
	ck_assert_uint_eq(cfg->n_trusted_proxies, 0);
	ck_assert_uint_eq(cfg->threads, config_default_threads());
	ck_assert_uint_ge(cfg->threads, 4);
	ck_assert_uint_le(cfg->threads, 64);
	ck_assert_uint_eq(cfg->max_connections, 4096);
	ck_assert_uint_eq(cfg->connection_timeout, 30);
	ck_assert(!cfg->reuse_port);
	ck_assert_uint_eq(cfg->n_listen_tls, 0);
	ck_assert_str_eq(cfg->tls_certificate, "");
	ck_assert_str_eq(cfg->tls_key, "");
	ck_assert_str_eq(cfg->database_url, "sqlite:nsupd.sqlite");
	ck_assert_str_eq(cfg->site_name, "nsupd");
	ck_assert_str_eq(cfg->base_domain, "nsupdate.localhost");
	ck_assert_str_eq(cfg->www_host, "localhost:8000");
	ck_assert_str_eq(cfg->www_ipv4_host, "");
	ck_assert_str_eq(cfg->www_ipv6_host, "");
	ck_assert(!cfg->we_have_tls);
	ck_assert_str_eq(cfg->secret_key, "");
	ck_assert_uint_eq(cfg->resolver_timeout, 10);
	ck_assert_uint_eq(cfg->update_timeout, 20);
	ck_assert_uint_eq(cfg->ttl, 60);
	ck_assert_uint_eq(cfg->unavailable_retry, 120);
	ck_assert_uint_eq(cfg->coalesce_max, 64);
	ck_assert_uint_eq(cfg->coalesce_wait_ms, 2);
	ck_assert_uint_eq(cfg->max_inflight, 1);
	ck_assert_uint_eq(cfg->n_bad_agents, 0);
	ck_assert_uint_eq(cfg->n_bad_hosts, 0);
	ck_assert_uint_eq(cfg->n_bad_ips, 0);
	ck_assert_str_eq(cfg->log_level, "info");
}

START_TEST(defaults)
{
	nsupd_config cfg;
	config_defaults(&cfg);
	check_defaults(&cfg);
	config_free(&cfg);
	ck_assert(is_zero(&cfg, sizeof(cfg)));
}
END_TEST

START_TEST(empty_file_gives_defaults)
{
	nsupd_config cfg;
	load_ok(&cfg, "");
	check_defaults(&cfg);
	config_free(&cfg);
	load_ok(&cfg, "; only a comment\n\n# another\n[server]\n[dns]\n");
	check_defaults(&cfg);
	config_free(&cfg);
}
END_TEST

START_TEST(load_without_defaults_first)
{
	/* A zeroed (or never initialised) struct gets the defaults. */
	nsupd_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	ck_assert_int_eq(config_load_string(&cfg, "[dns]\nttl = 5\n", "x", err, sizeof(err)),
			 NSUPD_OK);
	ck_assert_uint_eq(cfg.ttl, 5);
	ck_assert_str_eq(cfg.database_url, "sqlite:nsupd.sqlite");
	config_free(&cfg);
	memset(&cfg, 0xA5, sizeof(cfg));
	ck_assert_int_eq(config_load_string(&cfg, "", "x", err, sizeof(err)), NSUPD_OK);
	check_defaults(&cfg);
	config_free(&cfg);
}
END_TEST

START_TEST(loads_layer)
{
	/* A second load replaces only the keys it names. */
	nsupd_config cfg;
	load_ok(&cfg, "[dns]\nttl = 5\n[abuse]\nbad_ips = 192.0.2.1\n");
	ck_assert_int_eq(config_load_string(&cfg, "[dns]\nupdate_timeout = 7\n", "b.conf", err,
					    sizeof(err)), NSUPD_OK);
	ck_assert_uint_eq(cfg.ttl, 5);
	ck_assert_uint_eq(cfg.update_timeout, 7);
	ck_assert_uint_eq(cfg.n_bad_ips, 1);
	config_free(&cfg);
}
END_TEST

static const char full[] =
	"; nsupd test configuration\n"
	"[server]\n"
	"listen = 127.0.0.1:8000, [::1]:8000\n"
	"trusted_proxies = 127.0.0.1/32, ::1, 10.1.2.3/8\n"
	"threads = 4\n"
	"max_connections = 100\n"
	"connection_timeout = 15\n"
	"reuse_port = yes\n"
	"\n"
	"[database]\n"
	"url = sqlite:/var/lib/nsupd/db.sqlite\n"
	"[site]\n"
	"name = My DynDNS\n"
	"base_domain = Example.ORG.\n"
	"www_host = www.example.org\n"
	"www_ipv4_host = ipv4.example.org\n"
	"www_ipv6_host = ipv6.example.org:8443\n"
	"we_have_tls = yes\n"
	"secret_key = s3cr3t=with=equals\n"
	"[dns]\n"
	"resolver_timeout = 3\n"
	"update_timeout = 4\n"
	"ttl = 300\n"
	"unavailable_retry = 10\n"
	"coalesce_max = 16\n"
	"coalesce_wait_ms = 0\n"
	"max_inflight = 2\n"
	"[abuse]\n"
	"bad_agents = BadBot/1.0, curl/7.0 (evil)\n"
	"bad_hosts = Bad.Example.ORG, evil.example.com.\n"
	"bad_ips = 192.0.2.7, 198.51.100.0/24, 2001:db8::/32\n"
	"[log]\n"
	"level = debug\n";

START_TEST(full_file)
{
	nsupd_config cfg;
	load_ok(&cfg, full);
	ck_assert_uint_eq(cfg.n_listen, 2);
	ck_assert_str_eq(cfg.listen[0].host, "127.0.0.1");
	ck_assert_uint_eq(cfg.listen[0].port, 8000);
	ck_assert_str_eq(cfg.listen[1].host, "::1");
	ck_assert_uint_eq(cfg.listen[1].port, 8000);

	ck_assert_uint_eq(cfg.n_trusted_proxies, 3);
	ip_addr a;
	ck_assert(ip_parse("127.0.0.1", &a));
	ck_assert(ip_prefix_contains(&cfg.trusted_proxies[0], &a));
	ck_assert_uint_eq(cfg.trusted_proxies[0].len, 32);
	ck_assert_uint_eq(cfg.trusted_proxies[1].len, 128);   /* bare ::1 */
	ck_assert(ip_parse("::1", &a));
	ck_assert(ip_prefix_contains(&cfg.trusted_proxies[1], &a));
	ck_assert_uint_eq(cfg.trusted_proxies[2].len, 8);
	ck_assert(ip_parse("10.200.0.1", &a));
	ck_assert(ip_prefix_contains(&cfg.trusted_proxies[2], &a));

	ck_assert_uint_eq(cfg.threads, 4);
	ck_assert_uint_eq(cfg.max_connections, 100);

	ck_assert_uint_eq(cfg.connection_timeout, 15);
	ck_assert(cfg.reuse_port);
	ck_assert_str_eq(cfg.database_url, "sqlite:/var/lib/nsupd/db.sqlite");
	ck_assert_str_eq(cfg.site_name, "My DynDNS");
	ck_assert_str_eq(cfg.base_domain, "example.org");
	ck_assert_str_eq(cfg.www_host, "www.example.org");
	ck_assert_str_eq(cfg.www_ipv4_host, "ipv4.example.org");
	ck_assert_str_eq(cfg.www_ipv6_host, "ipv6.example.org:8443");
	ck_assert(cfg.we_have_tls);
	ck_assert_str_eq(cfg.secret_key, "s3cr3t=with=equals");
	ck_assert_uint_eq(cfg.resolver_timeout, 3);
	ck_assert_uint_eq(cfg.update_timeout, 4);
	ck_assert_uint_eq(cfg.ttl, 300);
	ck_assert_uint_eq(cfg.unavailable_retry, 10);
	ck_assert_uint_eq(cfg.coalesce_max, 16);
	ck_assert_uint_eq(cfg.coalesce_wait_ms, 0);
	ck_assert_uint_eq(cfg.max_inflight, 2);

	ck_assert_uint_eq(cfg.n_bad_agents, 2);
	ck_assert_str_eq(cfg.bad_agents[0], "BadBot/1.0");
	ck_assert_str_eq(cfg.bad_agents[1], "curl/7.0 (evil)");   /* case kept */
	ck_assert_uint_eq(cfg.n_bad_hosts, 2);
	ck_assert_str_eq(cfg.bad_hosts[0], "bad.example.org");
	ck_assert_str_eq(cfg.bad_hosts[1], "evil.example.com");
	ck_assert_uint_eq(cfg.n_bad_ips, 3);
	ck_assert(ip_parse("192.0.2.7", &a));
	ck_assert(ip_prefix_contains(&cfg.bad_ips[0], &a));
	ck_assert(!ip_prefix_contains(&cfg.bad_ips[1], &a));
	ck_assert(ip_parse("198.51.100.200", &a));
	ck_assert(ip_prefix_contains(&cfg.bad_ips[1], &a));
	ck_assert(ip_parse("2001:db8:ffff::1", &a));
	ck_assert(ip_prefix_contains(&cfg.bad_ips[2], &a));
	ck_assert_str_eq(cfg.log_level, "debug");
	config_free(&cfg);
	ck_assert(is_zero(&cfg, sizeof(cfg)));
	config_free(&cfg);   /* twice is harmless */
}
END_TEST

START_TEST(load_file_ok_and_errors)
{
	char path[] = "/tmp/nsupd-test-config-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(full, f);
	fclose(f);

	nsupd_config cfg;
	config_defaults(&cfg);
	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), NSUPD_OK);
	ck_assert_uint_eq(cfg.ttl, 300);
	ck_assert_uint_eq(cfg.n_bad_ips, 3);
	config_free(&cfg);

	/* The message names the path as given. */
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[server]\nthreads = 4\n\n[dns]\nttl = 0\n", f);
	fclose(f);
	config_defaults(&cfg);
	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), NSUPD_ERR_CONFIG);
	char want[256];
	snprintf(want, sizeof(want), "%s:5: [dns] ttl: not a number between 1 and 86400", path);
	ck_assert_str_eq(err, want);
	ck_assert(is_zero(&cfg, sizeof(cfg)));

	/* A NUL byte inside the file is refused, naming its line. */
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fwrite("[dns]\nttl = 6\0 0\n", 1, 17, f);
	fclose(f);
	config_defaults(&cfg);
	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), NSUPD_ERR_CONFIG);
	snprintf(want, sizeof(want), "%s:2: ", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got %s", err);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));

	unlink(path);
	config_defaults(&cfg);
	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), NSUPD_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert(is_zero(&cfg, sizeof(cfg)));
}
END_TEST

/* ---- error messages ---- */

START_TEST(error_unknown_key)
{
	ck_assert_str_eq(load_fail("[server]\nlisten = 127.0.0.1:80\n\n; c\nlisten_on = 1\n"),
			 "t.conf:5: [server] listen_on: unknown key");
	/* A key of another section is unknown here. */
	ck_assert_str_eq(load_fail("[dns]\nthreads = 4\n"), "t.conf:2: [dns] threads: unknown key");
	/* Keys are case-sensitive, like the documented spelling. */
	ck_assert_str_eq(load_fail("[dns]\nTTL = 4\n"), "t.conf:2: [dns] TTL: unknown key");
}
END_TEST

START_TEST(error_unknown_section)
{
	ck_assert_str_eq(load_fail("[server]\nthreads = 2\n[servre]\nthreads = 2\n"),
			 "t.conf:3: [servre]: unknown section");
	/* Even with no key after it. */
	ck_assert_str_eq(load_fail("[dns]\nttl = 9\n\n[nonsense]\n"),
			 "t.conf:4: [nonsense]: unknown section");
}
END_TEST

START_TEST(error_key_outside_section)
{
	ck_assert_str_eq(load_fail("\nttl = 60\n[dns]\n"),
			 "t.conf:2: ttl: key outside any [section]");
}
END_TEST

START_TEST(error_bad_bool)
{
	ck_assert_str_eq(load_fail("[site]\nwe_have_tls = maybe\n"),
			 "t.conf:2: [site] we_have_tls: not a boolean (true/false, yes/no, on/off, 1/0)");
	load_fail("[site]\nwe_have_tls =\n");
	load_fail("[site]\nwe_have_tls = 2\n");
	load_fail("[site]\nwe_have_tls = truee\n");
}
END_TEST

START_TEST(reuse_port_key)
{
	nsupd_config cfg;
	load_ok(&cfg, "[server]\nreuse_port = yes\n");
	ck_assert(cfg.reuse_port);
	config_free(&cfg);
	load_ok(&cfg, "[server]\nreuse_port = on\nreuse_port = no\n");
	ck_assert(!cfg.reuse_port);
	config_free(&cfg);
	ck_assert_str_eq(load_fail("[dns]\nttl = 60\n[server]\nreuse_port = sometimes\n"),
			 "t.conf:4: [server] reuse_port: not a boolean (true/false, yes/no, on/off, 1/0)");
	ck_assert_str_eq(load_fail("[server]\nreuse_port =\n"),
			 "t.conf:2: [server] reuse_port: not a boolean (true/false, yes/no, on/off, 1/0)");
	/* It belongs to [server] only. */
	ck_assert_str_eq(load_fail("[site]\nreuse_port = yes\n"),
			 "t.conf:2: [site] reuse_port: unknown key");
}
END_TEST

START_TEST(error_bad_number)
{
	const char *m = load_fail("[server]\n\n\n\n\n[dns]\nttl = 100000\n");
	ck_assert_str_eq(m, "t.conf:7: [dns] ttl: not a number between 1 and 86400");
	static const char *const bad[] = {
		"[dns]\nttl = 0\n", "[dns]\nttl = -1\n", "[dns]\nttl = abc\n", "[dns]\nttl =\n",
		"[dns]\nttl = 6O\n", "[dns]\nttl = 60s\n", "[dns]\nttl = 1e3\n", "[dns]\nttl = 0x10\n",
		"[dns]\nttl = 99999999999999999999999999\n", "[dns]\nttl = 6 0\n",
		"[server]\nthreads = 0\n", "[server]\nmax_connections = 0\n",
		"[server]\nconnection_timeout = 0\n", "[dns]\nresolver_timeout = 0\n",
		"[dns]\nupdate_timeout = 301\n", "[dns]\nunavailable_retry = 0\n",
		"[dns]\ncoalesce_max = 0\n", "[dns]\ncoalesce_max = 1025\n",
		"[dns]\ncoalesce_wait_ms = 1001\n", "[dns]\ncoalesce_wait_ms = -1\n",
		"[dns]\nmax_inflight = 0\n", "[dns]\nmax_inflight = 65\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = load_fail(bad[i]);
		ck_assert_msg(strncmp(m, "t.conf:2: [", 11) == 0, "%s", m);
		ck_assert_msg(strstr(m, "not a number between") != NULL, "%s", m);
	}
	ck_assert_str_eq(load_fail("[server]\nthreads = 5000\n"),
			 "t.conf:2: [server] threads: not a number between 1 and 1024, nor auto");
	ck_assert_str_eq(load_fail("[server]\nthreads = automatic\n"),
			 "t.conf:2: [server] threads: not a number between 1 and 1024, nor auto");
	ck_assert_str_eq(load_fail("[dns]\ncoalesce_max = 2000\n"),
			 "t.conf:2: [dns] coalesce_max: not a number between 1 and 1024");
	ck_assert_str_eq(load_fail("[dns]\ncoalesce_wait_ms = 2000\n"),
			 "t.conf:2: [dns] coalesce_wait_ms: not a number between 0 and 1000");
	ck_assert_str_eq(load_fail("[dns]\nmax_inflight = 100\n"),
			 "t.conf:2: [dns] max_inflight: not a number between 1 and 64");
}
END_TEST

START_TEST(error_bad_listen)
{
	const char *m = load_fail("[server]\nlisten = 127.0.0.1:8000, localhost:80\n");
	ck_assert_msg(strncmp(m, "t.conf:2: [server] listen: ", 27) == 0, "%s", m);
	ck_assert_ptr_nonnull(strstr(m, "'localhost:80'"));
	static const char *const bad[] = {
		"127.0.0.1",          /* port required */
		"127.0.0.1:",         "127.0.0.1:0",       "127.0.0.1:65536",
		"127.0.0.1:80x",      "127.0.0.1:-1",      "[::1]",
		"::1",                "[::1]:",            "[::1]8000",
		"[::1:8000",          "::1:8000",          "[127.0.0.1]:80",
		"1.2.3:80",           "256.1.1.1:80",      "[fe80::1%eth0]:80",
		"127.0.0.1:8000:1",   "*:80",              "",
		" , ,",               "127.0.0.1:80, 127.0.0.1:80",
		"127.0.0.1:+80",      "127.0.0.1:080000",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "[server]\nlisten = %s\n", bad[i]);
		m = load_fail(text);
		ck_assert_msg(strncmp(m, "t.conf:2: [server] listen: ", 27) == 0, "%s: %s", bad[i], m);
	}
	/* More addresses than fit. */
	char text[1024] = "[server]\nlisten = ";
	for (int i = 0; i <= CONFIG_MAX_LISTEN; i++) {
		char one[32];
		snprintf(one, sizeof(one), "127.0.0.1:%d,", 1000 + i);
		strcat(text, one);
	}
	m = load_fail(text);
	ck_assert_ptr_nonnull(strstr(m, "more than"));
}
END_TEST

START_TEST(error_bad_prefix)
{
	ck_assert_str_eq(load_fail("[abuse]\nbad_ips = 192.0.2.7, 198.51.100.0/33\n"),
			 "t.conf:2: [abuse] bad_ips: not an address or address/len: '198.51.100.0/33'");
	const char *m = load_fail("[server]\ntrusted_proxies = 127.0.0.1/32, proxy.example.org\n");
	ck_assert_str_eq(m, "t.conf:2: [server] trusted_proxies: not an address or address/len: "
			 "'proxy.example.org'");
	static const char *const bad[] = {
		"1.2.3.4/", "1.2.3.4/-1", "::/129", "1.2.3.4/8/8", "1.2.3", "01.2.3.4", "/8",
		"1.2.3.4 /8", "2001:db8::/x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "[abuse]\n\nbad_ips = %s\n", bad[i]);
		m = load_fail(text);
		ck_assert_msg(strncmp(m, "t.conf:3: [abuse] bad_ips: ", 27) == 0, "%s: %s", bad[i], m);
	}
}
END_TEST

START_TEST(error_other_values)
{
	ck_assert_str_eq(load_fail("[database]\nurl = mysql://x\n"),
			 "t.conf:2: [database] url: not sqlite:PATH or postgresql://...");
	load_fail("[database]\nurl = sqlite:\n");
	load_fail("[database]\nurl =\n");
	ck_assert_str_eq(load_fail("[log]\nlevel = loud\n"),
			 "t.conf:2: [log] level: not one of debug, info, warning, error");
	load_fail("[site]\nname =\n");
	load_fail("[site]\nbase_domain =\n");
	load_fail("[site]\nbase_domain = a..b\n");
	load_fail("[site]\nbase_domain = exa mple.org\n");
	load_fail("[site]\nbase_domain = example.org/x\n");
	load_fail("[site]\nwww_host =\n");
	load_fail("[site]\nwww_host = http://www.example.org/\n");
	load_fail("[site]\nwww_ipv4_host = a b\n");
}
END_TEST

START_TEST(email_blacklist_size)
{
	nsupd_config cfg;
	/* What operators write compiles quickly and is kept. */
	load_ok(&cfg, "[site]\nemail_blacklist = (.+)+@spam\\.example$ ^[a-z0-9._%+-]{30,}@ "
		      "(a{10}){90} x{254} ((a|b)+)+@x ([a-z]*[0-9]*)+@(x|y)*\\.com\n");
	ck_assert_uint_eq(cfg.n_email_blacklist, 6);
	config_free(&cfg);
	/* What glibc's regcomp would take minutes and gigabytes for (all
	 * found by fuzzing, or the same shape a step further). */
	static const struct {
		const char *re, *why;
	} refused[] = {
		{ "li+++++++++++++++++++++++++++++++++++++++++st", "a repetition of a repetition" },
		{ "li+:++++*+++++++++2+++++++---GG-", "a repetition of a repetition" },
		{ "a{2}+", "a repetition of a repetition" },
		{ "((((((((((a+)+)+)+)+)+)+)+)+)+)+", "repetitions nested more than 4 deep" },
		{ "((((a?){9}){9}){9}){9}", "repetitions nested more than 4 deep" },
		{ "(((a|b*)+){2}){700}", "would make it too large" },
		{ "((a|b){1000}){19}", "would make it too large" },
		{ "x{2001}", "would make it too large" },
		{ "(a{99}){99}", "would make it too large" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "[site]\nemail_blacklist = ^ok$ %s\n", refused[i].re);
		const char *msg = load_fail(text);
		char want[200];
		snprintf(want, sizeof(want),
			 "t.conf:2: [site] email_blacklist: regular expression refused: '%s' (",
			 refused[i].re);
		ck_assert_msg(strstr(msg, want) == msg && strstr(msg, refused[i].why) != NULL,
			      "%s: %s", refused[i].re, msg);
	}
	/* Parentheses alone, 100 000 deep (the check must not recurse that far). */
	size_t deep = 100000;
	char *text = malloc(2 * deep + 64);
	ck_assert_ptr_nonnull(text);
	char *q = text + sprintf(text, "[site]\nemail_blacklist = ");
	memset(q, '(', deep);
	memset(q + deep, ')', deep);
	strcpy(q + 2 * deep, "\n");
	ck_assert_ptr_nonnull(strstr(load_fail(text), "parentheses nested more than 64 deep"));
	free(text);
	/* Broken syntax is still regcomp's to report, also when unbalanced. */
	ck_assert_ptr_nonnull(strstr(load_fail("[site]\nemail_blacklist = a)+)+(\n"),
				     "not a valid regular expression"));
	ck_assert_ptr_nonnull(strstr(load_fail("[site]\nemail_blacklist = ((a+\n"),
				     "not a valid regular expression"));
}
END_TEST

START_TEST(error_syntax)
{
	ck_assert_str_eq(load_fail("[dns]\nttl = 60\njust some words\nttl = 5\n"),
			 "t.conf:3: syntax error (expected [section], key = value or a comment)");
	ck_assert_str_eq(load_fail("[dns\nttl = 60\n"),
			 "t.conf:1: syntax error (expected [section], key = value or a comment)");
	ck_assert_str_eq(load_fail("[dns]\n= 60\n"), "t.conf:2: missing key name before '='");
}
END_TEST

START_TEST(first_error_wins)
{
	ck_assert_str_eq(load_fail("[dns]\nttl = x\nupdate_timeout = y\n[bogus]\n"),
			 "t.conf:2: [dns] ttl: not a number between 1 and 86400");
	ck_assert_str_eq(load_fail("[dns]\nwords\nttl = x\n"),
			 "t.conf:2: syntax error (expected [section], key = value or a comment)");
}
END_TEST

START_TEST(error_buffer_small_or_absent)
{
	nsupd_config cfg;
	config_defaults(&cfg);
	char tiny[12];
	ck_assert_int_eq(config_load_string(&cfg, "[dns]\nttl = x\n", "t.conf", tiny, sizeof(tiny)),
			 NSUPD_ERR_CONFIG);
	ck_assert_str_eq(tiny, "t.conf:2: [");
	config_defaults(&cfg);
	ck_assert_int_eq(config_load_string(&cfg, "[dns]\nttl = x\n", "t.conf", NULL, 0),
			 NSUPD_ERR_CONFIG);
}
END_TEST

/* ---- values ---- */

START_TEST(bool_spellings)
{
	static const char *const yes[] = { "true", "yes", "on", "1", "TRUE", "Yes", "ON" };
	static const char *const no[] = { "false", "no", "off", "0", "False", "NO", "Off" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		char text[128];
		nsupd_config cfg;
		snprintf(text, sizeof(text), "[site]\nwe_have_tls = %s\n", yes[i]);
		load_ok(&cfg, text);
		ck_assert_msg(cfg.we_have_tls, "%s", yes[i]);
		config_free(&cfg);
		snprintf(text, sizeof(text), "[site]\nwe_have_tls = on\nwe_have_tls = %s\n", no[i]);
		load_ok(&cfg, text);
		ck_assert_msg(!cfg.we_have_tls, "%s", no[i]);
		config_free(&cfg);
	}
}
END_TEST

START_TEST(lists_with_spaces)
{
	nsupd_config cfg;
	load_ok(&cfg, "[abuse]\n"
		      "bad_ips =   192.0.2.7 ,198.51.100.0/24,,  2001:db8::1  ,\n"
		      "bad_agents = \t Some Agent 1.0 ,  other\t\n"
		      "bad_hosts=A.example.org,b.EXAMPLE.org\n");
	ck_assert_uint_eq(cfg.n_bad_ips, 3);
	ck_assert_uint_eq(cfg.bad_ips[0].len, 32);
	ck_assert_uint_eq(cfg.bad_ips[1].len, 24);
	ck_assert_uint_eq(cfg.bad_ips[2].len, 128);
	ck_assert_uint_eq(cfg.n_bad_agents, 2);
	ck_assert_str_eq(cfg.bad_agents[0], "Some Agent 1.0");
	ck_assert_str_eq(cfg.bad_agents[1], "other");
	ck_assert_uint_eq(cfg.n_bad_hosts, 2);
	ck_assert_str_eq(cfg.bad_hosts[0], "a.example.org");
	ck_assert_str_eq(cfg.bad_hosts[1], "b.example.org");
	config_free(&cfg);
}
END_TEST

START_TEST(last_key_wins)
{
	nsupd_config cfg;
	load_ok(&cfg, "[dns]\nttl = 5\nttl = 7\n"
		      "[abuse]\nbad_ips = 192.0.2.1, 192.0.2.2\nbad_ips = 192.0.2.3\n"
		      "bad_hosts = a.example, b.example\nbad_hosts =\n"
		      "[server]\nlisten = 127.0.0.1:1, 127.0.0.1:2\nlisten = [::1]:3\n"
		      "trusted_proxies = 127.0.0.1\ntrusted_proxies =\n"
		      "[site]\nname = one\n[dns]\n[site]\nname = two\n");
	ck_assert_uint_eq(cfg.ttl, 7);
	ck_assert_uint_eq(cfg.n_bad_ips, 1);
	ip_addr a;
	ck_assert(ip_parse("192.0.2.3", &a));
	ck_assert(ip_prefix_contains(&cfg.bad_ips[0], &a));
	ck_assert_uint_eq(cfg.n_bad_hosts, 0);
	ck_assert_uint_eq(cfg.n_listen, 1);
	ck_assert_str_eq(cfg.listen[0].host, "::1");
	ck_assert_uint_eq(cfg.listen[0].port, 3);
	ck_assert_uint_eq(cfg.n_trusted_proxies, 0);
	ck_assert_str_eq(cfg.site_name, "two");
	config_free(&cfg);
}
END_TEST

START_TEST(multiple_listen)
{
	nsupd_config cfg;
	load_ok(&cfg, "[server]\nlisten = 127.0.0.1:8000, [::1]:8000, 0.0.0.0:80 ,[2001:DB8::A]:65535,"
		      "[::]:1, [::ffff:192.0.2.1]:99\n");
	ck_assert_uint_eq(cfg.n_listen, 6);
	ck_assert_str_eq(cfg.listen[1].host, "::1");
	ck_assert_uint_eq(cfg.listen[1].port, 8000);
	ck_assert_str_eq(cfg.listen[2].host, "0.0.0.0");
	ck_assert_uint_eq(cfg.listen[2].port, 80);
	ck_assert_str_eq(cfg.listen[3].host, "2001:db8::a");   /* canonical */
	ck_assert_uint_eq(cfg.listen[3].port, 65535);
	ck_assert_str_eq(cfg.listen[4].host, "::");
	ck_assert_uint_eq(cfg.listen[4].port, 1);
	ck_assert_str_eq(cfg.listen[5].host, "::ffff:192.0.2.1");
	config_free(&cfg);

	/* Exactly the maximum fits. */
	char text[1024] = "[server]\nlisten = ";
	for (int i = 0; i < CONFIG_MAX_LISTEN; i++) {
		char one[32];
		snprintf(one, sizeof(one), "[::1]:%d, ", 2000 + i);
		strcat(text, one);
	}
	load_ok(&cfg, text);
	ck_assert_uint_eq(cfg.n_listen, CONFIG_MAX_LISTEN);
	ck_assert_uint_eq(cfg.listen[CONFIG_MAX_LISTEN - 1].port, 2000 + CONFIG_MAX_LISTEN - 1);
	config_free(&cfg);
}
END_TEST

START_TEST(inline_comments)
{
	nsupd_config cfg;
	load_ok(&cfg, "[dns] ; the DNS part\n"
		      "ttl = 61 ; seconds\n"
		      "update_timeout = 21 # also seconds\n"
		      "  ; indented comment\n"
		      "# ttl = 5\n"
		      "[site]\n"
		      "secret_key = a;b#c\n"
		      "name = x ;y\n");
	ck_assert_uint_eq(cfg.ttl, 61);
	ck_assert_uint_eq(cfg.update_timeout, 21);
	ck_assert_str_eq(cfg.secret_key, "a;b#c");   /* no blank before: part of the value */
	ck_assert_str_eq(cfg.site_name, "x");
	config_free(&cfg);
}
END_TEST

START_TEST(indented_line_is_not_a_continuation)
{
	nsupd_config cfg;
	load_ok(&cfg, "[dns]\nttl = 5\n    update_timeout = 9\n\t[ site ]\n  name = n\n");
	ck_assert_uint_eq(cfg.ttl, 5);
	ck_assert_uint_eq(cfg.update_timeout, 9);
	ck_assert_str_eq(cfg.site_name, "n");
	config_free(&cfg);
	/* An indented bare word is an error, not part of ttl. */
	ck_assert_str_eq(load_fail("[dns]\nttl = 5\n   6\n"),
			 "t.conf:3: syntax error (expected [section], key = value or a comment)");
}
END_TEST

START_TEST(crlf_bom_colon_and_no_final_newline)
{
	nsupd_config cfg;
	load_ok(&cfg, "\xEF\xBB\xBF[dns]\r\nttl = 42\r\nupdate_timeout: 8\r\n[log]\r\nlevel = WARN");
	ck_assert_uint_eq(cfg.ttl, 42);
	ck_assert_uint_eq(cfg.update_timeout, 8);
	ck_assert_str_eq(cfg.log_level, "warning");
	config_free(&cfg);
	ck_assert_str_eq(load_fail("\xEF\xBB\xBF[dsn]\r\n"), "t.conf:1: [dsn]: unknown section");
	ck_assert_str_eq(load_fail("[dns]\r\n\r\nttl = 0"),
			 "t.conf:3: [dns] ttl: not a number between 1 and 86400");
}
END_TEST

/* ---- robustness ---- */

START_TEST(ten_thousand_list_items)
{
	size_t n = 10000;
	size_t size = 64 + n * 20;
	char *text = malloc(size);
	ck_assert_ptr_nonnull(text);
	size_t len = (size_t)snprintf(text, size, "[abuse]\nbad_ips = ");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, size - len, "10.%zu.%zu.%zu, ", i / 65536,
					(i / 256) % 256, i % 256);
	len += (size_t)snprintf(text + len, size - len, "\n[dns]\nttl = 99\n");
	nsupd_config cfg;
	load_ok(&cfg, text);
	ck_assert_uint_eq(cfg.n_bad_ips, n);
	ip_addr a;
	ck_assert(ip_parse("10.0.39.15", &a));   /* item 9999 */
	ck_assert(ip_prefix_contains(&cfg.bad_ips[n - 1], &a));
	ck_assert_uint_eq(cfg.ttl, 99);   /* the line after the long one is line 4 */
	config_free(&cfg);

	/* The same for strings, with an error at the very end. */
	len = (size_t)snprintf(text, size, "[abuse]\nbad_hosts = ");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, size - len, "H%zu.Example, ", i);
	len += (size_t)snprintf(text + len, size - len, "\n\n[dns]\nttl = none\n");
	ck_assert_str_eq(load_fail(text), "t.conf:5: [dns] ttl: not a number between 1 and 86400");
	text[len - strlen("\n[dns]\nttl = none\n")] = '\0';
	load_ok(&cfg, text);
	ck_assert_uint_eq(cfg.n_bad_hosts, n);
	ck_assert_str_eq(cfg.bad_hosts[n - 1], "h9999.example");
	config_free(&cfg);

	/* An error in the last item names it. */
	len = (size_t)snprintf(text, size, "[abuse]\nbad_ips = ");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, size - len, "192.0.2.%zu,", i % 256);
	snprintf(text + len, size - len, "bogus\n");
	ck_assert_str_eq(load_fail(text), "t.conf:2: [abuse] bad_ips: not an address or address/len: 'bogus'");
	free(text);
}
END_TEST

START_TEST(huge_values)
{
	size_t n = 500000;
	char *text = malloc(n + 64);
	ck_assert_ptr_nonnull(text);
	int k = snprintf(text, 64, "[site]\nsecret_key = ");
	memset(text + k, 'k', n);
	strcpy(text + k + n, "\n");
	nsupd_config cfg;
	load_ok(&cfg, text);
	ck_assert_uint_eq(strlen(cfg.secret_key), n);
	config_free(&cfg);

	/* A huge number, a huge listen item, a huge prefix item, a huge
	 * section name, a huge key: each a clean error. */
	static const char *const heads[] = {
		"[dns]\nttl = ", "[server]\nlisten = ", "[abuse]\nbad_ips = ", "[site]\nwe_have_tls = ",
		"[site]\nbase_domain = ", "[log]\nlevel = ", "[dns]\n",
	};
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		k = snprintf(text, 64, "%s", heads[i]);
		memset(text + k, '9', n);
		strcpy(text + k + n, " = 1\n");
		const char *m = load_fail(text);
		ck_assert_msg(strncmp(m, "t.conf:2: ", 10) == 0, "%s", m);
		ck_assert_msg(strlen(m) < 300, "message not cut: %zu", strlen(m));
	}
	memset(text, 'x', n);
	text[0] = '[';
	strcpy(text + n, "]\n");
	const char *m = load_fail(text);
	ck_assert_msg(strncmp(m, "t.conf:1: [xxx", 14) == 0, "%s", m);
	ck_assert_ptr_nonnull(strstr(m, "]: unknown section"));
	ck_assert_uint_lt(strlen(m), 120);
	free(text);
}
END_TEST

START_TEST(overlong_line)
{
	size_t n = 2 * 1024 * 1024;
	char *text = malloc(n + 64);
	ck_assert_ptr_nonnull(text);
	int k = snprintf(text, 64, "[site]\n\nsecret_key = ");
	memset(text + k, 'k', n);
	strcpy(text + k + n, "\n");
	const char *m = load_fail(text);
	ck_assert_msg(strncmp(m, "t.conf:3: line longer than", 26) == 0, "%s", m);

	/* Exactly at the limit (1 MiB with its newline): read as one line,
	 * so the next line still has the right number. */
	size_t limit = 1024 * 1024;
	k = snprintf(text, 64, "[site]\nsecret_key = ");
	size_t vlen = limit - 1 - strlen("secret_key = ");
	memset(text + k, 'k', vlen);
	strcpy(text + k + vlen, "\n[dns]\nttl = x\n");
	m = load_fail(text);
	ck_assert_str_eq(m, "t.conf:4: [dns] ttl: not a number between 1 and 86400");
	text[k + vlen + 1] = '\0';
	nsupd_config cfg;
	load_ok(&cfg, text);
	ck_assert_uint_eq(strlen(cfg.secret_key), vlen);
	config_free(&cfg);
	/* One more character is over. */
	k = snprintf(text, 64, "[site]\nsecret_key = ");
	memset(text + k, 'k', vlen + 1);
	strcpy(text + k + vlen + 1, "\n");
	m = load_fail(text);
	ck_assert_msg(strncmp(m, "t.conf:2: line longer than", 26) == 0, "%s", m);
	free(text);
}
END_TEST

START_TEST(web_section)
{
	nsupd_config cfg;
	load_ok(&cfg, "");
	ck_assert_str_eq(cfg.web_templates, "");
	ck_assert_str_eq(cfg.web_override_templates, "");
	ck_assert_str_eq(cfg.web_custom_pages, "");
	ck_assert_str_eq(cfg.web_static, "");
	ck_assert_str_eq(cfg.web_locale, "");
	ck_assert_uint_eq(cfg.login_failures_max, 10);
	ck_assert_uint_eq(cfg.login_failures_window, 900);
	config_free(&cfg);

	load_ok(&cfg, "[web]\ntemplates = /t\noverride_templates = /o\ncustom_pages = /c\n"
		      "static = /s\nlocale = /l\nlogin_failures_max = 3\n"
		      "login_failures_window = 60\n");
	ck_assert_str_eq(cfg.web_templates, "/t");
	ck_assert_str_eq(cfg.web_override_templates, "/o");
	ck_assert_str_eq(cfg.web_custom_pages, "/c");
	ck_assert_str_eq(cfg.web_static, "/s");
	ck_assert_str_eq(cfg.web_locale, "/l");
	ck_assert_uint_eq(cfg.login_failures_max, 3);
	ck_assert_uint_eq(cfg.login_failures_window, 60);
	config_free(&cfg);

	ck_assert_str_eq(load_fail("[web]\nlogin_failures_max = 0\n"),
			 "t.conf:2: [web] login_failures_max: not a number between 1 and 100000");
	ck_assert_str_eq(load_fail("[web]\ntemplate = x\n"), "t.conf:2: [web] template: unknown key");
}
END_TEST

START_TEST(threads_auto_or_number)
{
	nsupd_config cfg;
	load_ok(&cfg, "[server]\nthreads = 12\n");
	ck_assert_uint_eq(cfg.threads, 12);
	config_free(&cfg);
	load_ok(&cfg, "[server]\nthreads = auto\n");
	ck_assert_uint_eq(cfg.threads, config_default_threads());
	config_free(&cfg);
}
END_TEST

START_TEST(empty_value_for_every_key)
{
	/* Empty is fine for strings that may be empty and for lists, and a
	 * clean error for everything else; never a crash. */
	static const char *const keys[][2] = {
		{ "server", "listen" }, { "server", "trusted_proxies" }, { "server", "threads" },
		{ "server", "max_connections" }, { "server", "connection_timeout" },
		{ "server", "listen_tls" }, { "server", "tls_certificate" }, { "server", "tls_key" },
		{ "server", "reuse_port" }, { "database", "url" }, { "site", "name" }, { "site", "base_domain" },
		{ "site", "www_host" }, { "site", "www_ipv4_host" }, { "site", "www_ipv6_host" },
		{ "site", "we_have_tls" }, { "site", "secret_key" }, { "dns", "resolver_timeout" },
		{ "dns", "update_timeout" }, { "dns", "ttl" }, { "dns", "unavailable_retry" },
		{ "dns", "coalesce_max" }, { "dns", "coalesce_wait_ms" }, { "dns", "max_inflight" },
		{ "abuse", "bad_agents" }, { "abuse", "bad_hosts" }, { "abuse", "bad_ips" },
		{ "log", "level" }, { "web", "templates" }, { "web", "override_templates" },
		{ "web", "custom_pages" }, { "web", "static" }, { "web", "locale" },
		{ "web", "login_failures_max" }, { "web", "login_failures_window" },
	};
	static const char *const may_be_empty[] = {
		"trusted_proxies", "listen_tls", "tls_certificate", "tls_key", "www_ipv4_host", "www_ipv6_host", "secret_key", "bad_agents",
		"bad_hosts", "bad_ips", "templates", "override_templates", "custom_pages", "static",
		"locale",
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		bool ok = false;
		for (size_t j = 0; j < sizeof(may_be_empty) / sizeof(may_be_empty[0]); j++)
			ok = ok || strcmp(keys[i][1], may_be_empty[j]) == 0;
		char text[128];
		snprintf(text, sizeof(text), "[%s]\n%s =\n", keys[i][0], keys[i][1]);
		nsupd_config cfg;
		if (ok) {
			load_ok(&cfg, text);
			config_free(&cfg);
		} else {
			char want[128];
			snprintf(want, sizeof(want), "t.conf:2: [%s] %s: ", keys[i][0], keys[i][1]);
			const char *m = load_fail(text);
			ck_assert_msg(strncmp(m, want, strlen(want)) == 0, "%s", m);
		}
		/* Every documented key is known. */
		snprintf(text, sizeof(text), "[%s]\n%s = !\n", keys[i][0], keys[i][1]);
		if (load(&cfg, text) == NSUPD_OK)
			config_free(&cfg);
		ck_assert_msg(strstr(err, "unknown") == NULL, "%s", err);
	}
}
END_TEST

/* The sample file at the repository root, found from this source file's
 * path as the compiler saw it (relative to the build directory, which is
 * three levels above the test binary). */
static bool example_path(char *out, size_t outsize)
{
	const char *src = __FILE__;
	const char *tail = strstr(src, "tests/unit/test_config.c");
	ck_assert_ptr_nonnull(tail);
	int root_len = (int)(tail - src);
	if (src[0] == '/') {
		snprintf(out, outsize, "%.*snsupd.conf.example", root_len, src);
		return true;
	}
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {   /* strip /test_config, /unit, /tests */
		char *slash = strrchr(exe, '/');
		if (slash == NULL)
			return false;
		*slash = '\0';
	}
	snprintf(out, outsize, "%s/%.*snsupd.conf.example", exe, root_len, src);
	return true;
}

START_TEST(example_file_is_valid_and_matches_defaults)
{
	char path[8192];
	ck_assert(example_path(path, sizeof(path)));
	nsupd_config cfg;
	config_defaults(&cfg);
	nsupd_err e = config_load_file(&cfg, path, err, sizeof(err));
	ck_assert_msg(e == NSUPD_OK, "%s", err);
	check_defaults(&cfg);
	config_free(&cfg);

	/* Every key the parser knows is documented there. */
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	static char text[65536];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	static const char *const keys[] = {
		"[server]", "\nlisten =", "\ntrusted_proxies =", "\nthreads =", "\nmax_connections =",
		"\nconnection_timeout =", "\nreuse_port =", "\nlisten_tls =", "\ntls_certificate =", "\ntls_key =",
		"[database]", "\nurl =", "[site]", "\nname =",
		"\nbase_domain =", "\nwww_host =", "\nwww_ipv4_host =", "\nwww_ipv6_host =",
		"\nwe_have_tls =", "\nsecret_key =", "[dns]", "\nresolver_timeout =",
		"\nupdate_timeout =", "\nttl =", "\nunavailable_retry =", "[abuse]",
		"\nbad_agents =", "\nbad_hosts =", "\nbad_ips =", "[log]", "\nlevel =",
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ck_assert_msg(strstr(text, keys[i]) != NULL, "%s not in the example", keys[i]);
}
END_TEST

/* ---- native TLS: listen_tls, tls_certificate, tls_key ---- */

START_TEST(tls_keys)
{
	nsupd_config cfg;
	load_ok(&cfg, "[server]\nlisten = 127.0.0.1:8000\n"
		      "listen_tls = 127.0.0.1:8443, [::1]:8443 ,[2001:DB8::1]:443\n"
		      "tls_certificate = /etc/nsupd/cert.pem\ntls_key = /etc/nsupd/key.pem\n");
	ck_assert_uint_eq(cfg.n_listen, 1);
	ck_assert_uint_eq(cfg.n_listen_tls, 3);
	ck_assert_str_eq(cfg.listen_tls[0].host, "127.0.0.1");
	ck_assert_uint_eq(cfg.listen_tls[0].port, 8443);
	ck_assert_str_eq(cfg.listen_tls[1].host, "::1");
	ck_assert_uint_eq(cfg.listen_tls[1].port, 8443);
	ck_assert_str_eq(cfg.listen_tls[2].host, "2001:db8::1");
	ck_assert_uint_eq(cfg.listen_tls[2].port, 443);
	ck_assert_str_eq(cfg.tls_certificate, "/etc/nsupd/cert.pem");
	ck_assert_str_eq(cfg.tls_key, "/etc/nsupd/key.pem");
	/* A later layer may turn TLS off again with all three emptied. */
	ck_assert_int_eq(config_load_string(&cfg, "[server]\nlisten_tls =\ntls_certificate =\n"
						  "tls_key =\n", "b.conf", err, sizeof(err)),
			 NSUPD_OK);
	ck_assert_uint_eq(cfg.n_listen_tls, 0);
	ck_assert_str_eq(cfg.tls_certificate, "");
	config_free(&cfg);
	/* The same port on another address than a plain one is fine. */
	load_ok(&cfg, "[server]\nlisten = 127.0.0.1:8000\nlisten_tls = [::1]:8000\n"
		      "tls_certificate = c\ntls_key = k\n");
	ck_assert_uint_eq(cfg.n_listen_tls, 1);
	config_free(&cfg);
}
END_TEST

START_TEST(tls_keys_errors)
{
	/* Each of the three alone, or two of them, is a half-done setup. */
	ck_assert_str_eq(load_fail("[server]\nlisten_tls = 127.0.0.1:8443\n"),
			 "t.conf:2: [server] listen_tls: needs tls_certificate and tls_key");
	ck_assert_str_eq(load_fail("[server]\nlisten_tls = 127.0.0.1:8443\n\ntls_key = k\n"),
			 "t.conf:4: [server] tls_key: set without tls_certificate");
	ck_assert_str_eq(load_fail("[server]\ntls_certificate = c\nlisten_tls = 127.0.0.1:1\n"),
			 "t.conf:2: [server] tls_certificate: set without tls_key");
	ck_assert_str_eq(load_fail("[server]\ntls_key = k\ntls_certificate = c\n"),
			 "t.conf:3: [server] tls_certificate: set, but listen_tls is empty "
			 "(no address would use it)");
	/* One address cannot be plain and TLS at once; the default listen
	 * counts too. */
	ck_assert_str_eq(load_fail("[server]\nlisten = 127.0.0.1:80, [::1]:8443\n"
				   "listen_tls = [::1]:8443\ntls_certificate = c\ntls_key = k\n"),
			 "t.conf:3: [server] listen_tls: [::1]:8443 is also in listen (one "
			 "address serves either plain HTTP or TLS)");
	ck_assert_str_eq(load_fail("[server]\ntls_certificate = c\ntls_key = k\n"
				   "listen_tls = 127.0.0.1:8000\n"),
			 "t.conf:4: [server] listen_tls: 127.0.0.1:8000 is also in listen (one "
			 "address serves either plain HTTP or TLS)");
	/* The items themselves are checked like listen's. */
	static const char *const bad[] = {
		"127.0.0.1", "localhost:443", "[::1]", "127.0.0.1:0", "127.0.0.1:1, 127.0.0.1:1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "[server]\nlisten_tls = %s\ntls_certificate = c\n"
			 "tls_key = k\n", bad[i]);
		const char *m = load_fail(text);
		ck_assert_msg(strncmp(m, "t.conf:2: [server] listen_tls: ", 31) == 0, "%s: %s",
			      bad[i], m);
	}
	/* A layer that breaks an earlier complete setup is refused too, at
	 * its own line. */
	nsupd_config cfg;
	load_ok(&cfg, "[server]\nlisten_tls = 127.0.0.1:8443\ntls_certificate = c\ntls_key = k\n");
	ck_assert_int_eq(config_load_string(&cfg, "[server]\n\ntls_key =\n", "b.conf", err,
					    sizeof(err)), NSUPD_ERR_CONFIG);
	ck_assert_str_eq(err, "b.conf:3: [server] tls_certificate: set without tls_key");
	ck_assert_ptr_null(cfg.tls_certificate);
}
END_TEST

/* ---- config_parse_hostport ---- */

START_TEST(hostport)
{
	char host[IP_STRLEN];
	uint16_t port = 0;
	ck_assert(config_parse_hostport("127.0.0.1:8000", 0, host, sizeof(host), &port));
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_uint_eq(port, 8000);
	ck_assert(config_parse_hostport("[::1]:5353", 53, host, sizeof(host), &port));
	ck_assert_str_eq(host, "::1");
	ck_assert_uint_eq(port, 5353);
	ck_assert(config_parse_hostport("::1", 53, host, sizeof(host), &port));
	ck_assert_str_eq(host, "::1");
	ck_assert_uint_eq(port, 53);
	ck_assert(config_parse_hostport("[2001:0DB8::0001]", 53, host, sizeof(host), &port));
	ck_assert_str_eq(host, "2001:db8::1");
	ck_assert_uint_eq(port, 53);
	ck_assert(config_parse_hostport("192.0.2.1", 53, host, sizeof(host), &port));
	ck_assert_str_eq(host, "192.0.2.1");
	ck_assert_uint_eq(port, 53);
	ck_assert(config_parse_hostport("192.0.2.1:65535", 53, host, sizeof(host), &port));
	ck_assert_uint_eq(port, 65535);

	port = 7;
	static const char *const bad[] = {
		"", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:", ":80", "[]:80", "[::1]x",
		"[::1", "::1]:80", "example.org:53", "[1.2.3.4]:53", " 127.0.0.1:53",
		"127.0.0.1:53 ", "127.0.0.1:5a", "2001:db8::1:53:", "[::1]:99999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!config_parse_hostport(bad[i], 53, host, sizeof(host), &port), "%s", bad[i]);
	ck_assert_uint_eq(port, 7);   /* untouched on failure */
	/* def_port 0: the port is required. */
	ck_assert(!config_parse_hostport("127.0.0.1", 0, host, sizeof(host), &port));
	ck_assert(!config_parse_hostport("[::1]", 0, host, sizeof(host), &port));
	/* Too small a buffer is refused, not cut. */
	char small[5];
	ck_assert(!config_parse_hostport("192.0.2.1:53", 0, small, sizeof(small), &port));
	ck_assert(!config_parse_hostport(NULL, 0, host, sizeof(host), &port));
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, empty_file_gives_defaults);
	tcase_add_test(tc, load_without_defaults_first);
	tcase_add_test(tc, loads_layer);
	tcase_add_test(tc, full_file);
	tcase_add_test(tc, load_file_ok_and_errors);
	tcase_add_test(tc, example_file_is_valid_and_matches_defaults);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, error_unknown_key);
	tcase_add_test(tc, error_unknown_section);
	tcase_add_test(tc, error_key_outside_section);
	tcase_add_test(tc, error_bad_bool);
	tcase_add_test(tc, reuse_port_key);
	tcase_add_test(tc, error_bad_number);
	tcase_add_test(tc, error_bad_listen);
	tcase_add_test(tc, error_bad_prefix);
	tcase_add_test(tc, error_other_values);
	tcase_add_test(tc, error_syntax);
	tcase_add_test(tc, email_blacklist_size);
	tcase_add_test(tc, first_error_wins);
	tcase_add_test(tc, error_buffer_small_or_absent);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, bool_spellings);
	tcase_add_test(tc, lists_with_spaces);
	tcase_add_test(tc, last_key_wins);
	tcase_add_test(tc, multiple_listen);
	tcase_add_test(tc, inline_comments);
	tcase_add_test(tc, indented_line_is_not_a_continuation);
	tcase_add_test(tc, crlf_bom_colon_and_no_final_newline);
	tcase_add_test(tc, hostport);
	tcase_add_test(tc, web_section);
	tcase_add_test(tc, tls_keys);
	tcase_add_test(tc, tls_keys_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ten_thousand_list_items);
	tcase_add_test(tc, huge_values);
	tcase_add_test(tc, overlong_line);
	tcase_add_test(tc, threads_auto_or_number);
	tcase_add_test(tc, empty_value_for_every_key);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
