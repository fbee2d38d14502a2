/* The configuration file as an administrator (or a typo) writes it. */
#include "fuzz.h"

#include <string.h>

#include "config/config.h"

int fuzz_config(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	nsupd_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	char err[512];
	err[0] = '\0';
	nsupd_err e = config_load_string(&cfg, text, "fuzz.conf", err, sizeof(err));
	FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
	if (e == NSUPD_OK)
		config_free(&cfg);
	else
		FUZZ_ASSERT(err[0] != '\0');
	free(text);
	return 0;
}
