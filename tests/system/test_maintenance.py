"""Maintenance jobs (spec section 6) and their mails (section 8), against the
real `named` of conftest and a real SMTP server (smtpsink.py): faults,
domains, hosts, users, testuser, clearsessions, cleanupregistration,
illegal, the host name blacklist, the mail queue, and `faults` running from
"cron" while `serve` takes a load of updates."""

import json
import re
import sqlite3
import threading
import time

import pytest

import nsupdlib
from conftest import DEFAULT_ZONE, OFF_ZONE, OWNER, setup_domains
from named import free_port
from nsupdlib import Nsupd, unique_label
from smtpsink import SmtpSink

DAY = 86400
FROM = "notices@nsupd.test"


@pytest.fixture(scope="module")
def sink():
    s = SmtpSink().start()
    yield s
    s.stop()


def mail_conf(sink_or_url):
    url = sink_or_url if isinstance(sink_or_url, str) else sink_or_url.url
    return "\n[mail]\nsmtp_url = %s\nfrom = %s\ntimeout = 5\n" % (url, FROM)


@pytest.fixture
def inst(named, sink, tmp_path):
    """A fresh installation (own database) with the conftest users and
    domains, mailing to the sink; not served unless a test starts it."""
    sink.clear()
    i = Nsupd(tmp_path / "nsupd", extra=mail_conf(sink))
    i.migrate()
    setup_domains(i, named)
    yield i
    i.kill()


def sql(inst, statement):
    """Runs one SQL statement on the instance's database (SQLite or
    PostgreSQL); returns the rows as lists of strings."""
    if inst.db_url.startswith("sqlite:"):
        con = sqlite3.connect(inst.db, timeout=30, isolation_level=None)
        try:
            rows = con.execute(statement).fetchall()
        finally:
            con.close()
        return [["" if v is None else str(v) for v in r] for r in rows]
    out = nsupdlib.psql(statement, url=inst.db_url)
    rows = []
    for line in out.splitlines():
        # psql prints booleans as t/f; map them to SQLite's 1/0.
        rows.append(["1" if v == "t" else "0" if v == "f" else v for v in line.split("|")])
    return rows


def host_name(h):
    return h.fqdn.split(".", 1)[0]


def host_id(inst, h):
    return sql(inst, "SELECT h.id FROM hosts h JOIN domains d ON d.id = h.domain_id "
                     "WHERE h.name = '%s' AND d.name = '%s'" % (host_name(h), h.zone))[0][0]


def set_host(inst, h, **cols):
    sets = ", ".join("%s = %s" % (k, v) for k, v in cols.items())
    sql(inst, "UPDATE hosts SET %s WHERE id = %s" % (sets, host_id(inst, h)))


def lines(out):
    return [l for l in out.splitlines() if l]


def summary(out, prefix):
    last = lines(out)[-1]
    assert last.startswith(prefix + ": "), out
    return last


def check_headers(mail, to):
    m = mail.msg
    assert mail.rcpts == [to]
    assert m["To"] == to
    assert m["From"] == FROM
    assert mail.mail_from == FROM
    assert m["MIME-Version"] == "1.0"
    assert m.get_content_type() == "text/plain"
    assert m.get_content_charset() == "utf-8"
    assert re.fullmatch(r"<[^<>@\s]+@nsupd\.test>", m["Message-ID"]), m["Message-ID"]
    assert m["Date"] and m["Date"].datetime is not None


def put_records(named, h, v4="192.0.2.10", v6="2001:db8::10"):
    named.update(h.zone, h.fqdn, "A", [v4])
    named.update(h.zone, h.fqdn, "AAAA", [v6])
    assert named.query(h.fqdn, "A") == [v4]


# --- faults -------------------------------------------------------------------

def test_faults_show_exact_lines(inst):
    a = inst.add_host(DEFAULT_ZONE, OWNER, "aaa" + unique_label())
    b = inst.add_host(DEFAULT_ZONE, "other", "bbb" + unique_label())
    set_host(inst, a, client_faults=7, server_faults=3, api_auth_faults=12)
    set_host(inst, b, client_faults=1234567)
    out = inst.cli("faults", "--show-client", "--show-server", "--show-api-auth")
    assert lines(out)[:2] == [
        "7      3      12     owner %s" % a.fqdn,
        "1234567 0      0      other %s" % b.fqdn,
    ]
    assert summary(out, "faults") == ("faults: 2 hosts, 0 changed, 0 flagged as abuse, "
                                      "0 mails sent, 0 queued, 0 errors")
    out = inst.cli("faults", "--show-server")
    assert lines(out)[:2] == ["3      owner %s" % a.fqdn, "0      other %s" % b.fqdn]
    out = inst.cli("faults", "--show-api-auth", "--show-client")
    assert lines(out)[0] == "7      12     owner %s" % a.fqdn
    # Showing changes nothing.
    s = inst.show(a.fqdn)
    assert (s["client_faults"], s["server_faults"], s["api_auth_faults"]) == (7, 3, 12)


def test_flag_abuse_notify_removes_records_and_mails(inst, named, sink):
    over = inst.add_host(DEFAULT_ZONE, OWNER)
    at = inst.add_host(DEFAULT_ZONE, OWNER)
    inst.set(over.fqdn, comment="router in the cellar")
    set_host(inst, over, client_faults=151)
    set_host(inst, at, client_faults=150)
    put_records(named, over)
    put_records(named, at, "192.0.2.11")
    out = inst.cli("faults", "--flag-abuse=150", "--notify-user")
    assert lines(out) == [
        "Setting abuse flag for host %s (created by owner, client faults: 151)" % over.fqdn,
        "faults: 2 hosts, 2 changed, 1 flagged as abuse, 1 mails sent, 0 queued, 0 errors",
    ]
    s = inst.show(over.fqdn)
    assert s["abuse"] is True and s["abuse_blocked"] is False and s["client_faults"] == 0
    t = inst.show(at.fqdn)
    assert t["abuse"] is False and t["client_faults"] == 150
    # The flagged host's records are gone from the real nameserver; the
    # other host's stay.
    assert named.query(over.fqdn, "A") == [] and named.query(over.fqdn, "AAAA") == []
    assert named.query(at.fqdn, "A") == ["192.0.2.11"]

    mails = sink.wait_for(1)
    assert len(mails) == 1
    m = mails[0]
    check_headers(m, "owner@example.org")
    assert m.subject == "Issue with your host %s" % over.fqdn
    body = m.body
    assert over.fqdn in body and "router in the cellar" in body
    assert "151 faulty updates" in body
    assert "reset to 0" in body and "rejected" in body
    assert "abuse flag" in body and "ddclient" in body and "nochg" in body


DE_PO = r"""msgid ""
msgstr "Content-Type: text/plain; charset=UTF-8\n"

msgid "Issue with your host %(fqdn)s"
msgstr "Problem mit Ihrem Host %(fqdn)s – bitte prüfen"

msgid "Hello,"
msgstr "Guten Tag,"
"""


def test_abuse_mail_in_profile_language(named, sink, tmp_path):
    """The notice is in the owner's profile language (catalogs from
    [web] locale); its non-ASCII subject is RFC 2047-encoded."""
    locale = tmp_path / "po"
    locale.mkdir()
    (locale / "de.po").write_text(DE_PO, encoding="utf-8")
    sink.clear()
    i = Nsupd(tmp_path / "nsupd", extra=mail_conf(sink) + "\n[web]\nlocale = %s\n" % locale)
    i.migrate()
    setup_domains(i, named)
    h = i.add_host(DEFAULT_ZONE, OWNER)
    o = i.add_host(DEFAULT_ZONE, "other")
    sql(i, "UPDATE users SET language = 'de' WHERE username = 'owner'")
    set_host(i, h, client_faults=20)
    set_host(i, o, client_faults=20)
    i.cli("faults", "--flag-abuse=10", "--notify-user")
    mails = sink.wait_for(2)
    de = [m for m in mails if m.rcpts == ["owner@example.org"]][0]
    en = [m for m in mails if m.rcpts == ["other@example.org"]][0]
    assert de.subject == "Problem mit Ihrem Host %s – bitte prüfen" % h.fqdn
    assert de.raw_subject.startswith(b"Subject: =?utf-8?B?")
    assert all(b < 0x80 for b in de.data.split(b"\r\n\r\n")[0])   # headers are ASCII
    assert de.body.startswith("Guten Tag,\n")
    assert "20 faulty updates" in de.body          # untranslated paragraph: English
    assert en.subject == "Issue with your host %s" % o.fqdn
    assert en.body.startswith("Hello,\n")


def test_flag_abuse_without_notify_sends_nothing(inst, sink):
    h = inst.add_host(DEFAULT_ZONE, OWNER)
    set_host(inst, h, client_faults=5)
    out = inst.cli("faults", "--flag-abuse", "4")
    assert lines(out)[0].startswith("Setting abuse flag for host %s " % h.fqdn)
    assert inst.show(h.fqdn)["abuse"] is True
    time.sleep(0.3)
    assert sink.messages == []


def test_flag_abuse_runs_before_resets(inst):
    h = inst.add_host(DEFAULT_ZONE, OWNER)
    set_host(inst, h, client_faults=10, server_faults=4)
    out = inst.cli("faults", "--flag-abuse=3", "--reset-client", "--reset-server")
    # Flagged with the count before the reset ...
    assert "client faults: 10)" in lines(out)[0]
    s = inst.show(h.fqdn)
    assert s["abuse"] is True and s["client_faults"] == 0 and s["server_faults"] == 0


@pytest.mark.parametrize("option,column,before,after,key", [
    ("--reset-client", "client_faults", "9", 0, "client_faults"),
    ("--reset-server", "server_faults", "8", 0, "server_faults"),
    ("--reset-api-auth", "api_auth_faults", "7", 0, "api_auth_faults"),
    ("--reset-abuse", "abuse", "TRUE", False, "abuse"),
    ("--reset-abuse-blocked", "abuse_blocked", "TRUE", False, "abuse_blocked"),
    ("--reset-available", "available", "FALSE", True, "available"),
])
def test_faults_resets(inst, option, column, before, after, key):
    h = inst.add_host(DEFAULT_ZONE, OWNER)
    other = {"client_faults": 3, "server_faults": 2, "api_auth_faults": 1}
    cols = dict(other)
    cols[column] = before
    set_host(inst, h, **cols)
    start = inst.show(h.fqdn)
    out = inst.cli("faults", option)
    assert summary(out, "faults").startswith("faults: 1 hosts, 1 changed, 0 flagged")
    s = inst.show(h.fqdn)
    assert s[key] == after
    # Everything else is left as it was.
    for k in ("client_faults", "server_faults", "api_auth_faults", "abuse", "abuse_blocked",
              "available"):
        if k != key:
            assert s[k] == start[k], (k, s, start)


def test_faults_bad_usage(inst):
    for args in (["--flag-abuse=x"], ["--no-such"], ["extra"]):
        p = inst.run("faults", *args)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert p.stderr.startswith("nsupd: ")


def test_host_set_abuse_removes_records(inst, named):
    h = inst.add_host(DEFAULT_ZONE, OWNER)
    put_records(named, h)
    inst.set(h.fqdn, abuse_blocked=True)
    assert named.query(h.fqdn, "A") == [] and named.query(h.fqdn, "AAAA") == []


# --- mail queue ---------------------------------------------------------------

def test_mail_refused_is_queued_and_retried(inst, sink):
    h = inst.add_host(DEFAULT_ZONE, OWNER)
    set_host(inst, h, client_faults=99)
    sink.fail = True
    try:
        p = inst.run("faults", "--flag-abuse=1", "--notify-user")
    finally:
        sink.fail = False
    # The command itself succeeded: the mail is the server's problem.
    assert p.returncode == 0, p.stderr
    assert summary(p.stdout, "faults").endswith("0 mails sent, 1 queued, 0 errors")
    assert "queued for a later retry" in p.stderr and "451" in p.stderr
    assert sql(inst, "SELECT rcpt, attempts FROM mail_queue") == [["owner@example.org", "1"]]
    assert sink.messages == []
    out = inst.cli("mail", "flush")
    assert lines(out) == ["mail: 1 sent, 0 still queued, 0 given up"]
    m = sink.wait_for(1)[0]
    check_headers(m, "owner@example.org")
    assert m.subject == "Issue with your host %s" % h.fqdn
    assert sql(inst, "SELECT COUNT(*) FROM mail_queue") == [["0"]]


def test_mail_server_down_is_not_fatal(named, tmp_path):
    i = Nsupd(tmp_path / "down", extra=mail_conf("smtp://127.0.0.1:%d" % free_port()))
    i.migrate()
    setup_domains(i, named)
    h = i.add_host(DEFAULT_ZONE, OWNER)
    set_host(i, h, client_faults=2)
    p = i.run("faults", "--flag-abuse=1", "--notify-user")
    assert p.returncode == 0, p.stderr
    assert "Setting abuse flag for host %s" % h.fqdn in p.stdout
    assert summary(p.stdout, "faults").endswith("1 queued, 0 errors")
    # A later run (any maintenance job) tries again and keeps it queued.
    p = i.run("mail", "flush")
    assert p.returncode == 1 and "0 sent, 1 still queued" in p.stdout


def test_mail_test_command(inst, sink):
    out = inst.cli("mail", "test", "admin@example.org")
    assert "test mail sent to admin@example.org" in out
    m = sink.wait_for(1)[0]
    check_headers(m, "admin@example.org")


# --- domains ------------------------------------------------------------------

def add_dead_domain(inst, named, name, nameserver):
    inst.add_domain(name, OWNER, nameserver, "hmac-sha256",
                    named.zone_specs[OFF_ZONE].secret, public=True)


def domain_flags(inst, name):
    return sql(inst, "SELECT available, public FROM domains WHERE name = '%s'" % name)[0]


def test_domains_check_flags_dead_domain_and_mails(inst, named, sink):
    # Nothing listens on this port; and named refuses a zone it does not serve.
    add_dead_domain(inst, named, "dead.example", "127.0.0.1:%d" % free_port())
    add_dead_domain(inst, named, "notserved.example", named.server)
    out = inst.cli("domains", "--check", "--notify-user", timeout=120)
    got = lines(out)
    assert sorted(got[:-1]) == [
        "Setting unavailable flag for domain dead.example (created by owner)",
        "Setting unavailable flag for domain notserved.example (created by owner)",
    ]
    assert summary(out, "domains").startswith("domains: 10 domains, 9 checked, "
                                              "2 made unavailable, 0 deleted, 2 mails sent")
    assert domain_flags(inst, "dead.example") == ["0", "0"]
    assert domain_flags(inst, "notserved.example") == ["0", "0"]
    # Live zones stay as they were (the default zone is public).
    assert domain_flags(inst, DEFAULT_ZONE) == ["1", "1"]
    mails = sink.wait_for(2)
    subjects = sorted(m.subject for m in mails)
    assert subjects == ["Issue with your domain dead.example",
                        "Issue with your domain notserved.example"]
    for m in mails:
        check_headers(m, "owner@example.org")
        assert "unavailable" in m.body and "not public" in m.body
        assert "delete" in m.body
    # A second run finds nothing new to flag.
    out = inst.cli("domains", "--check", timeout=120)
    assert "Setting unavailable" not in out


def test_domains_stale_check(inst, named):
    add_dead_domain(inst, named, "gone.example", "127.0.0.1:%d" % free_port())
    sql(inst, "UPDATE domains SET available = FALSE WHERE name = 'gone.example'")
    inst.add_host(OFF_ZONE, OWNER)   # OFF_ZONE is unavailable but has a host
    out = inst.cli("domains", "--stale-check")
    got = lines(out)
    assert "Domain gone.example is not available and has no hosts -> deleted domain." in got
    assert "Domain %s is not available, but has 1 hosts." % OFF_ZONE in got
    assert "Domain %s is available." % DEFAULT_ZONE in got
    assert sql(inst, "SELECT COUNT(*) FROM domains WHERE name = 'gone.example'") == [["0"]]
    assert summary(out, "domains").startswith("domains: 9 domains, 0 checked, "
                                              "0 made unavailable, 1 deleted")


# --- hosts --stale-check ------------------------------------------------------

def stale_row(inst, h):
    return sql(inst, "SELECT staleness, available, staleness_notification_timestamp "
                     "FROM hosts WHERE id = %s" % host_id(inst, h))[0]


def test_hosts_stale_check_stages_and_mails(inst, named, sink):
    now = int(time.time())
    old = now - 400 * DAY
    h = inst.add_host(DEFAULT_ZONE, OWNER)
    inst.set(h.fqdn, comment="weekend house")
    put_records(named, h)
    fresh = inst.add_host(DEFAULT_ZONE, OWNER)
    set_host(inst, h, last_update_ipv4=old, last_update_ipv6="NULL")
    set_host(inst, fresh, last_update_ipv4=now - DAY, staleness=2)

    # Stage 1: please fix.
    out = inst.cli("hosts", "--stale-check", "--notify-user")
    msg = ("Host %s has not seen IP updates for a long time; staleness: 1 -> please fix! "
           "(created by owner)" % h.fqdn)
    assert msg in lines(out)
    assert summary(out, "hosts").startswith("hosts: ")
    st = stale_row(inst, h)
    assert st[0] == "1" and st[1] == "1" and abs(int(st[2]) - now) < 60
    # The fresh host's staleness went back to 0, silently.
    assert stale_row(inst, fresh)[0] == "0"
    assert h.fqdn in out and fresh.fqdn not in out
    m = sink.wait_for(1)[0]
    check_headers(m, "owner@example.org")
    assert m.subject == "Issue with your host %s" % h.fqdn
    assert "Your host: %s (comment: weekend house)" % h.fqdn in m.body
    assert "Issue: Host %s has not seen IP updates for a long time; staleness: 1 -> please fix!" \
        % h.fqdn in m.body
    assert "one unconditional update per month" in m.body

    # Right after a notice nothing happens (8 days to react).
    out = inst.cli("hosts", "--stale-check")
    assert h.fqdn not in out

    # Stage 3: unavailable; the records stay.
    set_host(inst, h, staleness=2, staleness_notification_timestamp=now - 9 * DAY)
    out = inst.cli("hosts", "--stale-check")
    assert ("Host %s has not seen IP updates for a long time; staleness: 3 -> made host "
            "unavailable. (created by owner)" % h.fqdn) in lines(out)
    assert stale_row(inst, h)[:2] == ["3", "0"]
    assert named.query(h.fqdn, "A") == ["192.0.2.10"]

    # Stage 5: deleted, records too.
    sink.clear()
    set_host(inst, h, staleness=4, staleness_notification_timestamp=now - 9 * DAY)
    out = inst.cli("hosts", "--stale-check", "--notify-user")
    assert ("Host %s has not seen IP updates for a long time; staleness: 5 -> deleted host. "
            "(created by owner)" % h.fqdn) in lines(out)
    assert inst.run("host", "show", h.fqdn, "--json").returncode != 0
    assert named.query(h.fqdn, "A") == [] and named.query(h.fqdn, "AAAA") == []
    m = sink.wait_for(1)[0]
    assert "deleted host." in m.body and "deleted this host" in m.body


def test_hosts_never_updated_count_as_1970(inst):
    h = inst.add_host(DEFAULT_ZONE, OWNER)
    set_host(inst, h, last_update_ipv4="NULL", last_update_ipv6="NULL")
    out = inst.cli("hosts", "--stale-check")
    assert "staleness: 1 -> please fix!" in out


# --- users --------------------------------------------------------------------

def test_users_stale_check(inst):
    now = int(time.time())
    inst.add_user("oldidle")
    inst.add_user("oldhoster")
    inst.add_user("newbie")
    sql(inst, "UPDATE users SET created = %d, last_login = NULL WHERE username IN "
              "('oldidle', 'oldhoster')" % (now - 800 * DAY))
    inst.add_host(DEFAULT_ZONE, "oldhoster")
    out = inst.cli("users", "--stale-check")
    got = lines(out)
    assert got[0] == "before: users: 5, hosts: 1, domains: 8"
    assert "'newbie <newbie@example.org>' kept, was used recently." in got
    assert "'oldhoster <oldhoster@example.org>' kept, has hosts. age: 2.2y, hosts: 1." in got
    assert ("'oldidle <oldidle@example.org>' hasn't logged in for 2.2y, has no hosts and no "
            "domains -> deleted user.") in got
    assert got[-2] == "after: users: 4, hosts: 1, domains: 8"
    assert got[-1] == "users: 5 users checked, 1 deleted, 0 errors"
    out = inst.cli("users")
    assert lines(out)[:2] == ["before: users: 4, hosts: 1, domains: 8",
                              "after: users: 4, hosts: 1, domains: 8"]


# --- testuser, clearsessions, cleanupregistration -----------------------------

def test_testuser(inst, named):
    out = inst.cli("testuser")
    assert lines(out) == ["Successfully reinitialized the test user"]
    assert sql(inst, "SELECT email, active FROM users WHERE username = 'test'") == [[FROM, "1"]]
    h = inst.add_host(DEFAULT_ZONE, "test")
    put_records(named, h)
    sql(inst, "UPDATE users SET email = 'changed@example.org' WHERE username = 'test'")
    out = inst.cli("testuser")
    assert lines(out) == ["Successfully reinitialized the test user"]
    assert sql(inst, "SELECT email FROM users WHERE username = 'test'") == [[FROM]]
    # The old test user's host went, with its records.
    assert inst.run("host", "show", h.fqdn, "--json").returncode != 0
    assert named.query(h.fqdn, "A") == []


def test_testuser_can_log_in(inst):
    inst.cli("testuser")
    inst.start()
    import requests
    s = requests.Session()
    r = s.get(inst.url("/accounts/login/"), timeout=10)
    if r.status_code == 404:
        pytest.skip("no login page in this build")
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text)
    assert m, r.text[:500]
    r = s.post(inst.url("/accounts/login/"), data={
        "csrfmiddlewaretoken": m.group(1), "username": "test", "password": "test"},
        timeout=10, allow_redirects=False)
    assert r.status_code in (302, 303), r.status_code


def test_clearsessions(inst):
    now = int(time.time())
    uid = sql(inst, "SELECT id FROM users WHERE username = 'owner'")[0][0]
    sql(inst, "INSERT INTO sessions (id, user_id, data, created, expires) VALUES "
              "('old', %s, '{}', %d, %d), ('live', %s, '{}', %d, %d)"
        % (uid, now - 100, now - 10, uid, now, now + 3600))
    out = inst.cli("clearsessions")
    assert lines(out) == ["clearsessions: deleted 1 expired sessions"]
    assert sql(inst, "SELECT id FROM sessions") == [["live"]]


def test_cleanupregistration(inst):
    now = int(time.time())
    sql(inst, "INSERT INTO users (username, email, active, created) VALUES "
              "('expired', 'e@example.org', FALSE, %d), ('pending', 'p@example.org', FALSE, %d)"
        % (now - 8 * DAY, now - DAY))
    # An old account an admin deactivated after use is not a registration.
    sql(inst, "INSERT INTO users (username, email, active, created, last_login) VALUES "
              "('disabled', 'd@example.org', FALSE, %d, %d)" % (now - 90 * DAY, now - 80 * DAY))
    out = inst.cli("cleanupregistration")
    assert lines(out) == ["cleanupregistration: deleted 1 expired registrations"]
    names = sorted(r[0] for r in sql(inst, "SELECT username FROM users"))
    assert "expired" not in names and "pending" in names and "disabled" in names


# --- illegal ------------------------------------------------------------------

def test_illegal_report_and_interactive(inst, named):
    inst.add_user("farmer")
    shared = "192.0.2.77"
    farm = [inst.add_host(DEFAULT_ZONE, "farmer", "farm%d%s" % (i, unique_label()))
            for i in range(3)]
    mine = inst.add_host(DEFAULT_ZONE, OWNER)
    lone = inst.add_host(DEFAULT_ZONE, OWNER)
    pair = [inst.add_host(DEFAULT_ZONE, "other") for _ in range(2)]
    for h in farm + [mine]:
        put_records(named, h, shared)
    put_records(named, lone, "192.0.2.78")
    for h in pair:
        put_records(named, h, "192.0.2.79")

    out = inst.cli("illegal", timeout=120)
    got = lines(out)
    # Largest group first; per user one line with sample names.
    assert got[0] == "IP %s is referred to by 4 hosts." % shared
    farmer_line = [l for l in got if l.startswith("  user farmer <farmer@example.org>: 3 hosts:")]
    assert len(farmer_line) == 1
    for h in farm:
        assert h.fqdn in farmer_line[0]
    assert "  user owner <owner@example.org>: 1 hosts: %s" % mine.fqdn in got
    assert "IP 192.0.2.79 is referred to by 2 hosts." in got
    assert "192.0.2.78" not in out            # a single host is not a group
    assert got[-1].startswith("illegal: ") and "2 addresses shared by 2 or more hosts" in got[-1]

    # Interactive (users in the order they were created): keep owner, delete
    # the farmer, abort at the next question.
    p = inst.run("illegal", "--interactive", input="n\ny\na\n", timeout=120)
    assert p.returncode == 0, p.stderr
    assert "Delete user farmer? no [default], y = yes, Y = YES to all, a = abort:" in p.stdout
    assert "deleted user farmer" in p.stdout
    assert "1 users deleted" in p.stdout
    assert sql(inst, "SELECT COUNT(*) FROM users WHERE username = 'farmer'") == [["0"]]
    for h in farm:
        assert named.query(h.fqdn, "A") == []
    assert named.query(mine.fqdn, "A") == [shared]


# --- blacklist ----------------------------------------------------------------

def test_blacklist_refuses_names(inst):
    inst.cli("blacklist", "add", "^evil")
    inst.cli("blacklist", "add", "spam[0-9]+")
    assert lines(inst.cli("blacklist", "list")) == ["^evil", "spam[0-9]+"]
    for label in ("evil", "evilhost", "myspam42"):
        p = inst.run("host", "add", "%s.%s" % (label, DEFAULT_ZONE), "--owner", OWNER)
        assert p.returncode == 1 and p.stderr == "nsupd: This name is blacklisted.\n", p.stderr
    # Not matching: allowed.
    inst.add_host(DEFAULT_ZONE, OWNER, "notevil" + unique_label())
    inst.add_host(DEFAULT_ZONE, OWNER, "spam" + "x" + unique_label())
    p = inst.run("blacklist", "add", "(unclosed")
    assert p.returncode == 1 and "invalid regular expression" in p.stderr
    p = inst.run("blacklist", "add", "^evil")
    assert p.returncode == 1 and "already" in p.stderr
    inst.cli("blacklist", "delete", "^evil")
    assert lines(inst.cli("blacklist", "list")) == ["spam[0-9]+"]
    inst.add_host(DEFAULT_ZONE, OWNER, "evil" + unique_label())
    p = inst.run("blacklist", "delete", "^evil")
    assert p.returncode == 1 and "not blacklisted" in p.stderr


# --- cron during load ---------------------------------------------------------

def test_faults_cron_during_update_load(inst, named):
    """`faults --reset-client` runs again and again while 8 threads update
    their hosts through `serve`: every run succeeds (no "database is
    locked"), every request gets a proper answer, and nothing the updates
    wrote is lost: the final records and the auth-fault counters (which the
    job does not reset) are exact."""
    inst.start()
    hosts = [inst.add_host(DEFAULT_ZONE, OWNER) for _ in range(8)]
    per_thread = 40
    errors = []
    answers = {}
    stop = threading.Event()

    def worker(idx, h):
        words = []
        try:
            for n in range(per_thread):
                ip = "198.18.%d.%d" % (idx, n % 250 + 1)
                r = inst.update(h, {"myip": ip}, timeout=30)
                words.append(r.text.split()[0] if r.text else "")
                if n % 5 == 0:
                    r = inst.update(h, {"myip": ip}, auth=(h.fqdn, "wrong-" + h.secret),
                                    timeout=30)
                    words.append(r.text.split()[0] if r.text else "")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
        answers[idx] = words

    def cron():
        runs = 0
        while not stop.is_set() or runs < 3:
            p = inst.run("faults", "--reset-client", "--reset-server", timeout=120)
            runs += 1
            if p.returncode != 0 or "locked" in p.stderr or "busy" in p.stderr.lower():
                errors.append("faults run %d: rc=%d %s" % (runs, p.returncode, p.stderr))
        cron.runs = runs

    threads = [threading.Thread(target=worker, args=(i, h)) for i, h in enumerate(hosts)]
    c = threading.Thread(target=cron)
    c.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    stop.set()
    c.join(300)
    assert not errors, errors
    assert cron.runs >= 3
    for idx, words in answers.items():
        assert set(words) <= {"good", "badauth"}, (idx, words)
        assert words.count("badauth") == per_thread // 5
    for idx, h in enumerate(hosts):
        last = "198.18.%d.%d" % (idx, (per_thread - 1) % 250 + 1)
        assert named.query(h.fqdn, "A") == [last]
        s = inst.show(h.fqdn)
        assert s["api_auth_faults"] == per_thread // 5, s
        assert s["abuse"] is False and s["available"] is True
    assert inst.alive()
