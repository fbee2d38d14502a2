/* Update secrets, their hashes, the imported nsupdate.info hashes, and web
 * passwords. */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secret.h"

/* Made with the Argon2 reference implementation (Debian's argon2 CLI,
 * 0~20171227, the same code argon2-cffi and therefore Django use):
 *   echo -n Sup3rS3cret | argon2 NsUpdSaltNsUpdSalt2222 -id -t 1 -m 10 -p 1 -l 16 -e
 * Django's Argon2 hasher writes "weakargon2" + that string; 16-byte hashes
 * are argon2-cffi's default length. */
static const char ref_weak16[] =
	"weakargon2$argon2id$v=19$m=1024,t=1,p=1$TnNVcGRTYWx0TnNVcGRTYWx0MjIyMg$fkmttAbhwUt24PHwsr++Gg";
/* Same with -p 2: several lanes verify too. */
static const char ref_weak_p2[] =
	"weakargon2$argon2id$v=19$m=1024,t=1,p=2$TnNVcGRTYWx0TnNVcGRTYWx0MjIyMg$oG0UNGjW1p8dUKbEPt8lfQ";
/* Same with -l 32. */
static const char ref_weak32[] =
	"weakargon2$argon2id$v=19$m=1024,t=1,p=1$TnNVcGRTYWx0TnNVcGRTYWx0MjIyMg$"
	"dnp+Lt5F8XL9RhtWmTKTGbHuXCt+V+IMi58XiErs4GA";

static void setup(void)
{
	ck_assert_int_eq(secret_init(), NSUPD_OK);
}

START_TEST(init_is_idempotent)
{
	ck_assert_int_eq(secret_init(), NSUPD_OK);
	ck_assert_int_eq(secret_init(), NSUPD_OK);
}
END_TEST

START_TEST(generate_length_and_alphabet)
{
	char s[SECRET_LEN + 1];
	memset(s, 'X', sizeof(s));
	ck_assert_int_eq(secret_generate(s), NSUPD_OK);
	ck_assert_uint_eq(strlen(s), SECRET_LEN);
	for (size_t i = 0; i < SECRET_LEN; i++)
		ck_assert_msg(strchr(SECRET_ALPHABET, s[i]) != NULL, "bad char %c", s[i]);
}
END_TEST

START_TEST(generate_differs_each_call)
{
	char a[SECRET_LEN + 1], b[SECRET_LEN + 1];
	ck_assert_int_eq(secret_generate(a), NSUPD_OK);
	ck_assert_int_eq(secret_generate(b), NSUPD_OK);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(generate_uses_whole_alphabet)
{
	/* 200 secrets = 4800 draws from 55 symbols: every symbol shows up
	 * (the chance that one is missing is about 55 * e^-87). A generator
	 * stuck on part of the alphabet fails here. */
	int seen[256] = { 0 };
	for (int k = 0; k < 200; k++) {
		char s[SECRET_LEN + 1];
		ck_assert_int_eq(secret_generate(s), NSUPD_OK);
		for (size_t i = 0; i < SECRET_LEN; i++)
			seen[(unsigned char)s[i]]++;
	}
	for (const char *p = SECRET_ALPHABET; *p; p++)
		ck_assert_msg(seen[(unsigned char)*p] > 0, "never drew %c", *p);
	/* No look-alikes in the alphabet itself. */
	ck_assert_ptr_null(strpbrk(SECRET_ALPHABET, "0O1lI"));
}
END_TEST

START_TEST(random_text_lengths)
{
	char buf[70];
	for (size_t len = 0; len < 65; len++) {
		memset(buf, 'X', sizeof(buf));
		ck_assert_int_eq(secret_random_text(buf, len), NSUPD_OK);
		ck_assert_uint_eq(strlen(buf), len);
		ck_assert_uint_eq(strspn(buf, SECRET_ALPHABET), len);
		ck_assert_int_eq(buf[len + 1], 'X');   /* nothing written past the NUL */
	}
}
END_TEST

START_TEST(hash_format)
{
	char h[SECRET_HASH_MAX];
	ck_assert_int_eq(secret_hash("abc", h), NSUPD_OK);
	/* b2$ + 22 chars salt + $ + 43 chars hash */
	ck_assert_uint_eq(strlen(h), 3 + 22 + 1 + 43);
	ck_assert(strncmp(h, "b2$", 3) == 0);
	ck_assert_int_eq(h[25], '$');
	const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	ck_assert_uint_eq(strspn(h + 3, b64), 22);
	ck_assert_uint_eq(strspn(h + 26, b64), 43);
	ck_assert_ptr_null(strchr(h, '='));
}
END_TEST

START_TEST(hash_matches_definition)
{
	/* Recompute from the stored salt: BLAKE2b-256 of the secret keyed
	 * with the 16-byte salt. Guards the format against silent change,
	 * which would break every stored hash. */
	char h[SECRET_HASH_MAX];
	const char *secret = "kq7MzN3xWpa9YtR2cVbH8sLe";
	ck_assert_int_eq(secret_hash(secret, h), NSUPD_OK);
	unsigned char salt[16], want[32], got[32];
	size_t n;
	ck_assert_int_eq(sodium_base642bin(salt, sizeof(salt), h + 3, 22, NULL, &n, NULL,
					   sodium_base64_VARIANT_ORIGINAL_NO_PADDING), 0);
	ck_assert_uint_eq(n, 16);
	ck_assert_int_eq(sodium_base642bin(want, sizeof(want), h + 26, 43, NULL, &n, NULL,
					   sodium_base64_VARIANT_ORIGINAL_NO_PADDING), 0);
	ck_assert_uint_eq(n, 32);
	crypto_generichash(got, 32, (const unsigned char *)secret, strlen(secret), salt, 16);
	ck_assert_mem_eq(got, want, 32);
}
END_TEST

START_TEST(hash_verify_round_trip)
{
	char s[SECRET_LEN + 1], h[SECRET_HASH_MAX];
	ck_assert_int_eq(secret_generate(s), NSUPD_OK);
	ck_assert_int_eq(secret_hash(s, h), NSUPD_OK);
	bool rehash = true;
	ck_assert(secret_verify(s, h, &rehash));
	ck_assert(!rehash);
	ck_assert(secret_verify(s, h, NULL));
}
END_TEST

START_TEST(hash_is_salted)
{
	char a[SECRET_HASH_MAX], b[SECRET_HASH_MAX];
	ck_assert_int_eq(secret_hash("same", a), NSUPD_OK);
	ck_assert_int_eq(secret_hash("same", b), NSUPD_OK);
	ck_assert_str_ne(a, b);
	ck_assert(secret_verify("same", a, NULL));
	ck_assert(secret_verify("same", b, NULL));
}
END_TEST

START_TEST(wrong_secret_fails)
{
	char s[SECRET_LEN + 1], h[SECRET_HASH_MAX];
	ck_assert_int_eq(secret_generate(s), NSUPD_OK);
	ck_assert_int_eq(secret_hash(s, h), NSUPD_OK);
	char wrong[SECRET_LEN + 1];
	memcpy(wrong, s, sizeof(wrong));
	wrong[SECRET_LEN - 1] = wrong[SECRET_LEN - 1] == 'a' ? 'b' : 'a';
	bool rehash = true;
	ck_assert(!secret_verify(wrong, h, &rehash));
	ck_assert(!rehash);
	ck_assert(!secret_verify("", h, NULL));
	wrong[SECRET_LEN - 1] = '\0';   /* a prefix of the secret */
	ck_assert(!secret_verify(wrong, h, NULL));
	char longer[SECRET_LEN + 2];
	snprintf(longer, sizeof(longer), "%sx", s);
	ck_assert(!secret_verify(longer, h, NULL));
}
END_TEST

START_TEST(empty_secret_round_trip)
{
	/* Allowed by the functions (the API layer rejects empty passwords);
	 * it must still only match itself. */
	char h[SECRET_HASH_MAX];
	ck_assert_int_eq(secret_hash("", h), NSUPD_OK);
	ck_assert(secret_verify("", h, NULL));
	ck_assert(!secret_verify("a", h, NULL));
}
END_TEST

START_TEST(garbage_stored_values_fail)
{
	char h[SECRET_HASH_MAX];
	ck_assert_int_eq(secret_hash("pw", h), NSUPD_OK);
	/* Every truncation of a good hash fails. */
	for (size_t n = 0; n < strlen(h); n++) {
		char t[SECRET_HASH_MAX];
		memcpy(t, h, n);
		t[n] = '\0';
		bool rehash = true;
		ck_assert_msg(!secret_verify("pw", t, &rehash), "truncated to %zu verified", n);
		ck_assert(!rehash);
	}
	/* Every single-character change fails too. */
	for (size_t i = 0; i < strlen(h); i++) {
		char t[SECRET_HASH_MAX];
		memcpy(t, h, sizeof(t));
		t[i] = t[i] == 'A' ? 'B' : 'A';
		ck_assert_msg(!secret_verify("pw", t, NULL), "change at %zu verified", i);
	}
	/* An extra character, padding, other junk. */
	char t[SECRET_HASH_MAX + 8];
	snprintf(t, sizeof(t), "%sA", h);
	ck_assert(!secret_verify("pw", t, NULL));
	snprintf(t, sizeof(t), "%s=", h);
	ck_assert(!secret_verify("pw", t, NULL));
	static const char *const junk[] = {
		"", "$", "b2", "b2$", "b2$$", "b2$$$", "b2$AAAA$AAAA", "pw", "plain:pw",
		"b2$!!!!!!!!!!!!!!!!!!!!!!$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"weakargon2$", "weakargon2$argon2id$", "weakargon2$argon2i$v=19$m=1024,t=1,p=1$a$b",
		"weakargon2$argon2id$v=19$m=1024,t=1,p=1$",
		"weakargon2$argon2id$v=19$m=1024,t=1,p=1$$",
		"weakargon2$argon2id$v=19$m=1024,t=1,p=1$TnNVcGRTYWx0TnNVcGRTYWx0MjIyMg$",
		"weakargon2$argon2id$v=19$m=1024,t=1,p=1$TnNVcGRTYWx0TnNVcGRTYWx0MjIyMg$!!!!",
		"weakargon2$argon2id$v=19$m=99999999999999999999,t=1,p=1$"
		"TnNVcGRTYWx0TnNVcGRTYWx0MjIyMg$fkmttAbhwUt24PHwsr++Gg",
		"weakargon2$argon2id$v=19$m=4194304,t=1,p=1$"   /* 4 GiB: refused, not tried */
		"TnNVcGRTYWx0TnNVcGRTYWx0MjIyMg$fkmttAbhwUt24PHwsr++Gg",
		"weakargon2$argon2id$v=19$m=1024,t=0,p=1$TnNVcGRTYWx0TnNVcGRTYWx0MjIyMg$fkmttAbhwUt24PHwsr++Gg",
		"weakargon2$argon2id$v=19$m=1024,t=1,p=0$TnNVcGRTYWx0TnNVcGRTYWx0MjIyMg$fkmttAbhwUt24PHwsr++Gg",
		"weakargon2$argon2id$v=16$m=1024,t=1,p=1$TnNVcGRTYWx0TnNVcGRTYWx0MjIyMg$fkmttAbhwUt24PHwsr++Gg",
		"weakargon2$argon2id$v=19$m=1024,t=1,p=1$TnNVcGRTYWx0TnNVcGRTYWx0MjIyMg$fkmttAbhwUt24PHwsr++Gg$x",
		"weakargon2$argon2id$v=19$t=1,m=1024,p=1$TnNVcGRTYWx0TnNVcGRTYWx0MjIyMg$fkmttAbhwUt24PHwsr++Gg",
		"$argon2id$v=19$m=1024,t=1,p=1$TnNVcGRTYWx0TnNVcGRTYWx0MjIyMg$fkmttAbhwUt24PHwsr++Gg",
		"argon2$argon2id$v=19$m=1024,t=1,p=1$TnNVcGRTYWx0TnNVcGRTYWx0MjIyMg$fkmttAbhwUt24PHwsr++Gg",
		/* Legacy Django SHA-1 is not supported: sha1("salt" + "Sup3rS3cret"). */
		"sha1$salt$8e7422015b4ba713e412b8d08506e8605015d0a8",
		"unsalted_md5$x", "!",
	};
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		bool rehash = true;
		ck_assert_msg(!secret_verify("Sup3rS3cret", junk[i], &rehash), "verified: %s", junk[i]);
		ck_assert(!rehash);
	}
	ck_assert(!secret_verify("pw", NULL, NULL));
	ck_assert(!secret_verify(NULL, h, NULL));
}
END_TEST

START_TEST(oversized_stored_value_fails)
{
	size_t n = 100000;
	char *big = malloc(n + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'A', n);
	memcpy(big, "b2$", 3);
	big[n] = '\0';
	ck_assert(!secret_verify("pw", big, NULL));
	memcpy(big, "weakargon2$argon2id$v=19$m=1024,t=1,p=1$", 40);
	ck_assert(!secret_verify("pw", big, NULL));
	ck_assert(!password_verify("pw", big));
	free(big);
}
END_TEST

START_TEST(random_garbage_never_verifies)
{
	/* Random bytes after each known prefix: no crash, no success. */
	static const char *const prefixes[] = { "b2$", "weakargon2$argon2id$v=19$m=1024,t=1,p=1$", "" };
	for (int round = 0; round < 300; round++) {
		char t[SECRET_HASH_MAX];
		const char *p = prefixes[round % 3];
		size_t pl = strlen(p);
		size_t len = pl + randombytes_uniform((uint32_t)(sizeof(t) - 1 - pl));
		memcpy(t, p, pl);
		for (size_t i = pl; i < len; i++)
			t[i] = (char)(1 + randombytes_uniform(255));
		t[len] = '\0';
		ck_assert(!secret_verify("pw", t, NULL));
	}
}
END_TEST

START_TEST(weakargon2_reference_vector)
{
	bool rehash = false;
	ck_assert(secret_verify("Sup3rS3cret", ref_weak16, &rehash));
	ck_assert(rehash);
	rehash = false;
	ck_assert(secret_verify("Sup3rS3cret", ref_weak32, &rehash));
	ck_assert(rehash);
	ck_assert(secret_verify("Sup3rS3cret", ref_weak_p2, NULL));
	rehash = true;
	ck_assert(!secret_verify("Sup3rS3creT", ref_weak16, &rehash));
	ck_assert(!rehash);
	ck_assert(!secret_verify("", ref_weak32, NULL));
}
END_TEST

/* Converts libsodium's PHC string into Django's form. */
static void to_django(const char *phc, char *out, size_t outsize)
{
	ck_assert_int_eq(phc[0], '$');
	int n = snprintf(out, outsize, "weakargon2%s", phc);
	ck_assert(n > 0 && (size_t)n < outsize);
}

START_TEST(weakargon2_from_libsodium)
{
	/* opslimit 1, memlimit 1 MiB: exactly weakargon2's t=1, m=1024. */
	char phc[crypto_pwhash_STRBYTES];
	const char *pw = "hQ4tZ8wKcR2mNbV7";
	ck_assert_int_eq(crypto_pwhash_str_alg(phc, pw, strlen(pw), 1, 1024 * 1024,
					       crypto_pwhash_ALG_ARGON2ID13), 0);
	ck_assert(strncmp(phc, "$argon2id$v=19$m=1024,t=1,p=1$", 30) == 0);
	char django[SECRET_HASH_MAX];
	to_django(phc, django, sizeof(django));
	bool rehash = false;
	ck_assert(secret_verify(pw, django, &rehash));
	ck_assert(rehash);
	ck_assert(!secret_verify("hQ4tZ8wKcR2mNbV8", django, NULL));

	/* After the caller rehashes, the new form verifies without rehash. */
	char h[SECRET_HASH_MAX];
	ck_assert_int_eq(secret_hash(pw, h), NSUPD_OK);
	rehash = true;
	ck_assert(secret_verify(pw, h, &rehash));
	ck_assert(!rehash);
}
END_TEST

START_TEST(password_round_trip)
{
	char h[crypto_pwhash_STRBYTES];
	ck_assert_int_eq(password_hash("correct horse battery staple", h, sizeof(h)), NSUPD_OK);
	ck_assert(strncmp(h, "$argon2id$v=19$", 15) == 0);
	ck_assert(password_verify("correct horse battery staple", h));
	ck_assert(!password_verify("correct horse battery stapl", h));
	ck_assert(!password_verify("", h));
	char h2[crypto_pwhash_STRBYTES];
	ck_assert_int_eq(password_hash("correct horse battery staple", h2, sizeof(h2)), NSUPD_OK);
	ck_assert_str_ne(h, h2);   /* salted */
}
END_TEST

START_TEST(password_bad_input)
{
	char small[64];
	ck_assert_int_eq(password_hash("pw", small, sizeof(small)), NSUPD_ERR_INVALID);
	ck_assert(!password_verify("pw", ""));
	ck_assert(!password_verify("pw", NULL));
	ck_assert(!password_verify("pw", "$argon2id$"));
	ck_assert(!password_verify("pw", "$argon2id$v=19$m=65536,t=2,p=1$$"));
	ck_assert(!password_verify("pw", "b2$AAAA$AAAA"));
	/* A secret hash is not a password hash. */
	char h[SECRET_HASH_MAX];
	ck_assert_int_eq(secret_hash("pw", h), NSUPD_OK);
	ck_assert(!password_verify("pw", h));
}
END_TEST

static Suite *secret_suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("secret");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, init_is_idempotent);
	tcase_add_test(tc, generate_length_and_alphabet);
	tcase_add_test(tc, generate_differs_each_call);
	tcase_add_test(tc, generate_uses_whole_alphabet);
	tcase_add_test(tc, random_text_lengths);
	tcase_add_test(tc, hash_format);
	tcase_add_test(tc, hash_matches_definition);
	tcase_add_test(tc, hash_verify_round_trip);
	tcase_add_test(tc, hash_is_salted);
	tcase_add_test(tc, wrong_secret_fails);
	tcase_add_test(tc, empty_secret_round_trip);
	tcase_add_test(tc, garbage_stored_values_fail);
	tcase_add_test(tc, oversized_stored_value_fails);
	tcase_add_test(tc, random_garbage_never_verifies);
	tcase_add_test(tc, weakargon2_reference_vector);
	tcase_add_test(tc, weakargon2_from_libsodium);
	tcase_add_test(tc, password_round_trip);
	tcase_add_test(tc, password_bad_input);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(secret_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
