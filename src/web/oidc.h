/* Remote login: the OAuth2 / OpenID Connect protocol pieces (no pages).
 *
 * Endpoints come from the configuration ([oauth.*], [oidc.*], see
 * config/config.h) or from the provider's discovery document, which is
 * fetched on first use and kept for an hour; the provider's JWKS likewise,
 * fetched again early when an ID token names a key it does not hold. Every
 * URL used, also the ones a discovery document names, must pass
 * config_url_ok(): https, or http to a loopback address.
 *
 * The authorization-code flow with PKCE (S256): the caller keeps state,
 * verifier and nonce in the visitor's session, sends the browser to
 * oidc_authorize_url(), and on the way back calls oidc_complete(), which
 * exchanges the code, verifies the ID token (RS256/384/512 signature
 * against the JWKS; iss, aud/azp, exp, iat, nonce) when the provider is an
 * OpenID Connect one, and reads the user's identity. Internal to src/web;
 * thread-safe. */
#ifndef NSUPD_WEB_OIDC_H
#define NSUPD_WEB_OIDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config/config.h"
#include "util/error.h"

#define OIDC_STATE_LEN 43            /* random text, about 250 bits */
#define OIDC_VERIFIER_LEN 64         /* RFC 7636: 43..128 unreserved characters */
#define OIDC_URL_MAX 4096

/* The provider of backend name `name`, or NULL. */
const config_oauth *oidc_provider(const nsupd_config *cfg, const char *name);

/* What the provider says about the user. subject is the stable id. */
typedef struct oidc_identity {
	char subject[256];
	char email[256];             /* "" when none or not verified */
	char login[256];             /* preferred_username / GitHub login / name; may be "" */
} oidc_identity;

/* RFC 7636 S256: base64url(SHA-256(verifier)) without padding. */
void oidc_pkce_challenge(const char *verifier, char out[44]);

/* The URL to send the browser to. NSUPD_ERR_IO when the discovery document
 * cannot be had; err gets a reason for the log. */
nsupd_err oidc_authorize_url(const config_oauth *p, const char *redirect_uri, const char *state,
			     const char *verifier, const char *nonce, char *out, size_t outsize,
			     char *err, size_t errsize);

/* Code exchange, ID token check, identity. Any failure (provider not
 * reachable, refused code, bad or forged token) is an error with a reason
 * for the log in err. */
nsupd_err oidc_complete(const config_oauth *p, const char *code, const char *redirect_uri,
			const char *verifier, const char *nonce, int64_t now, oidc_identity *out,
			char *err, size_t errsize);

/* Verifies a compact JWS ID token against jwks ({"keys": [...]}): the
 * signature (RS256, RS384 or RS512; the key by kid, or every RSA key when
 * the token names none), iss == issuer (or alt_issuer when not NULL), aud
 * contains client_id (and azp == client_id when aud has several), exp >
 * now, iat not in the future, nonce. On success *claims (decref it) holds
 * the payload. NSUPD_ERR_NOT_FOUND when no key of jwks has the token's kid
 * (the caller may refresh the JWKS and try again); NSUPD_ERR_INVALID
 * otherwise. Allowed clock skew: 120 s. */
nsupd_err oidc_verify_id_token(const char *jwt, json_t *jwks, const char *issuer,
			       const char *alt_issuer, const char *client_id, const char *nonce,
			       int64_t now, json_t **claims, char *err, size_t errsize);

#endif
