/* The texts of the notices (spec section 8). Every English text is here
 * and nowhere else, marked with the N_ macro so scripts/update-po.py can extract
 * it; each paragraph is its own msgid, so a translator sees short units
 * and a changed paragraph does not invalidate the others. Placeholders
 * are %(name)s, as in the templates' {% trans %}. */
#include "mail/mail.h"

#include <stdio.h>
#include <string.h>

#include "util/strutil.h"

#define N_(s) s

static const char *tr(const i18n_catalog *c, const char *msgid)
{
	return i18n_lookup(c, msgid);
}

/* Adds the translated, expanded paragraph and a blank line to out. */
struct text {
	const i18n_catalog *c;
	const char *const *names;
	const char *const *values;
	size_t n;
	char *out;
	size_t size;
	size_t len;
};

static void para(struct text *t, const char *msgid)
{
	char buf[MAIL_BODY_MAX];
	mail_expand(tr(t->c, msgid), t->names, t->values, t->n, buf, sizeof(buf));
	int w = snprintf(t->out + t->len, t->size - t->len, "%s\n\n", buf);
	if (w > 0)
		t->len += (size_t)w < t->size - t->len ? (size_t)w : t->size - t->len - 1;
}

static void signature(struct text *t)
{
	/* "-- " is the signature separator mail readers recognise. */
	int w = snprintf(t->out + t->len, t->size - t->len, "-- \n%s\n",
			 t->n > 0 ? t->values[0] : "");
	if (w > 0)
		t->len += (size_t)w < t->size - t->len ? (size_t)w : t->size - t->len - 1;
}

static void subject(const i18n_catalog *c, const char *msgid, const char *const *names,
		    const char *const *values, size_t n, mail_notice *out)
{
	mail_expand(tr(c, msgid), names, values, n, out->subject, sizeof(out->subject));
}

void mail_notice_abuse(const i18n_catalog *c, const char *site, const char *fqdn,
		       const char *comment, int64_t faults, mail_notice *out)
{
	char nfaults[24];
	snprintf(nfaults, sizeof(nfaults), "%lld", (long long)faults);
	const char *names[] = { "site", "fqdn", "comment", "faults" };
	const char *values[] = { site, fqdn, comment, nfaults };
	struct text t = { c, names, values, 4, out->body, sizeof(out->body), 0 };
	out->body[0] = '\0';
	subject(c, N_("Issue with your host %(fqdn)s"), names, values, 4, out);
	para(&t, N_("Hello,"));
	para(&t, N_("your host: %(fqdn)s (comment: %(comment)s)"));
	para(&t, N_("We have set the abuse flag of this host: it sent %(faults)s faulty updates "
		    "since we last checked."));
	para(&t, N_("The fault counter was reset to 0. Until the problem is fixed, every update "
		    "of this host is rejected."));
	para(&t, N_("How to resolve this:\n"
		    "1. Fix the update client that sends these updates (its configuration, "
		    "its update interval, its credentials), or replace it by a better one.\n"
		    "2. Then clear the abuse flag on the host's page in the web interface: "
		    "updates are accepted again."));
	para(&t, N_("Notes:\n"
		    "- The dyndns2 protocol considers frequent updates that change nothing "
		    "(answered with \"nochg\") abuse: a client should only send an update when "
		    "its address changed.\n"
		    "- Well-behaved clients such as ddclient do that; please use one of them."));
	signature(&t);
}

void mail_notice_domain(const i18n_catalog *c, const char *site, const char *domain,
			mail_notice *out)
{
	const char *names[] = { "site", "domain" };
	const char *values[] = { site, domain };
	struct text t = { c, names, values, 2, out->body, sizeof(out->body), 0 };
	out->body[0] = '\0';
	subject(c, N_("Issue with your domain %(domain)s"), names, values, 2, out);
	para(&t, N_("Hello,"));
	para(&t, N_("your domain: %(domain)s"));
	para(&t, N_("Our check could not reach the nameserver of this domain, or it did not "
		    "answer correctly. We have therefore made the domain unavailable and not "
		    "public: updates of its hosts fail until this is fixed."));
	para(&t, N_("How to resolve this:\n"
		    "1. Make sure the nameserver answers for the zone and is reachable from our "
		    "service.\n"
		    "2. Make sure it accepts dynamic updates signed with the domain's key, with "
		    "the same secret as configured here.\n"
		    "3. Then set the domain to available again on its page in the web "
		    "interface.\n"
		    "4. If other users should be able to add hosts to it, make it public again."));
	para(&t, N_("If you do not need the domain any more, please delete it; this also "
		    "deletes all of its hosts."));
	signature(&t);
}

void mail_stale_issue(const i18n_catalog *c, const char *fqdn, unsigned staleness,
		      enum mail_stale_stage stage, char *out, size_t outsize)
{
	static const char *const msgids[] = {
		[MAIL_STALE_FIX] = N_("Host %(fqdn)s has not seen IP updates for a long time; "
				      "staleness: %(staleness)s -> please fix!"),
		[MAIL_STALE_UNAVAILABLE] = N_("Host %(fqdn)s has not seen IP updates for a long "
					      "time; staleness: %(staleness)s -> made host "
					      "unavailable."),
		[MAIL_STALE_DELETED] = N_("Host %(fqdn)s has not seen IP updates for a long time; "
					  "staleness: %(staleness)s -> deleted host."),
	};
	char n[16];
	snprintf(n, sizeof(n), "%u", staleness);
	const char *names[] = { "fqdn", "staleness" };
	const char *values[] = { fqdn, n };
	mail_expand(tr(c, msgids[stage]), names, values, 2, out, outsize);
}

void mail_notice_stale(const i18n_catalog *c, const char *site, const char *fqdn,
		       const char *comment, unsigned staleness, enum mail_stale_stage stage,
		       mail_notice *out)
{
	char issue[512];
	mail_stale_issue(c, fqdn, staleness, stage, issue, sizeof(issue));
	const char *names[] = { "site", "fqdn", "comment", "issue" };
	const char *values[] = { site, fqdn, comment, issue };
	struct text t = { c, names, values, 4, out->body, sizeof(out->body), 0 };
	out->body[0] = '\0';
	subject(c, N_("Issue with your host %(fqdn)s"), names, values, 4, out);
	para(&t, N_("Your host: %(fqdn)s (comment: %(comment)s)\nIssue: %(issue)s"));
	if (stage == MAIL_STALE_DELETED) {
		para(&t, N_("We have deleted this host: it did not receive any IP address update "
			    "for a long time, and our earlier notifications about this were "
			    "ignored."));
	} else {
		para(&t, N_("This host has not received an IP address update for a long time. "
			    "Possible causes:\n"
			    "- its update client was stopped, removed or misconfigured;\n"
			    "- the host or its network is gone;\n"
			    "- the host is not needed any more."));
		para(&t, N_("If nothing changes, the host will be made unavailable and, later, "
			    "deleted."));
		para(&t, N_("How to resolve this:\n"
			    "- If you still need the host: make it available again on its page "
			    "in the web interface if it was made unavailable, and send an update "
			    "(sending the same IP address again is fine).\n"
			    "- If you do not need it any more: please delete it."));
		para(&t, N_("Hint: let your client send one unconditional update per month, even "
			    "when the address did not change."));
	}
	signature(&t);
}
