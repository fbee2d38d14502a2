"""TLS and reverse proxies.

(a) Debian's nginx in front of nsupd, configured by the sample
    contrib/nginx/nsupd.conf itself (ports, names and a self-signed certificate
    put in): HTTPS with HTTP/2, plain HTTP kept for the update paths; the TLS
    flag and the client's address as nsupd records them; forged
    X-Forwarded-For / X-Forwarded-Proto never win.
(b) nsupd's own TLS ([server] listen_tls): the TLS flag, and certificate
    reloads on SIGHUP (open connections keep working, new ones get the new
    certificate, a bad certificate keeps the old one).

nginx runs with its own prefix, configuration, pid file and error log on free
loopback ports; the system's nginx is never touched."""

import hashlib
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest
import requests
import requests.adapters

from conftest import DEFAULT_ZONE, OWNER, stop_checked
from named import free_port
from nsupdlib import Nsupd, answer, basic

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(ROOT, "contrib", "nginx", "nsupd.conf")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
UA = {"User-Agent": "nsupd-tls-test/1.0"}

# A client address that is not nginx's and not in trusted_proxies (Linux
# routes all of 127.0.0.0/8 to the loopback interface).
OTHER_V4 = "127.0.0.5"

pytestmark = pytest.mark.skipif(not os.access(NGINX, os.X_OK) or not os.access(OPENSSL, os.X_OK),
                                reason="needs Debian's nginx and openssl")


# --- helpers ----------------------------------------------------------------

def make_cert(directory, name, cn):
    """A self-signed EC certificate for 127.0.0.1, ::1 and localhost; returns
    (cert path, key path)."""
    cert = os.path.join(str(directory), name + ".crt")
    key = os.path.join(str(directory), name + ".key")
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=" + cn, "-addext",
                    "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:www.nsupd.test"],
                   check=True, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    return cert, key


def pem_fingerprint(path):
    with open(path) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def server_fingerprint(port, host="127.0.0.1"):
    """The certificate a new connection gets (not verified: only compared)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=None) as s:
            return hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()


class SourceAddressAdapter(requests.adapters.HTTPAdapter):
    """Connects from a chosen local address."""

    def __init__(self, source, **kw):
        self.source = source
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kw)


def session_from(source):
    s = requests.Session()
    s.mount("http://", SourceAddressAdapter(source))
    s.mount("https://", SourceAddressAdapter(source))
    s.headers.update(UA)
    return s


def wait_until(what, check, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(0.05)


def single_zone_instance(workdir, named, **kw):
    inst = Nsupd(workdir, **kw)
    inst.migrate()
    inst.add_user(OWNER)
    z = named.zone_specs[DEFAULT_ZONE]
    inst.add_domain(z.name, OWNER, named.server, z.algorithm, z.secret, public=True)
    return inst


class Nginx:
    """nginx with the sample site file, on its own prefix and free ports."""

    def __init__(self, workdir, upstream_port, cert, key):
        self.prefix = str(workdir)
        os.makedirs(os.path.join(self.prefix, "tmp"), exist_ok=True)
        self.http_port = free_port()
        self.https_port = free_port()
        self.error_log = os.path.join(self.prefix, "error.log")
        self.proc = None
        with open(SAMPLE) as f:
            site = f.read()
        # Every substitution must hit, so that the sample and this test
        # cannot drift apart unnoticed.
        subs = [
            ("listen 80;", "listen 127.0.0.1:%d;" % self.http_port),
            ("listen [::]:80;", "listen [::1]:%d;" % self.http_port),
            ("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % self.https_port),
            ("listen [::]:443 ssl http2;", "listen [::1]:%d ssl http2;" % self.https_port),
            ("server 127.0.0.1:8000;", "server 127.0.0.1:%d;" % upstream_port),
        ]
        for old, new in subs:
            assert site.count(old) == 1, "%r not once in %s" % (old, SAMPLE)
            site = site.replace(old, new)
        site, n = re.subn(r"\n(\s*)ssl_certificate \S+;", r"\n\1ssl_certificate %s;" % cert, site)
        assert n == 1, "ssl_certificate not once in the sample"
        site, n = re.subn(r"\n(\s*)ssl_certificate_key \S+;", r"\n\1ssl_certificate_key %s;" % key,
                          site)
        assert n == 1, "ssl_certificate_key not once in the sample"
        assert "dyn.example.org" in site
        site = site.replace("dyn.example.org", "nsupd.test")
        self.site = os.path.join(self.prefix, "nsupd-site.conf")
        with open(self.site, "w") as f:
            f.write(site)
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write("""# written by tests/system/test_tls.py; not the system nginx
daemon off;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {p}/tmp/body;
    proxy_temp_path {p}/tmp/proxy;
    fastcgi_temp_path {p}/tmp/fastcgi;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    include {site};
}}
""".format(p=self.prefix, site=self.site))
        self.cmd = [NGINX, "-p", self.prefix, "-c", self.conf, "-e", self.error_log]

    def start(self, timeout=15):
        t = subprocess.run(self.cmd + ["-t", "-q"], capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        assert t.returncode == 0, "nginx -t: %s%s" % (t.stdout, t.stderr)
        self.logf = open(os.path.join(self.prefix, "stderr.log"), "ab")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=self.logf, start_new_session=True)
        url = "http://127.0.0.1:%d/myip" % self.http_port
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("nginx exited with %s: %s" % (self.proc.returncode,
                                                                  self.errors()))
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError("nginx not ready at %s: %s" % (url, self.errors()))
            time.sleep(0.05)

    def errors(self):
        try:
            with open(self.error_log, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self, timeout=15):
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            # Its own session: the workers are in the master's group.
            try:
                os.killpg(proc.pid, signal.SIGQUIT)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.logf.close()

    def url(self, path, https=False, v6=False):
        host = "[::1]" if v6 else "127.0.0.1"
        if https:
            return "https://%s:%d%s" % (host, self.https_port, path)
        return "http://%s:%d%s" % (host, self.http_port, path)


# --- (a) nginx in front -------------------------------------------------------

@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    return {name: make_cert(d, name, "nsupd test " + name) for name in ("a", "b", "c")}


@pytest.fixture(scope="module")
def proxied(named, tmp_path_factory, certs):
    """nsupd trusting 127.0.0.1 (where nginx connects from), and nginx."""
    inst = single_zone_instance(tmp_path_factory.mktemp("nsupd-proxied"), named,
                                trusted_proxies="127.0.0.1/32")
    inst.start()
    cert, key = certs["a"]
    nginx = Nginx(tmp_path_factory.mktemp("nginx"), inst.port, cert, key)
    try:
        nginx.start()
        yield inst, nginx, cert
    finally:
        nginx.stop()
        stop_checked(inst)


def update_via(url, host, myip, verify=None, headers=None, session=None):
    h = dict(UA)
    h.update(headers or {})
    params = {"hostname": host.fqdn}
    if myip is not None:
        params["myip"] = myip
    get = session.get if session is not None else requests.get
    return get(url, params=params, auth=host.auth, headers=h, verify=verify, timeout=30,
               allow_redirects=False)


def test_nginx_https_update_records_tls_and_plain_does_not(proxied):
    inst, nginx, cert = proxied
    host = inst.add_host(DEFAULT_ZONE, OWNER)
    r = update_via(nginx.url("/nic/update", https=True), host, "203.0.113.10", verify=cert)
    assert answer(r) == "good 203.0.113.10"
    shown = inst.show(host.fqdn)
    assert shown["tls_update_ipv4"] is True, shown
    assert "tls: True" in shown["client_result_msg"], shown

    # Plain HTTP stays open for the update path and is recorded as such,
    # even when the client claims https itself (nginx overwrites the header).
    r = update_via(nginx.url("/nic/update"), host, "203.0.113.11",
                   headers={"X-Forwarded-Proto": "https"})
    assert answer(r) == "good 203.0.113.11"
    shown = inst.show(host.fqdn)
    assert shown["tls_update_ipv4"] is False, shown
    assert "tls: False" in shown["client_result_msg"], shown

    # IPv6 over HTTPS on nginx's ::1 listener: the IPv6 flag.
    r = update_via(nginx.url("/nic/update", https=True, v6=True), host, "2001:db8::10",
                   verify=cert)
    assert answer(r) == "good 2001:db8::10"
    shown = inst.show(host.fqdn)
    assert shown["tls_update_ipv6"] is True, shown
    assert shown["tls_update_ipv4"] is False, shown


def test_nginx_serves_http2_and_keeps_update_paths_on_plain_http(proxied):
    inst, nginx, cert = proxied
    # HTTP/2 for the web interface (requests speaks only HTTP/1.1: curl).
    p = subprocess.run(["curl", "-sS", "--http2", "--cacert", cert, "-o", "/dev/null", "-w",
                        "%{http_version} %{http_code}", nginx.url("/", https=True)],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "2 200", p.stdout
    r = requests.get(nginx.url("/", https=True), verify=cert, headers=UA, timeout=30)
    assert r.status_code == 200 and "text/html" in r.headers["Content-Type"]

    # Plain HTTP: the web interface moves to HTTPS ...
    for path in ("/", "/accounts/login/", "/overview/"):
        r = requests.get(nginx.url(path), headers=UA, timeout=30, allow_redirects=False)
        assert r.status_code == 301, (path, r.status_code)
        assert r.headers["Location"].startswith("https://") and \
            r.headers["Location"].endswith(path), r.headers["Location"]
    # ... the update API and address discovery are answered where they are.
    r = requests.get(nginx.url("/myip"), headers=UA, timeout=30, allow_redirects=False)
    assert answer(r) == "127.0.0.1"
    r = requests.get(nginx.url("/nic/checkip.html"), headers=UA, timeout=30,
                     allow_redirects=False)
    assert r.status_code == 200 and "127.0.0.1" in r.text
    for path in ("/nic/update", "/nic/delete", "/v2/update", "/v3/update"):
        r = requests.get(nginx.url(path), headers=UA, timeout=30, allow_redirects=False)
        assert r.status_code == 401, (path, r.status_code)
        assert answer(r, 401) == "badauth"


def test_nginx_passes_the_real_client_address(proxied):
    inst, nginx, cert = proxied
    other = session_from(OTHER_V4)
    forged = {"X-Forwarded-For": "198.51.100.99", "X-Forwarded-Proto": "https"}
    for https in (False, True):
        url = nginx.url("/myip", https=https)
        assert answer(other.get(url, verify=cert, timeout=30)) == OTHER_V4
        # A forged header sent THROUGH nginx is replaced by nginx.
        r = other.get(url, verify=cert, headers=forged, timeout=30)
        assert answer(r) == OTHER_V4
        r = other.get(url, verify=cert, headers={"X-Forwarded-For": "198.51.100.99, 10.1.1.1"},
                      timeout=30)
        assert answer(r) == OTHER_V4
    r = requests.get(nginx.url("/myip", v6=True), headers=dict(UA, **forged), timeout=30)
    assert answer(r) == "::1"

    # The address an update without myip writes is the client's too.
    host = inst.add_host(DEFAULT_ZONE, OWNER)
    r = update_via(nginx.url("/nic/update"), host, None, headers=forged, session=other)
    assert answer(r) == "good " + OTHER_V4
    shown = inst.show(host.fqdn)
    assert shown["tls_update_ipv4"] is False, shown
    assert "ip: %s tls: False" % OTHER_V4 in shown["client_result_msg"], shown


def test_forged_forwarding_headers_from_untrusted_peer_are_ignored(proxied):
    inst, nginx, cert = proxied
    forged = {"X-Forwarded-For": "198.51.100.99", "X-Forwarded-Proto": "https"}
    # Control: from the trusted proxy address the headers are believed,
    # so what follows fails for the right reason.
    r = inst.get("/myip", headers=forged)
    assert answer(r) == "198.51.100.99"

    other = session_from(OTHER_V4)
    direct = inst.url("/myip")
    assert answer(other.get(direct, headers=forged, timeout=30)) == OTHER_V4
    assert answer(inst.get("/myip", v6=True, headers=forged)) == "::1"

    host = inst.add_host(DEFAULT_ZONE, OWNER)
    r = update_via(inst.url("/nic/update"), host, "203.0.113.30", headers=forged, session=other)
    assert answer(r) == "good 203.0.113.30"
    shown = inst.show(host.fqdn)
    assert shown["tls_update_ipv4"] is False, shown
    r = update_via(inst.url("/nic/update"), host, None, headers=forged, session=other)
    assert answer(r) == "good " + OTHER_V4
    shown = inst.show(host.fqdn)
    assert shown["tls_update_ipv4"] is False, shown
    assert "ip: %s tls: False" % OTHER_V4 in shown["client_result_msg"], shown
    # Over IPv6 (::1 is not trusted either) the forged https claim does
    # not set the IPv6 flag.
    r = update_via(inst.url("/nic/update", v6=True), host, "2001:db8::30", headers=forged)
    assert answer(r) == "good 2001:db8::30"
    assert inst.show(host.fqdn)["tls_update_ipv6"] is False


def test_sighup_without_native_tls_keeps_serving(proxied):
    inst, nginx, cert = proxied
    inst.proc.send_signal(signal.SIGHUP)
    wait_until("the SIGHUP log line", lambda: "nothing to reload" in inst.stderr())
    assert inst.alive()
    assert answer(inst.get("/myip")) == "127.0.0.1"


# --- (b) nsupd's own TLS --------------------------------------------------------

@pytest.fixture
def native(named, tmp_path, certs):
    """nsupd serving HTTPS itself on tls_port, with certificate "a" copied to
    the configured paths (tests overwrite them)."""
    cert_path = str(tmp_path / "server.crt")
    key_path = str(tmp_path / "server.key")
    shutil.copyfile(certs["a"][0], cert_path)
    shutil.copyfile(certs["a"][1], key_path)
    tls_port = free_port()
    extra = ("\n[server]\nlisten_tls = 127.0.0.1:%d, [::1]:%d\ntls_certificate = %s\n"
             "tls_key = %s\nthreads = 2\n" % (tls_port, tls_port, cert_path, key_path))
    inst = single_zone_instance(tmp_path / "nsupd", named, extra=extra)
    inst.tls_port = tls_port
    inst.cert_path, inst.key_path = cert_path, key_path
    inst.start()
    try:
        wait_until("nsupd's HTTPS port", lambda: _https_ready(tls_port, certs["a"][0]))
        yield inst
    finally:
        stop_checked(inst)


def _https_ready(port, cafile):
    try:
        return requests.get("https://127.0.0.1:%d/myip" % port, verify=cafile,
                            timeout=2).status_code == 200
    except requests.RequestException:
        return False


def tls_url(inst, path, v6=False):
    return "https://%s:%d%s" % ("[::1]" if v6 else "127.0.0.1", inst.tls_port, path)


def test_native_tls_update_records_tls(native, certs):
    cert = certs["a"][0]
    host = native.add_host(DEFAULT_ZONE, OWNER)
    r = update_via(tls_url(native, "/nic/update"), host, "203.0.113.40", verify=cert)
    assert answer(r) == "good 203.0.113.40"
    assert native.show(host.fqdn)["tls_update_ipv4"] is True
    r = update_via(native.url("/nic/update"), host, "203.0.113.41")
    assert answer(r) == "good 203.0.113.41"
    assert native.show(host.fqdn)["tls_update_ipv4"] is False
    r = update_via(tls_url(native, "/nic/update", v6=True), host, "2001:db8::40", verify=cert)
    assert answer(r) == "good 2001:db8::40"
    assert native.show(host.fqdn)["tls_update_ipv6"] is True
    # The TLS port speaks only TLS.
    with pytest.raises(requests.ConnectionError):
        requests.get("http://127.0.0.1:%d/myip" % native.tls_port, timeout=5)
    assert answer(requests.get(tls_url(native, "/myip", v6=True), verify=cert,
                               timeout=30)) == "::1"



def test_native_tls_bad_files_stop_start_up(named, tmp_path, certs):
    """serve refuses to start with a broken certificate, a mismatched pair or
    a missing key, and says which file."""
    tls_port = free_port()
    cert_path = str(tmp_path / "server.crt")
    key_path = str(tmp_path / "server.key")
    extra = ("\n[server]\nlisten_tls = 127.0.0.1:%d\ntls_certificate = %s\ntls_key = %s\n"
             % (tls_port, cert_path, key_path))
    inst = Nsupd(tmp_path / "nsupd", listen_v6=False, extra=extra)
    inst.migrate()
    cases = [
        ("garbage", "not a certificate\n", certs["a"][1], cert_path),
        ("mismatch", None, certs["b"][1], "do not match"),
        ("no key", None, None, key_path),
    ]
    for what, cert_text, key_src, expect in cases:
        if cert_text is not None:
            _write(cert_path, cert_text)
        else:
            shutil.copyfile(certs["a"][0], cert_path)
        if key_src is not None:
            shutil.copyfile(key_src, key_path)
        elif os.path.exists(key_path):
            os.remove(key_path)
        p = inst.run("serve", timeout=60)
        assert p.returncode != 0, (what, p.stderr)
        assert expect in p.stderr, (what, p.stderr)
        assert "listening on" not in p.stderr, (what, p.stderr)


def _install(inst, cert_src, key_src):
    # Written in place (not renamed), as an operator's cp would; SIGHUP comes
    # only after both files are complete.
    shutil.copyfile(cert_src, inst.cert_path)
    shutil.copyfile(key_src, inst.key_path)


def _count(inst, text):
    return inst.stderr(1 << 20).count(text)


def test_native_tls_reload_on_sighup(native, certs):
    (a_cert, a_key), (b_cert, b_key), (c_cert, c_key) = certs["a"], certs["b"], certs["c"]
    fp_a, fp_b, fp_c = (pem_fingerprint(p) for p in (a_cert, b_cert, c_cert))
    assert len({fp_a, fp_b, fp_c}) == 3
    assert server_fingerprint(native.tls_port) == fp_a
    host = native.add_host(DEFAULT_ZONE, OWNER)

    # A kept-alive connection opened before the reload.
    ctx = ssl.create_default_context(cafile=a_cert)
    conn = http.client.HTTPSConnection("127.0.0.1", native.tls_port, context=ctx, timeout=30)
    try:
        conn.request("GET", "/myip", headers=UA)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == b"127.0.0.1"
        sock = conn.sock
        local = sock.getsockname()
        assert hashlib.sha256(sock.getpeercert(binary_form=True)).hexdigest() == fp_a

        ok = "reloaded the TLS certificate"
        kept = "keeping the previous TLS certificate"
        _install(native, b_cert, b_key)
        native.proc.send_signal(signal.SIGHUP)
        wait_until("the reload", lambda: _count(native, ok) == 1)
        # New connections: the new certificate, on both addresses.
        assert server_fingerprint(native.tls_port) == fp_b
        assert server_fingerprint(native.tls_port, "::1") == fp_b
        r = update_via(tls_url(native, "/nic/update"), host, "203.0.113.50", verify=b_cert)
        assert answer(r) == "good 203.0.113.50"
        assert native.show(host.fqdn)["tls_update_ipv4"] is True
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(tls_url(native, "/myip"), verify=a_cert, timeout=30)

        # The old connection still works, still on the old certificate and
        # the same socket (http.client would reconnect only on a closed one).
        conn.request("GET", "/nic/update?myip=203.0.113.51",
                     headers=dict(UA, Authorization=basic(*host.auth)))
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == b"good 203.0.113.51"
        assert conn.sock is sock and sock.getsockname() == local
        assert hashlib.sha256(sock.getpeercert(binary_form=True)).hexdigest() == fp_a
        assert native.show(host.fqdn)["tls_update_ipv4"] is True

        # Broken files on SIGHUP: the old certificate stays, nsupd runs on.
        broken = [
            ("garbage certificate", lambda: _write(native.cert_path, "not a certificate\n")),
            ("certificate and key that do not match",
             lambda: _install(native, c_cert, b_key)),
            ("truncated certificate", lambda: _truncate(native.cert_path, c_cert)),
            ("missing key", lambda: os.remove(native.key_path)),
        ]
        for n, (what, do) in enumerate(broken, 1):
            _install(native, b_cert, b_key)
            do()
            native.proc.send_signal(signal.SIGHUP)
            wait_until("the refused reload (%s)" % what, lambda: _count(native, kept) == n)
            assert native.alive(), what
            assert server_fingerprint(native.tls_port) == fp_b, what
            r = requests.get(tls_url(native, "/myip"), verify=b_cert, timeout=30)
            assert answer(r) == "127.0.0.1", what
        assert _count(native, ok) == 1

        # Fixed files: the next SIGHUP takes them; the first connection is
        # still served.
        _install(native, c_cert, c_key)
        native.proc.send_signal(signal.SIGHUP)
        wait_until("the second reload", lambda: _count(native, ok) == 2)
        assert server_fingerprint(native.tls_port) == fp_c
        assert server_fingerprint(native.tls_port, "::1") == fp_c
        conn.request("GET", "/myip", headers=UA)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == b"127.0.0.1"
        assert conn.sock is sock
    finally:
        conn.close()
    r = update_via(tls_url(native, "/nic/update"), host, "203.0.113.52", verify=c_cert)
    assert answer(r) == "good 203.0.113.52"


def test_native_tls_replaced_daemons_are_stopped(native, certs):
    """After a reload, the old daemon goes away once its connections end
    (its worker threads are the measure)."""
    pid = native.proc.pid

    def threads():
        return len(os.listdir("/proc/%d/task" % pid))

    # First reload: starts the reaper thread; let everything settle.
    native.proc.send_signal(signal.SIGHUP)
    wait_until("the reload", lambda: _count(native, "reloaded the TLS certificate") == 1)
    ctx = ssl.create_default_context(cafile=certs["a"][0])
    conn = http.client.HTTPSConnection("127.0.0.1", native.tls_port, context=ctx, timeout=30)
    conn.request("GET", "/myip", headers=UA)
    assert conn.getresponse().read() == b"127.0.0.1"
    base = wait_until("the first replaced daemons to stop", lambda: _stable(threads))
    native.proc.send_signal(signal.SIGHUP)
    wait_until("the reload", lambda: _count(native, "reloaded the TLS certificate") == 2)
    # The open connection holds its (replaced) daemon: more threads now.
    assert threads() > base
    conn.close()
    wait_until("the replaced daemon to stop", lambda: threads() == base)


def _stable(count, settle=1.0):
    """count() once it has not changed for `settle` seconds, else None."""
    first = count()
    end = time.monotonic() + settle
    while time.monotonic() < end:
        if count() != first:
            return None
        time.sleep(0.05)
    return first


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _truncate(path, src):
    with open(src) as f:
        text = f.read()
    _write(path, text[: len(text) // 2])


# --- the systemd unit ---------------------------------------------------------

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="needs systemd-analyze")
def test_systemd_unit_verifies_and_is_sandboxed(tmp_path):
    """contrib/nsupd.service passes `systemd-analyze verify` (with the binary
    path pointed at the one under test) and keeps a low exposure score."""
    import nsupdlib
    with open(os.path.join(ROOT, "contrib", "nsupd.service")) as f:
        unit = f.read()
    assert "ExecReload=/bin/kill -HUP $MAINPID" in unit
    for setting in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                    "PrivateTmp=yes", "StateDirectory=nsupd", "CapabilityBoundingSet=\n",
                    "SystemCallFilter=@system-service", "RestrictAddressFamilies="):
        assert setting in unit, setting
    assert "ExecStart=/usr/local/bin/nsupd " in unit
    path = tmp_path / "nsupd.service"
    path.write_text(unit.replace("/usr/local/bin/nsupd", os.path.abspath(nsupdlib.NSUPD_BIN)))
    p = subprocess.run([SYSTEMD_ANALYZE, "verify", str(path)], capture_output=True, text=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode == 0 and p.stderr.strip() == "", p.stderr
    p = subprocess.run([SYSTEMD_ANALYZE, "security", "--offline=true", "--no-pager", str(path)],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    m = re.search(r"Overall exposure level for nsupd\.service: ([0-9.]+)", p.stdout + p.stderr)
    assert m, p.stdout + p.stderr
    assert float(m.group(1)) <= 2.0, p.stdout
