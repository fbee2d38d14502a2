/* Decisions of the maintenance jobs that depend only on times and counts
 * (spec section 6), kept pure so they are unit-tested without a database
 * or a clock. Times are Unix seconds; 0 means NULL/never. */
#ifndef NSUPD_CORE_MAINT_H
#define NSUPD_CORE_MAINT_H

#include <stdint.h>

#define STALE_AFTER (325 * 86400)      /* no update for this long: stale */
#define STALE_REACT (8 * 86400)        /* time given to react to a notice */
#define STALE_UNAVAILABLE_AT 3         /* staleness that makes a host unavailable */
#define STALE_DELETE_AT 5              /* staleness that deletes it */
#define USER_STALE_AFTER (365 * 86400)
/* The original counts a NULL time as 1970-01-02. */
#define MAINT_NULL_TIME 86400

enum stale_action {
	STALE_KEEP,          /* nothing to change */
	STALE_RESET,         /* updated recently again: staleness back to 0 */
	STALE_NOTIFY,        /* staleness + 1 (1, 2): "please fix!" */
	STALE_UNAVAILABLE,   /* staleness + 1 (3, 4): made unavailable */
	STALE_DELETE,        /* staleness + 1 (>= 5): deleted */
};

typedef struct stale_decision {
	enum stale_action action;
	unsigned staleness;  /* the new value */
} stale_decision;

/* `hosts --stale-check` for one host. */
stale_decision stale_decide(int64_t last_ipv4, int64_t last_ipv6, unsigned staleness,
			    int64_t notified, int64_t now);

/* `users --stale-check`: the time since the user was last seen, i.e. the
 * smaller of now - last_login and now - created. */
int64_t user_age(int64_t last_login, int64_t created, int64_t now);

#endif
