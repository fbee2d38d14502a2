#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "api/forwarder.h"
#include "dns/dns.h"
#include "dns/zonewriter.h"
#include "api/nic.h"
#include "cli/cli.h"
#include "http/server.h"
#include "util/log.h"
#include "web/web.h"

/* Every waiting update holds its client connection and, while its query
 * is out, a UDP socket; a database connection or two per thread come on
 * top. The usual soft limit of 1024 descriptors would cap that far below
 * [server] max_connections, so the soft limit goes up to what is needed,
 * as far as the hard limit allows. */
static void raise_fd_limit(const nsupd_config *cfg)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rlim_t want = (rlim_t)cfg->max_connections * 2 + 256;
	if (rl.rlim_cur >= want)
		return;
	rlim_t got = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
	if (got <= rl.rlim_cur)
		got = rl.rlim_cur;
	rl.rlim_cur = got;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("cannot raise the open files limit: %s", strerror(errno));
	if (got < want)
		log_warn("open files limit %llu is below the %llu that max_connections = %u needs; "
			 "raise LimitNOFILE (systemd) or ulimit -n",
			 (unsigned long long)got, (unsigned long long)want, cfg->max_connections);
}

int cli_serve(cli_ctx *ctx, int argc, char **argv)
{
	if (argc > 1) {
		cli_error("serve takes no arguments");
		return CLI_USAGE;
	}
	if (!cli_open_store(ctx))
		return CLI_FAIL;
	int version = 0, latest = 0;
	nsupd_err e = store_schema_version(ctx->store, &version, &latest);
	if (e != NSUPD_OK || version != latest) {
		cli_error("database schema is at version %d, this nsupd needs %d: run 'nsupd migrate'",
			  version, latest);
		return CLI_FAIL;
	}

	raise_fd_limit(&ctx->cfg);

	/* Block the stop signals (and SIGHUP, the reload) in every thread;
	 * this one waits for them. A broken client connection must not kill
	 * the process either. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The web interface loads and checks its templates, catalogs and
	 * static files first: a broken template stops start-up here. */
	char errbuf[512] = "";
	web *w = NULL;
	e = web_init(&ctx->app, &w, errbuf, sizeof(errbuf));
	if (e != NSUPD_OK) {
		cli_error("%s", errbuf[0] != '\0' ? errbuf : nsupd_strerror(e));
		return CLI_FAIL;
	}
	ctx->app.web = w;
	size_t n_api, n_routes;
	const http_route *api = nic_routes(&n_api);
	const http_route *routes = web_routes(w, api, n_api, &n_routes);
	if (routes == NULL) {
		cli_error("%s", nsupd_strerror(NSUPD_ERR_NOMEM));
		web_free(w);
		return CLI_FAIL;
	}
	http_server *srv = NULL;
	e = http_server_start(&ctx->cfg, routes, n_routes, &ctx->app, &srv, errbuf, sizeof(errbuf));
	if (e != NSUPD_OK) {
		cli_error("%s", errbuf[0] != '\0' ? errbuf : nsupd_strerror(e));
		ctx->app.web = NULL;
		web_free(w);
		return CLI_FAIL;
	}
	/* Forwards to other services run beside the server, from the queue
	 * in the database (api/forwarder.h). */
	forwarder *fwd = NULL;
	e = forwarder_start(&ctx->app, &fwd);
	if (e != NSUPD_OK)
		log_error("cannot start the forwarder (%s): updates are queued but not sent",
			  nsupd_strerror(e));
	for (size_t i = 0; i < ctx->cfg.n_listen; i++) {
		const config_listen *l = &ctx->cfg.listen[i];
		bool v6 = l->host[0] != '\0' && l->host[0] != '[' && strchr(l->host, ':') != NULL;
		log_info("listening on http://%s%s%s:%u/", v6 ? "[" : "", l->host, v6 ? "]" : "",
			 (unsigned)l->port);
	}
	for (size_t i = 0; i < ctx->cfg.n_listen_tls; i++) {
		const config_listen *l = &ctx->cfg.listen_tls[i];
		bool v6 = strchr(l->host, ':') != NULL;
		log_info("listening on https://%s%s%s:%u/", v6 ? "[" : "", l->host, v6 ? "]" : "",
			 (unsigned)l->port);
	}

	int sig = 0;
	for (;;) {
		sigwait(&stop, &sig);
		if (sig != SIGHUP)
			break;
		/* SIGHUP reloads the TLS certificate and key; the rest of
		 * the configuration needs a restart. */
		if (ctx->cfg.n_listen_tls == 0) {
			log_info("received SIGHUP: no listen_tls, nothing to reload");
			continue;
		}
		e = http_server_reload_tls(srv, errbuf, sizeof(errbuf));
		if (e == NSUPD_OK)
			log_info("received SIGHUP: reloaded the TLS certificate %s",
				 ctx->cfg.tls_certificate);
		else
			log_error("received SIGHUP: keeping the previous TLS certificate: %s",
				  errbuf[0] != '\0' ? errbuf : nsupd_strerror(e));
	}
	log_info("received %s, finishing requests in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	http_server_stop(srv);
	/* No request is left that could wait on a zone writer or a query. */
	zw_shutdown();
	dns_query_shutdown();
	forwarder_stop(fwd);
	ctx->app.web = NULL;
	web_free(w);
	log_info("stopped");
	return CLI_OK;
}
