"""Fixtures for the black-box system tests: one BIND9 `named` with a zone per TSIG
algorithm (plus a zone whose key nsupd gets wrong and one added --unavailable),
and one nsupd served on free loopback ports for the whole session. Tests that
need a different configuration start their own instance (see Nsupd)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from named import Named, ZoneSpec  # noqa: E402  (written by another helper)
import nsupdlib  # noqa: E402
from nsupdlib import ALGORITHMS, Nsupd, zone_for  # noqa: E402

OWNER = "owner"
OTHER = "other"
WRONGKEY_ZONE = "wrongkey.nsupd.test"
OFF_ZONE = "off.nsupd.test"
DEFAULT_ZONE = zone_for("hmac-sha512")


def pytest_configure(config):
    if not os.access(nsupdlib.NSUPD_BIN, os.X_OK):
        raise pytest.UsageError("nsupd binary not found at %s (set NSUPD_BIN)" % nsupdlib.NSUPD_BIN)
    if nsupdlib.TEST_DB not in ("sqlite", "postgresql"):
        raise pytest.UsageError("NSUPD_TEST_DB must be sqlite or postgresql, not %r"
                                % nsupdlib.TEST_DB)
    if nsupdlib.PG and not nsupdlib.PG_URL:
        raise pytest.UsageError("NSUPD_TEST_DB=postgresql needs NSUPD_TEST_PG_URL "
                                "(e.g. from tests/pg/start.sh DIR)")


def pytest_report_header(config):
    return "nsupd database: %s" % nsupdlib.TEST_DB


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for inst in list(nsupdlib.RUNNING):
            state = "running" if inst.alive() else "EXITED rc=%s" % inst.proc.returncode
            rep.sections.append(("nsupd stderr (%s, %s)" % (inst.workdir, state),
                                 inst.stderr(4000)))


def make_zones():
    zones = [ZoneSpec(name=zone_for(a), algorithm=a, secret=ZoneSpec.random_secret(a))
             for a in ALGORITHMS]
    zones.append(ZoneSpec(name=WRONGKEY_ZONE, algorithm="hmac-sha256",
                          secret=ZoneSpec.random_secret("hmac-sha256")))
    zones.append(ZoneSpec(name=OFF_ZONE, algorithm="hmac-sha256",
                          secret=ZoneSpec.random_secret("hmac-sha256")))
    return zones


@pytest.fixture(scope="session")
def named(tmp_path_factory):
    zones = make_zones()
    ns = Named(str(tmp_path_factory.mktemp("named")), zones)
    ns.start()
    ns.zone_specs = {z.name: z for z in zones}
    yield ns
    ns.stop()


def setup_domains(inst, ns):
    """Users and one nsupd domain per zone of `ns` (same key, except WRONGKEY_ZONE)."""
    inst.add_user(OWNER)
    inst.add_user(OTHER)
    for z in ns.zone_specs.values():
        secret = z.secret
        if z.name == WRONGKEY_ZONE:
            secret = ZoneSpec.random_secret(z.algorithm)
            assert secret != z.secret
        inst.add_domain(z.name, OWNER, ns.server, z.algorithm, secret,
                        public=(z.name == DEFAULT_ZONE), unavailable=(z.name == OFF_ZONE))


def stop_checked(inst):
    alive = inst.alive()
    rc = inst.stop()
    assert alive, "nsupd serve died during the tests:\n" + inst.stderr()
    assert rc == 0, "nsupd serve exit code %r after SIGTERM:\n%s" % (rc, inst.stderr())


@pytest.fixture(scope="session")
def nsupd(named, tmp_path_factory):
    inst = Nsupd(tmp_path_factory.mktemp("nsupd"))
    inst.migrate()
    setup_domains(inst, named)
    inst.start()
    yield inst
    stop_checked(inst)


@pytest.fixture
def make_host(nsupd):
    """Factory: a fresh host (own name, own secret) in the given zone."""
    def make(zone=DEFAULT_ZONE, owner=OWNER, label=None):
        return nsupd.add_host(zone, owner, label)
    return make


@pytest.fixture
def host(make_host):
    return make_host()
