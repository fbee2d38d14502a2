/* Helpers of the account pages; see account.h. */
#include "web/account.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "core/secret.h"
#include "mail/mail.h"
#include "util/log.h"
#include "web/web_internal.h"

const char *account_password_problem(web_req *r, const char *pw, const char *username,
				     const char *email)
{
	if (pw == NULL || pw[0] == '\0')
		return _(r, "Please enter a password.");
	size_t len = strlen(pw);
	if (len > ACCOUNT_PASSWORD_MAX)
		return _(r, "This password is too long.");
	/* Characters, not bytes: "ääää" is four characters. */
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)pw; *p; p++)
		if ((*p & 0xC0) != 0x80)
			chars++;
	if (chars < ACCOUNT_PASSWORD_MIN)
		return _(r, "This password is too short. It must contain at least 8 characters.");
	bool digits = true;
	for (const char *p = pw; *p && digits; p++)
		digits = *p >= '0' && *p <= '9';
	if (digits)
		return _(r, "This password is entirely numeric.");
	if ((username != NULL && username[0] != '\0' && strcasecmp(pw, username) == 0) ||
	    (email != NULL && email[0] != '\0' && strcasecmp(pw, email) == 0))
		return _(r, "The password is too similar to the username or e-mail address.");
	return NULL;
}

const char *account_username_problem(web_req *r, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return _(r, "Please choose a username.");
	if (strlen(name) > ACCOUNT_NAME_MAX)
		return _(r, "The username may have at most 150 characters.");
	for (const char *p = name; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '@' || c == '.' || c == '+' || c == '-' || c == '_';
		if (!ok)
			return _(r, "Enter a valid username. It may contain only letters, digits and "
				    "the characters @ . + - _");
	}
	return NULL;
}

void account_token_hash(const char *token, char hash[STORE_TOKEN_HASH_MAX])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(hash, STORE_TOKEN_HASH_MAX, h, sizeof(h));
}

nsupd_err account_token_new(char token[ACCOUNT_TOKEN_LEN + 1], char hash[STORE_TOKEN_HASH_MAX])
{
	nsupd_err e = secret_random_text(token, ACCOUNT_TOKEN_LEN);
	if (e != NSUPD_OK)
		return e;
	account_token_hash(token, hash);
	return NSUPD_OK;
}

void account_url(const web_req *r, const char *path, char *out, size_t outsize)
{
	const nsupd_config *cfg = r->app->cfg;
	snprintf(out, outsize, "%s://%s%s", cfg->we_have_tls ? "https" : "http", cfg->www_host, path);
}

nsupd_err account_mail(web_req *r, const char *to, const char *lang, const char *subject,
		       const char *const *paragraphs, size_t n_paragraphs,
		       const char *const *names, const char *const *values, size_t n)
{
	const nsupd_config *cfg = r->app->cfg;
	const i18n_catalog *c = NULL;
	if (lang != NULL && lang[0] != '\0')
		c = i18n_catalog_get(r->w->i18n, lang);
	char *body = malloc(MAIL_BODY_MAX);
	char *buf = malloc(MAIL_BODY_MAX);
	char subj[MAIL_SUBJECT_MAX];
	if (body == NULL || buf == NULL) {
		free(body);
		free(buf);
		return NSUPD_ERR_NOMEM;
	}
	mail_expand(i18n_lookup(c, subject), names, values, n, subj, sizeof(subj));
	size_t len = 0;
	body[0] = '\0';
	for (size_t i = 0; i < n_paragraphs; i++) {
		mail_expand(i18n_lookup(c, paragraphs[i]), names, values, n, buf, MAIL_BODY_MAX);
		int w = snprintf(body + len, MAIL_BODY_MAX - len, "%s\n\n", buf);
		if (w > 0)
			len += (size_t)w < MAIL_BODY_MAX - len ? (size_t)w : MAIL_BODY_MAX - len - 1;
	}
	/* "-- " is the signature separator mail readers recognise. */
	snprintf(body + len, MAIL_BODY_MAX - len, "-- \n%s\n", cfg->site_name);
	mailer m = { .cfg = cfg, .store = r->app->store, .tr = r->w->i18n };
	nsupd_err e = mail_send(&m, to, subj, body);
	free(body);
	free(buf);
	return e;
}
