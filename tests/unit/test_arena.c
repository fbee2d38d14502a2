#include <check.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"

START_TEST(test_alloc_alignment)
{
	arena *a = arena_new(0);
	ck_assert_ptr_nonnull(a);
	static const size_t sizes[] = { 1, 3, 7, 8, 15, 16, 17, 31, 33, 100, 1 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = arena_alloc(a, sizes[i]);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % alignof(max_align_t), 0);
		/* Zeroed, and writable over the whole size. */
		for (size_t k = 0; k < sizes[i]; k++)
			ck_assert_uint_eq(p[k], 0);
		memset(p, 0xff, sizes[i]);
	}
	/* Size 0 still gives a distinct, usable pointer. */
	void *z1 = arena_alloc(a, 0);
	void *z2 = arena_alloc(a, 0);
	ck_assert_ptr_nonnull(z1);
	ck_assert_ptr_nonnull(z2);
	ck_assert_ptr_ne(z1, z2);
	arena_free(a);
}
END_TEST

START_TEST(test_growth)
{
	arena *a = arena_new(256);
	ck_assert_ptr_nonnull(a);
	/* Many small allocations spill over many blocks; every one keeps its
	 * contents (a block must never be reused while still live). */
	enum { N = 10000 };
	uint32_t **ptrs = malloc(N * sizeof(*ptrs));
	ck_assert_ptr_nonnull(ptrs);
	for (uint32_t i = 0; i < N; i++) {
		ptrs[i] = arena_alloc(a, sizeof(uint32_t) * 3);
		ck_assert_ptr_nonnull(ptrs[i]);
		ptrs[i][0] = i;
		ptrs[i][1] = ~i;
		ptrs[i][2] = i * 7u;
	}
	for (uint32_t i = 0; i < N; i++) {
		ck_assert_uint_eq(ptrs[i][0], i);
		ck_assert_uint_eq(ptrs[i][1], ~i);
		ck_assert_uint_eq(ptrs[i][2], i * 7u);
	}
	/* One allocation far larger than any block so far. */
	size_t big = 4u << 20;
	unsigned char *b = arena_alloc(a, big);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(b[0], 0);
	ck_assert_uint_eq(b[big - 1], 0);
	memset(b, 0xab, big);
	ck_assert_uint_eq(ptrs[N - 1][0], N - 1);
	/* Overflowing sizes fail cleanly. */
	ck_assert_ptr_null(arena_alloc(a, SIZE_MAX));
	ck_assert_ptr_null(arena_alloc(a, SIZE_MAX - 3));
	free(ptrs);
	arena_free(a);
}
END_TEST

START_TEST(test_strings)
{
	arena *a = arena_new(64);
	ck_assert_ptr_nonnull(a);
	const char *src = "hello, arena";
	char *s = arena_strdup(a, src);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_ne(s, src);
	ck_assert_str_eq(s, src);
	char *t = arena_strndup(a, src, 5);
	ck_assert_str_eq(t, "hello");
	char *e = arena_strdup(a, "");
	ck_assert_str_eq(e, "");
	/* n == 0 gives an empty string. */
	char *u = arena_strndup(a, "abc", 0);
	ck_assert_str_eq(u, "");

	char *p = arena_printf(a, "%s %d %05.1f [%-4s]", "x", -42, 3.14159, "ab");
	ck_assert_str_eq(p, "x -42 003.1 [ab  ]");
	/* A printf result larger than the first block. */
	char *long_p = arena_printf(a, "%0*d", 5000, 7);
	ck_assert_ptr_nonnull(long_p);
	ck_assert_uint_eq(strlen(long_p), 5000);
	ck_assert_int_eq(long_p[0], '0');
	ck_assert_int_eq(long_p[4999], '7');
	/* Earlier strings are untouched. */
	ck_assert_str_eq(s, src);
	ck_assert_str_eq(p, "x -42 003.1 [ab  ]");
	arena_free(a);
}
END_TEST

START_TEST(test_reset)
{
	arena *a = arena_new(512);
	ck_assert_ptr_nonnull(a);
	for (int round = 0; round < 50; round++) {
		/* Each round fills several blocks, then reset drops all but the
		 * first. Under ASan a leak or a use of a freed block shows up. */
		for (int i = 0; i < 200; i++) {
			char *s = arena_printf(a, "round %d item %d", round, i);
			ck_assert_ptr_nonnull(s);
		}
		char *x = arena_alloc(a, 300);
		ck_assert_ptr_nonnull(x);
		arena_reset(a);
		/* After reset, memory comes back zeroed. */
		unsigned char *y = arena_alloc(a, 128);
		ck_assert_ptr_nonnull(y);
		for (int k = 0; k < 128; k++)
			ck_assert_uint_eq(y[k], 0);
		memset(y, 0x77, 128);
		arena_reset(a);
	}
	arena_reset(NULL);
	arena_free(NULL);
	arena_free(a);
}
END_TEST

static Suite *arena_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("arena");
	tcase_add_test(tc, test_alloc_alignment);
	tcase_add_test(tc, test_growth);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_reset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(arena_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
