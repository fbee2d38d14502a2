"""The command-line contract of nsupd (issue 2): exit codes, one-line errors on
stderr, `host show --json`, migrations and configuration errors."""

import json
import os
import re
import subprocess

import pytest

from conftest import DEFAULT_ZONE, OWNER
from named import ZoneSpec
from nsupdlib import NSUPD_BIN, Nsupd, answer, secret_looks_random, unique_label

SHOW_KEYS = {
    "name": str, "domain": str,
    "available": bool, "abuse": bool, "abuse_blocked": bool,
    "client_faults": int, "server_faults": int, "api_auth_faults": int,
    "netmask_ipv4": int, "netmask_ipv6": int,
    "last_update_ipv4": (str, type(None)), "last_update_ipv6": (str, type(None)),
    "tls_update_ipv4": bool, "tls_update_ipv6": bool,
    "client_result_msg": (str, type(None)), "server_result_msg": (str, type(None)),
    "api_auth_result_msg": (str, type(None)),
}


def assert_one_line_error(p):
    assert p.returncode != 0, "expected failure, got exit 0; stdout=%r" % p.stdout
    err = p.stderr.strip()
    assert err, "an error must say why on stderr"
    assert "\n" not in err, "the error must be one line: %r" % p.stderr
    assert p.stdout == "", "nothing on stdout on error: %r" % p.stdout
    return err


@pytest.fixture(scope="module")
def cli(named, tmp_path_factory):
    inst = Nsupd(tmp_path_factory.mktemp("cli"))
    inst.migrate()
    inst.add_user(OWNER)
    z = named.zone(DEFAULT_ZONE)
    inst.add_domain(z.name, OWNER, named.server, z.algorithm, z.secret)
    return inst


def new_fqdn():
    return "%s.%s" % (unique_label("c"), DEFAULT_ZONE)


# --- migrate -------------------------------------------------------------------

def test_migrate_is_idempotent(tmp_path, named):
    inst = Nsupd(tmp_path)
    assert inst.run("migrate").returncode == 0
    inst.add_user(OWNER)
    z = named.zone(DEFAULT_ZONE)
    inst.add_domain(z.name, OWNER, named.server, z.algorithm, z.secret)
    h = inst.add_host(z.name, OWNER)
    for _ in range(2):
        p = inst.run("migrate")
        assert p.returncode == 0, p.stderr
    assert inst.show(h.fqdn)["domain"].rstrip(".").lower() == z.name


def test_commands_before_migrate_fail_cleanly(tmp_path):
    inst = Nsupd(tmp_path)
    p = inst.run("host", "show", "x." + DEFAULT_ZONE, "--json")
    assert_one_line_error(p)


# --- users ---------------------------------------------------------------------

def test_user_add(cli):
    name = unique_label("u")
    assert cli.run("user", "add", name, "--email", name + "@example.org").returncode == 0
    assert_one_line_error(cli.run("user", "add", name, "--email", name + "@example.org"))


def test_user_add_staff_and_password_stdin(cli):
    name = unique_label("u")
    p = cli.run("user", "add", name, "--email", name + "@example.org", "--staff", "--password-stdin",
                input="correct horse battery staple\n")
    assert p.returncode == 0, p.stderr


def test_user_add_needs_email(cli):
    assert_one_line_error(cli.run("user", "add", unique_label("u")))


# --- domains -------------------------------------------------------------------

def good_secret():
    return ZoneSpec.random_secret("hmac-sha256")


@pytest.mark.parametrize("bad", ["owner", "algorithm", "secret", "nameserver", "zone", "port"])
def test_domain_add_rejects_bad_input(cli, bad):
    zone = unique_label("z") + ".nsupd.test"
    args = {"owner": OWNER, "algorithm": "hmac-sha256", "secret": good_secret(),
            "nameserver": "127.0.0.1:5353"}
    if bad == "owner":
        args["owner"] = "nosuchuser"
    elif bad == "algorithm":
        args["algorithm"] = "hmac-sha999"
    elif bad == "secret":
        args["secret"] = "not base64 !!!"
    elif bad == "nameserver":
        args["nameserver"] = "not-an-address"
    elif bad == "port":
        args["nameserver"] = "127.0.0.1:70000"
    elif bad == "zone":
        zone = "bad_zone!.nsupd..test"
    p = cli.run("domain", "add", zone, "--owner", args["owner"], "--nameserver", args["nameserver"],
                "--algorithm", args["algorithm"], "--secret", args["secret"])
    err = assert_one_line_error(p)
    assert len(err) < 500


def test_domain_add_duplicate(cli):
    zone = unique_label("z") + ".nsupd.test"
    args = ["domain", "add", zone, "--owner", OWNER, "--nameserver", "127.0.0.1:5353",
            "--algorithm", "hmac-sha256", "--secret", good_secret()]
    assert cli.run(*args).returncode == 0
    assert_one_line_error(cli.run(*args))


@pytest.mark.parametrize("algorithm", ["hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256",
                                       "hmac-sha384", "hmac-sha512"])
def test_domain_add_all_algorithms_and_options(cli, algorithm):
    zone = unique_label("z") + ".nsupd.test"
    p = cli.run("domain", "add", zone, "--owner", OWNER, "--nameserver", "[::1]:5353",
                "--nameserver2", "127.0.0.1:5353", "--algorithm", algorithm,
                "--secret", ZoneSpec.random_secret(algorithm), "--public", "--unavailable")
    assert p.returncode == 0, p.stderr


def test_domain_add_missing_secret(cli):
    zone = unique_label("z") + ".nsupd.test"
    assert_one_line_error(cli.run("domain", "add", zone, "--owner", OWNER, "--nameserver",
                                  "127.0.0.1", "--algorithm", "hmac-sha256"))


# --- hosts -----------------------------------------------------------------------

def test_host_add_prints_secret_alone(cli):
    fqdn = new_fqdn()
    p = cli.run("host", "add", fqdn, "--owner", OWNER)
    assert p.returncode == 0, p.stderr
    assert p.stdout.endswith("\n") and p.stdout.count("\n") == 1, repr(p.stdout)
    secret = p.stdout.strip()
    assert secret_looks_random(secret), "secret must be >= 22 URL-safe chars: %r" % secret
    other = cli.cli("host", "add", new_fqdn(), "--owner", OWNER).strip()
    assert other != secret


def test_host_add_duplicate(cli):
    fqdn = new_fqdn()
    cli.cli("host", "add", fqdn, "--owner", OWNER)
    assert_one_line_error(cli.run("host", "add", fqdn, "--owner", OWNER))
    # also when spelled in another case (DNS names are case-insensitive)
    assert_one_line_error(cli.run("host", "add", fqdn.upper(), "--owner", OWNER))


def test_host_add_unknown_owner_and_domain(cli):
    assert_one_line_error(cli.run("host", "add", new_fqdn(), "--owner", "nosuchuser"))
    assert_one_line_error(cli.run("host", "add", "x.nosuchzone.test", "--owner", OWNER))


@pytest.mark.parametrize("label", ["bad_label!", "-lead", "trail-", "", "a" * 64, "sp ace",
                                   "\u00e4", "a/b"])
def test_host_add_bad_fqdn(cli, label):
    assert_one_line_error(cli.run("host", "add", label + "." + DEFAULT_ZONE, "--owner", OWNER))


def test_host_add_name_without_dot(cli):
    assert_one_line_error(cli.run("host", "add", "nodot", "--owner", OWNER))


def test_host_show_json_contract(cli):
    fqdn = new_fqdn()
    cli.cli("host", "add", fqdn, "--owner", OWNER)
    p = cli.run("host", "show", fqdn, "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert set(d) == set(SHOW_KEYS), set(d) ^ set(SHOW_KEYS)
    for k, t in SHOW_KEYS.items():
        assert isinstance(d[k], t) and not (t is int and isinstance(d[k], bool)), (k, d[k])
    label, zone = fqdn.split(".", 1)
    assert d["domain"].rstrip(".") == zone
    assert d["name"] in (label, fqdn)
    assert (d["available"], d["abuse"], d["abuse_blocked"]) == (True, False, False)
    assert (d["client_faults"], d["server_faults"], d["api_auth_faults"]) == (0, 0, 0)
    assert (d["tls_update_ipv4"], d["tls_update_ipv6"]) == (False, False)
    assert 0 <= d["netmask_ipv4"] <= 32 and 0 <= d["netmask_ipv6"] <= 128
    # case-insensitive lookup
    d2 = json.loads(cli.cli("host", "show", fqdn.upper(), "--json"))
    assert d2 == d


def test_host_set(cli):
    fqdn = new_fqdn()
    cli.cli("host", "add", fqdn, "--owner", OWNER)
    cli.cli("host", "set", fqdn, "--netmask-ipv4", "24", "--netmask-ipv6", "56", "--available", "no",
            "--abuse", "yes", "--abuse-blocked", "yes")
    d = cli.show(fqdn)
    assert (d["netmask_ipv4"], d["netmask_ipv6"]) == (24, 56)
    assert (d["available"], d["abuse"], d["abuse_blocked"]) == (False, True, True)
    cli.cli("host", "set", fqdn, "--available", "yes", "--abuse", "no", "--abuse-blocked", "no")
    d = cli.show(fqdn)
    assert (d["available"], d["abuse"], d["abuse_blocked"]) == (True, False, False)
    assert (d["netmask_ipv4"], d["netmask_ipv6"]) == (24, 56)


@pytest.mark.parametrize("opt,value", [("--netmask-ipv4", "33"), ("--netmask-ipv4", "-1"),
                                       ("--netmask-ipv4", "abc"), ("--netmask-ipv6", "129"),
                                       ("--available", "maybe"), ("--abuse", ""),
                                       ("--no-such-option", "1")])
def test_host_set_bad_values(cli, opt, value):
    fqdn = new_fqdn()
    cli.cli("host", "add", fqdn, "--owner", OWNER)
    before = cli.show(fqdn)
    assert_one_line_error(cli.run("host", "set", fqdn, opt, value))
    assert cli.show(fqdn) == before


@pytest.mark.parametrize("cmd", [["host", "secret"], ["host", "show", "--json"], ["host", "delete"],
                                 ["host", "set", "--available", "no"]])
def test_unknown_host(cli, cmd):
    fqdn = "nosuchhost." + DEFAULT_ZONE
    args = cmd[:2] + [fqdn] + cmd[2:]
    assert_one_line_error(cli.run(*args))


def test_host_secret_prints_new_secret(cli):
    fqdn = new_fqdn()
    first = cli.cli("host", "add", fqdn, "--owner", OWNER).strip()
    p = cli.run("host", "secret", fqdn)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("\n") == 1
    second = p.stdout.strip()
    assert secret_looks_random(second) and second != first


def test_host_delete(cli, named):
    fqdn = new_fqdn()
    cli.cli("host", "add", fqdn, "--owner", OWNER)
    p = cli.run("host", "delete", fqdn)
    assert p.returncode == 0, p.stderr
    assert_one_line_error(cli.run("host", "show", fqdn, "--json"))
    assert_one_line_error(cli.run("host", "delete", fqdn))
    # the name can be used again
    cli.cli("host", "add", fqdn, "--owner", OWNER)


def test_host_delete_removes_dns_records(cli, named):
    fqdn = new_fqdn()
    named.update(DEFAULT_ZONE, fqdn, "A", ["192.0.2.200"])
    named.update(DEFAULT_ZONE, fqdn, "AAAA", ["2001:db8::200"])
    cli.cli("host", "add", fqdn, "--owner", OWNER)
    cli.cli("host", "delete", fqdn)
    assert named.query(fqdn, "A") == [] and named.query(fqdn, "AAAA") == []


# --- commands and configuration --------------------------------------------------

def test_unknown_command(cli):
    assert_one_line_error(cli.run("frobnicate"))
    assert_one_line_error(cli.run("host", "frobnicate", "x." + DEFAULT_ZONE))


def test_missing_config_file(tmp_path):
    p = subprocess.run([NSUPD_BIN, "-c", str(tmp_path / "nope.conf"), "migrate"],
                       capture_output=True, text=True, timeout=30)
    err = assert_one_line_error(p)
    assert "nope.conf" in err


def test_config_from_environment(cli, tmp_path):
    env = dict(os.environ, NSUPD_CONFIG=cli.conf)
    p = subprocess.run([NSUPD_BIN, "host", "show", "nosuchhost." + DEFAULT_ZONE, "--json"],
                       capture_output=True, text=True, timeout=30, env=env, cwd=str(tmp_path))
    assert_one_line_error(p)
    fqdn = new_fqdn()
    p = subprocess.run([NSUPD_BIN, "host", "add", fqdn, "--owner", OWNER],
                       capture_output=True, text=True, timeout=30, env=env, cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert cli.show(fqdn)["client_faults"] == 0


def conf_with(base, section, line):
    """base config text with `line` replacing the same key in `section` (or added at
    the top of the section); returns (text, 1-based line number of `line`)."""
    lines = base.split("\n")
    start = lines.index("[%s]" % section) + 1
    key = line.split("=")[0].strip()
    end = start
    while end < len(lines) and not lines[end].startswith("["):
        end += 1
    for i in range(start, end):
        if lines[i].split("=")[0].strip() == key:
            lines[i] = line
            return "\n".join(lines), i + 1
    lines.insert(start, line)
    return "\n".join(lines), start + 1


@pytest.mark.parametrize("section,line,key", [
    ("server", "no_such_key = 1", "no_such_key"),
    ("dns", "ttl = abc", "ttl"),
    ("dns", "resolver_timeout = -5", "resolver_timeout"),
    ("site", "we_have_tls = maybe", "we_have_tls"),
    ("server", "listen = not an address", "listen"),
    ("server", "trusted_proxies = 10.0.0.0/99", "trusted_proxies"),
    ("abuse", "bad_ips = 192.0.2.300", "bad_ips"),
    ("dns", "unavailable_retry = 1x", "unavailable_retry"),
])
def test_bad_config_names_file_line_key(tmp_path, cli, section, line, key):
    base = open(cli.conf).read()
    text, lineno = conf_with(base, section, line)
    path = tmp_path / "bad.conf"
    path.write_text(text)
    p = subprocess.run([NSUPD_BIN, "-c", str(path), "migrate"], capture_output=True, text=True,
                       timeout=30)
    err = assert_one_line_error(p)
    assert "%s:%d" % (path, lineno) in err, err
    assert key in err, err


def test_unknown_section_rejected(tmp_path, cli):
    path = tmp_path / "bad.conf"
    path.write_text(open(cli.conf).read() + "\n[nosuchsection]\nfoo = bar\n")
    p = subprocess.run([NSUPD_BIN, "-c", str(path), "migrate"], capture_output=True, text=True,
                       timeout=30)
    err = assert_one_line_error(p)
    assert str(path) in err


@pytest.mark.parametrize("value", ["true", "false", "yes", "no", "on", "off", "1", "0", "TRUE", "Yes"])
def test_config_booleans(tmp_path, cli, value):
    base = open(cli.conf).read()
    text = re.sub(r"(?m)^we_have_tls = .*$", "we_have_tls = " + value, base)
    path = tmp_path / "b.conf"
    path.write_text(text)
    p = subprocess.run([NSUPD_BIN, "-c", str(path), "migrate"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr


def test_serve_with_bad_config_exits_nonzero(tmp_path, cli):
    base = open(cli.conf).read()
    text, lineno = conf_with(base, "dns", "ttl = abc")
    path = tmp_path / "bad.conf"
    path.write_text(text)
    p = subprocess.run([NSUPD_BIN, "-c", str(path), "serve"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode != 0
    assert "%s:%d" % (path, lineno) in p.stderr


def test_serve_sigint_is_graceful(tmp_path, named):
    import signal
    inst = Nsupd(tmp_path)
    inst.migrate()
    inst.start()
    try:
        assert answer(inst.get("/myip")) == "127.0.0.1"
        inst.proc.send_signal(signal.SIGINT)
        rc = inst.proc.wait(15)
        assert rc == 0, inst.stderr()
    finally:
        inst.kill()


def test_serve_port_in_use_fails(tmp_path):
    import socket
    inst = Nsupd(tmp_path)
    inst.migrate()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", inst.port))
    s.listen(1)
    try:
        p = subprocess.run([NSUPD_BIN, "-c", inst.conf, "serve"], capture_output=True, text=True,
                           timeout=30)
        assert p.returncode != 0
        assert p.stderr.strip()
    finally:
        s.close()
