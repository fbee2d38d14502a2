/* Update secrets and password-style hashes. Update secrets are random and
 * long (>= 128 bits), so a salted fast hash (BLAKE2b) is enough and keeps
 * the update path cheap; web passwords (later) use Argon2id. */
#ifndef NSUPD_CORE_SECRET_H
#define NSUPD_CORE_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* Characters a router UI and a URL accept without quoting; no look-alikes
 * (no 0/O, 1/l/I). */
#define SECRET_ALPHABET "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
#define SECRET_LEN 24               /* 24 * log2(55) = 138 bits */
#define SECRET_HASH_MAX 160         /* size of a buffer that holds any hash */

/* Must be called once before any other function here (wraps sodium_init). */
nsupd_err secret_init(void);

/* out: SECRET_LEN characters + NUL. */
nsupd_err secret_generate(char out[SECRET_LEN + 1]);

/* Random text of len characters from SECRET_ALPHABET (TSIG secrets);
 * out holds len + 1 bytes. */
nsupd_err secret_random_text(char *out, size_t len);

/* "b2$<salt base64>$<hash base64>". */
nsupd_err secret_hash(const char *secret, char out[SECRET_HASH_MAX]);

/* Constant-time check of a secret against a stored hash. Also accepts the
 * original service's "weakargon2$argon2id$..." hashes so that imported
 * hosts keep working; *rehash is set when the stored form is not the
 * current one (the caller may then store secret_hash() of the secret);
 * it is only ever set together with a true result, and rehash may be NULL.
 * An empty, unknown or malformed stored value never verifies (legacy
 * Django "sha1$..." hashes included: libsodium has no SHA-1). */
bool secret_verify(const char *secret, const char *stored, bool *rehash);

/* Web passwords: Argon2id via libsodium's string format ("$argon2id$...",
 * at most crypto_pwhash_STRBYTES = 128 bytes with the NUL: outsize must be
 * at least that). Costs OPSLIMIT/MEMLIMIT_INTERACTIVE: 64 MiB per call. */
nsupd_err password_hash(const char *password, char *out, size_t outsize);
bool password_verify(const char *password, const char *stored);

#endif
