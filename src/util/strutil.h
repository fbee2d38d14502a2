/* Small string helpers that the C library lacks or spells unsafely. */
#ifndef NSUPD_UTIL_STRUTIL_H
#define NSUPD_UTIL_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies at most dstsize-1 bytes and always terminates. Returns strlen(src),
 * so truncation is detected with ret >= dstsize. */
size_t str_copy(char *dst, const char *src, size_t dstsize);

/* ASCII-only helpers: DNS names and protocol tokens are ASCII. */
void str_ascii_lower(char *s);
bool str_ascii_ieq(const char *a, const char *b);

/* Returns a pointer into s past leading whitespace and writes a NUL over
 * trailing whitespace. */
char *str_trim(char *s);

/* Parses a whole decimal string in [min,max]. */
bool str_to_long(const char *s, long min, long max, long *out);

/* Accepts true/false, yes/no, on/off, 1/0 (case-insensitive). */
bool str_to_bool(const char *s, bool *out);
/* The value of a hexadecimal digit (either case), or -1. */
int str_hex_digit(char c);

/* "YYYY-MM-DDTHH:MM:SSZ"; buf must hold 21 bytes. t is Unix seconds. */
void str_iso8601_utc(int64_t t, char *buf, size_t bufsize);

#endif
