"""A real BIND9 `named` for the system tests.

Starts Debian's /usr/sbin/named in the foreground on a free loopback port
(127.0.0.1 and ::1), serving primary zones that accept TSIG-signed RFC 2136
updates, with every file (config, zones, journals, pid, session key, log)
inside one work directory.

    from named import Named, ZoneSpec, free_port
    z = ZoneSpec(name="example.org", algorithm="hmac-sha512",
                 secret=ZoneSpec.random_secret("hmac-sha512"))
    with Named(tmp_path, [z]) as ns:          # start() ... stop()
        ns.server                             # "127.0.0.1:PORT"
        ns.query("host.example.org", "A")     # ["192.0.2.1"] or []

Only loopback is used; every wait is bounded.
"""

import atexit
import base64
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

NAMED = os.environ.get("NAMED", "/usr/sbin/named")

# Secret length in bytes per algorithm: the HMAC output size, as
# tsig-keygen makes them.
SECRET_BYTES = {
    "hmac-md5": 16,
    "hmac-sha1": 20,
    "hmac-sha224": 28,
    "hmac-sha256": 32,
    "hmac-sha384": 48,
    "hmac-sha512": 64,
}
ALGORITHMS = tuple(SECRET_BYTES)

_running = set()


def _normalise_algorithm(name: str) -> str:
    alg = name.strip().lower().replace("_", "-")
    if alg not in SECRET_BYTES:
        raise ValueError(f"unknown TSIG algorithm {name!r}")
    return alg


def _port_is_free(port: int) -> bool:
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(family, kind)
            try:
                s.bind((host, port))
            except OSError:
                return False
            finally:
                s.close()
    return True


def free_port() -> int:
    """A port that is free for TCP and UDP on both 127.0.0.1 and ::1 right now."""
    for _ in range(200):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if _port_is_free(port):
            return port
    raise RuntimeError("no free loopback port found")


@dataclass
class ZoneSpec:
    """One primary zone and the TSIG key allowed to update it.

    key_name defaults to the zone name (as the original service does).
    records: extra zone-file lines (relative to the origin), e.g.
    ["www 60 IN A 192.0.2.80"]. update_policy: replaces the default
    `grant <key> subdomain <zone>. ANY;` rules (a list of rule strings
    without the trailing semicolon). deny_apex adds rules that refuse A and
    AAAA changes at the zone apex, like the original's recommended config.
    """

    name: str
    algorithm: str = "hmac-sha512"
    secret: Optional[str] = None
    key_name: Optional[str] = None
    records: Sequence[str] = field(default_factory=tuple)
    update_policy: Optional[Sequence[str]] = None
    deny_apex: bool = False

    def __post_init__(self):
        self.name = self.name.rstrip(".").lower()
        self.algorithm = _normalise_algorithm(self.algorithm)
        if self.secret is None:
            self.secret = ZoneSpec.random_secret(self.algorithm)
        if self.key_name is None:
            self.key_name = self.name
        self.key_name = self.key_name.rstrip(".")

    @staticmethod
    def random_secret(algorithm: str = "hmac-sha512") -> str:
        n = SECRET_BYTES[_normalise_algorithm(algorithm)]
        return base64.b64encode(secrets.token_bytes(n)).decode("ascii")

    def keyring(self):
        return dns.tsigkeyring.from_text({self.key_name + ".": (self.algorithm, self.secret)})


class NamedError(RuntimeError):
    pass


class Named:
    """One named process. workdir/named holds all its files; use a fresh
    workdir per instance (a pytest tmp_path)."""

    def __init__(self, workdir, zones: Sequence[ZoneSpec], port: Optional[int] = None,
                 threads: int = 1, start_timeout: float = 15.0):
        self.workdir = Path(workdir) / "named"
        self.zones: List[ZoneSpec] = list(zones)
        self.host = "127.0.0.1"
        self.host6 = "::1"
        self.port = port
        self.threads = threads
        self.start_timeout = start_timeout
        self.proc: Optional[subprocess.Popen] = None
        self._logf = None
        names = [z.name for z in self.zones]
        if len(set(names)) != len(names):
            raise ValueError("duplicate zone names")

    # -- addresses ---------------------------------------------------------
    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def server6(self) -> str:
        return f"[{self.host6}]:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "named.log"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def zone(self, name: str) -> ZoneSpec:
        name = name.rstrip(".").lower()
        for z in self.zones:
            if z.name == name:
                return z
        raise KeyError(name)

    # -- configuration -----------------------------------------------------
    def _keys(self) -> Dict[str, ZoneSpec]:
        keys: Dict[str, ZoneSpec] = {}
        for z in self.zones:
            k = z.key_name.lower()
            other = keys.get(k)
            if other is not None and (other.algorithm, other.secret) != (z.algorithm, z.secret):
                raise ValueError(f"key {z.key_name} is given twice with different secrets")
            keys[k] = z
        return keys

    def _write_config(self):
        wd = self.workdir
        wd.mkdir(parents=True, exist_ok=True)
        lines = [
            "options {",
            f'    directory "{wd}";',
            f'    pid-file "{wd}/named.pid";',
            f'    session-keyfile "{wd}/session.key";',
            f'    managed-keys-directory "{wd}";',
            f"    listen-on port {self.port} {{ 127.0.0.1; }};",
            f"    listen-on-v6 port {self.port} {{ ::1; }};",
            "    recursion no;",
            "    dnssec-validation no;",
            "    allow-query { any; };",
            "    allow-transfer { none; };",
            "    notify no;",
            "    minimal-responses yes;",
            "};",
            # No rndc control channel: it would want port 953 and a key file.
            "controls { };",
        ]
        for z in self._keys().values():
            lines += [
                f'key "{z.key_name}." {{',
                f"    algorithm {z.algorithm};",
                f'    secret "{z.secret}";',
                "};",
            ]
        for z in self.zones:
            if z.update_policy is not None:
                rules = list(z.update_policy)
            else:
                rules = []
                if z.deny_apex:
                    rules.append(f"deny {z.key_name}. name {z.name}. A AAAA")
                rules.append(f"grant {z.key_name}. subdomain {z.name}. ANY")
            lines += [
                f'zone "{z.name}" {{',
                "    type primary;",
                f'    file "{z.name}.zone";',
                "    update-policy {",
            ]
            lines += [f"        {r};" for r in rules]
            lines += ["    };", "};"]
            zone_text = [
                "$TTL 60",
                f"$ORIGIN {z.name}.",
                f"@ IN SOA ns.{z.name}. hostmaster.{z.name}. 1 3600 600 86400 60",
                f"@ IN NS ns.{z.name}.",
                "ns IN A 127.0.0.1",
            ]
            zone_text += list(z.records)
            zf = wd / f"{z.name}.zone"
            # A restart (start after stop) keeps the zone and its journal,
            # so records written before survive, as on a real server.
            if not zf.exists():
                zf.write_text("\n".join(zone_text) + "\n")
        (wd / "named.conf").write_text("\n".join(lines) + "\n")

    # -- life cycle --------------------------------------------------------
    def start(self) -> "Named":
        """Starts named and waits until every zone answers. May be called
        again after stop(): same port, same zone contents."""
        if self.proc is not None:
            raise NamedError("named already started")
        if self.port is None:
            self.port = free_port()
        self._write_config()
        conf = self.workdir / "named.conf"
        check = subprocess.run(["/usr/bin/named-checkconf", str(conf)], capture_output=True,
                               text=True, timeout=30)
        if check.returncode != 0:
            raise NamedError(f"named-checkconf failed:\n{check.stdout}{check.stderr}")
        for z in self.zones:
            check = subprocess.run(["/usr/bin/named-checkzone", z.name,
                                    str(self.workdir / f"{z.name}.zone")],
                                   capture_output=True, text=True, timeout=30)
            if check.returncode != 0:
                raise NamedError(f"named-checkzone {z.name} failed:\n{check.stdout}{check.stderr}")
        self._logf = open(self.log_path, "ab")
        # -g: foreground, log to stderr, stay the user we are (root in CI).
        cmd = [NAMED, "-g", "-c", str(conf), "-n", str(self.threads)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._logf,
                                     stderr=subprocess.STDOUT, cwd=str(self.workdir),
                                     start_new_session=True)
        _running.add(self)
        deadline = time.monotonic() + self.start_timeout
        pending = [z.name for z in self.zones]
        while True:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self._cleanup()
                raise NamedError(f"named exited with {code} during start-up:\n{self.log()}")
            pending = [n for n in pending if not self._soa_ready(n)]
            if not pending:
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise NamedError(f"named did not serve {pending} within {self.start_timeout} s:\n"
                                 f"{self.log()}")
            time.sleep(0.05)

    def _soa_ready(self, zone: str) -> bool:
        q = dns.message.make_query(zone + ".", "SOA")
        q.flags = 0
        try:
            r = dns.query.udp(q, self.host, port=self.port, timeout=0.5)
        except (dns.exception.DNSException, OSError):
            return False
        return r.rcode() == dns.rcode.NOERROR and any(
            rr.rdtype == dns.rdatatype.SOA for rr in r.answer)

    def stop(self, timeout: float = 10.0):
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        self._cleanup()

    def _cleanup(self):
        self.proc = None
        _running.discard(self)
        if self._logf is not None:
            self._logf.close()
            self._logf = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self) -> "Named":
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- talking to it -----------------------------------------------------
    def _exchange(self, msg, timeout: float = 2.0, tcp: bool = False):
        if tcp:
            return dns.query.tcp(msg, self.host, port=self.port, timeout=timeout)
        r = dns.query.udp(msg, self.host, port=self.port, timeout=timeout)
        if r.flags & dns.flags.TC:
            r = dns.query.tcp(msg, self.host, port=self.port, timeout=timeout)
        return r

    def query(self, fqdn: str, rdtype: str = "A", timeout: float = 2.0) -> List[str]:
        """Sorted text of the RRset (addresses for A/AAAA); [] for NXDOMAIN/NODATA."""
        name = dns.name.from_text(fqdn)
        q = dns.message.make_query(name, rdtype)
        q.flags = 0  # RD off, as nsupd asks
        r = self._exchange(q, timeout=timeout)
        if r.rcode() == dns.rcode.NXDOMAIN:
            return []
        if r.rcode() != dns.rcode.NOERROR:
            raise NamedError(f"query {fqdn} {rdtype}: {dns.rcode.to_text(r.rcode())}")
        want = dns.rdatatype.from_text(rdtype)
        out = []
        for rrset in r.answer:
            if rrset.name == name and rrset.rdtype == want:
                out.extend(rd.to_text() for rd in rrset)
        return sorted(out)

    def update(self, zone: str, fqdn: str, rdtype: str, values: Sequence[str] = (),
               ttl: int = 60, timeout: float = 5.0) -> None:
        """Replaces (or with no values deletes) an RRset with the zone's own
        key via dnspython, independent of the code under test (for test set-up)."""
        z = self.zone(zone)
        u = dns.update.UpdateMessage(z.name + ".", keyring=z.keyring(),
                                     keyname=z.key_name + ".",
                                     keyalgorithm=dns.name.from_text(z.algorithm))
        if values:
            u.replace(dns.name.from_text(fqdn), ttl, rdtype, *values)
        else:
            u.delete(dns.name.from_text(fqdn), rdtype)
        r = dns.query.tcp(u, self.host, port=self.port, timeout=timeout)
        if r.rcode() != dns.rcode.NOERROR:
            raise NamedError(f"update {fqdn} {rdtype}: {dns.rcode.to_text(r.rcode())}")


@atexit.register
def _stop_all():
    for ns in list(_running):
        try:
            ns.stop(timeout=5)
        except Exception:
            pass
