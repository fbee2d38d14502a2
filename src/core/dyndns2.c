#include "core/dyndns2.h"

#include <string.h>

const char *dd_word_text(enum dd_word w)
{
	switch (w) {
	case DD_GOOD:     return "good";
	case DD_NOCHG:    return "nochg";
	case DD_DELETED:  return "deleted";
	case DD_ABUSE:    return "abuse";
	case DD_BADAGENT: return "badagent";
	case DD_BADAUTH:  return "badauth";
	case DD_NOTFQDN:  return "notfqdn";
	case DD_NOHOST:   return "nohost";
	case DD_DNSERR:   return "dnserr";
	case DD_911:      return "911";
	}
	return "911";
}

unsigned dd_http_status(enum dd_word w, bool by_bad_hosts)
{
	if (w == DD_BADAUTH)
		return 401;
	if (w == DD_ABUSE && by_bad_hosts)
		return 403;
	return 200;
}

/* ---- Basic auth ---------------------------------------------------- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Standard alphabet, plus the URL-safe "-_" because some clients build
 * the header with the wrong encoder and the meaning is unambiguous. */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Non-strict decoding as the original did it (Python's binascii without
 * validate): characters outside the alphabet are skipped, '=' ends the
 * data once it completes a quantum, and an unfinished quantum at the end
 * is an error. out needs room for len / 4 * 3 + 3 bytes. */
static bool b64_decode_lenient(const char *s, size_t len, unsigned char *out, size_t *outlen)
{
	size_t o = 0;
	unsigned quad_pos = 0, pads = 0;
	unsigned acc = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '=') {
			if (quad_pos >= 2 && quad_pos + ++pads >= 4) {
				*outlen = o;
				return true;
			}
			continue;
		}
		int v = b64_value(c);
		if (v < 0)
			continue;
		pads = 0;
		acc = acc << 6 | (unsigned)v;
		switch (quad_pos) {
		case 0:
			quad_pos = 1;
			break;
		case 1:
			out[o++] = (unsigned char)(acc >> 4);
			acc &= 0x0f;
			quad_pos = 2;
			break;
		case 2:
			out[o++] = (unsigned char)(acc >> 2);
			acc &= 0x03;
			quad_pos = 3;
			break;
		default:
			out[o++] = (unsigned char)acc;
			acc = 0;
			quad_pos = 0;
			break;
		}
	}
	if (quad_pos != 0)
		return false;
	*outlen = o;
	return true;
}

/* Length of the valid UTF-8 sequence at s[0..len), or 0 when the bytes
 * there do not start one. NUL is treated as invalid: C strings cannot
 * carry it and no real credential contains it. Overlong forms, surrogates
 * and values above U+10FFFF are invalid (RFC 3629). */
static size_t utf8_seq_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	size_t need;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (len < need)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < need; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return need;
}

/* Keeps the valid UTF-8 sequences of buf in place, drops the rest (like
 * Python's errors="ignore"). Returns the new length. */
static size_t utf8_filter(unsigned char *buf, size_t len)
{
	size_t r = 0, w = 0;
	while (r < len) {
		size_t n = utf8_seq_len(buf + r, len - r);
		if (n == 0) {
			r++;
			continue;
		}
		memmove(buf + w, buf + r, n);
		w += n;
		r += n;
	}
	return w;
}

bool dd_basic_auth_decode(const char *header, arena *a, char **user, char **password)
{
	if (header == NULL || a == NULL || user == NULL || password == NULL)
		return false;
	const char *p = header;
	while (is_space(*p))
		p++;
	static const char scheme[] = "basic";
	for (size_t i = 0; i < sizeof(scheme) - 1; i++, p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != scheme[i])
			return false;
	}
	/* "Basic" must be a whole word followed by the payload. */
	if (!is_space(*p))
		return false;
	while (is_space(*p))
		p++;
	size_t len = strlen(p);
	while (len > 0 && is_space(p[len - 1]))
		len--;

	unsigned char *buf = arena_alloc(a, len / 4 * 3 + 3);
	if (buf == NULL)
		return false;
	size_t n;
	if (!b64_decode_lenient(p, len, buf, &n))
		return false;
	n = utf8_filter(buf, n);

	unsigned char *colon = memchr(buf, ':', n);
	if (colon == NULL)
		return false;
	size_t ulen = (size_t)(colon - buf);
	char *u = arena_strndup(a, (const char *)buf, ulen);
	char *pw = arena_strndup(a, (const char *)colon + 1, n - ulen - 1);
	if (u == NULL || pw == NULL)
		return false;
	*user = u;
	*password = pw;
	return true;
}

/* ---- myip lists ---------------------------------------------------- */

/* One element s[0..len): trim, cut at '/', check the prefix length, parse. */
static bool parse_element(const char *s, size_t len, dd_addr *out)
{
	while (len > 0 && is_space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;

	const char *slash = memchr(s, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - s) : len;
	/* Trailing space before the '/' ("1.2.3.4 /24") would make the text
	 * invalid anyway; the longest valid address is IP_STRLEN - 1. */
	if (alen == 0 || alen >= IP_STRLEN)
		return false;

	dd_addr d;
	memset(&d, 0, sizeof(d));
	memcpy(d.text, s, alen);
	d.text[alen] = '\0';
	ip_addr parsed;
	if (!ip_parse(d.text, &parsed))
		return false;

	d.prefix_len = -1;
	if (slash != NULL) {
		const char *q = slash + 1;
		size_t qlen = len - alen - 1;
		if (qlen == 0 || qlen > 3)
			return false;
		unsigned v = 0;
		for (size_t k = 0; k < qlen; k++) {
			if (q[k] < '0' || q[k] > '9')
				return false;
			v = v * 10 + (unsigned)(q[k] - '0');
		}
		/* Checked against the family the client wrote. */
		if (v > ip_bits(&parsed))
			return false;
		d.prefix_len = (int)v;
	}
	d.addr = ip_unmap_v4(parsed);
	/* Classified on the family the client wrote, like the length. */
	d.prefix = dd_addr_is_prefix(&parsed, d.prefix_len);
	if (d.prefix)
		d.addr = parsed;
	*out = d;
	return true;
}

bool dd_addr_is_prefix(const ip_addr *addr, int prefix_len)
{
	return prefix_len >= 0 && (unsigned)prefix_len < ip_bits(addr) &&
	       ip_is_network_address(addr, (unsigned)prefix_len);
}

nsupd_err dd_parse_prefix_param(const char *value, dd_addr *out)
{
	if (value == NULL || out == NULL || strchr(value, ',') != NULL)
		return NSUPD_ERR_INVALID;
	dd_addr d;
	if (!parse_element(value, strlen(value), &d))
		return NSUPD_ERR_INVALID;
	/* Explicitly a prefix: the client's address text, with host bits
	 * cleared when it sent some ("2001:db8:1f00::1/56"). */
	ip_addr net;
	if (!ip_parse(d.text, &net))
		return NSUPD_ERR_INVALID;
	if (d.prefix_len >= 0 && (unsigned)d.prefix_len >= ip_bits(&net))
		return NSUPD_ERR_INVALID;
	if (d.prefix_len >= 0) {
		ip_addr zero = { .family = net.family };
		ip_addr cleared;
		if (!ip_combine(&net, (unsigned)d.prefix_len, &zero, &cleared))
			return NSUPD_ERR_INVALID;
		if (!ip_equal(&cleared, &net)) {
			net = cleared;
			ip_format(&net, d.text);
		}
	}
	d.addr = net;
	d.prefix = true;
	*out = d;
	return NSUPD_OK;
}

nsupd_err dd_parse_myip(const char *value, dd_addr *out, size_t max, size_t *n)
{
	if (n != NULL)
		*n = 0;
	if (value == NULL || out == NULL || n == NULL)
		return NSUPD_ERR_INVALID;

	size_t count = 1;
	for (const char *c = value; *c; c++)
		if (*c == ',')
			count++;
	if (count > max)
		return NSUPD_ERR_INVALID;

	/* Validate everything first so that a bad list leaves out[] untouched. */
	for (int pass = 0; pass < 2; pass++) {
		const char *s = value;
		size_t i = 0;
		for (;;) {
			const char *comma = strchr(s, ',');
			size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
			dd_addr d;
			if (!parse_element(s, len, &d))
				return NSUPD_ERR_INVALID;
			if (pass == 1)
				out[i] = d;
			i++;
			if (comma == NULL)
				break;
			s = comma + 1;
		}
		if (pass == 1)
			*n = i;
	}
	return NSUPD_OK;
}

/* ---- the plan for one address ------------------------------------- */

enum dd_action dd_plan(const dd_host_state *host, const ip_addr *addr, bool delete_request,
		       const ip_prefix *bad_ips, size_t n_bad_ips)
{
	if (host->abuse || host->abuse_blocked)
		return DD_ACT_ABUSE;
	if (!host->available)
		return DD_ACT_UNAVAILABLE;
	if (delete_request)
		return DD_ACT_DELETE;
	for (size_t i = 0; i < n_bad_ips; i++)
		if (ip_prefix_contains(&bad_ips[i], addr))
			return DD_ACT_BLACKLISTED;
	unsigned netmask = addr->family == 4 ? host->netmask_ipv4 : host->netmask_ipv6;
	/* ip_is_network_address() is false for netmask >= the address bits, so
	 * a single-host netmask never turns an update into a delete. */
	if (ip_is_network_address(addr, netmask))
		return DD_ACT_DELETE;
	return DD_ACT_UPDATE;
}

/* ---- the answer ---------------------------------------------------- */

static bool is_error_word(enum dd_word w)
{
	return w != DD_GOOD && w != DD_NOCHG && w != DD_DELETED;
}

static dd_answer answer_word(enum dd_word w)
{
	dd_answer r = { w, dd_word_text(w), false };
	return r;
}

dd_answer dd_combine(const dd_outcome *o, size_t n, arena *a)
{
	static const enum dd_word priority[] = {
		DD_911, DD_ABUSE, DD_BADAGENT, DD_BADAUTH, DD_NOTFQDN, DD_NOHOST, DD_DNSERR,
	};
	if (o == NULL || n == 0 || a == NULL)
		return answer_word(DD_911);

	bool any_error = false, all_deleted = true, all_nochg = true, any_changed = false;
	for (size_t i = 0; i < n; i++) {
		enum dd_word w = o[i].word;
		if (is_error_word(w))
			any_error = true;
		if (w != DD_DELETED)
			all_deleted = false;
		if (w != DD_NOCHG)
			all_nochg = false;
		if (w == DD_GOOD || w == DD_DELETED)
			any_changed = true;
	}
	if (any_error) {
		for (size_t k = 0; k < sizeof(priority) / sizeof(priority[0]); k++)
			for (size_t i = 0; i < n; i++)
				if (o[i].word == priority[k])
					return answer_word(priority[k]);
		/* An out-of-range word: a caller bug, answered as an internal error. */
		return answer_word(DD_911);
	}

	enum dd_word w = all_deleted ? DD_DELETED : any_changed ? DD_GOOD : DD_NOCHG;
	const char *word = dd_word_text(w);
	size_t total = strlen(word) + 1;
	for (size_t i = 0; i < n; i++) {
		const char *item = all_deleted ? (o[i].family == 6 ? "AAAA" : "A")
					       : (o[i].text != NULL ? o[i].text : "");
		total += strlen(item) + 1;
	}
	char *body = arena_alloc(a, total);
	if (body == NULL)
		return answer_word(DD_911);
	char *p = body;
	size_t len = strlen(word);
	memcpy(p, word, len);
	p += len;
	for (size_t i = 0; i < n; i++) {
		const char *item = all_deleted ? (o[i].family == 6 ? "AAAA" : "A")
					       : (o[i].text != NULL ? o[i].text : "");
		*p++ = i == 0 ? ' ' : ',';
		len = strlen(item);
		memcpy(p, item, len);
		p += len;
	}
	*p = '\0';

	dd_answer r = { w, body, all_nochg };
	return r;
}
