/* Input the web interface takes from browsers, login providers and
 * forwarding peers. The first byte picks the reader, the rest is its input. */
#include "fuzz.h"

#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "core/fwdpolicy.h"
#include "web/email_check.h"
#include "web/i18n.h"
#include "web/oidc.h"
#include "web/template.h"
#include "web/totp.h"
#include "web/web.h"

#define NOW 1700000000
#define ISSUER "https://idp.example"
#define CLIENT "client-1"

static i18n *catalogs(void)
{
	static i18n *t;
	if (t == NULL) {
		static const char de[] = "msgid \"Hosts\"\nmsgstr \"Hosts\"\n";
		static const char fr[] = "msgid \"Hosts\"\nmsgstr \"H\303\264tes\"\n";
		char err[128];
		if (i18n_new(&t) != NSUPD_OK ||
		    i18n_add_po(t, "de", de, sizeof(de) - 1, "de.po", err, sizeof(err)) != NSUPD_OK ||
		    i18n_add_po(t, "fr", fr, sizeof(fr) - 1, "fr.po", err, sizeof(err)) != NSUPD_OK)
			abort();
	}
	return t;
}

static void accept_language(const char *s)
{
	const char *code = i18n_negotiate(catalogs(), s);
	FUZZ_ASSERT(code == NULL || i18n_has(catalogs(), code));
}

static void po_file(const char *s, size_t len)
{
	i18n *t = NULL;
	if (i18n_new(&t) != NSUPD_OK)
		abort();
	char err[256];
	err[0] = '\0';
	if (i18n_add_po(t, "de", s, len, "fuzz.po", err, sizeof(err)) == NSUPD_OK) {
		const i18n_catalog *c = i18n_catalog_get(t, "de");
		FUZZ_ASSERT(i18n_lookup(c, "Hosts") != NULL);
	} else {
		FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
	}
	i18n_free(t);
}

/* The provider's key and its JWKS, made once. */
static EVP_PKEY *key;
static json_t *jwks;

static void b64url(const unsigned char *data, size_t len, char *out, size_t outsize)
{
	sodium_bin2base64(out, outsize, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void provider_key(void)
{
	if (key != NULL)
		return;
	if (sodium_init() < 0 || (key = EVP_RSA_gen(2048)) == NULL)
		abort();
	BIGNUM *n = NULL, *e = NULL;
	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e))
		abort();
	unsigned char nb[512], eb[16];
	int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
	char n64[800], e64[32];
	b64url(nb, (size_t)nl, n64, sizeof(n64));
	b64url(eb, (size_t)el, e64, sizeof(e64));
	BN_free(n);
	BN_free(e);
	jwks = json_pack("{s:[{s:s, s:s, s:s, s:s, s:s}]}", "keys", "kty", "RSA", "use", "sig",
			 "kid", "k1", "n", n64, "e", e64);
	if (jwks == NULL)
		abort();
}

static void id_token(const char *jwt)
{
	provider_key();
	json_t *claims = NULL;
	char err[256];
	err[0] = '\0';
	nsupd_err e = oidc_verify_id_token(jwt, jwks, ISSUER, NULL, CLIENT, "nonce-1", NOW,
					   &claims, err, sizeof(err));
	FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
	if (e == NSUPD_OK) {
		FUZZ_ASSERT(claims != NULL);
		json_decref(claims);
	}
}

/* "HEADER\nPAYLOAD" (JSON texts, anything in fact), signed with the
 * provider's key: the claims checks behind the signature get the input. */
static void signed_id_token(const char *s)
{
	provider_key();
	const char *nl = strchr(s, '\n');
	const char *hdr = nl != NULL ? s : "{\"alg\":\"RS256\",\"kid\":\"k1\"}";
	size_t hlen = nl != NULL ? (size_t)(nl - s) : strlen(hdr);
	const char *payload = nl != NULL ? nl + 1 : s;
	size_t plen = strlen(payload);
	size_t cap = sodium_base64_ENCODED_LEN(hlen + plen + 512,
					       sodium_base64_VARIANT_URLSAFE_NO_PADDING) + 4;
	char *jwt = malloc(cap * 2);
	if (jwt == NULL)
		abort();
	b64url((const unsigned char *)hdr, hlen, jwt, cap);
	size_t len = strlen(jwt);
	jwt[len++] = '.';
	b64url((const unsigned char *)payload, plen, jwt + len, cap * 2 - len);
	len += strlen(jwt + len);
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	if (m == NULL || EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(m, sig, &siglen, (unsigned char *)jwt, len) != 1)
		abort();
	EVP_MD_CTX_free(m);
	jwt[len++] = '.';
	b64url(sig, siglen, jwt + len, cap * 2 - len);
	id_token(jwt);
	free(jwt);
}

static void peer_answer(const uint8_t *data, size_t size)
{
	if (size < 2)
		return;
	long status = (long)(data[0] << 8 | data[1]) % 600;
	char *body = fuzz_strndup(data + 2, size - 2);
	char word[32];
	enum fwd_verdict v = fwd_classify(status, body, word, sizeof(word));
	FUZZ_ASSERT(v == FWD_DONE || v == FWD_RETRY || v == FWD_FAILED);
	FUZZ_ASSERT(memchr(word, '\0', sizeof(word)) != NULL);
	for (const char *p = word; *p != '\0'; p++)
		FUZZ_ASSERT(*p > ' ' && *p < 127);
	free(body);
}

static void two_factor(const char *s)
{
	(void)totp_is_code(s);
	int64_t step = totp_match("JBSWY3DPEHPK3PXP", s, NOW);
	FUZZ_ASSERT(step == -1 || (step > NOW / 30 - 3 && step < NOW / 30 + 3));
	char hash[65];
	if (totp_recovery_hash(s, hash))
		FUZZ_ASSERT(strlen(hash) == 64);
}

static void email(const char *s)
{
	if (email_syntax_ok(s))
		FUZZ_ASSERT(strlen(s) <= EMAIL_MAX && strchr(s, '@') != NULL);
	char *const res[] = { "@example\\.(com|net)$", "^admin@", "(" };
	(void)email_blacklisted(res, sizeof(res) / sizeof(res[0]), s);
}

static void escape(const char *s)
{
	char *out = tpl_escape(s);
	if (out == NULL)
		abort();
	FUZZ_ASSERT(strpbrk(out, "<>\"'") == NULL);
	for (const char *p = strchr(out, '&'); p != NULL; p = strchr(p + 1, '&'))
		FUZZ_ASSERT(strchr(p, ';') != NULL);
	free(out);
}

/* The "next" of a login or language form: where the answer redirects. An
 * accepted value must stay on this site whatever a browser makes of it. */
static void redirect_target(const char *s)
{
	if (!web_is_local_path(s))
		return;
	FUZZ_ASSERT(s[0] == '/' && s[1] != '/' && s[1] != '\\');
	FUZZ_ASSERT(strstr(s, "//") == NULL && strchr(s, '\\') == NULL);
	for (const char *p = s; *p != '\0'; p++)
		FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
	size_t path = strcspn(s, "?#");
	for (size_t i = 0; i < path; i++)
		FUZZ_ASSERT(s[i] != '%' && !(s[i] == '/' && s[i + 1] == '.'));
}

int fuzz_web(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *s = fuzz_strndup(data + 1, size - 1);
	switch (data[0] % 9) {
	case 0: accept_language(s); break;
	case 1: po_file(s, strlen(s)); break;
	case 2: id_token(s); break;
	case 3: signed_id_token(s); break;
	case 4: peer_answer(data + 1, size - 1); break;
	case 5: two_factor(s); break;
	case 6: email(s); break;
	case 7: escape(s); break;
	default: redirect_target(s); break;
	}
	free(s);
	return 0;
}
