/* Address parsing is written out by hand instead of using inet_pton():
 * the accepted text must be exactly the same on every libc (no leading
 * zeros in IPv4 parts, no scope, no "1.2.3" shorthand), because the answer
 * to a router depends on it. */
#include "core/ipaddr.h"

#include <stdio.h>
#include <string.h>

#include "util/strutil.h"

/* Longest valid text is IP_STRLEN - 1 characters; anything longer is
 * rejected before parsing so the work per call stays bounded. */
#define IP_TEXT_MAX (IP_STRLEN - 1)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parses exactly four dotted decimal parts in s[0..len). */
static bool parse_v4(const char *s, size_t len, uint8_t out[4])
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
		size_t start = i;
		unsigned v = 0;
		while (i < len && is_digit(s[i]) && i - start < 3) {
			v = v * 10 + (unsigned)(s[i] - '0');
			i++;
		}
		size_t digits = i - start;
		if (digits == 0 || v > 255)
			return false;
		/* "01" would mean octal to some parsers and decimal to others. */
		if (digits > 1 && s[start] == '0')
			return false;
		out[part] = (uint8_t)v;
	}
	return i == len;
}

/* RFC 4291 section 2.2 text. The "::" must stand for at least one group. */
static bool parse_v6(const char *s, size_t len, uint8_t out[16])
{
	uint16_t groups[8];
	int ngroups = 0;
	int gap = -1;   /* index in groups[] where "::" was */
	size_t i = 0;

	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	} else if (len >= 1 && s[0] == ':') {
		return false;
	}

	while (i < len) {
		size_t end = i;
		bool has_dot = false;
		while (end < len && s[end] != ':') {
			if (s[end] == '.')
				has_dot = true;
			end++;
		}
		if (end == i)
			return false;           /* empty group: ":::" or "1::2:" */
		if (has_dot) {
			/* The dotted quad takes the last two groups and ends the text. */
			uint8_t q[4];
			if (end != len || ngroups > 6 || !parse_v4(s + i, end - i, q))
				return false;
			groups[ngroups++] = (uint16_t)(q[0] << 8 | q[1]);
			groups[ngroups++] = (uint16_t)(q[2] << 8 | q[3]);
			i = end;
			break;
		}
		if (end - i > 4 || ngroups >= 8)
			return false;
		unsigned v = 0;
		for (size_t k = i; k < end; k++) {
			int h = str_hex_digit(s[k]);
			if (h < 0)
				return false;
			v = v << 4 | (unsigned)h;
		}
		groups[ngroups++] = (uint16_t)v;
		i = end;
		if (i == len)
			break;
		/* s[i] == ':' */
		if (i + 1 < len && s[i + 1] == ':') {
			if (gap >= 0)
				return false;   /* a second "::" */
			gap = ngroups;
			i += 2;
		} else {
			i += 1;
			if (i == len)
				return false;   /* trailing single ':' */
		}
	}

	if (gap < 0) {
		if (ngroups != 8)
			return false;
	} else if (ngroups > 7) {
		return false;
	}

	uint16_t full[8] = { 0 };
	if (gap < 0) {
		memcpy(full, groups, sizeof(full));
	} else {
		int tail = ngroups - gap;
		for (int k = 0; k < gap; k++)
			full[k] = groups[k];
		for (int k = 0; k < tail; k++)
			full[8 - tail + k] = groups[gap + k];
	}
	for (int k = 0; k < 8; k++) {
		out[2 * k] = (uint8_t)(full[k] >> 8);
		out[2 * k + 1] = (uint8_t)(full[k] & 0xff);
	}
	return true;
}

bool ip_parse(const char *text, ip_addr *out)
{
	if (text == NULL || out == NULL)
		return false;
	size_t len = strnlen(text, IP_TEXT_MAX + 1);
	if (len == 0 || len > IP_TEXT_MAX)
		return false;
	ip_addr a;
	memset(&a, 0, sizeof(a));
	if (memchr(text, ':', len) != NULL) {
		if (!parse_v6(text, len, a.bytes))
			return false;
		a.family = 6;
	} else {
		if (!parse_v4(text, len, a.bytes))
			return false;
		a.family = 4;
	}
	*out = a;
	return true;
}

static bool is_v4_mapped(const ip_addr *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return a->family == 6 && memcmp(a->bytes, prefix, sizeof(prefix)) == 0;
}

void ip_format(const ip_addr *a, char out[IP_STRLEN])
{
	const uint8_t *b = a->bytes;
	if (a->family == 4) {
		snprintf(out, IP_STRLEN, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
		return;
	}
	if (a->family != 6) {
		out[0] = '\0';
		return;
	}
	if (is_v4_mapped(a)) {
		snprintf(out, IP_STRLEN, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
		return;
	}

	unsigned g[8];
	for (int k = 0; k < 8; k++)
		g[k] = (unsigned)b[2 * k] << 8 | b[2 * k + 1];

	/* RFC 5952 4.2: compress the longest run of two or more zero groups,
	 * the first one when runs tie. */
	int best = -1, best_len = 1;
	for (int k = 0; k < 8;) {
		if (g[k] != 0) {
			k++;
			continue;
		}
		int start = k;
		while (k < 8 && g[k] == 0)
			k++;
		if (k - start > best_len) {
			best = start;
			best_len = k - start;
		}
	}

	char *p = out;
	size_t left = IP_STRLEN;
	for (int k = 0; k < 8; k++) {
		if (k == best) {
			int n = snprintf(p, left, "::");
			p += n;
			left -= (size_t)n;
			k += best_len - 1;
			continue;
		}
		bool colon = k > 0 && k != best + best_len;
		int n = snprintf(p, left, "%s%x", colon ? ":" : "", g[k]);
		p += n;
		left -= (size_t)n;
	}
}

bool ip_equal(const ip_addr *a, const ip_addr *b)
{
	if (a->family != b->family)
		return false;
	size_t n = a->family == 4 ? 4 : 16;
	return memcmp(a->bytes, b->bytes, n) == 0;
}

ip_addr ip_unmap_v4(ip_addr a)
{
	if (a.family != 6)
		return a;
	static const uint8_t zero[12] = { 0 };
	bool mapped = is_v4_mapped(&a);
	/* ::a.b.c.d with a != 0: the deprecated IPv4-compatible form. Requiring
	 * a != 0 keeps "::", "::1" and other tiny values IPv6. */
	bool compat = memcmp(a.bytes, zero, sizeof(zero)) == 0 && a.bytes[12] != 0;
	if (!mapped && !compat)
		return a;
	ip_addr v4;
	memset(&v4, 0, sizeof(v4));
	v4.family = 4;
	memcpy(v4.bytes, a.bytes + 12, 4);
	return v4;
}

unsigned ip_bits(const ip_addr *a)
{
	return a->family == 4 ? 32 : 128;
}

/* Is bit i (0 = most significant of bytes[0]) set? */
static bool bit_at(const uint8_t *bytes, unsigned i)
{
	return (bytes[i / 8] >> (7 - i % 8)) & 1;
}

bool ip_is_network_address(const ip_addr *a, unsigned len)
{
	unsigned bits = ip_bits(a);
	if (len >= bits)
		return false;
	for (unsigned i = len; i < bits; i++)
		if (bit_at(a->bytes, i))
			return false;
	return true;
}

static void clear_host_bits(ip_addr *a, unsigned len)
{
	unsigned bits = ip_bits(a);
	for (unsigned i = len; i < bits; i++)
		a->bytes[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

bool ip_prefix_parse(const char *text, ip_prefix *out)
{
	if (text == NULL || out == NULL)
		return false;
	const char *slash = strchr(text, '/');
	size_t alen = slash != NULL ? (size_t)(slash - text) : strlen(text);
	if (alen == 0 || alen > IP_TEXT_MAX)
		return false;
	char buf[IP_STRLEN];
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	ip_prefix p;
	if (!ip_parse(buf, &p.addr))
		return false;
	unsigned bits = ip_bits(&p.addr);
	p.len = bits;
	if (slash != NULL) {
		const char *s = slash + 1;
		size_t n = strlen(s);
		if (n == 0 || n > 3)
			return false;
		unsigned v = 0;
		for (size_t k = 0; k < n; k++) {
			if (!is_digit(s[k]))
				return false;
			v = v * 10 + (unsigned)(s[k] - '0');
		}
		if (v > bits)
			return false;
		p.len = v;
	}
	clear_host_bits(&p.addr, p.len);
	*out = p;
	return true;
}

bool ip_prefix_contains(const ip_prefix *p, const ip_addr *a)
{
	if (p->addr.family != a->family || p->len > ip_bits(a))
		return false;
	for (unsigned i = 0; i < p->len; i++)
		if (bit_at(p->addr.bytes, i) != bit_at(a->bytes, i))
			return false;
	return true;
}

bool ip_combine(const ip_addr *addr, unsigned len, const ip_addr *iid, ip_addr *out)
{
	if (addr->family != iid->family || len > ip_bits(addr))
		return false;
	for (unsigned i = 0; i < len; i++)
		if (bit_at(iid->bytes, i))
			return false;
	ip_addr r = *addr;
	unsigned bits = ip_bits(addr);
	for (unsigned i = len; i < bits; i++) {
		uint8_t mask = (uint8_t)(0x80u >> (i % 8));
		if (bit_at(iid->bytes, i))
			r.bytes[i / 8] |= mask;
		else
			r.bytes[i / 8] &= (uint8_t)~mask;
	}
	*out = r;
	return true;
}
