"""Seeded random update and delete requests against a live nsupd and named:
well-formed, half-formed and broken pieces mixed the way real clients and
scanners mix them. Every request must get a clear answer (a 4xx or a dyndns2
word) and nsupd must keep running. Afterwards the host's records in named are
the ones its last acknowledged request left, so no answer lied about what
reached the nameserver. The pure parsers behind this are fuzzed in
tests/fuzz; this covers the path between them (auth, prequery, plan, zone
writer, store). A failure prints its seed: NSUPD_RANDOM_SEED=N repeats it."""

import os
import random
import urllib.parse

import pytest
import requests

from conftest import DEFAULT_ZONE, OWNER, setup_domains, stop_checked
from nsupdlib import RESULT_WORDS, Nsupd, basic

N_REQUESTS = 1500
TIMEOUT = 10

# Not 192.0.2.7 or 198.51.100.0/24: the test configuration lists them in bad_ips.
V4 = ["203.0.113.%d" % i for i in range(1, 9)]
V6 = ["2001:db8::%x" % i for i in range(1, 9)]
GARBAGE = ["", " ", ",", "1.2.3", "256.1.1.1", "01.2.3.4", "::g", "1.2.3.4/33", "fe80::1%lo",
           "\x00", "\xff\xfe", "a" * 300, "1.2.3.4,,", ";1.2.3.4", "..", "::ffff:",
           "2001:db8::/129", "%", "%zz", "+", "1.2.3.4\r\nX: y"]
PATHS = ["/nic/update", "/nic/update", "/nic/update", "/v3/update", "/nic/delete"]
AGENTS = ["ddclient/3.10.0", "inadyn/2.9.1", "Fritz!Box", "curl/7.88.1", "", "x" * 2000]


@pytest.fixture(scope="module")
def world(named, tmp_path_factory):
    inst = Nsupd(tmp_path_factory.mktemp("nsupd-random"))
    inst.migrate()
    setup_domains(inst, named)
    inst.start()
    inst.host = inst.add_host(DEFAULT_ZONE, OWNER)
    inst.other = inst.add_host(DEFAULT_ZONE, OWNER)
    yield inst, named
    stop_checked(inst)


class Generator:
    def __init__(self, rng, host, other):
        self.rng, self.host, self.other = rng, host, other

    def auth(self, host):
        """(Authorization value or None, whether it authenticates as host)."""
        r = self.rng.random()
        if r < 0.70:
            return basic(host.fqdn, host.secret), True
        if r < 0.75:
            return basic(host.fqdn, self.rng.choice([self.host, self.other]).secret[:-1]), False
        if r < 0.80:
            return basic(host.fqdn.upper() + ".", host.secret), True   # case, trailing dot
        if r < 0.85:
            return "Basic " + self.rng.choice(["", "@@@", "Zm9v", "=" * 5]), False
        if r < 0.90:
            return basic("nodot", "x"), False
        return None, False

    def address_list(self):
        """(text, {family: last address}) of a well-formed myip list."""
        items, last = [], {}
        for fam, pool in ((4, V4), (6, V6)):
            if self.rng.random() < 0.6:
                a = self.rng.choice(pool)
                items.append(a)
                last[fam] = a
        if not items:
            items, last = [V4[0]], {4: V4[0]}
        self.rng.shuffle(items)
        return ",".join(items), last

    def request(self):
        """(method, path, query string, headers, expectation) where the
        expectation is None (anything clear) or (delete, {family: address})
        for a request that must succeed exactly."""
        rng = self.rng
        path = rng.choice(PATHS)
        delete = path == "/nic/delete"
        params, expect = [], None
        # Broken requests go to the other host: what they change there is
        # not followed. The host whose records are checked gets only
        # well-formed requests (and failed authentications).
        well_formed = rng.random() < 0.6
        auth, auth_ok = self.auth(self.host if well_formed else self.other)
        if well_formed:
            text, last = self.address_list()
            if delete:
                text, last = rng.choice([(V4[0], {4: None}), (V6[0], {6: None}),
                                         (V4[0] + "," + V6[0], {4: None, 6: None})])
            params.append(("myip", text))
            if rng.random() < 0.3:
                params.append(("hostname", self.host.fqdn))
            if auth_ok:
                expect = (delete, last)
        else:
            for _ in range(rng.randint(0, 4)):
                key = rng.choice(["myip", "myipv4", "myipv6", "hostname", "ip6lanprefix",
                                  "ipv6prefix", "offline", "wildcard", "system", "x" * 50])
                value = rng.choice(GARBAGE + V4 + V6 + [self.other.fqdn, self.host.fqdn,
                                                        "2001:db8:1f00::/56"])
                params.append((key, value))
        query = "&".join(urllib.parse.quote(k, safe="") + "=" +
                         urllib.parse.quote(v.encode("utf-8", "surrogateescape"), safe=":,/")
                         for k, v in params)
        headers = {"User-Agent": rng.choice(AGENTS) if not expect else "ddclient/3.10.0"}
        if auth is not None:
            headers["Authorization"] = auth
        method = "GET" if expect else rng.choice(["GET", "GET", "POST", "HEAD"])
        return method, path, query, headers, expect


def first_word(text):
    return text.split(" ")[0].split("\n")[0]


def test_random_requests_keep_dns_true(world):
    inst, named = world
    seed = int(os.environ.get("NSUPD_RANDOM_SEED", random.SystemRandom().randrange(1 << 30)))
    gen = Generator(random.Random(seed), inst.host, inst.other)
    state = {4: None, 6: None}      # what named must hold for the host
    words = {}
    s = requests.Session()
    for i in range(N_REQUESTS):
        method, path, query, headers, expect = gen.request()
        where = "seed %d, request %d: %s %s?%s %r" % (seed, i, method, path, query, headers)
        try:
            r = s.request(method, inst.url(path) + ("?" + query if query else ""),
                          headers=headers, timeout=TIMEOUT, allow_redirects=False)
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
            assert inst.alive(), where + "\nnsupd exited:\n" + inst.stderr()
            s = requests.Session()
            continue
        if method == "HEAD":
            assert r.status_code in (200, 401, 403) or 400 <= r.status_code < 500, where
            continue
        word = first_word(r.text)
        assert 400 <= r.status_code < 500 or word in RESULT_WORDS, where + " -> %d %r" % (
            r.status_code, r.text[:200])
        words[word] = words.get(word, 0) + 1
        if expect is None:
            continue
        delete, last = expect
        want = ("deleted", "nochg") if delete else ("good", "nochg")
        assert r.status_code == 200 and word in want, where + " -> %r" % r.text
        for fam, addr in last.items():
            state[fam] = addr
    assert inst.alive(), "nsupd exited (seed %d):\n%s" % (seed, inst.stderr())
    # Answers of every kind came, so the mix covered the paths it means to.
    for w in ("good", "nochg", "badauth", "deleted"):
        assert words.get(w, 0) > 0, "seed %d: no %r in %r" % (seed, w, words)
    for fam, rdtype in ((4, "A"), (6, "AAAA")):
        got = named.query(inst.host.fqdn, rdtype)
        want = [state[fam]] if state[fam] else []
        assert got == want, "seed %d: %s of %s is %r, the last acknowledged request left %r" % (
            seed, rdtype, inst.host.fqdn, got, want)
