/* OAuth2 / OpenID Connect client; see oidc.h. HTTP through libcurl, JSON
 * through jansson, RSA signatures through OpenSSL's libcrypto, hashes and
 * base64url through libsodium. */
#include "web/oidc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include "util/log.h"

#define FETCH_MAX (1024 * 1024)      /* a provider's answer; real ones are a few KiB */
#define DISCOVERY_TTL 3600
#define JWKS_TTL 3600
#define JWKS_MIN_REFRESH 60          /* an unknown kid refetches at most this often */
#define CLOCK_SKEW 120
#define EP_MAX 1024

static void set_err(char *err, size_t errsize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsize, const char *fmt, ...)
{
	if (err == NULL || errsize == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
}

const config_oauth *oidc_provider(const nsupd_config *cfg, const char *name)
{
	if (cfg == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->n_oauth; i++)
		if (strcmp(cfg->oauth[i].name, name) == 0)
			return &cfg->oauth[i];
	return NULL;
}

/* ---- base64url, PKCE ---- */

void oidc_pkce_challenge(const char *verifier, char out[44])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)verifier, strlen(verifier));
	sodium_bin2base64(out, 44, h, sizeof(h), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Decodes base64url without padding into a malloc'd buffer (NUL added). */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *outlen)
{
	unsigned char *buf = malloc(n + 1);
	if (buf == NULL)
		return NULL;
	size_t len = 0;
	if (sodium_base642bin(buf, n, s, n, NULL, &len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*outlen = len;
	return buf;
}

/* ---- HTTP ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static bool curl_ok;

static void curl_setup(void)
{
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

typedef struct fetch_buf {
	char *data;
	size_t len;
	bool too_big;
} fetch_buf;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	fetch_buf *b = ud;
	size_t n = size * nmemb;
	if (b->len + n > FETCH_MAX) {
		b->too_big = true;
		return 0;
	}
	char *p = realloc(b->data, b->len + n + 1);
	if (p == NULL)
		return 0;
	memcpy(p + b->len, ptr, n);
	b->len += n;
	p[b->len] = '\0';
	b->data = p;
	return n;
}

typedef struct fetch_req {
	const char *url;
	const char *post;            /* form body, or NULL for GET */
	const char *bearer;          /* access token, or NULL */
	const char *basic_user;      /* client_secret_basic, or NULL */
	const char *basic_pass;
} fetch_req;

/* Fetches a JSON document. *status gets the HTTP status; *out the parsed
 * body (also for error statuses, when it is JSON). */
static nsupd_err fetch_json(const fetch_req *q, long *status, json_t **out, char *err,
			    size_t errsize)
{
	*out = NULL;
	*status = 0;
	if (!config_url_ok(q->url)) {
		set_err(err, errsize, "refusing URL %.200s (https, or http to loopback only)", q->url);
		return NSUPD_ERR_INVALID;
	}
	pthread_once(&curl_once, curl_setup);
	if (!curl_ok) {
		set_err(err, errsize, "cannot initialise libcurl");
		return NSUPD_ERR_INTERNAL;
	}
	CURL *c = curl_easy_init();
	if (c == NULL) {
		set_err(err, errsize, "out of memory");
		return NSUPD_ERR_NOMEM;
	}
	struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
	char auth[2200];
	if (q->bearer != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", q->bearer);
		struct curl_slist *h2 = curl_slist_append(hdr, auth);
		if (h2 != NULL)
			hdr = h2;
	}
	fetch_buf b = { 0 };
	curl_easy_setopt(c, CURLOPT_URL, q->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "nsupd");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (q->post != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->post);
	if (q->basic_user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, q->basic_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, q->basic_pass);
	}
	CURLcode rc = curl_easy_perform(c);
	nsupd_err e = NSUPD_OK;
	if (rc != CURLE_OK) {
		set_err(err, errsize, "%.200s: %s", q->url,
			b.too_big ? "answer too large" : curl_easy_strerror(rc));
		e = NSUPD_ERR_IO;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		json_error_t je;
		*out = b.data != NULL ? json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &je) : NULL;
		if (*out == NULL) {
			set_err(err, errsize, "%.200s: HTTP %ld, not JSON", q->url, *status);
			e = NSUPD_ERR_IO;
		}
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	free(b.data);
	return e;
}

/* Appends "&name=value" (or "name=value" at the start), value
 * percent-encoded as RFC 3986 unreserved characters. */
static bool append_param(char *buf, size_t size, const char *name, const char *value)
{
	size_t len = strlen(buf);
	int n = snprintf(buf + len, size - len, "%s%s=", len > 0 && buf[len - 1] != '?' ? "&" : "",
			 name);
	if (n < 0 || (size_t)n >= size - len)
		return false;
	len += (size_t)n;
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
			     *p == '~';
		if (len + 4 >= size)
			return false;
		if (plain) {
			buf[len++] = (char)*p;
		} else {
			buf[len++] = '%';
			buf[len++] = hex[*p >> 4];
			buf[len++] = hex[*p & 15];
		}
	}
	buf[len] = '\0';
	return true;
}

/* ---- endpoints: configuration or discovery, cached ---- */

typedef struct endpoints {
	char authorize[EP_MAX];
	char token[EP_MAX];
	char userinfo[EP_MAX];
	char jwks[EP_MAX];
	char issuer[EP_MAX];
} endpoints;

typedef struct cache_entry {
	char name[40];
	char discovery_url[EP_MAX];
	int64_t disc_at;             /* 0 = not fetched */
	endpoints ep;
	json_t *jwks;
	int64_t jwks_at;
} cache_entry;

/* Lives as long as the process: a reload of the configuration may add
 * providers, never needs to drop an entry. */
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static cache_entry cache[CONFIG_MAX_OAUTH * 2];

static cache_entry *cache_slot(const config_oauth *p)
{
	for (size_t i = 0; i < sizeof(cache) / sizeof(cache[0]); i++) {
		cache_entry *ce = &cache[i];
		if (ce->name[0] == '\0') {
			snprintf(ce->name, sizeof(ce->name), "%s", p->name);
			snprintf(ce->discovery_url, sizeof(ce->discovery_url), "%s", p->discovery_url);
			return ce;
		}
		if (strcmp(ce->name, p->name) == 0 &&
		    strcmp(ce->discovery_url, p->discovery_url) == 0)
			return ce;
	}
	return NULL;
}

static bool copy_url(char *dst, const char *src)
{
	if (src == NULL || strlen(src) >= EP_MAX)
		return false;
	snprintf(dst, EP_MAX, "%s", src);
	return true;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static nsupd_err discover(const config_oauth *p, endpoints *ep, char *err, size_t errsize)
{
	fetch_req q = { .url = p->discovery_url };
	long status;
	json_t *doc;
	nsupd_err e = fetch_json(&q, &status, &doc, err, errsize);
	if (e != NSUPD_OK)
		return e;
	e = NSUPD_ERR_IO;
	const char *iss = jstr(doc, "issuer");
	const char *au = jstr(doc, "authorization_endpoint");
	const char *tok = jstr(doc, "token_endpoint");
	const char *jw = jstr(doc, "jwks_uri");
	const char *ui = jstr(doc, "userinfo_endpoint");
	static const char suffix[] = "/.well-known/openid-configuration";
	size_t dl = strlen(p->discovery_url), sl = sizeof(suffix) - 1;
	if (status != 200) {
		set_err(err, errsize, "%.200s: HTTP %ld", p->discovery_url, status);
	} else if (iss == NULL || au == NULL || tok == NULL || jw == NULL) {
		set_err(err, errsize, "%.200s: issuer, authorization_endpoint, token_endpoint or "
			"jwks_uri missing", p->discovery_url);
	} else if (dl > sl && strcmp(p->discovery_url + dl - sl, suffix) == 0 &&
		   (strlen(iss) != dl - sl || strncmp(iss, p->discovery_url, dl - sl) != 0)) {
		/* OpenID Connect Discovery 1.0, 4.3: the issuer is the URL the
		 * document was found under. */
		set_err(err, errsize, "%.200s: issuer %.200s does not match the URL",
			p->discovery_url, iss);
	} else if (!config_url_ok(au) || !config_url_ok(tok) || !config_url_ok(jw) ||
		   (ui != NULL && !config_url_ok(ui))) {
		set_err(err, errsize, "%.200s: an endpoint is not https (or http to loopback)",
			p->discovery_url);
	} else if (!copy_url(ep->issuer, iss) || !copy_url(ep->authorize, au) ||
		   !copy_url(ep->token, tok) || !copy_url(ep->jwks, jw) ||
		   !copy_url(ep->userinfo, ui != NULL ? ui : "")) {
		set_err(err, errsize, "%.200s: a URL is too long", p->discovery_url);
	} else {
		e = NSUPD_OK;
	}
	json_decref(doc);
	return e;
}

/* The provider's endpoints; configured values win over discovered ones. */
static nsupd_err get_endpoints(const config_oauth *p, int64_t now, endpoints *ep, char *err,
			       size_t errsize)
{
	memset(ep, 0, sizeof(*ep));
	if (p->discovery_url[0] != '\0') {
		bool fresh = false;
		pthread_mutex_lock(&cache_mu);
		cache_entry *ce = cache_slot(p);
		if (ce != NULL && ce->disc_at != 0 && now - ce->disc_at < DISCOVERY_TTL) {
			*ep = ce->ep;
			fresh = true;
		}
		pthread_mutex_unlock(&cache_mu);
		if (!fresh) {
			nsupd_err e = discover(p, ep, err, errsize);
			if (e != NSUPD_OK)
				return e;
			pthread_mutex_lock(&cache_mu);
			ce = cache_slot(p);
			if (ce != NULL) {
				ce->ep = *ep;
				ce->disc_at = now;
			}
			pthread_mutex_unlock(&cache_mu);
		}
	}
	if ((p->authorize_url[0] != '\0' && !copy_url(ep->authorize, p->authorize_url)) ||
	    (p->token_url[0] != '\0' && !copy_url(ep->token, p->token_url)) ||
	    (p->userinfo_url[0] != '\0' && !copy_url(ep->userinfo, p->userinfo_url)) ||
	    (p->jwks_url[0] != '\0' && !copy_url(ep->jwks, p->jwks_url)) ||
	    (p->issuer[0] != '\0' && !copy_url(ep->issuer, p->issuer))) {
		set_err(err, errsize, "a configured URL is too long");
		return NSUPD_ERR_INVALID;
	}
	return NSUPD_OK;
}

/* The JWKS (a new reference); refetched when older than JWKS_TTL, or when
 * force and the last fetch is older than JWKS_MIN_REFRESH. */
static json_t *get_jwks(const config_oauth *p, const endpoints *ep, int64_t now, bool force,
			char *err, size_t errsize)
{
	json_t *keys = NULL;
	pthread_mutex_lock(&cache_mu);
	cache_entry *ce = cache_slot(p);
	if (ce != NULL && ce->jwks != NULL) {
		int64_t age = now - ce->jwks_at;
		if (age < JWKS_TTL && !(force && age >= JWKS_MIN_REFRESH))
			keys = json_incref(ce->jwks);
	}
	pthread_mutex_unlock(&cache_mu);
	if (keys != NULL)
		return keys;
	fetch_req q = { .url = ep->jwks };
	long status;
	nsupd_err e = fetch_json(&q, &status, &keys, err, errsize);
	if (e != NSUPD_OK)
		return NULL;
	if (status != 200 || !json_is_array(json_object_get(keys, "keys"))) {
		set_err(err, errsize, "%.200s: HTTP %ld, no keys", ep->jwks, status);
		json_decref(keys);
		return NULL;
	}
	pthread_mutex_lock(&cache_mu);
	ce = cache_slot(p);
	if (ce != NULL) {
		json_decref(ce->jwks);
		ce->jwks = json_incref(keys);
		ce->jwks_at = now;
	}
	pthread_mutex_unlock(&cache_mu);
	return keys;
}

/* ---- the authorization request ---- */

nsupd_err oidc_authorize_url(const config_oauth *p, const char *redirect_uri, const char *state,
			     const char *verifier, const char *nonce, char *out, size_t outsize,
			     char *err, size_t errsize)
{
	endpoints ep;
	nsupd_err e = get_endpoints(p, (int64_t)time(NULL), &ep, err, errsize);
	if (e != NSUPD_OK)
		return e;
	char challenge[44];
	oidc_pkce_challenge(verifier, challenge);
	int n = snprintf(out, outsize, "%s%c", ep.authorize, strchr(ep.authorize, '?') ? '&' : '?');
	if (n < 0 || (size_t)n >= outsize)
		return NSUPD_ERR_INVALID;
	/* After the '?' or '&' just written, append_param adds no separator
	 * for its first parameter only after a '?'; handle '&' the same. */
	if (out[n - 1] == '&')
		out[n - 1] = '\0';
	bool ok = append_param(out, outsize, "response_type", "code") &&
		  append_param(out, outsize, "client_id", p->client_id) &&
		  append_param(out, outsize, "redirect_uri", redirect_uri) &&
		  append_param(out, outsize, "scope", p->scope) &&
		  append_param(out, outsize, "state", state) &&
		  append_param(out, outsize, "code_challenge", challenge) &&
		  append_param(out, outsize, "code_challenge_method", "S256");
	if (ok && p->kind == CONFIG_OAUTH_OIDC)
		ok = append_param(out, outsize, "nonce", nonce);
	if (!ok) {
		set_err(err, errsize, "authorization URL too long");
		return NSUPD_ERR_INVALID;
	}
	return NSUPD_OK;
}

/* ---- ID token ---- */

static const EVP_MD *alg_digest(const char *alg)
{
	if (alg == NULL)
		return NULL;
	if (strcmp(alg, "RS256") == 0)
		return EVP_sha256();
	if (strcmp(alg, "RS384") == 0)
		return EVP_sha384();
	if (strcmp(alg, "RS512") == 0)
		return EVP_sha512();
	return NULL;
}

static EVP_PKEY *rsa_key(const char *n64, const char *e64)
{
	size_t nl, el;
	unsigned char *n = b64url_decode(n64, strlen(n64), &nl);
	unsigned char *e = b64url_decode(e64, strlen(e64), &el);
	EVP_PKEY *pkey = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	if (n == NULL || e == NULL || nl < 256 || nl > 1024 || el == 0 || el > 8)
		goto out;   /* under 2048 bits is refused */
	bn = BN_bin2bn(n, (int)nl, NULL);
	be = BN_bin2bn(e, (int)el, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (bn == NULL || be == NULL || bld == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return pkey;
}

static bool rsa_verify(const char *n64, const char *e64, const EVP_MD *md, const char *data,
		       size_t len, const unsigned char *sig, size_t siglen)
{
	EVP_PKEY *pkey = rsa_key(n64, e64);
	if (pkey == NULL)
		return false;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	bool ok = m != NULL && EVP_DigestVerifyInit(m, NULL, md, NULL, pkey) == 1 &&
		  EVP_DigestVerify(m, sig, siglen, (const unsigned char *)data, len) == 1;
	EVP_MD_CTX_free(m);
	EVP_PKEY_free(pkey);
	return ok;
}

static bool aud_ok(json_t *claims, const char *client_id)
{
	json_t *aud = json_object_get(claims, "aud");
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), client_id) == 0;
	if (!json_is_array(aud) || json_array_size(aud) == 0)
		return false;
	bool found = false;
	size_t i;
	json_t *v;
	json_array_foreach(aud, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), client_id) == 0)
			found = true;
	if (!found)
		return false;
	if (json_array_size(aud) > 1) {
		/* Several audiences: the token must be issued to us. */
		const char *azp = jstr(claims, "azp");
		return azp != NULL && strcmp(azp, client_id) == 0;
	}
	return true;
}

nsupd_err oidc_verify_id_token(const char *jwt, json_t *jwks, const char *issuer,
			       const char *alt_issuer, const char *client_id, const char *nonce,
			       int64_t now, json_t **claims, char *err, size_t errsize)
{
	*claims = NULL;
	const char *dot1 = jwt != NULL ? strchr(jwt, '.') : NULL;
	const char *dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL) {
		set_err(err, errsize, "ID token is not a compact JWS");
		return NSUPD_ERR_INVALID;
	}
	size_t hl, pl, sl;
	unsigned char *h = b64url_decode(jwt, (size_t)(dot1 - jwt), &hl);
	unsigned char *pay = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &pl);
	unsigned char *sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &sl);
	json_t *hdr = h != NULL ? json_loadb((const char *)h, hl, 0, NULL) : NULL;
	json_t *cl = pay != NULL ? json_loadb((const char *)pay, pl, 0, NULL) : NULL;
	nsupd_err e = NSUPD_ERR_INVALID;
	const EVP_MD *md = alg_digest(jstr(hdr, "alg"));
	if (hdr == NULL || cl == NULL || sig == NULL || !json_is_object(cl)) {
		set_err(err, errsize, "ID token: bad encoding");
		goto out;
	}
	if (md == NULL) {
		/* "none", HS256 (a shared-secret MAC anyone with the client
		 * secret could make) and the rest are refused. */
		set_err(err, errsize, "ID token: algorithm %.20s not accepted",
			jstr(hdr, "alg") != NULL ? jstr(hdr, "alg") : "(none)");
		goto out;
	}
	const char *kid = jstr(hdr, "kid");
	bool verified = false, key_seen = false;
	size_t i;
	json_t *k;
	json_array_foreach(json_object_get(jwks, "keys"), i, k) {
		const char *kty = jstr(k, "kty"), *use = jstr(k, "use"), *kkid = jstr(k, "kid");
		const char *kn = jstr(k, "n"), *ke = jstr(k, "e");
		if (kty == NULL || strcmp(kty, "RSA") != 0 || kn == NULL || ke == NULL)
			continue;
		if (use != NULL && strcmp(use, "sig") != 0)
			continue;
		if (kid != NULL && (kkid == NULL || strcmp(kid, kkid) != 0))
			continue;
		key_seen = true;
		if (rsa_verify(kn, ke, md, jwt, (size_t)(dot2 - jwt), sig, sl)) {
			verified = true;
			break;
		}
	}
	if (!verified) {
		if (!key_seen) {
			set_err(err, errsize, "ID token: no key %.64s in the JWKS",
				kid != NULL ? kid : "(any RSA)");
			e = NSUPD_ERR_NOT_FOUND;
		} else {
			set_err(err, errsize, "ID token: bad signature");
		}
		goto out;
	}
	const char *iss = jstr(cl, "iss");
	json_t *exp = json_object_get(cl, "exp"), *iat = json_object_get(cl, "iat");
	const char *tok_nonce = jstr(cl, "nonce");
	const char *sub = jstr(cl, "sub");
	if (iss == NULL || (strcmp(iss, issuer) != 0 &&
			    (alt_issuer == NULL || strcmp(iss, alt_issuer) != 0))) {
		set_err(err, errsize, "ID token: issuer %.200s, expected %.200s",
			iss != NULL ? iss : "(none)", issuer);
	} else if (!aud_ok(cl, client_id)) {
		set_err(err, errsize, "ID token: not issued to this client");
	} else if (!json_is_number(exp) || json_number_value(exp) + CLOCK_SKEW <= (double)now) {
		set_err(err, errsize, "ID token: expired");
	} else if (json_is_number(iat) && json_number_value(iat) > (double)(now + CLOCK_SKEW)) {
		set_err(err, errsize, "ID token: issued in the future");
	} else if (nonce != NULL && (tok_nonce == NULL || strlen(tok_nonce) != strlen(nonce) ||
				     sodium_memcmp(tok_nonce, nonce, strlen(nonce)) != 0)) {
		set_err(err, errsize, "ID token: wrong nonce");
	} else if (sub == NULL || sub[0] == '\0' || strlen(sub) > 255) {
		set_err(err, errsize, "ID token: no usable sub");
	} else {
		*claims = json_incref(cl);
		e = NSUPD_OK;
	}
out:
	json_decref(hdr);
	json_decref(cl);
	free(h);
	free(pay);
	free(sig);
	return e;
}

/* ---- completing the flow ---- */

static void put(char *dst, size_t size, const char *v)
{
	snprintf(dst, size, "%s", v != NULL ? v : "");
}

/* Claims of an ID token or a userinfo answer into the identity: e-mail
 * only when the provider does not say it is unverified. */
static void take_claims(json_t *c, oidc_identity *id)
{
	json_t *verified = json_object_get(c, "email_verified");
	const char *email = jstr(c, "email");
	if (id->email[0] == '\0' && email != NULL && !json_is_false(verified) &&
	    !(json_is_string(verified) && strcmp(json_string_value(verified), "false") == 0))
		put(id->email, sizeof(id->email), email);
	if (id->login[0] == '\0') {
		const char *login = jstr(c, "preferred_username");
		if (login == NULL)
			login = jstr(c, "nickname");
		if (login == NULL)
			login = jstr(c, "name");
		put(id->login, sizeof(id->login), login);
	}
}

static nsupd_err complete_github(const config_oauth *p, const endpoints *ep, const char *token,
				 oidc_identity *out, char *err, size_t errsize)
{
	fetch_req q = { .url = ep->userinfo, .bearer = token };
	long status;
	json_t *u;
	nsupd_err e = fetch_json(&q, &status, &u, err, errsize);
	if (e != NSUPD_OK)
		return e;
	json_t *id = json_object_get(u, "id");
	if (status != 200 || !(json_is_integer(id) || json_is_string(id))) {
		set_err(err, errsize, "%.200s: HTTP %ld, no user id", ep->userinfo, status);
		json_decref(u);
		return NSUPD_ERR_IO;
	}
	if (json_is_integer(id))
		snprintf(out->subject, sizeof(out->subject), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(id));
	else
		put(out->subject, sizeof(out->subject), json_string_value(id));
	put(out->login, sizeof(out->login), jstr(u, "login"));
	put(out->email, sizeof(out->email), jstr(u, "email"));
	json_decref(u);
	if (out->email[0] != '\0' || out->subject[0] == '\0')
		return out->subject[0] != '\0' ? NSUPD_OK : NSUPD_ERR_IO;
	/* A private e-mail address is only in the list of addresses. */
	char url[EP_MAX + 16];
	snprintf(url, sizeof(url), "%s/emails", ep->userinfo);
	q.url = url;
	char ignored[256];
	json_t *list;
	if (fetch_json(&q, &status, &list, ignored, sizeof(ignored)) != NSUPD_OK)
		return NSUPD_OK;
	size_t i;
	json_t *m;
	if (status == 200)
		json_array_foreach(list, i, m)
			if (json_is_true(json_object_get(m, "primary")) &&
			    json_is_true(json_object_get(m, "verified")))
				put(out->email, sizeof(out->email), jstr(m, "email"));
	json_decref(list);
	return NSUPD_OK;
}

nsupd_err oidc_complete(const config_oauth *p, const char *code, const char *redirect_uri,
			const char *verifier, const char *nonce, int64_t now, oidc_identity *out,
			char *err, size_t errsize)
{
	memset(out, 0, sizeof(*out));
	endpoints ep;
	nsupd_err e = get_endpoints(p, now, &ep, err, errsize);
	if (e != NSUPD_OK)
		return e;
	char body[4096] = "";
	bool github = p->kind == CONFIG_OAUTH_GITHUB;
	bool ok = append_param(body, sizeof(body), "grant_type", "authorization_code") &&
		  append_param(body, sizeof(body), "code", code) &&
		  append_param(body, sizeof(body), "redirect_uri", redirect_uri) &&
		  append_param(body, sizeof(body), "code_verifier", verifier);
	/* GitHub takes the client's credentials in the body; OpenID Connect
	 * providers must support HTTP Basic (client_secret_basic), whose
	 * user and password are form-encoded first (RFC 6749 2.3.1). */
	char user[1024] = "", pass[1024] = "";
	if (github)
		ok = ok && append_param(body, sizeof(body), "client_id", p->client_id) &&
		     append_param(body, sizeof(body), "client_secret", p->client_secret);
	else
		ok = ok && append_param(user, sizeof(user), "x", p->client_id) &&
		     append_param(pass, sizeof(pass), "x", p->client_secret);
	if (!ok) {
		set_err(err, errsize, "token request too long");
		return NSUPD_ERR_INVALID;
	}
	fetch_req q = { .url = ep.token, .post = body };
	if (!github) {
		q.basic_user = user + 2;   /* after "x=" */
		q.basic_pass = pass + 2;
	}
	long status;
	json_t *tok;
	e = fetch_json(&q, &status, &tok, err, errsize);
	if (e != NSUPD_OK)
		return e;
	const char *access = jstr(tok, "access_token");
	const char *id_token = jstr(tok, "id_token");
	if (status != 200 || access == NULL) {
		const char *why = jstr(tok, "error");
		set_err(err, errsize, "%.200s: HTTP %ld, %.100s", ep.token, status,
			why != NULL ? why : "no access_token");
		json_decref(tok);
		return NSUPD_ERR_IO;
	}
	if (github) {
		e = complete_github(p, &ep, access, out, err, errsize);
		json_decref(tok);
		return e;
	}
	if (id_token == NULL) {
		set_err(err, errsize, "%.200s: no id_token in the answer", ep.token);
		json_decref(tok);
		return NSUPD_ERR_INVALID;
	}
	const char *alt = strcmp(p->name, "google-oauth2") == 0 ? "accounts.google.com" : NULL;
	json_t *claims = NULL;
	e = NSUPD_ERR_IO;
	for (int attempt = 0; attempt < 2; attempt++) {
		json_t *jwks = get_jwks(p, &ep, now, attempt > 0, err, errsize);
		if (jwks == NULL)
			break;
		e = oidc_verify_id_token(id_token, jwks, ep.issuer, alt, p->client_id, nonce, now,
					 &claims, err, errsize);
		json_decref(jwks);
		if (e != NSUPD_ERR_NOT_FOUND)
			break;   /* only an unknown key is worth a fresh JWKS */
	}
	if (e != NSUPD_OK) {
		json_decref(tok);
		return e;
	}
	put(out->subject, sizeof(out->subject), jstr(claims, "sub"));
	take_claims(claims, out);
	json_decref(claims);
	if ((out->email[0] == '\0' || out->login[0] == '\0') && ep.userinfo[0] != '\0') {
		fetch_req uq = { .url = ep.userinfo, .bearer = access };
		json_t *ui;
		char ignored[256];
		if (fetch_json(&uq, &status, &ui, ignored, sizeof(ignored)) == NSUPD_OK) {
			/* OpenID Connect Core 5.3.2: only when sub matches. */
			const char *sub = jstr(ui, "sub");
			if (status == 200 && sub != NULL && strcmp(sub, out->subject) == 0)
				take_claims(ui, out);
			json_decref(ui);
		}
	}
	json_decref(tok);
	return NSUPD_OK;
}
