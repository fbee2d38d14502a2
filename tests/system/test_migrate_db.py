"""`nsupd migrate-db --from sqlite:... --to postgresql://...` end to end, at the
CLI: an SQLite installation that has served updates is copied into a fresh
PostgreSQL schema; the counts are printed and agree with both databases; a
second run is refused and changes nothing; and an instance on the copy knows
every host, its counters and its secret.

Needs PostgreSQL (NSUPD_TEST_PG_URL): runs in the NSUPD_TEST_DB=postgresql
pass of `make check`."""

import os
import re
import sqlite3
from urllib.parse import urlsplit

import pytest

from conftest import DEFAULT_ZONE, OTHER, OWNER, stop_checked
from nsupdlib import PG, Nsupd, answer, pg_new_schema, psql, zone_for

pytestmark = pytest.mark.skipif(
    not PG, reason="copies into PostgreSQL: runs in the NSUPD_TEST_DB=postgresql pass")

TABLES = ("users", "domains", "hosts")
SECOND_ZONE = zone_for("hmac-sha256")


def printed_counts(stdout):
    """{table: rows} from migrate-db's "TABLE  N" lines."""
    counts = {}
    for line in stdout.splitlines():
        m = re.fullmatch(r"(\w+)\s+(\d+)", line.strip())
        if m:
            counts[m.group(1)] = int(m.group(2))
    return counts


def test_migrate_db_sqlite_to_postgresql(named, tmp_path):
    # An SQLite installation with two users, two domains and three hosts,
    # one of which has served a good and a nochg update.
    src_dir = tmp_path / "src"
    src = Nsupd(src_dir, db_url="sqlite:" + os.path.join(str(src_dir), "nsupd.sqlite"),
                listen_v6=False)
    src.migrate()
    src.add_user(OWNER)
    src.add_user(OTHER)
    for zone in (DEFAULT_ZONE, SECOND_ZONE):
        z = named.zone(zone)
        src.add_domain(z.name, OWNER, named.server, z.algorithm, z.secret,
                       public=(zone == DEFAULT_ZONE))
    h1 = src.add_host(DEFAULT_ZONE, OWNER)
    h2 = src.add_host(DEFAULT_ZONE, OTHER)
    h3 = src.add_host(SECOND_ZONE, OWNER)
    src.start()
    try:
        assert answer(src.update(h1, {"myip": "192.0.2.151"})) == "good 192.0.2.151"
        assert answer(src.update(h1, {"myip": "192.0.2.151"})) == "nochg 192.0.2.151"
    finally:
        stop_checked(src)
    before = {h.fqdn: src.show(h.fqdn) for h in (h1, h2, h3)}
    assert before[h1.fqdn]["client_faults"] == 1

    con = sqlite3.connect(src.db)
    try:
        src_counts = {t: con.execute("SELECT count(*) FROM %s" % t).fetchone()[0] for t in TABLES}
    finally:
        con.close()
    assert src_counts == {"users": 2, "domains": 2, "hosts": 3}

    schema, pg_url = pg_new_schema("mig")
    password = urlsplit(pg_url).password

    # First run: copies, prints the counts per table and a total.
    p = src.run("migrate-db", "--from", src.db_url, "--to", pg_url, timeout=120)
    assert p.returncode == 0, (p.stdout, p.stderr)
    counts = printed_counts(p.stdout)
    for t in TABLES:
        assert counts.get(t) == src_counts[t], (t, p.stdout)
        assert int(psql("SELECT count(*) FROM %s" % t, url=pg_url)) == src_counts[t], t
    assert "sessions" not in counts, "sessions are not copied"
    m = re.search(r"copied (\d+) rows in (\d+) tables", p.stdout)
    assert m, p.stdout
    assert int(m.group(1)) == sum(counts.values())
    assert int(m.group(2)) == len(counts)
    if password:
        assert password not in p.stdout + p.stderr, "the URL's password must not be printed"

    # Second run: refused, with a one-line reason, and the target unchanged.
    p = src.run("migrate-db", "--from", src.db_url, "--to", pg_url, timeout=120)
    assert p.returncode != 0, p.stdout
    err = p.stderr.strip()
    assert err and "\n" not in err, p.stderr
    assert "not empty" in err, err
    assert p.stdout == "", p.stdout
    for t in TABLES:
        assert int(psql("SELECT count(*) FROM %s" % t, url=pg_url)) == src_counts[t], t

    # An installation on the copy: same hosts, counters and secrets.
    dst = Nsupd(tmp_path / "dst", db_url=pg_url, listen_v6=False)
    for h in (h1, h2, h3):
        assert dst.show(h.fqdn) == before[h.fqdn], h.fqdn
    dst.start()
    try:
        assert answer(dst.update(h1, {"myip": "192.0.2.151"})) == "nochg 192.0.2.151"
        assert answer(dst.update(h1, {"myip": "192.0.2.152"})) == "good 192.0.2.152"
        assert named.query(h1.fqdn, "A") == ["192.0.2.152"]
        assert answer(dst.update(h3, {"myip": "192.0.2.153"})) == "good 192.0.2.153"
        assert named.query(h3.fqdn, "A") == ["192.0.2.153"]
        wrong = dst.update(h2, {"myip": "192.0.2.154"}, auth=(h2.fqdn, h1.secret))
        assert answer(wrong, 401) == "badauth"
        assert answer(dst.update(h2, {"myip": "192.0.2.154"})) == "good 192.0.2.154"
    finally:
        stop_checked(dst)
    assert dst.show(h1.fqdn)["client_faults"] == 2
    assert dst.show(h2.fqdn)["api_auth_faults"] == 1
