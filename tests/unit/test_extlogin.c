/* Remote and two-factor login building blocks: ID token verification
 * (signatures made here with OpenSSL, with a key the test generates),
 * PKCE, TOTP against the RFC 6238 vectors, recovery codes, and the
 * [oauth.*]/[oidc.*] configuration sections with the store's remote
 * identity and TOTP operations. */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "config/config.h"
#include "store/store.h"
#include "web/oidc.h"
#include "web/totp.h"

#define NOW 1700000000

static EVP_PKEY *key1, *key2;

static void b64url(const unsigned char *data, size_t len, char *out, size_t outsize)
{
	sodium_bin2base64(out, outsize, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static EVP_PKEY *gen_key(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	ck_assert_ptr_nonnull(k);
	return k;
}

static void setup(void)
{
	if (key1 == NULL) {
		ck_assert_int_ge(sodium_init(), 0);
		key1 = gen_key();
		key2 = gen_key();
	}
}

/* {"keys":[{"kty":"RSA","kid":kid,"n":..,"e":..}]} of k. */
static json_t *jwks_of(EVP_PKEY *k, const char *kid)
{
	BIGNUM *n = NULL, *e = NULL;
	ck_assert(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n));
	ck_assert(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e));
	unsigned char nb[1024], eb[16];
	int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
	char n64[1400], e64[32];
	b64url(nb, (size_t)nl, n64, sizeof(n64));
	b64url(eb, (size_t)el, e64, sizeof(e64));
	BN_free(n);
	BN_free(e);
	return json_pack("{s:[{s:s, s:s, s:s, s:s, s:s}]}", "keys", "kty", "RSA", "use", "sig",
			 "kid", kid, "n", n64, "e", e64);
}

/* A compact JWS of claims signed by k (alg RS256 unless given). */
static char *make_jwt(EVP_PKEY *k, const char *alg, const char *kid, json_t *claims)
{
	json_t *hdr = json_pack("{s:s, s:s}", "alg", alg, "typ", "JWT");
	if (kid != NULL)
		json_object_set_new(hdr, "kid", json_string(kid));
	char *h = json_dumps(hdr, JSON_COMPACT), *p = json_dumps(claims, JSON_COMPACT);
	static char buf[8192];
	char h64[512], p64[2048];
	b64url((unsigned char *)h, strlen(h), h64, sizeof(h64));
	b64url((unsigned char *)p, strlen(p), p64, sizeof(p64));
	snprintf(buf, sizeof(buf), "%s.%s", h64, p64);
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	ck_assert(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, k) == 1);
	ck_assert(EVP_DigestSign(m, sig, &siglen, (unsigned char *)buf, strlen(buf)) == 1);
	EVP_MD_CTX_free(m);
	char s64[800];
	b64url(sig, siglen, s64, sizeof(s64));
	size_t len = strlen(buf);
	snprintf(buf + len, sizeof(buf) - len, ".%s", s64);
	free(h);
	free(p);
	json_decref(hdr);
	return buf;
}

static json_t *good_claims(void)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s}", "iss", "https://idp.example",
			 "aud", "client-1", "sub", "user-42", "exp", (json_int_t)NOW + 300,
			 "iat", (json_int_t)NOW, "nonce", "nonce-abc", "email", "a@example.org");
}

static nsupd_err verify(const char *jwt, json_t *jwks, const char *nonce)
{
	json_t *claims = NULL;
	char err[256];
	nsupd_err e = oidc_verify_id_token(jwt, jwks, "https://idp.example", NULL, "client-1",
					   nonce, NOW, &claims, err, sizeof(err));
	if (e == NSUPD_OK) {
		ck_assert_str_eq(json_string_value(json_object_get(claims, "sub")), "user-42");
		json_decref(claims);
	} else {
		ck_assert_ptr_null(claims);
		ck_assert(err[0] != '\0');
	}
	return e;
}

START_TEST(id_token_good_and_tampered)
{
	json_t *jwks = jwks_of(key1, "k1");
	json_t *c = good_claims();
	char *jwt = strdup(make_jwt(key1, "RS256", "k1", c));
	ck_assert_int_eq(verify(jwt, jwks, "nonce-abc"), NSUPD_OK);
	/* One changed byte in the payload breaks the signature. */
	char *dot = strchr(jwt, '.');
	dot[5] = dot[5] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(verify(jwt, jwks, "nonce-abc"), NSUPD_ERR_INVALID);
	free(jwt);
	/* Signed by another key under the published kid. */
	ck_assert_int_eq(verify(make_jwt(key2, "RS256", "k1", c), jwks, "nonce-abc"),
			 NSUPD_ERR_INVALID);
	/* An unknown kid: the caller may refresh the JWKS. */
	ck_assert_int_eq(verify(make_jwt(key1, "RS256", "k9", c), jwks, "nonce-abc"),
			 NSUPD_ERR_NOT_FOUND);
	/* No kid: every RSA key is tried. */
	ck_assert_int_eq(verify(make_jwt(key1, "RS256", NULL, c), jwks, "nonce-abc"), NSUPD_OK);
	json_decref(c);
	json_decref(jwks);
}
END_TEST

START_TEST(id_token_algorithms)
{
	json_t *jwks = jwks_of(key1, "k1");
	json_t *c = good_claims();
	/* alg "none" with an empty signature, and HS256, are refused. */
	char *jwt = strdup(make_jwt(key1, "none", "k1", c));
	*(strrchr(jwt, '.') + 1) = '\0';
	ck_assert_int_eq(verify(jwt, jwks, "nonce-abc"), NSUPD_ERR_INVALID);
	free(jwt);
	ck_assert_int_eq(verify(make_jwt(key1, "HS256", "k1", c), jwks, "nonce-abc"),
			 NSUPD_ERR_INVALID);
	ck_assert_int_eq(verify("abc.def", jwks, "nonce-abc"), NSUPD_ERR_INVALID);
	ck_assert_int_eq(verify("a.b.c.d", jwks, "nonce-abc"), NSUPD_ERR_INVALID);
	json_decref(c);
	json_decref(jwks);
}
END_TEST

START_TEST(id_token_claims)
{
	json_t *jwks = jwks_of(key1, "k1");
	json_t *c = good_claims();
	ck_assert_int_eq(verify(make_jwt(key1, "RS256", "k1", c), jwks, "other-nonce"),
			 NSUPD_ERR_INVALID);
	json_object_set_new(c, "iss", json_string("https://evil.example"));
	ck_assert_int_eq(verify(make_jwt(key1, "RS256", "k1", c), jwks, "nonce-abc"),
			 NSUPD_ERR_INVALID);
	json_decref(c);
	c = good_claims();
	json_object_set_new(c, "aud", json_string("client-2"));
	ck_assert_int_eq(verify(make_jwt(key1, "RS256", "k1", c), jwks, "nonce-abc"),
			 NSUPD_ERR_INVALID);
	/* Several audiences: azp must name us. */
	json_object_set_new(c, "aud", json_pack("[s, s]", "client-1", "client-2"));
	ck_assert_int_eq(verify(make_jwt(key1, "RS256", "k1", c), jwks, "nonce-abc"),
			 NSUPD_ERR_INVALID);
	json_object_set_new(c, "azp", json_string("client-1"));
	ck_assert_int_eq(verify(make_jwt(key1, "RS256", "k1", c), jwks, "nonce-abc"), NSUPD_OK);
	json_object_set_new(c, "exp", json_integer(NOW - 200));
	ck_assert_int_eq(verify(make_jwt(key1, "RS256", "k1", c), jwks, "nonce-abc"),
			 NSUPD_ERR_INVALID);
	json_object_set_new(c, "exp", json_integer(NOW + 300));
	json_object_set_new(c, "iat", json_integer(NOW + 3600));
	ck_assert_int_eq(verify(make_jwt(key1, "RS256", "k1", c), jwks, "nonce-abc"),
			 NSUPD_ERR_INVALID);
	json_object_del(c, "nonce");
	json_object_set_new(c, "iat", json_integer(NOW));
	ck_assert_int_eq(verify(make_jwt(key1, "RS256", "k1", c), jwks, "nonce-abc"),
			 NSUPD_ERR_INVALID);
	json_decref(c);
	json_decref(jwks);
}
END_TEST

START_TEST(pkce_s256)
{
	/* RFC 7636 appendix B. */
	char out[44];
	oidc_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", out);
	ck_assert_str_eq(out, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}
END_TEST

START_TEST(totp_rfc6238)
{
	/* "12345678901234567890" in base32; RFC 6238 appendix B (SHA-1),
	 * last six digits. */
	const char *secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
	char code[TOTP_DIGITS + 1];
	ck_assert_int_eq(totp_code(secret, 59 / 30, code), NSUPD_OK);
	ck_assert_str_eq(code, "287082");
	ck_assert_int_eq(totp_code(secret, 1111111109 / 30, code), NSUPD_OK);
	ck_assert_str_eq(code, "081804");
	ck_assert_int_eq(totp_code(secret, 20000000000LL / 30, code), NSUPD_OK);
	ck_assert_str_eq(code, "353130");
	/* Matching: one step either side, not two. */
	int64_t now = 1111111109;
	ck_assert_int_eq(totp_match(secret, "081804", now), now / 30);
	ck_assert_int_eq(totp_match(secret, "081 804", now + 30), now / 30);
	ck_assert_int_eq(totp_match(secret, "081804", now - 30), now / 30);
	ck_assert_int_eq(totp_match(secret, "081804", now + 60), -1);
	ck_assert_int_eq(totp_match(secret, "81804", now), -1);
	ck_assert_int_eq(totp_match(secret, "0818045", now), -1);
	ck_assert_int_eq(totp_match(secret, "08180x", now), -1);
	char fresh[TOTP_SECRET_B32_MAX], other[TOTP_SECRET_B32_MAX];
	ck_assert_int_eq(totp_new_secret(fresh), NSUPD_OK);
	ck_assert_int_eq(totp_new_secret(other), NSUPD_OK);
	ck_assert_uint_eq(strlen(fresh), 32);
	ck_assert_str_ne(fresh, other);
}
END_TEST

START_TEST(recovery_codes_and_qr)
{
	char a[TOTP_RECOVERY_LEN + 1], b[TOTP_RECOVERY_LEN + 1];
	totp_recovery_new(a);
	totp_recovery_new(b);
	ck_assert_uint_eq(strlen(a), 11);
	ck_assert_int_eq(a[5], '-');
	ck_assert_str_ne(a, b);
	char h1[65], h2[65];
	ck_assert(totp_recovery_hash(a, h1));
	char typed[32];
	/* Typed in capitals, with blanks instead of the dash. */
	snprintf(typed, sizeof(typed), " %c%c%c%c%c %c%c%c%c%c ", toupper((unsigned char)a[0]),
		 toupper((unsigned char)a[1]), a[2], a[3], a[4], a[6], a[7], a[8], a[9], a[10]);
	ck_assert(totp_recovery_hash(typed, h2));
	ck_assert_str_eq(h1, h2);
	ck_assert(!totp_recovery_hash("abc", h2));
	ck_assert(!totp_recovery_hash("aaaaa-aaaa0", h2));   /* 0 is not in the alphabet */
	char uri[512];
	totp_uri("My Site", "al ice", "ABCD", uri, sizeof(uri));
	ck_assert_str_eq(uri, "otpauth://totp/My%20Site%3Aal%20ice?secret=ABCD&issuer=My%20Site"
			      "&algorithm=SHA1&digits=6&period=30");
	char *svg = totp_qr_svg(uri);
	ck_assert_ptr_nonnull(svg);
	ck_assert(strncmp(svg, "<svg ", 5) == 0 && strstr(svg, "</svg>") != NULL);
	ck_assert_ptr_null(strstr(svg, "My"));   /* no text of the input in the markup */
	free(svg);
}
END_TEST

START_TEST(config_sections)
{
	nsupd_config cfg;
	char err[512];
	memset(&cfg, 0, sizeof(cfg));
	ck_assert_int_eq(config_load_string(&cfg,
		"[oauth.github]\nclient_id = a\nclient_secret = b\n"
		"[oidc.corp]\nclient_id = c\nclient_secret = d\n"
		"discovery_url = https://sso.example/.well-known/openid-configuration\n"
		"[oauth.google]\nclient_id = e\nclient_secret = f\n", "t", err, sizeof(err)),
		NSUPD_OK);
	ck_assert_uint_eq(cfg.n_oauth, 3);
	ck_assert_str_eq(cfg.oauth[0].name, "github");
	ck_assert_int_eq(cfg.oauth[0].kind, CONFIG_OAUTH_GITHUB);
	ck_assert_str_eq(cfg.oauth[0].token_url, "https://github.com/login/oauth/access_token");
	ck_assert_str_eq(cfg.oauth[1].name, "corp");
	ck_assert_str_eq(cfg.oauth[1].title, "corp");
	ck_assert_str_eq(cfg.oauth[1].scope, "openid email profile");
	ck_assert_str_eq(cfg.oauth[2].name, "google-oauth2");
	ck_assert_str_eq(cfg.oauth[2].discovery_url,
			 "https://accounts.google.com/.well-known/openid-configuration");
	config_free(&cfg);

	memset(&cfg, 0, sizeof(cfg));
	ck_assert_int_eq(config_load_string(&cfg, "[log]\nlevel = info\n[oidc.x]\n"
		"client_id = a\nclient_secret = b\nscope = email\n"
		"discovery_url = https://x.example/.well-known/openid-configuration\n", "t", err,
		sizeof(err)), NSUPD_ERR_CONFIG);
	ck_assert_str_eq(err, "t:3: [oidc.x] scope: must include openid");

	ck_assert(config_url_ok("https://idp.example/x"));
	ck_assert(config_url_ok("http://127.0.0.1:8080/x"));
	ck_assert(config_url_ok("http://[::1]:8080/x"));
	ck_assert(config_url_ok("http://localhost/x"));
	ck_assert(!config_url_ok("http://idp.example/x"));
	ck_assert(!config_url_ok("http://127.0.0.1.evil.example/x"));
	ck_assert(!config_url_ok("http://user@127.0.0.1/x"));
	ck_assert(!config_url_ok("http://localhost.evil.example/"));
	ck_assert(!config_url_ok("ftp://idp.example/"));
	ck_assert(!config_url_ok("https:///x"));
	ck_assert(!config_url_ok("https://idp.example/a b"));
}
END_TEST

START_TEST(store_remote_and_totp)
{
	store *s;
	char err[256];
	ck_assert_int_eq(store_open("sqlite::memory:", &s, err, sizeof(err)), NSUPD_OK);
	ck_assert_int_eq(store_migrate(s), NSUPD_OK);
	store_user u = { .active = true };
	snprintf(u.name, sizeof(u.name), "remote1");
	store_remote r = { 0 };
	snprintf(r.provider, sizeof(r.provider), "github");
	snprintf(r.subject, sizeof(r.subject), "4711");
	int64_t uid = 0;
	ck_assert_int_eq(store_remote_register(s, &u, &r, NOW, &uid), NSUPD_OK);
	ck_assert_int_eq(store_remote_register(s, &u, &r, NOW, &uid), NSUPD_ERR_EXISTS);
	store_user got;
	ck_assert_int_eq(store_user_get(s, uid, &got), NSUPD_OK);
	ck_assert(got.active && got.password_hash[0] == '\0');
	store_remote one;
	ck_assert_int_eq(store_remote_get(s, "github", "4711", &one), NSUPD_OK);
	ck_assert_int_eq(one.user_id, uid);
	ck_assert_int_eq(store_remote_get(s, "gitlab", "4711", &one), NSUPD_ERR_NOT_FOUND);
	/* The last way to log in stays. */
	bool deleted = true;
	ck_assert_int_eq(store_remote_delete(s, uid, one.id, &deleted), NSUPD_OK);
	ck_assert(!deleted);
	ck_assert_int_eq(store_remote_delete(s, uid + 1, one.id, &deleted), NSUPD_ERR_NOT_FOUND);
	store_remote r2 = { .user_id = uid, .created = NOW };
	snprintf(r2.provider, sizeof(r2.provider), "corp");
	snprintf(r2.subject, sizeof(r2.subject), "x");
	int64_t id2;
	ck_assert_int_eq(store_remote_add(s, &r2, &id2), NSUPD_OK);
	ck_assert_int_eq(store_remote_add(s, &r2, &id2), NSUPD_ERR_EXISTS);
	ck_assert_int_eq(store_remote_delete(s, uid, one.id, &deleted), NSUPD_OK);
	ck_assert(deleted);
	ck_assert_int_eq(store_remote_delete(s, uid, id2, &deleted), NSUPD_OK);
	ck_assert(!deleted);
	store_remote list[4];
	size_t n;
	ck_assert_int_eq(store_remote_list(s, uid, list, 4, &n), NSUPD_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0].provider, "corp");

	/* TOTP: steps only forward, recovery codes once. */
	store_totp t;
	ck_assert_int_eq(store_totp_get(s, uid, &t), NSUPD_ERR_NOT_FOUND);
	const char *hashes[] = { "aa", "bb" };
	ck_assert_int_eq(store_totp_enable(s, uid, "SECRET", 100, hashes, 2, NOW), NSUPD_OK);
	ck_assert_int_eq(store_totp_enable(s, uid, "SECRET", 100, hashes, 2, NOW), NSUPD_ERR_EXISTS);
	ck_assert_int_eq(store_totp_get(s, uid, &t), NSUPD_OK);
	ck_assert_str_eq(t.secret, "SECRET");
	bool ok;
	ck_assert_int_eq(store_totp_use_step(s, uid, 100, &ok), NSUPD_OK);
	ck_assert(!ok);
	ck_assert_int_eq(store_totp_use_step(s, uid, 101, &ok), NSUPD_OK);
	ck_assert(ok);
	ck_assert_int_eq(store_totp_use_step(s, uid, 101, &ok), NSUPD_OK);
	ck_assert(!ok);
	ck_assert_int_eq(store_totp_use_recovery(s, uid, "bb", NOW, &ok), NSUPD_OK);
	ck_assert(ok);
	ck_assert_int_eq(store_totp_use_recovery(s, uid, "bb", NOW, &ok), NSUPD_OK);
	ck_assert(!ok);
	ck_assert_int_eq(store_totp_use_recovery(s, uid + 1, "aa", NOW, &ok), NSUPD_OK);
	ck_assert(!ok);
	int64_t left;
	ck_assert_int_eq(store_totp_recovery_left(s, uid, &left), NSUPD_OK);
	ck_assert_int_eq(left, 1);
	/* Deleting the user takes everything with it. */
	ck_assert_int_eq(store_user_delete(s, uid), NSUPD_OK);
	ck_assert_int_eq(store_totp_get(s, uid, &t), NSUPD_ERR_NOT_FOUND);
	ck_assert_int_eq(store_remote_get(s, "corp", "x", &one), NSUPD_ERR_NOT_FOUND);
	store_close(s);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("extlogin");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, id_token_good_and_tampered);
	tcase_add_test(tc, id_token_algorithms);
	tcase_add_test(tc, id_token_claims);
	tcase_add_test(tc, pkce_s256);
	tcase_add_test(tc, totp_rfc6238);
	tcase_add_test(tc, recovery_codes_and_qr);
	tcase_add_test(tc, config_sections);
	tcase_add_test(tc, store_remote_and_totp);
	suite_add_tcase(su, tc);
	SRunner *sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	EVP_PKEY_free(key1);
	EVP_PKEY_free(key2);
	return failed == 0 ? 0 : 1;
}
