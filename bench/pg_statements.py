#!/usr/bin/python3
"""Lists the SQL statements PostgreSQL runs for one nochg and one changing
update of nsupd (pg_stat_statements, per request), in a throw-away cluster
(tests/pg/start.sh) with a throw-away named. A measurement aid for issue 6,
not a test.

    bench/pg_statements.py [--nsupd build/nsupd] [--requests 50]

Every statement of the request counts, including BEGIN/COMMIT/DEALLOCATE:
with libpq each is one round trip. "plans/r" is how often the server
planned it per request: about 1 for a statement parsed anew every time,
near 0 for a prepared one (a few custom plans, then the generic one)."""

import argparse
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG_BINDIR = os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nsupd", default=os.path.join(REPO, "build", "nsupd"))
    ap.add_argument("--requests", type=int, default=50)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="nsupd-pgstmts-", dir="/tmp")
    os.chmod(work, 0o711)
    pgdir = os.path.join(work, "pg")
    url = subprocess.run([os.path.join(REPO, "tests", "pg", "start.sh"), pgdir], check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    su = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    ctl = su + [os.path.join(PG_BINDIR, "pg_ctl"), "-D", os.path.join(pgdir, "data"), "-w",
                "-t", "30"]
    ns = inst = None
    try:
        with open(os.path.join(pgdir, "data", "postgresql.auto.conf"), "a") as f:
            f.write("shared_preload_libraries = 'pg_stat_statements'\n"
                    "pg_stat_statements.track_planning = on\n")
        subprocess.run(ctl + ["-l", os.path.join(pgdir, "server.log"), "restart"], check=True,
                       capture_output=True)
        port = url.rsplit(":", 1)[1].split("/")[0]
        subprocess.run(su + [os.path.join(PG_BINDIR, "psql"), "-X", "-q", "-h", pgdir, "-p", port,
                             "-U", "postgres", "-d", "nsupd", "-c",
                             "CREATE EXTENSION pg_stat_statements; "
                             "GRANT pg_read_all_stats TO nsupd; "
                             "GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO nsupd"],
                       check=True, capture_output=True)

        os.environ["NSUPD_BIN"] = args.nsupd
        os.environ["NSUPD_TEST_DB"] = "postgresql"
        os.environ["NSUPD_TEST_PG_URL"] = url
        sys.path.insert(0, os.path.join(REPO, "tests", "system"))
        from named import Named, ZoneSpec
        import nsupdlib

        zone = ZoneSpec(name="bench.nsupd.test", algorithm="hmac-sha256",
                        secret=ZoneSpec.random_secret("hmac-sha256"))
        ns = Named(os.path.join(work, "named"), [zone])
        ns.start()
        inst = nsupdlib.Nsupd(os.path.join(work, "nsupd"))
        inst.migrate()
        inst.add_user("owner")
        inst.add_domain(zone.name, "owner", ns.server, zone.algorithm, zone.secret)
        host = inst.add_host(zone.name, "owner", "h1")
        inst.start()

        def update(ip):
            r = inst.update(host, {"myip": ip})
            return r.text.split()[0]

        def stats():
            rows = nsupdlib.psql(
                "SELECT calls, plans, round(mean_exec_time::numeric * 1000), "
                "regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements "
                "WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC, query")
            return [line.split("|", 3) for line in rows.splitlines() if line]

        n = args.requests
        assert update("198.51.200.1") == "good"   # prepares the statements
        assert update("198.51.200.2") == "good"
        nsupdlib.psql("SELECT pg_stat_statements_reset()")
        for _ in range(n):
            assert update("198.51.200.2") == "nochg"
        nochg = stats()
        nsupdlib.psql("SELECT pg_stat_statements_reset()")
        for i in range(n):
            assert update("198.51.201.%d" % (i % 250 + 1)) == "good"
        change = stats()
        for name, rows in (("nochg", nochg), ("changing update", change)):
            total = sum(int(r[0]) for r in rows)
            print("== %s: %.2f statements per request (%d requests) ==" % (name, total / n, n))
            print("%8s %8s %8s  %s" % ("per req", "plans/r", "exec us", "statement"))
            for calls, plans, us, q in rows:
                print("%8.2f %8.2f %8s  %s" % (int(calls) / n, int(plans) / n, us, q[:150]))
            print()
    finally:
        if inst is not None:
            inst.stop()
        if ns is not None:
            ns.stop()
        subprocess.run([os.path.join(REPO, "tests", "pg", "stop.sh"), pgdir], capture_output=True)
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
