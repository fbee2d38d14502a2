/* Files the web interface reads at start-up: templates, .po catalogs and
 * static files (CSS, JS, images). Everything is read once into memory;
 * nothing under these directories is opened while serving, so a request
 * path can never reach the file system. */
#ifndef NSUPD_WEB_ASSETS_H
#define NSUPD_WEB_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "util/error.h"
#include "web/i18n.h"
#include "web/template.h"

/* The default location of a data directory ("templates", "static", "po"):
 * next to the sources when the binary runs from its build directory, else
 * the installed share directory (DATADIR/nsupd/WHAT). For "static" in a
 * build directory, build_static (may be NULL) gets BUILDDIR/static, where
 * the build copies the npm assets. */
void assets_default_dir(const char *what, char *out, size_t size, char *build_static,
			size_t build_size);

/* Adds every regular, non-hidden file below dir (recursively) to s as
 * prefix + relative path ("main/home.html"). A missing dir is an error
 * when required. Syntax errors come back as "PATH:LINE: message". */
nsupd_err assets_load_templates(tpl_set *s, const char *dir, const char *prefix, bool required,
				char *err, size_t errsize);

/* Adds every LANG.po in dir to t. */
nsupd_err assets_load_catalogs(i18n *t, const char *dir, char *err, size_t errsize);

typedef struct web_file {
	char *name;              /* "bootstrap.min.css" */
	char *data;
	size_t len;
	const char *content_type;
	char etag[24];           /* "\"0123456789abcdef\"" (quoted) */
	char version[17];        /* the etag's 16 hex digits, for ?v= */
} web_file;

typedef struct web_static web_static;

/* Loads the regular files directly in each dir (no subdirectories); the
 * first dir that has a name wins. Missing dirs are skipped. */
nsupd_err assets_load_static(web_static **out, const char *const *dirs, size_t n_dirs,
			     char *err, size_t errsize);
const web_file *assets_static_find(const web_static *st, const char *name);
size_t assets_static_count(const web_static *st);
void assets_static_free(web_static *st);

#endif
