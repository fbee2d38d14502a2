#include "web/assets.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "util/log.h"

#ifndef NSUPD_SOURCE_ROOT
#define NSUPD_SOURCE_ROOT "."
#endif
#ifndef NSUPD_BUILD_ROOT
#define NSUPD_BUILD_ROOT "."
#endif
#ifndef NSUPD_DATADIR
#define NSUPD_DATADIR "/usr/local/share/nsupd"
#endif

#define MAX_FILE (8 * 1024 * 1024)
#define MAX_DEPTH 8

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The binary in its build directory means a developer (or the tests) run
 * it: use the source tree's files, so edits show without installing. */
static bool running_from_build_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL)
		return false;
	*slash = '\0';
	char *real_build = realpath(NSUPD_BUILD_ROOT, NULL);
	bool same = real_build != NULL && strcmp(real_build, exe) == 0;
	free(real_build);
	return same;
}

void assets_default_dir(const char *what, char *out, size_t size, char *build_static,
			size_t build_size)
{
	if (build_static != NULL && build_size > 0)
		build_static[0] = '\0';
	char installed[PATH_MAX];
	snprintf(installed, sizeof(installed), "%s/%s", NSUPD_DATADIR, what);
	if (running_from_build_dir() || !is_dir(installed)) {
		snprintf(out, size, "%s/%s", NSUPD_SOURCE_ROOT, what);
		if (build_static != NULL && strcmp(what, "static") == 0)
			snprintf(build_static, build_size, "%s/static", NSUPD_BUILD_ROOT);
		return;
	}
	snprintf(out, size, "%s", installed);
}

/* Reads a whole (small) file; *data is NUL-terminated. */
static nsupd_err read_file(const char *path, char **data, size_t *len, char *err, size_t errsize)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errsize, "%s: cannot open: %s", path, strerror(errno));
		return NSUPD_ERR_IO;
	}
	char *buf = NULL;
	size_t n = 0, cap = 0;
	nsupd_err e = NSUPD_OK;
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_FILE) {
				snprintf(err, errsize, "%s: larger than %d bytes", path, MAX_FILE);
				e = NSUPD_ERR_INVALID;
				break;
			}
			size_t ncap = cap ? cap * 2 : 16384;
			char *nb = realloc(buf, ncap + 1);
			if (nb == NULL) {
				e = NSUPD_ERR_NOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				snprintf(err, errsize, "%s: read error", path);
				e = NSUPD_ERR_IO;
			}
			break;
		}
	}
	fclose(f);
	if (e != NSUPD_OK) {
		free(buf);
		return e;
	}
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return NSUPD_ERR_NOMEM;
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return NSUPD_OK;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir (no "." names), sorted so loading is deterministic. */
static char **list_dir(const char *dir, size_t *n)
{
	*n = 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return NULL;
	char **names = NULL;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			char **nn = realloc(names, ncap * sizeof(*nn));
			if (nn == NULL)
				break;
			names = nn;
			cap = ncap;
		}
		names[*n] = strdup(de->d_name);
		if (names[*n] == NULL)
			break;
		(*n)++;
	}
	closedir(d);
	if (names != NULL)
		qsort(names, *n, sizeof(*names), name_cmp);
	return names;
}

static void free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static nsupd_err load_tree(tpl_set *s, const char *dir, const char *rel, int depth, char *err,
			   size_t errsize)
{
	if (depth > MAX_DEPTH) {
		snprintf(err, errsize, "%s: directories nested too deep", dir);
		return NSUPD_ERR_INVALID;
	}
	size_t n;
	char **names = list_dir(dir, &n);
	nsupd_err e = NSUPD_OK;
	for (size_t i = 0; i < n && e == NSUPD_OK; i++) {
		char path[PATH_MAX], name[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(name, sizeof(name), "%s%s", rel, names[i]);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			char sub[PATH_MAX];
			snprintf(sub, sizeof(sub), "%s/", name);
			e = load_tree(s, path, sub, depth + 1, err, errsize);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		char *data = NULL;
		size_t len = 0;
		e = read_file(path, &data, &len, err, errsize);
		if (e == NSUPD_OK) {
			e = tpl_set_add(s, name, data, len, path, err, errsize);
			free(data);
		}
	}
	free_list(names, n);
	return e;
}

nsupd_err assets_load_templates(tpl_set *s, const char *dir, const char *prefix, bool required,
				char *err, size_t errsize)
{
	if (!is_dir(dir)) {
		if (!required)
			return NSUPD_OK;
		snprintf(err, errsize, "%s: template directory not found", dir);
		return NSUPD_ERR_IO;
	}
	return load_tree(s, dir, prefix != NULL ? prefix : "", 0, err, errsize);
}

nsupd_err assets_load_catalogs(i18n *t, const char *dir, char *err, size_t errsize)
{
	if (!is_dir(dir)) {
		log_warn("web: no translations: %s is not a directory", dir);
		return NSUPD_OK;
	}
	size_t n;
	char **names = list_dir(dir, &n);
	nsupd_err e = NSUPD_OK;
	for (size_t i = 0; i < n && e == NSUPD_OK; i++) {
		size_t len = strlen(names[i]);
		if (len < 4 || strcmp(names[i] + len - 3, ".po") != 0)
			continue;
		char code[I18N_CODE_MAX];
		if (len - 3 >= sizeof(code))
			continue;
		memcpy(code, names[i], len - 3);
		code[len - 3] = '\0';
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		char *data = NULL;
		size_t dlen = 0;
		e = read_file(path, &data, &dlen, err, errsize);
		if (e == NSUPD_OK) {
			e = i18n_add_po(t, code, data, dlen, path, err, errsize);
			free(data);
		}
	}
	free_list(names, n);
	return e;
}

/* ---- static files ---- */

struct web_static {
	web_file *files;
	size_t n, cap;
};

static const char *content_type_for(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".map", "application/json" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".jpg", "image/jpeg" },
		{ ".ico", "image/x-icon" },
		{ ".webp", "image/webp" },
		{ ".woff2", "font/woff2" },
		{ ".woff", "font/woff" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	size_t len = strlen(name);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t el = strlen(types[i].ext);
		if (len > el && strcmp(name + len - el, types[i].ext) == 0)
			return types[i].type;
	}
	return "application/octet-stream";
}

/* The names a route's <name> segment can match; others are never served. */
static bool servable_name(const char *n)
{
	if (n[0] == '\0' || n[0] == '.' || strlen(n) > 200)
		return false;
	for (; *n; n++) {
		char c = *n;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

nsupd_err assets_load_static(web_static **out, const char *const *dirs, size_t n_dirs,
			     char *err, size_t errsize)
{
	web_static *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return NSUPD_ERR_NOMEM;
	nsupd_err e = NSUPD_OK;
	for (size_t d = 0; d < n_dirs && e == NSUPD_OK; d++) {
		if (dirs[d] == NULL || dirs[d][0] == '\0' || !is_dir(dirs[d]))
			continue;
		size_t n;
		char **names = list_dir(dirs[d], &n);
		for (size_t i = 0; i < n && e == NSUPD_OK; i++) {
			if (!servable_name(names[i]) || assets_static_find(st, names[i]) != NULL)
				continue;
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", dirs[d], names[i]);
			struct stat sb;
			if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
				continue;
			if (st->n == st->cap) {
				size_t ncap = st->cap ? st->cap * 2 : 16;
				web_file *nf = realloc(st->files, ncap * sizeof(*nf));
				if (nf == NULL) {
					e = NSUPD_ERR_NOMEM;
					break;
				}
				st->files = nf;
				st->cap = ncap;
			}
			web_file *f = &st->files[st->n];
			memset(f, 0, sizeof(*f));
			e = read_file(path, &f->data, &f->len, err, errsize);
			if (e != NSUPD_OK)
				break;
			f->name = strdup(names[i]);
			if (f->name == NULL) {
				free(f->data);
				e = NSUPD_ERR_NOMEM;
				break;
			}
			f->content_type = content_type_for(f->name);
			unsigned char h[8];
			crypto_generichash(h, sizeof(h), (const unsigned char *)f->data, f->len, NULL, 0);
			sodium_bin2hex(f->version, sizeof(f->version), h, sizeof(h));
			snprintf(f->etag, sizeof(f->etag), "\"%s\"", f->version);
			st->n++;
		}
		free_list(names, n);
	}
	if (e != NSUPD_OK) {
		assets_static_free(st);
		return e;
	}
	*out = st;
	return NSUPD_OK;
}

const web_file *assets_static_find(const web_static *st, const char *name)
{
	for (size_t i = 0; st != NULL && i < st->n; i++)
		if (strcmp(st->files[i].name, name) == 0)
			return &st->files[i];
	return NULL;
}

size_t assets_static_count(const web_static *st)
{
	return st != NULL ? st->n : 0;
}

void assets_static_free(web_static *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n; i++) {
		free(st->files[i].name);
		free(st->files[i].data);
	}
	free(st->files);
	free(st);
}
