/* Translations from standard gettext .po files, parsed by nsupd itself at
 * start-up (no libintl, no setlocale: the language is a per-request
 * choice, and catalogs are read-only after loading, so lookups from many
 * threads need no lock). English is the source language and always
 * available; a missing or fuzzy translation falls back to the msgid.
 * Pure: the caller reads the files (web/assets.h). */
#ifndef NSUPD_WEB_I18N_H
#define NSUPD_WEB_I18N_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define I18N_MAX_LANGS 16
#define I18N_CODE_MAX 8          /* "de", "pt-br" + NUL */

typedef struct i18n i18n;
typedef struct i18n_catalog i18n_catalog;

nsupd_err i18n_new(i18n **out);
void i18n_free(i18n *t);

/* Parses the text of a .po file as language code ("de"). Fuzzy entries and
 * empty msgstrs are skipped. On a syntax error: NSUPD_ERR_INVALID and
 * "ORIGIN:LINE: message" in err. */
nsupd_err i18n_add_po(i18n *t, const char *code, const char *text, size_t len,
		      const char *origin, char *err, size_t errsize);

/* The catalog of a language, NULL for English or an unknown code. */
const i18n_catalog *i18n_catalog_get(const i18n *t, const char *code);
/* The translation of msgid, or msgid itself. c may be NULL (English). */
const char *i18n_lookup(const i18n_catalog *c, const char *msgid);
/* Number of translated entries (for tests and the log). */
size_t i18n_catalog_size(const i18n_catalog *c);

/* True for "en" and every loaded language. */
bool i18n_has(const i18n *t, const char *code);
/* The languages to offer: "en" first, then the loaded ones in load order.
 * Returns how many were written to codes (each a static/owned string). */
size_t i18n_languages(const i18n *t, const char **codes, size_t max);
/* "Deutsch" for "de": the language's own name, for the selector. */
const char *i18n_language_name(const char *code);

/* The best available language for an Accept-Language header value (q
 * values honoured, "de-CH" matches "de", q=0 excludes), or NULL when none
 * of them is available. */
const char *i18n_negotiate(const i18n *t, const char *accept_language);

#endif
