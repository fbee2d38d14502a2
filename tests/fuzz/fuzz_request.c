/* Router and browser input of the update API. The first byte picks the
 * reader, the rest is its input; "\n" splits the two values of a pair. */
#include "fuzz.h"

#include <ctype.h>
#include <string.h>

#include "api/followup.h"
#include "core/dyndns2.h"
#include "core/fqdn.h"
#include "core/ifid.h"
#include "core/ipaddr.h"
#include "http/server.h"
#include "util/arena.h"

/* A parsed address survives its canonical text unchanged. */
static void address_round_trip(const ip_addr *a)
{
	FUZZ_ASSERT(a->family == 4 || a->family == 6);
	char text[IP_STRLEN], again[IP_STRLEN];
	ip_format(a, text);
	FUZZ_ASSERT(strlen(text) < IP_STRLEN);
	ip_addr b;
	FUZZ_ASSERT(ip_parse(text, &b));
	FUZZ_ASSERT(ip_equal(a, &b));
	ip_format(&b, again);
	FUZZ_ASSERT(strcmp(text, again) == 0);
}

static void check_addr_list(const dd_addr *list, size_t n, size_t max)
{
	FUZZ_ASSERT(n <= max);
	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(memchr(list[i].text, '\0', sizeof(list[i].text)) != NULL);
		FUZZ_ASSERT(list[i].prefix_len >= -1 && list[i].prefix_len <= 128);
		/* ::ffff:a.b.c.d is IPv4 here, so the text of the address may
		 * not parse back to the same family: only the value is checked. */
		address_round_trip(&list[i].addr);
	}
}

static void basic_auth(const char *s)
{
	arena *a = arena_new(1024);
	if (a == NULL)
		abort();
	char *user = NULL, *password = NULL;
	if (dd_basic_auth_decode(s, a, &user, &password)) {
		FUZZ_ASSERT(user != NULL && password != NULL);
		FUZZ_ASSERT(strchr(user, ':') == NULL);
	}
	arena_free(a);
}

static void myip(const char *s)
{
	dd_addr list[DD_MAX_ADDRS];
	size_t n = 0;
	if (dd_parse_myip(s, list, DD_MAX_ADDRS, &n) == NSUPD_OK) {
		check_addr_list(list, n, DD_MAX_ADDRS);
		/* A prefix keeps the family the client wrote; an address may
		 * have been unmapped to IPv4 after being classified. */
		for (size_t i = 0; i < n; i++)
			if (list[i].prefix)
				FUZZ_ASSERT(dd_addr_is_prefix(&list[i].addr, list[i].prefix_len));
	}
}

static void prefix_params(char *s)
{
	char *second = strchr(s, '\n');
	if (second != NULL)
		*second++ = '\0';
	dd_addr list[4];
	size_t n = 0;
	dd_addr one;
	if (dd_parse_prefix_param(s, &one) == NSUPD_OK) {
		FUZZ_ASSERT(one.prefix);
		address_round_trip(&one.addr);
	}
	if (followup_prefix_params(s, second, list, 4, &n)) {
		check_addr_list(list, n, 4);
		(void)followup_prefixes_consistent(list, n);
	}
}

static void names(const char *s)
{
	char out[FQDN_MAX + 1], again[FQDN_MAX + 1];
	if (fqdn_normalize(s, out, sizeof(out))) {
		size_t len = strlen(out);
		FUZZ_ASSERT(len > 0 && len <= FQDN_MAX);
		for (size_t i = 0; i < len; i++)
			FUZZ_ASSERT(!isupper((unsigned char)out[i]));
		/* One trailing dot goes ("a.." is "a.", which no host is named). */
		if (out[len - 1] != '.') {
			FUZZ_ASSERT(fqdn_normalize(out, again, sizeof(again)));
			FUZZ_ASSERT(strcmp(out, again) == 0);
		}
		char *host = NULL, *zone = NULL;
		if (fqdn_split_first(out, &host, &zone))
			FUZZ_ASSERT(host[0] != '\0' && zone[0] != '\0');
	}
	(void)fqdn_valid_zone(s);
	(void)fqdn_valid_host_label(s);
}

static void addresses(const char *s)
{
	ip_addr a;
	if (ip_parse(s, &a))
		address_round_trip(&a);
	ip_prefix p;
	if (ip_prefix_parse(s, &p)) {
		FUZZ_ASSERT(p.len <= ip_bits(&p.addr));
		FUZZ_ASSERT(ip_prefix_contains(&p, &p.addr));
		FUZZ_ASSERT(p.len == ip_bits(&p.addr) || ip_is_network_address(&p.addr, p.len) ||
			    p.len == 0);
	}
}

static void interface_ids(const char *s, int family)
{
	bool empty = false;
	ip_addr id;
	char canon[IP_STRLEN], err[128];
	if (!ifid_parse(s, family, &empty, &id, canon, err, sizeof(err)) || empty)
		return;
	FUZZ_ASSERT(id.family == family);
	bool empty2 = false;
	ip_addr again;
	char canon2[IP_STRLEN];
	FUZZ_ASSERT(ifid_parse(canon, family, &empty2, &again, canon2, err, sizeof(err)));
	FUZZ_ASSERT(ip_equal(&id, &again) && strcmp(canon, canon2) == 0);
	ip_addr prefix = { .family = (uint8_t)family }, out;
	for (unsigned len = 0; len <= ip_bits(&prefix); len += 8)
		if (ifid_combine(&prefix, len, &id, &out, err, sizeof(err)))
			FUZZ_ASSERT(out.family == family);
}

static void form(char *s)
{
	size_t before = strlen(s);
	char *copy = strdup(s);
	if (copy == NULL)
		abort();
	if (http_urldecode(copy))
		FUZZ_ASSERT(strlen(copy) <= before);
	free(copy);
	http_param params[8];
	size_t n = 0;
	if (http_parse_urlencoded(s, params, 8, &n))
		FUZZ_ASSERT(n <= 8);
}

/* The web routes' patterns against any path a browser asks for. */
static void route(const char *path)
{
	static const char *const patterns[] = {
		"/", "/domain/<int>/", "/admin/<name>/<name>/<int>/change/",
		"/host/<int>/related/<int>/",
	};
	arena *a = arena_new(1024);
	if (a == NULL)
		abort();
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		int64_t ints[HTTP_MAX_PATH_PARAMS];
		const char *names[HTTP_MAX_PATH_PARAMS] = { 0 };
		if (!http_match_pattern(patterns[i], path, ints, names, a))
			continue;
		for (size_t k = 0; k < HTTP_MAX_PATH_PARAMS; k++)
			if (names[k] != NULL)
				FUZZ_ASSERT(names[k][0] != '\0' && strchr(names[k], '/') == NULL);
	}
	arena_free(a);
}

int fuzz_request(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *s = fuzz_strndup(data + 1, size - 1);
	switch (data[0] % 9) {
	case 0: basic_auth(s); break;
	case 1: myip(s); break;
	case 2: prefix_params(s); break;
	case 3: names(s); break;
	case 4: addresses(s); break;
	case 5: interface_ids(s, 4); break;
	case 6: interface_ids(s, 6); break;
	case 7: form(s); break;
	default: route(s); break;
	}
	free(s);
	return 0;
}
