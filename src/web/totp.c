/* TOTP, QR codes and recovery codes; see totp.h. */
#include "web/totp.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>
#include <qrencode.h>
#include <sodium.h>

#define SECRET_BYTES 20
#define QUIET 4                      /* modules of white around the symbol */

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static bool oath_ready;

static void oath_setup(void)
{
	oath_ready = oath_init() == OATH_OK;
}

nsupd_err totp_new_secret(char out[TOTP_SECRET_B32_MAX])
{
	pthread_once(&oath_once, oath_setup);
	if (!oath_ready)
		return NSUPD_ERR_INTERNAL;
	char raw[SECRET_BYTES];
	randombytes_buf(raw, sizeof(raw));
	char *b32 = NULL;
	size_t len = 0;
	int rc = oath_base32_encode(raw, sizeof(raw), &b32, &len);
	sodium_memzero(raw, sizeof(raw));
	if (rc != OATH_OK || b32 == NULL)
		return NSUPD_ERR_NOMEM;
	/* 160 bits are 32 characters exactly: no padding to strip. */
	while (len > 0 && b32[len - 1] == '=')
		len--;
	b32[len] = '\0';
	snprintf(out, TOTP_SECRET_B32_MAX, "%s", b32);
	free(b32);
	return len > 0 && len < TOTP_SECRET_B32_MAX ? NSUPD_OK : NSUPD_ERR_INTERNAL;
}

nsupd_err totp_code(const char *secret_b32, int64_t step, char out[TOTP_DIGITS + 1])
{
	pthread_once(&oath_once, oath_setup);
	if (!oath_ready || secret_b32 == NULL || step < 0)
		return NSUPD_ERR_INTERNAL;
	char *raw = NULL;
	size_t len = 0;
	if (oath_base32_decode(secret_b32, strlen(secret_b32), &raw, &len) != OATH_OK)
		return NSUPD_ERR_INVALID;
	int rc = oath_totp_generate(raw, len, (time_t)(step * TOTP_STEP), TOTP_STEP, 0,
				    TOTP_DIGITS, out);
	sodium_memzero(raw, len);
	free(raw);
	return rc == OATH_OK ? NSUPD_OK : NSUPD_ERR_INTERNAL;
}

/* code without blanks, when it is exactly TOTP_DIGITS digits. */
static bool clean_code(const char *code, char out[TOTP_DIGITS + 1])
{
	size_t n = 0;
	if (code == NULL)
		return false;
	for (const char *p = code; *p; p++) {
		if (*p == ' ' || *p == '\t')
			continue;
		if (*p < '0' || *p > '9' || n >= TOTP_DIGITS)
			return false;
		out[n++] = *p;
	}
	out[n] = '\0';
	return n == TOTP_DIGITS;
}

bool totp_is_code(const char *code)
{
	char c[TOTP_DIGITS + 1];
	return clean_code(code, c);
}

int64_t totp_match(const char *secret_b32, const char *code, int64_t now)
{
	char typed[TOTP_DIGITS + 1];
	if (!clean_code(code, typed) || now < TOTP_STEP)
		return -1;
	int64_t cur = now / TOTP_STEP;
	int64_t found = -1;
	/* Every candidate is computed and compared in constant time, so
	 * the answer's timing says nothing about which step matched. */
	for (int64_t step = cur - 1; step <= cur + 1; step++) {
		char want[TOTP_DIGITS + 1];
		if (totp_code(secret_b32, step, want) != NSUPD_OK)
			return -1;
		if (sodium_memcmp(want, typed, TOTP_DIGITS) == 0)
			found = step;
	}
	return found;
}

static size_t pct(char *out, size_t size, size_t len, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p && len + 4 < size; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			out[len++] = (char)*p;
		} else {
			out[len++] = '%';
			out[len++] = hex[*p >> 4];
			out[len++] = hex[*p & 15];
		}
	}
	out[len] = '\0';
	return len;
}

void totp_uri(const char *issuer, const char *account, const char *secret_b32, char *out,
	      size_t outsize)
{
	if (outsize == 0)
		return;
	size_t len = (size_t)snprintf(out, outsize, "otpauth://totp/");
	if (len >= outsize)
		return;
	len = pct(out, outsize, len, issuer);
	len = pct(out, outsize, len, ":");
	len = pct(out, outsize, len, account);
	int n = snprintf(out + len, outsize - len, "?secret=%s&issuer=", secret_b32);
	if (n < 0 || (size_t)n >= outsize - len)
		return;
	len += (size_t)n;
	len = pct(out, outsize, len, issuer);
	snprintf(out + len, outsize - len, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS,
		 TOTP_STEP);
}

char *totp_qr_svg(const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (q == NULL)
		return NULL;
	int w = q->width, total = w + 2 * QUIET;
	/* At most one "M x yhNv1h-Nz" per module, ~24 bytes. */
	size_t cap = (size_t)w * (size_t)w * 24 + 512;
	char *svg = malloc(cap);
	if (svg == NULL) {
		QRcode_free(q);
		return NULL;
	}
	size_t len = (size_t)snprintf(svg, cap,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		"class=\"totp-qr\" shape-rendering=\"crispEdges\" aria-hidden=\"true\">"
		"<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
		total, total, total, total);
	for (int y = 0; y < w; y++) {
		for (int x = 0; x < w;) {
			if (!(q->data[y * w + x] & 1)) {
				x++;
				continue;
			}
			int run = 1;
			while (x + run < w && (q->data[y * w + x + run] & 1))
				run++;
			len += (size_t)snprintf(svg + len, cap - len, "M%d %dh%dv1h-%dz", x + QUIET,
						y + QUIET, run, run);
			x += run;
		}
	}
	snprintf(svg + len, cap - len, "\"/></svg>");
	QRcode_free(q);
	return svg;
}

/* Lowercase letters and digits without 0/o, 1/l/i. */
static const char recovery_alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";

void totp_recovery_new(char out[TOTP_RECOVERY_LEN + 1])
{
	const uint32_t n = (uint32_t)(sizeof(recovery_alphabet) - 1);
	for (size_t i = 0; i < TOTP_RECOVERY_LEN; i++)
		out[i] = i == 5 ? '-' : recovery_alphabet[randombytes_uniform(n)];
	out[TOTP_RECOVERY_LEN] = '\0';
}

bool totp_recovery_hash(const char *typed, char hash[65])
{
	char norm[TOTP_RECOVERY_LEN + 1];
	size_t n = 0;
	if (typed == NULL)
		return false;
	for (const char *p = typed; *p; p++) {
		if (*p == ' ' || *p == '-' || *p == '\t')
			continue;
		char c = (char)tolower((unsigned char)*p);
		if (strchr(recovery_alphabet, c) == NULL || n >= TOTP_RECOVERY_LEN - 1)
			return false;
		norm[n++] = c;
	}
	if (n != TOTP_RECOVERY_LEN - 1)
		return false;
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)norm, n);
	sodium_bin2hex(hash, 65, h, sizeof(h));
	return true;
}
