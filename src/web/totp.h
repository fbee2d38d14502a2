/* Two-factor login: TOTP codes (RFC 6238: HMAC-SHA1, 30 s steps, 6
 * digits, through liboath), enrolment QR codes (libqrencode, rendered here
 * as SVG) and recovery codes. Pure apart from randomness; internal to
 * src/web; thread-safe. */
#ifndef NSUPD_WEB_TOTP_H
#define NSUPD_WEB_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define TOTP_STEP 30
#define TOTP_DIGITS 6
#define TOTP_SECRET_B32_MAX 65       /* 160-bit secret: 32 base32 characters */
#define TOTP_RECOVERY_CODES 10
#define TOTP_RECOVERY_LEN 11         /* "xxxxx-xxxxx" */

/* A new random 160-bit secret as base32 (no padding). */
nsupd_err totp_new_secret(char out[TOTP_SECRET_B32_MAX]);

/* The code of time step `step` (now / 30). */
nsupd_err totp_code(const char *secret_b32, int64_t step, char out[TOTP_DIGITS + 1]);

/* The time step within one step of now whose code equals code (the newest
 * one that matches), or -1 when none does (also for malformed input).
 * Blanks in code are ignored. */
int64_t totp_match(const char *secret_b32, const char *code, int64_t now);

/* true when code looks like a TOTP code (digits, blanks ignored). */
bool totp_is_code(const char *code);

/* "otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=..." for authenticator
 * apps; percent-encoded. */
void totp_uri(const char *issuer, const char *account, const char *secret_b32, char *out,
	      size_t outsize);

/* The QR code of text as a standalone SVG element (malloc'd, free it):
 * black modules on white with the quiet zone, scalable. NULL on failure. */
char *totp_qr_svg(const char *text);

/* A new recovery code "xxxxx-xxxxx" (lowercase letters and digits without
 * look-alikes). */
void totp_recovery_new(char out[TOTP_RECOVERY_LEN + 1]);
/* The normalised form of a typed recovery code (lowercase, no blanks or
 * dashes) as its hash for the database (64 hex digits); false when it
 * cannot be one. */
bool totp_recovery_hash(const char *typed, char hash[65]);

#endif
