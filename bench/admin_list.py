#!/usr/bin/python3
"""How fast the staff's host list (/admin/main/host/) answers with 100 000
hosts: generates the hosts straight into a fresh database (SQLite, or
PostgreSQL with NSUPD_TEST_DB=postgresql and NSUPD_TEST_PG_URL), starts
`nsupd serve`, logs in as staff and times typical list pages: the first
page, sorted pages, a deep page, the last page, a search by name, the
filters and a creation period. It prints the median time per page as the
client saw it (whole request, rendering included) and as the server's
database part (the page's own "ms" figure).

A measurement, not a test: it exits 0 whatever the times are, but it does
check that every page shows what it should (counts, rows), so a fast but
wrong page does not pass for a result.

    NSUPD_BIN=build/nsupd bench/admin_list.py [--hosts N] [--repeat N]
"""

import argparse
import datetime
import html
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "system"))
os.environ.setdefault("NSUPD_BIN", os.path.join(os.path.dirname(HERE), "build", "nsupd"))

import nsupdlib  # noqa: E402
from webutil import WebClient, create_user  # noqa: E402

PASSWORD = "bench admin pass"
DOMAIN = "bench.example.org"
DAY = 86400


def generate_hosts(inst, n, now):
    """n hosts in DOMAIN owned by user 'owner': created over the last two
    years (one every 630 s or so), every 100th abuse-blocked, every 20th
    unavailable, every 50th stale, every 7th with client faults."""
    span = 730 * DAY
    if inst.pg_schema is None:
        db = sqlite3.connect(inst.db)
        with db:
            db.execute(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) "
                "INSERT INTO hosts (name, domain_id, owner_id, created, last_update, "
                "abuse_blocked, available, staleness, client_faults, last_update_ipv4) "
                "SELECT printf('h%06d', x), d.id, u.id, ? - (? * x) / ?, ?, x % 100 = 0, "
                "x % 20 <> 0, CASE WHEN x % 50 = 0 THEN 1 ELSE 0 END, "
                "CASE WHEN x % 7 = 0 THEN x % 13 ELSE 0 END, ? - x "
                "FROM c, domains d, users u WHERE d.name = ? AND u.username = 'owner'",
                (n, now, span, n, now, now, DOMAIN))
            db.execute("ANALYZE")
        db.close()
    else:
        nsupdlib.psql(
            "INSERT INTO hosts (name, domain_id, owner_id, created, last_update, abuse_blocked, "
            "available, staleness, client_faults, last_update_ipv4) "
            "SELECT 'h' || lpad(x::text, 6, '0'), d.id, u.id, %d - (%d::bigint * x) / %d, %d, "
            "x %% 100 = 0, x %% 20 <> 0, CASE WHEN x %% 50 = 0 THEN 1 ELSE 0 END, "
            "CASE WHEN x %% 7 = 0 THEN x %% 13 ELSE 0 END, %d - x "
            "FROM generate_series(1, %d) x, domains d, users u "
            "WHERE d.name = '%s' AND u.username = 'owner'; ANALYZE;"
            % (now, span, n, now, now, n, DOMAIN), url=inst.db_url)


def row_names(text):
    return re.findall(r'class="fw-semibold">(h\d{6})\.', text)


def total_of(text):
    m = re.search(r'id="total">(\d+)<', text)
    return int(m.group(1)) if m else None


def cases(n, now):
    today = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).date()
    month_ago = today - datetime.timedelta(days=30)
    last = (n + 49) // 50
    mid = n // 2
    # (label, params, expected total or None, check(rows) or None)
    return [
        ("first page (newest first)", {}, n, lambda rows: len(rows) == 50),
        ("page 1000 (newest first)", {"page": "1000"}, n,
         lambda rows: rows[0] == "h%06d" % (n - 999 * 50)),
        ("last page (newest first)", {"page": str(last)}, n,
         lambda rows: rows[-1] == "h000001"),
        ("sorted by name", {"sort": "name", "dir": "asc"}, n,
         lambda rows: rows[:2] == ["h000001", "h000002"]),
        ("sorted by name, descending", {"sort": "name", "dir": "desc"}, n,
         lambda rows: rows[0] == "h%06d" % n),
        ("sorted by creation time", {"sort": "created", "dir": "desc"}, n,
         lambda rows: rows[0] == "h000001"),
        ("page 1000 by name", {"sort": "name", "page": "1000"}, n,
         lambda rows: rows[0] == "h%06d" % (999 * 50 + 1)),
        ("last page by name", {"sort": "name", "page": str(last)}, n,
         lambda rows: rows[-1] == "h%06d" % n),
        ("search a host by name", {"q": "h%06d.%s" % (mid, DOMAIN)}, 1,
         lambda rows: rows == ["h%06d" % mid]),
        ("search a prefix", {"q": "h0123"}, 100, lambda rows: len(rows) == 50),
        ("filter abuse-blocked", {"abuse_blocked": "1"}, n // 100, None),
        ("filter unavailable", {"unavailable": "1"}, n // 20, None),
        ("filter stale", {"stale": "1"}, n // 50, None),
        ("filter with faults, sorted by client faults", {"faults": "1", "sort": "client_faults",
                                                         "dir": "desc"}, None, None),
        ("created in the last 30 days", {"created_from": str(month_ago),
                                          "created_to": str(today)}, None, None),
        ("abuse-blocked, created in the last 30 days", {"abuse_blocked": "1",
                                                        "created_from": str(month_ago)},
         None, None),
    ]


def run(n, repeat, keep=False, out=sys.stdout):
    """Returns [(label, client median ms, server median ms, total)]."""
    workdir = tempfile.mkdtemp(prefix="nsupd-admin-bench-")
    inst = nsupdlib.Nsupd(workdir)
    inst.migrate()
    create_user(inst, "boss", PASSWORD, staff=True)
    inst.add_user("owner")
    inst.add_domain(DOMAIN, "owner", "127.0.0.1:1", "hmac-sha256", "YmVuY2hiZW5jaGJlbmNo")
    now = int(time.time())
    t0 = time.monotonic()
    generate_hosts(inst, n, now)
    print("generated %d hosts in %.1f s (%s)" % (n, time.monotonic() - t0, nsupdlib.TEST_DB),
          file=out)
    inst.start()
    results = []
    try:
        c = WebClient(inst)
        c.login("boss", PASSWORD)
        for label, params, expect_total, check in cases(n, now):
            client_ms, server_ms = [], []
            for i in range(repeat + 1):
                t = time.monotonic()
                r = c.get("/admin/main/host/", params=params)
                elapsed = (time.monotonic() - t) * 1000
                assert r.status_code == 200, (label, r.status_code)
                if i == 0:
                    # The first request warms the caches; it is checked, not timed.
                    total = total_of(r.text)
                    rows = row_names(html.unescape(r.text))
                    if expect_total is not None:
                        assert total == expect_total, (label, total, expect_total)
                    if check is not None:
                        assert check(rows), (label, rows[:5])
                    continue
                client_ms.append(elapsed)
                server_ms.append(int(re.search(r'id="query-ms">(\d+)<', r.text).group(1)))
            results.append((label, statistics.median(client_ms), statistics.median(server_ms),
                            total))
    finally:
        inst.stop()
        if not keep:
            if nsupdlib.PG and inst.pg_schema:
                nsupdlib.psql("DROP SCHEMA %s CASCADE" % inst.pg_schema)
            shutil.rmtree(workdir, ignore_errors=True)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=100000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    results = run(args.hosts, args.repeat)
    print()
    print("| page | rows | client ms (median) | database ms (median) |")
    print("|---|---:|---:|---:|")
    for label, cms, sms, total in results:
        print("| %s | %s | %.1f | %d |" % (label, total, cms, sms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
