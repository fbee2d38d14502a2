#include "core/maint.h"

static int64_t or_null_time(int64_t t)
{
	return t != 0 ? t : MAINT_NULL_TIME;
}

stale_decision stale_decide(int64_t last_ipv4, int64_t last_ipv6, unsigned staleness,
			    int64_t notified, int64_t now)
{
	int64_t a = or_null_time(last_ipv4), b = or_null_time(last_ipv6);
	int64_t last = a > b ? a : b;
	if (now - last < STALE_AFTER) {
		if (staleness == 0)
			return (stale_decision){ STALE_KEEP, 0 };
		return (stale_decision){ STALE_RESET, 0 };
	}
	/* The owner was told recently: give them time before the next step.
	 * A NULL notification time is 1970 here, i.e. long ago. */
	if (now - notified < STALE_REACT)
		return (stale_decision){ STALE_KEEP, staleness };
	unsigned next = staleness + 1;
	if (next >= STALE_DELETE_AT)
		return (stale_decision){ STALE_DELETE, next };
	if (next >= STALE_UNAVAILABLE_AT)
		return (stale_decision){ STALE_UNAVAILABLE, next };
	return (stale_decision){ STALE_NOTIFY, next };
}

int64_t user_age(int64_t last_login, int64_t created, int64_t now)
{
	int64_t a = now - or_null_time(last_login), b = now - or_null_time(created);
	return a < b ? a : b;
}
