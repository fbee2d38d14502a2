"""A populated nsupd for the web acceptance tests (every page in every
language, XSS in every field, CSRF on every form, error pages): a user with
an own domain, a host, a related host and a forward configuration; another
user with a domain and a host; a staff user. Everything that has a web form
is made through it (so the objects look like a user's), the rest with the
CLI. Served on loopback against the session's real named."""

import re
import uuid

from conftest import DEFAULT_ZONE
from nsupdlib import Nsupd
from webutil import WebClient, create_user

PASSWORD = "world pass 4711"
ALICE, BOB, STAFF = "alice", "bob", "staffer"
ALICE_ZONE = "sha256.nsupd.test"
BOB_ZONE = "sha384.nsupd.test"

_addr = [0]


def client_addr():
    """A distinct client address per client (the instance trusts
    X-Forwarded-For from 127.0.0.1): the login and registration rate limits
    must not leak from one client to the next."""
    _addr[0] += 1
    return "198.18.%d.%d" % (200 + _addr[0] // 250, _addr[0] % 250 + 1)


def client(inst, user=None, lang=None):
    c = WebClient(inst, accept_language=lang)
    c.s.headers["X-Forwarded-For"] = client_addr()
    if user is not None:
        c.login(user, PASSWORD)
    return c


def ids(page, pattern):
    return [int(x) for x in re.findall(pattern, page)]


class World:
    """Ids of everything made; inst is the running instance."""

    def __init__(self, inst, named, extra_names=""):
        self.inst = inst
        self.named = named
        tag = uuid.uuid4().hex[:8]
        self.host_label = "w" + tag + extra_names
        self.service_name = "stubsvc"

    def build(self):
        inst, named = self.inst, self.named
        create_user(inst, ALICE, PASSWORD)
        create_user(inst, BOB, PASSWORD)
        create_user(inst, STAFF, PASSWORD, staff=True)
        for zone, owner in ((ALICE_ZONE, ALICE), (BOB_ZONE, BOB)):
            z = named.zone_specs[zone]
            inst.add_domain(zone, owner, named.server, z.algorithm, z.secret)
        inst.cli("service", "add", self.service_name, "--server", "127.0.0.1:9",
                 "--path", "/nic/update", "--no-tls", "--accept-ipv4", "--accept-ipv6")
        alice = client(inst, ALICE)
        self.alice_host = inst.add_host(ALICE_ZONE, ALICE, self.host_label)
        self.bob_host = inst.add_host(BOB_ZONE, BOB)
        overview = alice.get("/overview/").text
        self.host_id = self._host_id(alice, self.alice_host.fqdn)
        self.domain_id = self._domain_id(overview, ALICE_ZONE)
        # The public default zone of the session's named is not in this
        # instance; alice's own zone is enough for the host forms.
        r = alice.post("/host/%d/related/add/" % self.host_id,
                       {"name": "nas", "comment": "the NAS", "interface_id_ipv4": "0.0.0.5",
                        "interface_id_ipv6": "::5", "available": "on"})
        assert r.status_code == 302, (r.status_code, r.text[:2000])
        page = alice.get("/host/%d/related/" % self.host_id).text
        self.related_id = ids(page, r'href="/host/%d/related/(\d+)/"' % self.host_id)[0]
        page = alice.get("/updater_hostconfig_overview/%d/" % self.host_id).text
        m = re.search(r'<option value="(\d+)"[^>]*>%s' % self.service_name, page)
        assert m, page
        self.service_id = int(m.group(1))
        r = alice.post("/updater_hostconfig_overview/%d/" % self.host_id,
                       {"service": self.service_id, "name": "login@stub",
                        "password": "stub password", "hostname": "me.stub.example",
                        "give_ipv4": "on", "comment": "forward it"})
        assert r.status_code == 302, (r.status_code, r.text[:2000])
        page = alice.get("/updater_hostconfig_overview/%d/" % self.host_id).text
        self.forward_id = ids(page, r'href="/updater_hostconfig/(\d+)/"')[0]
        # A blacklist entry through the admin form (this also starts the
        # audit log), so that every admin list has an object to open.
        staff = client(inst, STAFF)
        r = staff.post("/admin/main/blacklistedhost/add/", {"name_re": "^evil-"})
        assert r.status_code == 302, (r.status_code, r.text[:2000])
        bob = client(inst, BOB)
        page = bob.get("/overview/").text
        self.bob_host_id = self._host_id(bob, self.bob_host.fqdn)
        self.bob_domain_id = self._domain_id(page, BOB_ZONE)
        # Bob's related host and forward: objects alice must never reach.
        r = bob.post("/host/%d/related/add/" % self.bob_host_id,
                     {"name": "tv", "interface_id_ipv4": "0.0.0.9", "available": "on"})
        assert r.status_code == 302, (r.status_code, r.text[:2000])
        page = bob.get("/host/%d/related/" % self.bob_host_id).text
        self.bob_related_id = ids(page, r'href="/host/%d/related/(\d+)/"' % self.bob_host_id)[0]
        r = bob.post("/updater_hostconfig_overview/%d/" % self.bob_host_id,
                     {"service": self.service_id, "name": "bob@stub", "password": "pw",
                      "give_ipv4": "on"})
        assert r.status_code == 302, (r.status_code, r.text[:2000])
        page = bob.get("/updater_hostconfig_overview/%d/" % self.bob_host_id).text
        self.bob_forward_id = ids(page, r'href="/updater_hostconfig/(\d+)/"')[0]
        return self

    @staticmethod
    def _host_id(c, fqdn):
        page = c.get("/overview/").text
        m = re.search(r'<a href="/host/(\d+)/"[^>]*>%s</a>' % re.escape(fqdn), page)
        assert m, (fqdn, page)
        return int(m.group(1))

    @staticmethod
    def _domain_id(page, zone):
        m = re.search(r'<a href="/domain/(\d+)/"[^>]*>%s</a>' % re.escape(zone), page)
        assert m, (zone, page)
        return int(m.group(1))


def start_world(named, path, extra=""):
    inst = Nsupd(path, extra=extra)
    inst.migrate()
    inst.start()
    try:
        world = World(inst, named).build()
    except BaseException:
        inst.stop()
        raise
    return world


def stop_world(world):
    inst = world.inst
    alive = inst.alive()
    rc = inst.stop()
    assert alive, "nsupd serve died during the tests:\n" + inst.stderr()
    assert rc == 0, "nsupd serve exit code %r:\n%s" % (rc, inst.stderr())
    for bad in ("runtime error", "AddressSanitizer", "LeakSanitizer"):
        assert bad not in inst.stderr(10 ** 6), inst.stderr()


def walk(world):
    """[(who, method, path, data, status)]: the URL map. who is None
    (anonymous), ALICE or STAFF; POSTs show the pages only a form answer
    has."""
    h, d, rel, fw = world.host_id, world.domain_id, world.related_id, world.forward_id
    anon = [
        ("/", 200), ("/about/", 200), ("/accounts/login/", 200), ("/account/register/", 200),
        ("/account/register/complete/", 200), ("/account/register/closed/", 200),
        ("/account/activate/complete/", 200), ("/account/activate/%s/" % ("A" * 43), 200),
        ("/accounts/password_reset/", 200), ("/accounts/password_reset_done/", 200),
        ("/accounts/password_reset_confirm/MQ/%s/" % ("a" * 40), 200),
        ("/accounts/password_reset_complete/", 200),
        ("/no/such/page/", 404),
    ]
    user = [
        ("/", 200), ("/about/", 200), ("/overview/", 200), ("/status/", 200),
        ("/host/add/", 200), ("/domain/add/", 200),
        ("/host/%d/" % h, 200), ("/host/%d/delete/" % h, 200), ("/generate_secret/%d/" % h, 200),
        ("/domain/%d/" % d, 200), ("/domain/%d/delete/" % d, 200),
        ("/generate_ns_secret/%d/" % d, 200),
        ("/host/%d/related/" % h, 200), ("/host/%d/related/add/" % h, 200),
        ("/host/%d/related/%d/" % (h, rel), 200), ("/host/%d/related/%d/delete/" % (h, rel), 200),
        ("/updater_hostconfig_overview/%d/" % h, 200), ("/updater_hostconfig/%d/" % fw, 200),
        ("/updater_hostconfig/%d/delete/" % fw, 200),
        ("/account/profile/", 200), ("/account/settings/", 200), ("/account/delete/", 200),
        ("/account/two-factor/", 200),
        ("/host/%d/" % world.bob_host_id, 404), ("/domain/%d/" % world.bob_domain_id, 404),
    ]
    out = [(None, "GET", p, None, s) for p, s in anon]
    # The browser updater: the browser asks for the host's credentials.
    out.append((None, "GET", "/update", {"auth": world.alice_host.auth}, 200))
    out += [(ALICE, "GET", p, None, s) for p, s in user]
    # Pages only a POST shows: form errors (messages made in C) and the
    # configuration help with a new secret (the redirect target is fetched).
    out += [
        (None, "POST", "/accounts/login/", {"username": ALICE, "password": "wrong one"}, 200),
        (None, "POST", "/account/register/", {"username": "new user!", "email": "x",
                                              "password1": "a", "password2": "b"}, 200),
        (None, "POST", "/accounts/password_reset/", {"email": "not an address"}, 200),
        (ALICE, "POST", "/host/add/", {"name": "-bad-", "domain": str(d)}, 200),
        (ALICE, "POST", "/domain/add/", {"name": "x", "nameserver": "nope",
                                         "algorithm": "hmac-sha512"}, 200),
        (ALICE, "POST", "/domain/%d/" % d, {"nameserver": "nope", "algorithm": "x",
                                            "secret": "%%%", "public": "1"}, 200),
        (ALICE, "POST", "/host/%d/" % h, {"comment": "c", "netmask_ipv4": "99",
                                          "netmask_ipv6": "999"}, 200),
        (ALICE, "POST", "/host/%d/related/add/" % h, {"name": "-", "interface_id_ipv4": "x",
                                                      "interface_id_ipv6": "y"}, 200),
        (ALICE, "POST", "/updater_hostconfig_overview/%d/" % h,
         {"service": "999999", "name": "", "password": ""}, 200),
        (ALICE, "POST", "/account/profile/", {"first_name": "A", "last_name": "B",
                                              "email": "not an address", "language": ""}, 200),
        (ALICE, "POST", "/account/settings/", {"old_password": "wrong",
                                               "new_password1": "1", "new_password2": "2"}, 200),
        (ALICE, "POST", "/account/delete/", {}, 200),
        (ALICE, "POST", "/generate_secret/%d/" % h, {}, 200),
    ]
    return out


def admin_walk(c):
    """The admin pages: index, every list, and the change, delete and add
    pages of the first object of each list (links taken from the pages)."""
    out = [("/admin/", 200)]
    index = c.get("/admin/")
    assert index.status_code == 200
    lists = sorted(set(re.findall(r'href="(/admin/[a-z]+/[a-z]+/)"', index.text)))
    assert len(lists) >= 8, lists
    assert "/admin/admin/logentry/" in lists
    for path in lists:
        out.append((path, 200))
        page = c.get(path).text
        change = re.findall(r'href="(%s\d+/change/)"' % re.escape(path), page)
        if change:
            out.append((change[0], 200))
            delete = change[0].replace("/change/", "/delete/")
            if 'href="%s"' % delete in c.get(change[0]).text:
                out.append((delete, 200))
        if 'href="%sadd/"' % path in page:
            out.append((path + "add/", 200))
    return out


__all__ = ["World", "start_world", "stop_world", "client", "PASSWORD", "ALICE", "BOB", "STAFF",
           "ALICE_ZONE", "BOB_ZONE", "DEFAULT_ZONE", "walk", "admin_walk"]
