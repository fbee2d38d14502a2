/* The overview: the user's hosts (domains and live DNS values come with
 * the hosts/domains module). */
#include "util/log.h"
#include "web/web_internal.h"

static bool collect_host(const store_host *h, void *ctx)
{
	json_array_append_new(ctx, web_host_json(h));
	return true;
}

static void overview(web_req *r)
{
	json_t *hosts = json_array();
	nsupd_err e = store_host_list_by_owner(r->app->store, r->user.id, collect_host, hosts);
	if (e != NSUPD_OK) {
		log_error("web: listing the hosts of user %lld: %s", (long long)r->user.id,
			  nsupd_strerror(e));
		json_decref(hosts);
		web_error(r, 500, NULL);
		return;
	}
	json_object_set_new(r->ctx, "hosts", hosts);
	web_render(r, 200, "main/overview.html");
}

static const web_page pages[] = {
	{ "/overview/", HTTP_GET, WEB_LOGIN, overview },
};

const web_module web_module_overview = { pages, sizeof(pages) / sizeof(pages[0]) };
