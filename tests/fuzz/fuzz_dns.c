/* Answers of nameservers, as the exchanges hand them over: at least a
 * header (the exchange drops anything shorter or with another ID). The
 * first byte picks the reader, the rest is the answer. */
#include "fuzz.h"

#include <string.h>

#include <libknot/libknot.h>

#include "dns/dns.h"
#include "dns/dns_answer.h"

#define QNAME "h.example.org"
#define ZONE "example.org"

static void address_answer(uint8_t *resp, size_t len, int family)
{
	knot_dname_storage_t qname;
	if (knot_dname_from_str(qname, QNAME, sizeof(qname)) == NULL)
		abort();
	ip_addr out;
	memset(&out, 0xa5, sizeof(out));
	bool found = false;
	nsupd_err code = NSUPD_ERR_INTERNAL;
	dns_error err = { .rcode = -1 };
	dns_answer_kind kind = dns_read_address_answer(resp, len, qname,
		family == 4 ? KNOT_RRTYPE_A : KNOT_RRTYPE_AAAA, family, "192.0.2.53", QNAME, &out,
		&found, &code, &err);
	FUZZ_ASSERT(kind == DNS_ANSWER_DONE || kind == DNS_ANSWER_TRUNCATED ||
		    kind == DNS_ANSWER_BAD);
	FUZZ_ASSERT(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
	if (kind == DNS_ANSWER_DONE) {
		FUZZ_ASSERT(code == NSUPD_OK);
		if (found)
			FUZZ_ASSERT(out.family == family);
	} else if (kind == DNS_ANSWER_BAD) {
		FUZZ_ASSERT(code != NSUPD_OK && !found);
	}
}

static void soa_answer(uint8_t *resp, size_t len)
{
	knot_dname_storage_t qname;
	if (knot_dname_from_str(qname, ZONE, sizeof(qname)) == NULL)
		abort();
	dns_error err = { .rcode = -1 };
	err.msg[0] = '\0';
	(void)dns_read_soa_answer(resp, len, qname, ZONE, "192.0.2.53", &err);
	FUZZ_ASSERT(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
}

/* The answer to a real signed UPDATE (its ID put into the answer, as the
 * exchange would only hand over one with that ID). */
static void update_answer(uint8_t *resp, size_t len)
{
	static const dns_zone zone = {
		.zone = ZONE,
		.key_name = ZONE,
		.algorithm = DNS_HMAC_SHA256,
		.secret_b64 = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==",
		.primary = { .addr = { .family = 4, .bytes = { 192, 0, 2, 53 } }, .port = 53 },
	};
	static uint8_t msg[DNS_UPDATE_MAX];
	static uint8_t mac[64];
	static size_t mac_len;
	static bool built;
	if (!built) {
		ip_addr a = { .family = 4, .bytes = { 198, 51, 100, 7 } };
		dns_change c = { .fqdn = QNAME, .family = 4, .addr = &a };
		size_t n = 0;
		dns_error err;
		if (dns_build_update(&zone, &c, 1, 0x4242, msg, sizeof(msg), &n, mac, &mac_len,
				     &err) != NSUPD_OK)
			abort();
		built = true;
	}
	resp[0] = 0x42;
	resp[1] = 0x42;
	dns_error err = { .rcode = -1 };
	err.msg[0] = '\0';
	(void)dns_check_update_answer(&zone, resp, len, 0x4242, mac, mac_len,
				      "update " QNAME " A in zone " ZONE, &err);
	FUZZ_ASSERT(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
}

int fuzz_dns(const uint8_t *data, size_t size)
{
	if (size < 1 + KNOT_WIRE_HEADER_SIZE || size > 1 + 65535)
		return 0;
	/* The readers may write into the answer (the exchanges' buffers are
	 * theirs), so they get a copy of exactly its size. */
	size_t len = size - 1;
	uint8_t *resp = malloc(len);
	if (resp == NULL)
		abort();
	memcpy(resp, data + 1, len);
	switch (data[0] % 4) {
	case 0: address_answer(resp, len, 4); break;
	case 1: address_answer(resp, len, 6); break;
	case 2: soa_answer(resp, len); break;
	default: update_answer(resp, len); break;
	}
	free(resp);
	return 0;
}
