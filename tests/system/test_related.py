"""Related hosts (issue 4): <name>.<host>.<zone> follows the main host's
address (prefix of the host netmask + interface ID) after each good update,
or the router's delegated LAN prefix when it sends one. Checked in a real
named."""

import json

from nsupdlib import answer

A, AAAA = "A", "AAAA"


def counters(nsupd, h):
    s = nsupd.show(h.fqdn)
    return s["client_faults"], s["server_faults"], s["api_auth_faults"]


def rel(host, name):
    return "%s.%s" % (name, host.fqdn)


def add_related(nsupd, host, name, *opts):
    nsupd.cli("host", "related", "add", host.fqdn, name, *opts)


def related_list(nsupd, host):
    return json.loads(nsupd.cli("host", "related", "list", host.fqdn, "--json"))


def test_related_records_follow_main_updates(nsupd, named, host):
    # The examples of the original's tests: /29 + 0.0.0.1, /64 + ::1.
    nsupd.set(host.fqdn, netmask_ipv4=29, netmask_ipv6=64)
    add_related(nsupd, host, "nas", "--interface-id-ipv4", "0.0.0.1",
                "--interface-id-ipv6", "::1")
    # Nothing is written when it is added (#302).
    assert named.query(rel(host, "nas"), A) == []
    assert answer(nsupd.update(host, {"myip": "1.2.3.4"})) == "good 1.2.3.4"
    assert named.query(host.fqdn, A) == ["1.2.3.4"]
    assert named.query(rel(host, "nas"), A) == ["1.2.3.1"]
    assert named.query(rel(host, "nas"), AAAA) == []
    assert answer(nsupd.update(host, {"myip": "2000::3"})) == "good 2000::3"
    assert named.query(rel(host, "nas"), AAAA) == ["2000::1"]
    assert named.query(rel(host, "nas"), A) == ["1.2.3.1"]
    # A new prefix moves the related host along.
    assert answer(nsupd.update(host, {"myip": "198.51.99.77"})) == "good 198.51.99.77"
    assert named.query(rel(host, "nas"), A) == ["198.51.99.73"]
    assert counters(nsupd, host) == (0, 0, 0)


def test_list_json_contract(nsupd, host):
    add_related(nsupd, host, "Printer", "--interface-id-ipv6", "216:3eff:fe00:1",
                "--unavailable", "--comment", "the printer")
    add_related(nsupd, host, "cam", "--interface-id-ipv4", "1")
    got = related_list(nsupd, host)
    assert got == [
        {"name": "cam", "fqdn": rel(host, "cam"), "comment": "", "available": True,
         "interface_id_ipv4": "0.0.0.1", "interface_id_ipv6": ""},
        {"name": "printer", "fqdn": rel(host, "printer"), "comment": "the printer",
         "available": False, "interface_id_ipv4": "", "interface_id_ipv6": "::216:3eff:fe00:1"},
    ]
    # Same name again: refused.
    p = nsupd.run("host", "related", "add", host.fqdn, "cam")
    assert p.returncode != 0 and "already has a related host 'cam'" in p.stderr


def test_bare_number_ids_accepted(nsupd, named, host):
    # The original refused "1" (netaddr strict mode, #704/#710).
    nsupd.set(host.fqdn, netmask_ipv4=24, netmask_ipv6=64)
    add_related(nsupd, host, "pi", "--interface-id-ipv4", "1", "--interface-id-ipv6", "1")
    assert related_list(nsupd, host)[0]["interface_id_ipv6"] == "::1"
    assert answer(nsupd.update(host, {"myip": "192.0.2.200,2001:db8:7:8::99"})) == \
        "good 192.0.2.200,2001:db8:7:8::99"
    assert named.query(rel(host, "pi"), A) == ["192.0.2.1"]
    assert named.query(rel(host, "pi"), AAAA) == ["2001:db8:7:8::1"]


def test_invalid_id_refused_with_a_clear_message(nsupd, host):
    for opt, value in (("--interface-id-ipv6", "xyz"), ("--interface-id-ipv4", "1.2.3"),
                       ("--interface-id-ipv4", "::1:0:0"), ("--interface-id-ipv6", "1:2:3:4:5")):
        p = nsupd.run("host", "related", "add", host.fqdn, "bad", opt, value)
        assert p.returncode != 0, (opt, value)
        line = p.stderr.strip()
        assert "\n" not in line and opt in line and value in line, line
        assert "is not valid" in line or "too large" in line, line
    p = nsupd.run("host", "related", "add", host.fqdn, "bad.name")
    assert p.returncode != 0 and "invalid related host name" in p.stderr
    assert related_list(nsupd, host) == []


def test_empty_id_deletes_that_record_type(nsupd, named, host):
    nsupd.set(host.fqdn, netmask_ipv4=24)
    add_related(nsupd, host, "v6only", "--interface-id-ipv6", "::5")
    named.update(host.zone, rel(host, "v6only"), A, ["192.0.2.250"])
    assert named.query(rel(host, "v6only"), A) == ["192.0.2.250"]
    assert answer(nsupd.update(host, {"myip": "192.0.2.17"})) == "good 192.0.2.17"
    assert named.query(rel(host, "v6only"), A) == []
    assert counters(nsupd, host)[1] == 0


def test_related_nochg_is_not_a_fault(nsupd, named, host):
    nsupd.set(host.fqdn, netmask_ipv4=29)
    add_related(nsupd, host, "box", "--interface-id-ipv4", "0.0.0.1")
    assert answer(nsupd.update(host, {"myip": "1.2.3.4"})) == "good 1.2.3.4"
    assert named.query(rel(host, "box"), A) == ["1.2.3.1"]
    # Same /29: the main host changes, the related host does not need to.
    assert answer(nsupd.update(host, {"myip": "1.2.3.5"})) == "good 1.2.3.5"
    assert named.query(rel(host, "box"), A) == ["1.2.3.1"]
    assert counters(nsupd, host) == (0, 0, 0)


def test_only_good_updates_drive_related_hosts(nsupd, named, host):
    nsupd.set(host.fqdn, netmask_ipv4=24)
    assert answer(nsupd.update(host, {"myip": "192.0.2.40"})) == "good 192.0.2.40"
    add_related(nsupd, host, "late", "--interface-id-ipv4", "0.0.0.2")
    add_related(nsupd, host, "off", "--interface-id-ipv4", "0.0.0.3", "--unavailable")
    # nochg of the main host: related hosts untouched (as the original, #302).
    assert answer(nsupd.update(host, {"myip": "192.0.2.40"})) == "nochg 192.0.2.40"
    assert named.query(rel(host, "late"), A) == []
    assert answer(nsupd.update(host, {"myip": "192.0.2.41"})) == "good 192.0.2.41"
    assert named.query(rel(host, "late"), A) == ["192.0.2.2"]
    assert named.query(rel(host, "off"), A) == []
    # /nic/delete does not touch them either.
    assert answer(nsupd.delete(host, {"myip": "192.0.2.41"})) == "deleted A"
    assert named.query(rel(host, "late"), A) == ["192.0.2.2"]


def test_deleting_a_related_host_removes_its_records(nsupd, named, host):
    nsupd.set(host.fqdn, netmask_ipv4=24, netmask_ipv6=64)
    add_related(nsupd, host, "gone", "--interface-id-ipv4", "9", "--interface-id-ipv6", "9")
    answer(nsupd.update(host, {"myip": "192.0.2.90,2001:db8:9::90"}))
    assert named.query(rel(host, "gone"), A) == ["192.0.2.9"]
    assert named.query(rel(host, "gone"), AAAA) == ["2001:db8:9::9"]
    nsupd.cli("host", "related", "delete", host.fqdn, "gone")
    assert named.query(rel(host, "gone"), A) == []
    assert named.query(rel(host, "gone"), AAAA) == []
    assert related_list(nsupd, host) == []
    p = nsupd.run("host", "related", "delete", host.fqdn, "gone")
    assert p.returncode != 0 and "no related host 'gone'" in p.stderr


# --- prefixes sent with the update --------------------------------------------

def test_myip_with_address_and_lan_prefix(nsupd, named, host):
    # Fritz!Box: myip=<ip6addr>,<ip6lanprefix>; the router's own address is
    # outside the delegated /56.
    nsupd.set(host.fqdn, netmask_ipv6=64)
    add_related(nsupd, host, "nas", "--interface-id-ipv6", "::216:3eff:fe00:1")
    r = nsupd.update(host, {"myip": "2001:db8:ffff::1,2001:db8:1f00::/56"})
    assert answer(r) == "good 2001:db8:ffff::1,2001:db8:1f00::/56"
    assert named.query(host.fqdn, AAAA) == ["2001:db8:ffff::1"]
    assert named.query(rel(host, "nas"), AAAA) == ["2001:db8:1f00:0:216:3eff:fe00:1"]
    assert counters(nsupd, host) == (0, 0, 0)


def test_subnet_inside_a_56(nsupd, named, host):
    # An ID with a subnet part needs the /56 sent by the router; the CLI warns
    # that it does not fit the host's /64, and takes it.
    nsupd.set(host.fqdn, netmask_ipv6=64)
    p = nsupd.run("host", "related", "add", host.fqdn, "lab", "--interface-id-ipv6", "::5:0:0:0:1")
    assert p.returncode == 0, p.stderr
    assert "warning" in p.stderr
    r = nsupd.update(host, {"myip": "2001:db8:1f00::/56"})
    assert answer(r) == "good 2001:db8:1f00::/56"
    assert named.query(rel(host, "lab"), AAAA) == ["2001:db8:1f00:5::1"]


def test_ip6lanprefix_parameter(nsupd, named, host):
    nsupd.set(host.fqdn, netmask_ipv4=24, netmask_ipv6=64)
    add_related(nsupd, host, "tv", "--interface-id-ipv4", "0.0.0.5", "--interface-id-ipv6", "::5")
    r = nsupd.update(host, {"myip": "192.0.2.33", "ip6lanprefix": "2001:db8:abcd:1200::/56"})
    assert answer(r) == "good 192.0.2.33,2001:db8:abcd:1200::/56"
    assert named.query(host.fqdn, A) == ["192.0.2.33"]
    assert named.query(host.fqdn, AAAA) == []
    assert named.query(rel(host, "tv"), A) == ["192.0.2.5"]
    assert named.query(rel(host, "tv"), AAAA) == ["2001:db8:abcd:1200::5"]


def test_ipv6prefix_parameter_without_length_uses_netmask(nsupd, named, host):
    nsupd.set(host.fqdn, netmask_ipv6=64)
    add_related(nsupd, host, "tv", "--interface-id-ipv6", "::5")
    r = nsupd.update(host, {"myip": "2001:db8:ffff::2", "ipv6prefix": "2001:db8:4:5::"})
    assert answer(r) == "good 2001:db8:ffff::2,2001:db8:4:5::"
    assert named.query(host.fqdn, AAAA) == ["2001:db8:ffff::2"]
    assert named.query(rel(host, "tv"), AAAA) == ["2001:db8:4:5::5"]


def test_unchanged_prefix_is_nochg_without_fault(nsupd, named, host):
    nsupd.set(host.fqdn, netmask_ipv6=64)
    add_related(nsupd, host, "nas", "--interface-id-ipv6", "::1")
    assert answer(nsupd.update(host, {"myip": "2001:db8:1f00::/56"})) == "good 2001:db8:1f00::/56"
    for _ in range(3):
        r = nsupd.update(host, {"myip": "2001:db8:1f00::/56"})
        assert answer(r) == "nochg 2001:db8:1f00::/56"
    r = nsupd.update(host, {"ip6lanprefix": "2001:db8:1f00::/56", "myip": "2001:db8:1f00::/56"})
    assert answer(r) == "nochg 2001:db8:1f00::/56,2001:db8:1f00::/56"
    assert counters(nsupd, host) == (0, 0, 0)
    assert named.query(host.fqdn, AAAA) == []   # the main host is never touched by a prefix
    # The router's address re-sent unchanged is still a nochg fault (spec 2.5),
    # but a prefix that changed makes the request good, and no fault.
    assert answer(nsupd.update(host, {"myip": "2001:db8:ffff::1"})) == "good 2001:db8:ffff::1"
    r = nsupd.update(host, {"myip": "2001:db8:ffff::1,2001:db8:2200::/56"})
    assert answer(r) == "good 2001:db8:ffff::1,2001:db8:2200::/56"
    assert named.query(rel(host, "nas"), AAAA) == ["2001:db8:2200::1"]
    assert counters(nsupd, host) == (0, 0, 0)


def test_prefix_without_related_hosts_is_nochg(nsupd, named, host):
    r = nsupd.update(host, {"myip": "2001:db8:1f00::/56"})
    assert answer(r) == "nochg 2001:db8:1f00::/56"
    assert counters(nsupd, host) == (0, 0, 0)


def test_conflicting_or_bad_prefixes_are_dnserr(nsupd, named, host):
    add_related(nsupd, host, "nas", "--interface-id-ipv6", "::1")
    r = nsupd.update(host, {"myip": "2001:db8:1f00::/56", "ipv6prefix": "2001:db8:2f00::/56"})
    assert answer(r) == "dnserr"
    r = nsupd.update(host, {"ip6lanprefix": "<ip6lanprefix>"})
    assert answer(r) == "dnserr"
    assert named.query(rel(host, "nas"), AAAA) == []


def test_prefix_for_flagged_host(nsupd, named, host):
    add_related(nsupd, host, "nas", "--interface-id-ipv6", "::1")
    nsupd.set(host.fqdn, available=False)
    assert answer(nsupd.update(host, {"myip": "2001:db8:1f00::/56"})) == "nohost"
    nsupd.set(host.fqdn, available=True, abuse=True)
    assert answer(nsupd.update(host, {"myip": "2001:db8:1f00::/56"})) == "abuse"
    assert named.query(rel(host, "nas"), AAAA) == []


def test_related_dns_error_is_a_server_fault_of_the_main_host(tmp_path):
    # A nameserver whose update-policy refuses one related name only: the
    # main host's answer stays good, the failure is its server fault.
    from named import Named, ZoneSpec
    from nsupdlib import Nsupd
    zone = "relerr.nsupd.test"
    z = ZoneSpec(name=zone, algorithm="hmac-sha256",
                 update_policy=["deny %s. name bad.main.%s. A AAAA" % (zone, zone),
                                "grant %s. subdomain %s. ANY" % (zone, zone)])
    with Named(str(tmp_path / "named"), [z]) as ns:
        inst = Nsupd(tmp_path / "nsupd")
        try:
            inst.migrate()
            inst.add_user("o")
            inst.add_domain(zone, "o", ns.server, z.algorithm, z.secret)
            host = inst.add_host(zone, "o", "main")
            inst.set(host.fqdn, netmask_ipv4=24)
            add_related(inst, host, "bad", "--interface-id-ipv4", "0.0.0.1")
            add_related(inst, host, "good", "--interface-id-ipv4", "0.0.0.2")
            inst.start()
            assert answer(inst.update(host, {"myip": "192.0.2.44"})) == "good 192.0.2.44"
            assert ns.query(host.fqdn, A) == ["192.0.2.44"]
            assert ns.query("good." + host.fqdn, A) == ["192.0.2.2"]
            assert ns.query("bad." + host.fqdn, A) == []
            s = inst.show(host.fqdn)
            assert (s["client_faults"], s["server_faults"]) == (0, 1)
            msg = s["server_result_msg"]
            assert "related host bad.main.%s" % zone in msg and "REFUSED" in msg, msg
            # With a prefix sent by the router, the failure answers dnserr.
            r = inst.update(host, {"myip": "198.51.99.0/24"})
            assert answer(r) == "dnserr"
            assert ns.query("good." + host.fqdn, A) == ["198.51.99.2"]
            assert inst.show(host.fqdn)["server_faults"] == 2
            assert inst.stop() == 0
        finally:
            inst.kill()


def test_deleting_the_main_host_removes_related_records(nsupd, named, make_host):
    host = make_host()
    nsupd.set(host.fqdn, netmask_ipv4=24)
    add_related(nsupd, host, "child", "--interface-id-ipv4", "0.0.0.3")
    answer(nsupd.update(host, {"myip": "192.0.2.150"}))
    assert named.query(rel(host, "child"), A) == ["192.0.2.3"]
    nsupd.cli("host", "delete", host.fqdn)
    assert named.query(host.fqdn, A) == []
    assert named.query(rel(host, "child"), A) == []
