/* Replays the corpus of every fuzz target (tests/fuzz/corpus/NAME/: the
 * seeds and what fuzzing found worth keeping) in this build, so every input
 * that ever crashed a reader or broke a property stays tested, under the
 * sanitizers of the ASan build too. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static const struct {
	const char *name;
	int (*run)(const uint8_t *data, size_t size);
} targets[] = {
	{ "request", fuzz_request },
	{ "dns", fuzz_dns },
	{ "config", fuzz_config },
	{ "web", fuzz_web },
	{ "template", fuzz_template },
};
#define N_TARGETS (sizeof(targets) / sizeof(targets[0]))

/* Fewer inputs than this means the corpus went missing, not that it passed. */
#define MIN_INPUTS 8

static void replay_file(const char *path, int (*run)(const uint8_t *, size_t))
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	fclose(f);
	run(buf, len);
	free(buf);
}

START_TEST(replay_corpus)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/%s", FUZZ_CORPUS_DIR, targets[_i].name);
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "no corpus directory %s", dir);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		replay_file(path, targets[_i].run);
		n++;
	}
	closedir(d);
	ck_assert_msg(n >= MIN_INPUTS, "%s holds %zu inputs, expected at least %d", dir, n,
		      MIN_INPUTS);
}
END_TEST

/* Inputs no corpus file may hold: empty, and one byte of each selector. */
START_TEST(replay_edges)
{
	targets[_i].run(NULL, 0);
	for (unsigned sel = 0; sel < 16; sel++) {
		uint8_t one = (uint8_t)sel;
		targets[_i].run(&one, 1);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuzz_corpus");
	TCase *tc = tcase_create("replay");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, replay_corpus, 0, N_TARGETS);
	tcase_add_loop_test(tc, replay_edges, 0, N_TARGETS);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
