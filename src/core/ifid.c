/* The original parsed IDs with netaddr in strict mode, so "1" and "0" were
 * refused (users tripped over it, #704/#710) and nothing was checked when
 * the ID was saved. Here every form people type is accepted, the value is
 * checked once when it is saved, and the canonical text is what gets
 * stored. */
#include "core/ifid.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/strutil.h"

static bool fail(char *errbuf, size_t errsize, const char *fmt, const char *arg)
{
	if (errbuf != NULL && errsize > 0)
		snprintf(errbuf, errsize, fmt, arg);
	return false;
}

/* A whole number in base 10 or 16 into the low bytes of a 128-bit value;
 * false on overflow or a stray character. */
static bool parse_number(const char *s, unsigned base, uint8_t out[16])
{
	memset(out, 0, 16);
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		int d = str_hex_digit(*s);
		if (d < 0 || (unsigned)d >= base)
			return false;
		/* out = out * base + d, big-endian, with carry. */
		unsigned carry = (unsigned)d;
		for (int i = 15; i >= 0; i--) {
			unsigned v = (unsigned)out[i] * base + carry;
			out[i] = (uint8_t)(v & 0xff);
			carry = v >> 8;
		}
		if (carry != 0)
			return false;
	}
	return true;
}

/* True when every byte before the last `keep` bytes is zero. */
static bool fits(const uint8_t b[16], size_t keep)
{
	for (size_t i = 0; i < 16 - keep; i++)
		if (b[i] != 0)
			return false;
	return true;
}

bool ifid_parse(const char *text, int family, bool *empty, ip_addr *out, char canon[IP_STRLEN],
		char *errbuf, size_t errsize)
{
	*empty = false;
	canon[0] = '\0';
	if (errbuf != NULL && errsize > 0)
		errbuf[0] = '\0';
	if (family != 4 && family != 6)
		return fail(errbuf, errsize, "%sinternal error: bad address family", "");
	if (text == NULL)
		text = "";
	while (*text == ' ' || *text == '\t')
		text++;
	char buf[IP_STRLEN + 8];
	size_t len = strlen(text);
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len == 0) {
		*empty = true;
		memset(out, 0, sizeof(*out));
		out->family = (uint8_t)family;
		return true;
	}
	if (len >= sizeof(buf) - 2)
		return fail(errbuf, errsize, "interface ID '%.60s' is too long", text);
	memcpy(buf, text, len);
	buf[len] = '\0';

	/* The value as 128 bits, big-endian. */
	uint8_t v[16];
	ip_addr a;
	const char *hint = family == 4 ?
		"interface ID '%.60s' is not valid: use a dotted quad like 0.0.0.1, or a number like 1" :
		"interface ID '%.60s' is not valid: use IPv6 notation like ::1 or "
		"::216:3eff:fe00:1, hex groups like 216:3eff:fe00:1, or a number like 1";
	if (strchr(buf, ':') != NULL) {
		char tmp[IP_STRLEN + 8];
		const char *t = buf;
		/* "216:3eff:fe00:1": up to four groups without "::" are the
		 * low 64 bits, the way interface IDs are usually written. All
		 * eight groups are a whole address: the canonical text of an ID
		 * that fills more than 112 bits has no "::", and the edit form
		 * must take back what it shows. */
		if (strstr(buf, "::") == NULL) {
			int colons = 0;
			for (const char *p = buf; *p; p++)
				colons += *p == ':';
			if (colons != 7 && (colons > 3 || strchr(buf, '.') != NULL))
				return fail(errbuf, errsize, hint, buf);
			if (colons <= 3) {
				snprintf(tmp, sizeof(tmp), "::%s", buf);
				t = tmp;
			}
		}
		if (!ip_parse(t, &a) || a.family != 6)
			return fail(errbuf, errsize, hint, buf);
		memcpy(v, a.bytes, 16);
	} else if (strchr(buf, '.') != NULL) {
		if (!ip_parse(buf, &a) || a.family != 4)
			return fail(errbuf, errsize, hint, buf);
		memset(v, 0, 16);
		memcpy(v + 12, a.bytes, 4);
	} else if (buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) {
		if (!parse_number(buf + 2, 16, v))
			return fail(errbuf, errsize, hint, buf);
	} else if (!parse_number(buf, 10, v)) {
		return fail(errbuf, errsize, hint, buf);
	}

	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)family;
	if (family == 4) {
		if (!fits(v, 4))
			return fail(errbuf, errsize,
				    "interface ID '%.60s' is too large for IPv4 (at most 255.255.255.255)",
				    buf);
		memcpy(out->bytes, v + 12, 4);
	} else {
		memcpy(out->bytes, v, 16);
	}
	ip_format(out, canon);
	return true;
}

bool ifid_combine(const ip_addr *prefix, unsigned len, const ip_addr *iid, ip_addr *out,
		  char *errbuf, size_t errsize)
{
	if (prefix->family != iid->family)
		return fail(errbuf, errsize, "%sinterface ID and prefix are of different families", "");
	if (len > ip_bits(prefix))
		return fail(errbuf, errsize, "%sprefix length out of range", "");
	if (!ip_combine(prefix, len, iid, out)) {
		char lenbuf[16];
		snprintf(lenbuf, sizeof(lenbuf), "%u", len);
		return fail(errbuf, errsize,
			    "interface ID does not fit behind a /%s prefix (it has bits in the network part)",
			    lenbuf);
	}
	return true;
}
