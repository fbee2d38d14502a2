"""Real dyndns2 clients from Debian (ddclient 3.10, inadyn 2.10) against nsupd on
loopback; the records must end up in named. Every client runs once in the
foreground in its own process group, which is killed afterwards."""

import os
import shutil
import signal
import subprocess

import pytest

DDCLIENT = shutil.which("ddclient") or "/usr/sbin/ddclient"
INADYN = shutil.which("inadyn") or "/usr/sbin/inadyn"


def run_client(cmd, timeout=60, cwd=None):
    """Runs cmd once in a new session and returns (exit code, output). The client
    must finish by itself (a daemon left behind would hold the output pipe open
    and time out); the whole process group is killed afterwards in any case."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True, cwd=cwd, stdin=subprocess.DEVNULL)
    timed_out = False
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if p.poll() is None:
            p.kill()
        if timed_out:
            out = p.communicate()[0]
    assert not timed_out, "%s did not finish within %ss:\n%s" % (cmd[0], timeout, out)
    return p.returncode, out


# --- ddclient --------------------------------------------------------------------

def ddclient(tmp_path, nsupd, login, password, hostname, ip):
    conf = tmp_path / "ddclient.conf"
    conf.write_text("\n".join([
        "daemon=0",
        "syslog=no",
        "ssl=no",
        "protocol=dyndns2",
        "use=ip, ip=%s" % ip,
        "server=127.0.0.1:%d" % nsupd.port,
        "login=%s" % login,
        "password='%s'" % password,
        hostname,
        "",
    ]))
    os.chmod(conf, 0o600)
    return run_client([DDCLIENT, "-foreground", "-daemon=0", "-noquiet", "-verbose",
                       "-file", str(conf), "-cache", str(tmp_path / "ddclient.cache")])


@pytest.mark.skipif(not os.path.exists(DDCLIENT), reason="ddclient not installed")
@pytest.mark.parametrize("ip,rdtype", [("192.0.2.55", "A"), ("2001:db8::55", "AAAA")])
def test_ddclient_updates_record(nsupd, named, host, tmp_path, ip, rdtype):
    rc, out = ddclient(tmp_path, nsupd, host.fqdn, host.secret, host.fqdn, ip)
    assert named.query(host.fqdn, rdtype) == [ip], out
    assert "SUCCESS" in out and "good" in out, out
    assert "FAILED" not in out, out
    s = nsupd.show(host.fqdn)
    assert (s["client_faults"], s["server_faults"], s["api_auth_faults"]) == (0, 0, 0)


@pytest.mark.skipif(not os.path.exists(DDCLIENT), reason="ddclient not installed")
def test_ddclient_nochg_second_run(nsupd, named, host, tmp_path):
    # A second run with a fresh cache sends the same address again: nochg is
    # still a success for ddclient, and one client fault for nsupd.
    ddclient(tmp_path, nsupd, host.fqdn, host.secret, host.fqdn, "192.0.2.57")
    os.unlink(tmp_path / "ddclient.cache")
    rc, out = ddclient(tmp_path, nsupd, host.fqdn, host.secret, host.fqdn, "192.0.2.57")
    assert "nochg" in out, out
    assert named.query(host.fqdn, "A") == ["192.0.2.57"]
    assert nsupd.show(host.fqdn)["client_faults"] == 1


@pytest.mark.skipif(not os.path.exists(DDCLIENT), reason="ddclient not installed")
def test_ddclient_wrong_password_fails(nsupd, named, host, tmp_path):
    rc, out = ddclient(tmp_path, nsupd, host.fqdn, "wrong-secret", host.fqdn, "192.0.2.58")
    assert named.query(host.fqdn, "A") == []
    assert "FAILED" in out or "401" in out, out
    assert nsupd.show(host.fqdn)["api_auth_faults"] == 1


# --- inadyn ----------------------------------------------------------------------

def inadyn(tmp_path, nsupd, login, password, hostname, ip):
    conf = tmp_path / "inadyn.conf"
    conf.write_text("\n".join([
        "period = 60",
        "verify-address = false",
        "allow-ipv6 = true",
        "custom nsupd:1 {",
        "    ssl = false",
        '    ddns-server = "127.0.0.1:%d"' % nsupd.port,
        '    ddns-path = "/nic/update?hostname=%h&myip=%i"',
        '    username = "%s"' % login,
        '    password = "%s"' % password,
        '    hostname = "%s"' % hostname,
        '    checkip-command = "echo %s"' % ip,
        "}",
        "",
    ]))
    os.chmod(conf, 0o600)
    cache = tmp_path / "inadyn-cache"
    cache.mkdir(exist_ok=True)
    cmd = [INADYN, "--once", "--foreground", "--no-pidfile", "--cache-dir=%s" % cache,
           "-f", str(conf), "-l", "debug"]
    if os.geteuid() == 0 and shutil.which("unshare"):
        # inadyn resolves the alias with the system resolver before updating.
        # Keep that query on loopback: give it a private resolv.conf pointing at
        # 127.0.0.1 (nothing answers on port 53 there, so it fails at once).
        resolv = tmp_path / "resolv.conf"
        resolv.write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        script = 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"'
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
               str(resolv)] + cmd
    return run_client(cmd, cwd=str(tmp_path))


@pytest.mark.skipif(not os.path.exists(INADYN), reason="inadyn not installed")
@pytest.mark.parametrize("ip,rdtype", [("192.0.2.56", "A"), ("2001:db8::56", "AAAA")])
def test_inadyn_updates_record(nsupd, named, host, tmp_path, ip, rdtype):
    rc, out = inadyn(tmp_path, nsupd, host.fqdn, host.secret, host.fqdn, ip)
    assert named.query(host.fqdn, rdtype) == [ip], out
    assert "Successful alias table update" in out, out
    assert rc == 0, out
    s = nsupd.show(host.fqdn)
    assert (s["client_faults"], s["server_faults"], s["api_auth_faults"]) == (0, 0, 0)


@pytest.mark.skipif(not os.path.exists(INADYN), reason="inadyn not installed")
def test_inadyn_wrong_password(nsupd, named, host, tmp_path):
    rc, out = inadyn(tmp_path, nsupd, host.fqdn, "wrong-secret", host.fqdn, "192.0.2.59")
    assert named.query(host.fqdn, "A") == []
    assert "Successful alias table update" not in out, out
    assert nsupd.show(host.fqdn)["api_auth_faults"] == 1
