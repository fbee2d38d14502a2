/* Drives the DNS backend from the command line, so the system tests can run
 * it against a real named:
 *
 *   dnsprobe [-t MS] [-s SECONDARY] [-T TTL] SERVER ZONE KEYNAME ALG SECRET CMD ...
 *     replace FQDN ADDR | delete FQDN 4|6 | query FQDN 4|6
 *
 * Prints "ok", the address found or "none" on stdout and exits 0; on a DNS
 * failure prints "error KIND rcode=N: message" on stderr and exits 2. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ipaddr.h"
#include "dns/dns.h"

static void usage(void)
{
	fprintf(stderr, "usage: dnsprobe [-t MS] [-s SECONDARY] [-T TTL] SERVER ZONE KEYNAME ALG SECRET\n"
			"         replace FQDN ADDR | delete FQDN 4|6 | query FQDN 4|6\n");
	exit(1);
}

static const char *kind(nsupd_err e)
{
	switch (e) {
	case NSUPD_ERR_DNS_TIMEOUT: return "TIMEOUT";
	case NSUPD_ERR_DNS_CONNECT: return "CONNECT";
	case NSUPD_ERR_DNS_RCODE: return "RCODE";
	case NSUPD_ERR_DNS_TSIG: return "TSIG";
	case NSUPD_ERR_DNS_MALFORMED: return "MALFORMED";
	case NSUPD_ERR_DNS_KEY: return "KEY";
	case NSUPD_ERR_INVALID: return "INVALID";
	default: return "OTHER";
	}
}

static int family_arg(const char *s)
{
	if (strcmp(s, "4") == 0)
		return 4;
	if (strcmp(s, "6") == 0)
		return 6;
	usage();
	return 0;
}

int main(int argc, char **argv)
{
	dns_zone z = {.query_timeout_ms = 5000, .update_timeout_ms = 5000, .ttl = 60};
	dns_error err = {.rcode = -1};
	nsupd_err rc;
	int opt;

	while ((opt = getopt(argc, argv, "t:s:T:")) != -1) {
		switch (opt) {
		case 't':
			z.query_timeout_ms = z.update_timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			if (!dns_server_parse(optarg, &z.secondary)) {
				fprintf(stderr, "bad secondary server %s\n", optarg);
				return 1;
			}
			z.has_secondary = true;
			break;
		case 'T':
			z.ttl = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	argv += optind;
	argc -= optind;
	if (argc < 8)
		usage();
	if (!dns_server_parse(argv[0], &z.primary)) {
		fprintf(stderr, "bad server %s\n", argv[0]);
		return 1;
	}
	z.zone = argv[1];
	z.key_name = argv[2];
	if (!dns_algorithm_parse(argv[3], &z.algorithm)) {
		fprintf(stderr, "bad algorithm %s\n", argv[3]);
		return 1;
	}
	z.secret_b64 = argv[4];
	const char *cmd = argv[5], *fqdn = argv[6];

	if (strcmp(cmd, "replace") == 0) {
		ip_addr a;
		if (!ip_parse(argv[7], &a)) {
			fprintf(stderr, "bad address %s\n", argv[7]);
			return 1;
		}
		rc = dns_replace(&z, fqdn, &a, &err);
		if (rc == NSUPD_OK)
			puts("ok");
	} else if (strcmp(cmd, "delete") == 0) {
		rc = dns_delete(&z, fqdn, family_arg(argv[7]), &err);
		if (rc == NSUPD_OK)
			puts("ok");
	} else if (strcmp(cmd, "query") == 0) {
		ip_addr a;
		bool found = false;
		rc = dns_query(&z, fqdn, family_arg(argv[7]), &a, &found, &err);
		if (rc == NSUPD_OK) {
			char text[IP_STRLEN];
			if (found) {
				ip_format(&a, text);
				puts(text);
			} else {
				puts("none");
			}
		}
	} else {
		usage();
		return 1;
	}
	if (rc != NSUPD_OK) {
		fprintf(stderr, "error %s rcode=%d transport=%s: %s\n", kind(rc), err.rcode,
			dns_error_is_transport(rc) ? "yes" : "no", err.msg);
		return 2;
	}
	return 0;
}
