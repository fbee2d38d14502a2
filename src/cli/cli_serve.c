#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "api/nic.h"
#include "cli/cli.h"
#include "http/server.h"
#include "util/log.h"

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

	/* Block the stop signals in every thread; this one waits for them. A
	 * broken client connection must not kill the process either. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	size_t n_routes;
	const http_route *routes = nic_routes(&n_routes);
	http_server *srv = NULL;
	char errbuf[512] = "";
	e = http_server_start(&ctx->cfg, routes, n_routes, &ctx->app, &srv, errbuf, sizeof(errbuf));
	if (e != NSUPD_OK) {
		cli_error("%s", errbuf[0] != '\0' ? errbuf : nsupd_strerror(e));
		return CLI_FAIL;
	}
	for (size_t i = 0; i < ctx->cfg.n_listen; i++) {
		const config_listen *l = &ctx->cfg.listen[i];
		bool v6 = l->host[0] != '\0' && l->host[0] != '[' && strchr(l->host, ':') != NULL;
		log_info("listening on http://%s%s%s:%u/", v6 ? "[" : "", l->host, v6 ? "]" : "",
			 (unsigned)l->port);
	}

	int sig = 0;
	sigwait(&stop, &sig);
	log_info("received %s, finishing requests in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	http_server_stop(srv);
	log_info("stopped");
	return CLI_OK;
}
