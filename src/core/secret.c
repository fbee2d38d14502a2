/* Update secrets are hashed with salted, keyed BLAKE2b-256 rather than a
 * slow password hash. Slow hashing exists to make guessing low-entropy,
 * human-chosen passwords expensive after a database leak. Our secrets are
 * machine-made: SECRET_LEN characters drawn uniformly from 55 symbols,
 * about 138 bits. Even at 10^12 guesses a second an attacker needs ~10^22
 * years to find one, so making each guess 10^5 times slower buys nothing,
 * while it would make every /nic/update cost milliseconds of CPU and tens
 * of MiB of memory. The random per-secret salt (used as the BLAKE2b key,
 * which makes the hash a PRF of the secret) stops precomputation and hides
 * whether two hosts share a secret.
 *
 * Imported hosts from nsupdate.info carry Django hashes:
 *   weakargon2$argon2id$v=19$m=1024,t=1,p=1$<salt>$<hash>
 * The part after "weakargon2" is a standard PHC Argon2 string, so libsodium
 * verifies it directly. The legacy Django "sha1$<salt>$<hex>" form is not
 * supported: libsodium has no SHA-1, and such a secret simply stops
 * verifying (its owner makes a new one). */
#include "core/secret.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B2_PREFIX "b2$"
#define B2_SALT_LEN 16
#define B2_HASH_LEN 32
#define WEAK_PREFIX "weakargon2$"
#define ARGON2ID_TAG "$argon2id$"

/* Bounds on Argon2 parameters read from a stored hash: the stored value
 * decides how much memory and time a check costs, so a corrupt row must not
 * make one request allocate gigabytes. Real weakargon2 uses m=1024,t=1,p=1. */
#define ARGON_MAX_M_KIB 65536
#define ARGON_MAX_T 16
#define ARGON_MAX_P 16

nsupd_err secret_init(void)
{
	/* 0: initialised now, 1: already initialised, -1: failure. */
	return sodium_init() < 0 ? NSUPD_ERR_INTERNAL : NSUPD_OK;
}

nsupd_err secret_random_text(char *out, size_t len)
{
	if (out == NULL)
		return NSUPD_ERR_INVALID;
	static const char alphabet[] = SECRET_ALPHABET;
	const uint32_t n = (uint32_t)(sizeof(alphabet) - 1);
	for (size_t i = 0; i < len; i++)
		out[i] = alphabet[randombytes_uniform(n)];   /* no modulo bias */
	out[len] = '\0';
	return NSUPD_OK;
}

nsupd_err secret_generate(char out[SECRET_LEN + 1])
{
	return secret_random_text(out, SECRET_LEN);
}

static void b2_digest(const char *secret, const unsigned char salt[B2_SALT_LEN],
		      unsigned char out[B2_HASH_LEN])
{
	crypto_generichash(out, B2_HASH_LEN, (const unsigned char *)secret, strlen(secret), salt,
			   B2_SALT_LEN);
}

nsupd_err secret_hash(const char *secret, char out[SECRET_HASH_MAX])
{
	if (secret == NULL || out == NULL)
		return NSUPD_ERR_INVALID;
	unsigned char salt[B2_SALT_LEN], digest[B2_HASH_LEN];
	randombytes_buf(salt, sizeof(salt));
	b2_digest(secret, salt, digest);

	const int v = sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
	char salt64[sodium_base64_ENCODED_LEN(B2_SALT_LEN, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	char hash64[sodium_base64_ENCODED_LEN(B2_HASH_LEN, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	sodium_bin2base64(salt64, sizeof(salt64), salt, sizeof(salt), v);
	sodium_bin2base64(hash64, sizeof(hash64), digest, sizeof(digest), v);
	sodium_memzero(digest, sizeof(digest));
	int n = snprintf(out, SECRET_HASH_MAX, B2_PREFIX "%s$%s", salt64, hash64);
	if (n < 0 || n >= SECRET_HASH_MAX)
		return NSUPD_ERR_INTERNAL;
	return NSUPD_OK;
}

/* Decodes exactly want bytes of unpadded standard base64 from s[0..len). */
static bool decode_exact(const char *s, size_t len, unsigned char *out, size_t want)
{
	size_t got = 0;
	const char *end = NULL;
	if (len == 0 || len != sodium_base64_ENCODED_LEN(want, sodium_base64_VARIANT_ORIGINAL_NO_PADDING) - 1)
		return false;
	if (sodium_base642bin(out, want, s, len, NULL, &got, &end,
			      sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
		return false;
	return got == want && end == s + len;
}

static bool verify_b2(const char *secret, const char *rest)
{
	const char *dollar = strchr(rest, '$');
	if (dollar == NULL)
		return false;
	unsigned char salt[B2_SALT_LEN], want[B2_HASH_LEN], have[B2_HASH_LEN];
	if (!decode_exact(rest, (size_t)(dollar - rest), salt, sizeof(salt)) ||
	    !decode_exact(dollar + 1, strlen(dollar + 1), want, sizeof(want)))
		return false;
	b2_digest(secret, salt, have);
	bool ok = sodium_memcmp(have, want, sizeof(want)) == 0;
	sodium_memzero(have, sizeof(have));
	return ok;
}

/* Reads "name=<decimal>" at *p, advancing past it. */
static bool read_param(const char **p, char name, unsigned long max, unsigned long *out)
{
	const char *s = *p;
	if (s[0] != name || s[1] != '=')
		return false;
	s += 2;
	if (*s < '0' || *s > '9')
		return false;
	unsigned long v = 0;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return false;
		s++;
	}
	*out = v;
	*p = s;
	return true;
}

/* Checks the shape of "$argon2id$v=19$m=M,t=T,p=P$<salt>$<hash>" and that
 * the cost stays within bounds, before libsodium sees it. */
static bool argon2id_phc_sane(const char *phc)
{
	if (strncmp(phc, ARGON2ID_TAG "v=19$", strlen(ARGON2ID_TAG "v=19$")) != 0)
		return false;
	const char *p = phc + strlen(ARGON2ID_TAG "v=19$");
	unsigned long m, t, par;
	if (!read_param(&p, 'm', ARGON_MAX_M_KIB, &m) || *p++ != ',' ||
	    !read_param(&p, 't', ARGON_MAX_T, &t) || *p++ != ',' ||
	    !read_param(&p, 'p', ARGON_MAX_P, &par) || *p++ != '$')
		return false;
	if (t < 1 || par < 1 || m < 8 * par)
		return false;
	const char *salt = p;
	const char *dollar = strchr(salt, '$');
	if (dollar == NULL || dollar == salt || dollar[1] == '\0' || strchr(dollar + 1, '$') != NULL)
		return false;
	return true;
}

/* libsodium declares its argument as char[crypto_pwhash_STRBYTES]; a
 * stored string is copied into a buffer of that size rather than trusting
 * that only strlen() bytes are read. */
static bool sodium_argon2id_verify(const char *password, const char *phc)
{
	char buf[crypto_pwhash_argon2id_STRBYTES] = { 0 };
	size_t n = strnlen(phc, sizeof(buf));
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, phc, n);
	return crypto_pwhash_argon2id_str_verify(buf, password, strlen(password)) == 0;
}

static bool verify_argon2id_phc(const char *password, const char *phc)
{
	if (!argon2id_phc_sane(phc))
		return false;
	return sodium_argon2id_verify(password, phc);
}

bool secret_verify(const char *secret, const char *stored, bool *rehash)
{
	if (rehash != NULL)
		*rehash = false;
	if (secret == NULL || stored == NULL || *stored == '\0')
		return false;
	if (strnlen(stored, SECRET_HASH_MAX) >= SECRET_HASH_MAX)
		return false;
	if (strncmp(stored, B2_PREFIX, strlen(B2_PREFIX)) == 0)
		return verify_b2(secret, stored + strlen(B2_PREFIX));
	if (strncmp(stored, WEAK_PREFIX, strlen(WEAK_PREFIX)) == 0) {
		/* "weakargon2$argon2id$..." -> "$argon2id$...": keep the '$'. */
		const char *phc = stored + strlen(WEAK_PREFIX) - 1;
		if (!verify_argon2id_phc(secret, phc))
			return false;
		if (rehash != NULL)
			*rehash = true;
		return true;
	}
	return false;
}

nsupd_err password_hash(const char *password, char *out, size_t outsize)
{
	if (password == NULL || out == NULL || outsize < crypto_pwhash_argon2id_STRBYTES)
		return NSUPD_ERR_INVALID;
	/* Asked for by algorithm so a libsodium default change cannot
	 * silently switch it. */
	if (crypto_pwhash_str_alg(out, password, strlen(password),
				  crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return NSUPD_ERR_NOMEM;   /* the only runtime failure: no memory */
	return NSUPD_OK;
}

bool password_verify(const char *password, const char *stored)
{
	if (password == NULL || stored == NULL)
		return false;
	if (strncmp(stored, ARGON2ID_TAG, strlen(ARGON2ID_TAG)) != 0)
		return false;
	return sodium_argon2id_verify(password, stored);
}
