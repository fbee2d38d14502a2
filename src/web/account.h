/* Shared by the account pages (pages_register.c, pages_profile.c):
 * password rules, mailed tokens, absolute links and the account mails.
 * Internal to src/web. */
#ifndef NSUPD_WEB_ACCOUNT_H
#define NSUPD_WEB_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include "web/web.h"

#define ACCOUNT_PASSWORD_MIN 8
#define ACCOUNT_PASSWORD_MAX 1024
#define ACCOUNT_ACTIVATION_DAYS 7          /* as the original's ACCOUNT_ACTIVATION_DAYS */
#define ACCOUNT_RESET_SECONDS 86400        /* a reset link works for one day */
#define ACCOUNT_TOKEN_LEN 43               /* 43 * log2(55) = 248 bits */
#define ACCOUNT_NAME_MAX 150

/* NULL when password is acceptable for this user, else the translated
 * reason: too short, too long, only digits, or the user's name or
 * e-mail address. */
const char *account_password_problem(web_req *r, const char *password, const char *username,
				     const char *email);

/* NULL when name can be a user name (1..150 of letters, digits and
 * @ . + - _), else the translated reason. */
const char *account_username_problem(web_req *r, const char *name);

/* A fresh random token (URL-safe) and the hash the database keeps. */
nsupd_err account_token_new(char token[ACCOUNT_TOKEN_LEN + 1], char hash[STORE_TOKEN_HASH_MAX]);
/* The hash of a token as it came back in a link. */
void account_token_hash(const char *token, char hash[STORE_TOKEN_HASH_MAX]);

/* "http[s]://<www_host><path>" for links in mails. */
void account_url(const web_req *r, const char *path, char *out, size_t outsize);

/* Sends an account mail to `to`, translated into lang ("" or unknown:
 * English). subject and each paragraph are msgids with %(name)s
 * placeholders filled from names/values; the paragraphs are separated by
 * blank lines and followed by the site's signature. A mail the server does
 * not take now is queued and retried by the maintenance runs. */
nsupd_err account_mail(web_req *r, const char *to, const char *lang, const char *subject,
		       const char *const *paragraphs, size_t n_paragraphs,
		       const char *const *names, const char *const *values, size_t n);

#endif
