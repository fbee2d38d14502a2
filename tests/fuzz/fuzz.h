/* Fuzz targets: each takes any bytes and must neither crash nor break the
 * properties it checks. With clang and libFuzzer (scripts/fuzz.sh) a target
 * is a fuzzer; in every other build test_fuzz_corpus replays the corpus of
 * each target (tests/fuzz/corpus/NAME/) under the sanitizers of the build. */
#ifndef NSUPD_TESTS_FUZZ_H
#define NSUPD_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* What routers and browsers send: the update request's parameters and
 * header, addresses, prefixes, interface IDs, names, form bodies. */
int fuzz_request(const uint8_t *data, size_t size);
/* What nameservers answer: queries for addresses, SOA checks, UPDATE answers. */
int fuzz_dns(const uint8_t *data, size_t size);
/* What administrators write: the configuration file. */
int fuzz_config(const uint8_t *data, size_t size);
/* What the web interface takes from outside: Accept-Language, ID tokens of a
 * login provider, answers of forwarding peers, two-factor codes, e-mail
 * addresses, translation catalogs. */
int fuzz_web(const uint8_t *data, size_t size);
/* What operators write besides the configuration: custom pages and
 * overrides of the shipped templates. */
int fuzz_template(const uint8_t *data, size_t size);

/* A broken property: reported like a crash, so the fuzzer keeps the input. */
#define FUZZ_ASSERT(cond)                                                                \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, \
				#cond);                                                  \
			abort();                                                         \
		}                                                                        \
	} while (0)

/* data[0..size) as a NUL-terminated string (malloc'd; NUL bytes inside stay
 * and end it early, as in a C string from the network). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		abort();
	for (size_t i = 0; i < size; i++)
		s[i] = (char)data[i];
	s[size] = '\0';
	return s;
}

#endif
