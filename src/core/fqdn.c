#include "core/fqdn.h"

#include <string.h>

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_zone_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

bool fqdn_valid_host_label(const char *label)
{
	if (label == NULL)
		return false;
	size_t n = strnlen(label, HOST_LABEL_MAX + 1);
	if (n == 0 || n > HOST_LABEL_MAX)
		return false;
	if (label[0] == '-' || label[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(label[i]) && label[i] != '-')
			return false;
	return true;
}

bool fqdn_valid_zone(const char *name)
{
	if (name == NULL)
		return false;
	size_t n = strnlen(name, FQDN_MAX + 2);
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > FQDN_MAX)
		return false;
	unsigned labels = 0;
	size_t label_len = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || name[i] == '.') {
			/* Longer labels cannot exist in DNS, so such a zone could
			 * never be updated. */
			if (label_len == 0 || label_len > HOST_LABEL_MAX)
				return false;
			labels++;
			label_len = 0;
			continue;
		}
		if (!is_zone_char(name[i]))
			return false;
		label_len++;
	}
	return labels >= 2;
}

bool fqdn_normalize(const char *name, char *out, size_t outsize)
{
	if (name == NULL || out == NULL || outsize == 0)
		return false;
	size_t n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n >= outsize) {
		out[0] = '\0';
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
	return true;
}

bool fqdn_split_first(char *buf, char **host, char **zone)
{
	if (buf == NULL)
		return false;
	char *dot = strchr(buf, '.');
	if (dot == NULL || dot == buf || dot[1] == '\0')
		return false;
	*dot = '\0';
	*host = buf;
	*zone = dot + 1;
	return true;
}
