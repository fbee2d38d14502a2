#include "core/fwdpolicy.h"

#include <string.h>

#include "util/strutil.h"

/* The words after which a retry only repeats the failure (and, for abuse,
 * makes it worse): the other service needs a changed configuration. */
static const char *const permanent[] = {
	"badauth", "nohost", "notfqdn", "nofqdn", "abuse", "badagent", "!donator", "!yours",
	"!active", "numhost", "badsys", "badip",
};

enum fwd_verdict fwd_classify(long http_status, const char *body, char *word, size_t wordsize)
{
	size_t k = 0;
	if (body != NULL) {
		const char *p = body;
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		while (p[k] > 0x20 && p[k] < 0x7f && k + 1 < wordsize)
			k++;
		if (wordsize > 0)
			memcpy(word, p, k);
	}
	if (wordsize > 0)
		word[k] = '\0';
	if (http_status == 0)
		return FWD_RETRY;
	if (strcmp(word, "good") == 0 || strcmp(word, "nochg") == 0)
		return http_status >= 200 && http_status < 300 ? FWD_DONE : FWD_RETRY;
	for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		if (strcmp(word, permanent[i]) == 0)
			return FWD_FAILED;
	if (http_status == 401 || http_status == 403)
		return FWD_FAILED;
	return FWD_RETRY;
}

int64_t fwd_backoff(int attempts, unsigned min, unsigned max)
{
	int64_t d = min > 0 ? min : 1;
	for (int i = 1; i < attempts && d < (int64_t)max; i++)
		d *= 2;
	return d < (int64_t)max ? d : (int64_t)max;
}

bool fwd_server_valid(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return false;
	for (const char *p = s; *p; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == ':' ||
		      ch == '[' || ch == ']' || ch == '_'))
			return false;
	}
	const char *colon = strrchr(s, ':');
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close == s + 1)
			return false;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] != '\0' && colon == NULL)
			return false;
	} else if (colon != NULL && strchr(s, ':') != colon) {
		return false;   /* a bare IPv6 address needs brackets in a URL */
	}
	long port;
	return colon == NULL || str_to_long(colon + 1, 1, 65535, &port);
}

bool fwd_path_valid(const char *s)
{
	if (s == NULL || s[0] != '/')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '#')
			return false;
	return true;
}
