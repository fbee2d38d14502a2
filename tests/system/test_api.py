"""The dyndns2 API of `nsupd serve` against a real BIND9 (behaviour-spec 2, 4 and
9.1/9.4, with the deliberate fixes of issue 2)."""

import datetime
import time

import dns.message
import dns.query
import dns.rdatatype
import pytest

from conftest import DEFAULT_ZONE, OFF_ZONE, OTHER, OWNER, WRONGKEY_ZONE, setup_domains, stop_checked
from named import Named, ZoneSpec
from nsupdlib import ALGORITHMS, Nsupd, answer, basic, database_locked, parse_time, zone_for

A, AAAA = "A", "AAAA"


def counters(nsupd, h):
    s = nsupd.show(h.fqdn)
    return s["client_faults"], s["server_faults"], s["api_auth_faults"]


def records(named, h):
    return named.query(h.fqdn, A), named.query(h.fqdn, AAAA)


def assert_badauth(r):
    assert answer(r, 401) == "badauth"
    challenge = r.headers.get("WWW-Authenticate", "")
    assert challenge.lower().startswith("basic realm="), challenge


# --- helper endpoints ---------------------------------------------------------

def test_myip_ipv4(nsupd):
    r = nsupd.get("/myip")
    assert answer(r) == "127.0.0.1"


def test_myip_ipv6_stays_ipv6(nsupd):
    # Fix to the original (which said 0.0.0.1): ::1 is an IPv6 address.
    r = nsupd.get("/myip", v6=True)
    assert answer(r) == "::1"


@pytest.mark.parametrize("v6,addr", [(False, "127.0.0.1"), (True, "::1")])
def test_checkip_html(nsupd, v6, addr):
    r = nsupd.get("/nic/checkip.html", v6=v6)
    assert r.status_code == 200
    assert "Current IP Address: %s" % addr in r.text
    assert r.headers.get("Content-Length") == str(len(r.content))


def test_myip_head(nsupd):
    r = nsupd.get("/myip", method="HEAD")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers.get("Content-Length") == str(len("127.0.0.1"))


def test_unknown_path_404(nsupd):
    assert nsupd.get("/no/such/path").status_code == 404


# --- authentication -----------------------------------------------------------

def test_no_auth_is_401_badauth(nsupd, named, host):
    r = nsupd.update(host, {"myip": "192.0.2.1"}, auth=None)
    assert_badauth(r)
    assert records(named, host) == ([], [])
    assert counters(nsupd, host) == (0, 0, 0)


def test_wrong_password_counts_auth_fault(nsupd, named, host):
    before = nsupd.show(host.fqdn)
    r = nsupd.update(host, {"myip": "192.0.2.1"}, auth=(host.fqdn, host.secret + "x"))
    assert_badauth(r)
    s = nsupd.show(host.fqdn)
    assert (s["client_faults"], s["server_faults"], s["api_auth_faults"]) == (0, 0, 1)
    assert s["api_auth_result_msg"], s
    assert s["last_update_ipv4"] == before["last_update_ipv4"]
    assert records(named, host) == ([], [])
    # A second wrong one counts again; the right one does not count.
    assert_badauth(nsupd.update(host, {"myip": "192.0.2.1"}, auth=(host.fqdn, "")))
    assert answer(nsupd.update(host, {"myip": "192.0.2.1"})) == "good 192.0.2.1"
    assert counters(nsupd, host) == (0, 0, 2)


def test_unknown_host_badauth_no_counters(nsupd, host):
    r = nsupd.update(host, {"myip": "192.0.2.1"}, auth=("nosuchhost." + DEFAULT_ZONE, host.secret))
    assert_badauth(r)
    r = nsupd.update(host, {"myip": "192.0.2.1"}, auth=("x.nosuchzone.test", "secret"))
    assert_badauth(r)
    # The secret of an existing host does not open another name in its zone.
    assert counters(nsupd, host) == (0, 0, 0)


@pytest.mark.parametrize("header", [
    "Bearer abcdef",
    "Basic",
    "Basic ",
    "Basic " + __import__("base64").b64encode(b"no-colon-here.example.org").decode(),
    "Basic YWJjZA=",       # bad padding
    "Basic ====",
    "Digest username=\"x\"",
])
def test_malformed_authorization_is_401(nsupd, host, header):
    r = nsupd.update(host, {"myip": "192.0.2.1"}, auth=None, headers={"Authorization": header})
    assert_badauth(r)
    assert counters(nsupd, host) == (0, 0, 0)


def test_basic_scheme_is_case_insensitive(nsupd, named, host):
    r = nsupd.update(host, {"myip": "192.0.2.2"}, auth=None,
                     headers={"Authorization": basic(*host.auth).replace("Basic", "BASIC")})
    assert answer(r) == "good 192.0.2.2"
    assert named.query(host.fqdn, A) == ["192.0.2.2"]


def test_username_is_case_insensitive(nsupd, named, host):
    r = nsupd.update(host, {"myip": "192.0.2.3"}, auth=(host.fqdn.upper(), host.secret))
    assert answer(r) == "good 192.0.2.3"
    assert named.query(host.fqdn, A) == ["192.0.2.3"]
    assert counters(nsupd, host) == (0, 0, 0)


def test_username_without_dot_is_notfqdn(nsupd, host):
    r = nsupd.update(host, {"myip": "192.0.2.1"}, auth=("test", host.secret))
    assert answer(r) == "notfqdn"


def test_host_secret_rotation(nsupd, named, host):
    old = host.secret
    assert answer(nsupd.update(host, {"myip": "192.0.2.4"})) == "good 192.0.2.4"
    new = nsupd.cli("host", "secret", host.fqdn).strip()
    assert new and new != old
    assert_badauth(nsupd.update(host, {"myip": "192.0.2.5"}, auth=(host.fqdn, old)))
    assert named.query(host.fqdn, A) == ["192.0.2.4"]
    assert answer(nsupd.update(host, {"myip": "192.0.2.5"}, auth=(host.fqdn, new))) == "good 192.0.2.5"
    assert named.query(host.fqdn, A) == ["192.0.2.5"]


# --- hostname parameter ------------------------------------------------------

def test_hostname_same_as_user(nsupd, host):
    assert answer(nsupd.update(host, {"hostname": host.fqdn, "myip": "192.0.2.6"})) == "good 192.0.2.6"


def test_hostname_compares_case_insensitively(nsupd, host):
    r = nsupd.update(host, {"hostname": host.fqdn.upper(), "myip": "192.0.2.6"})
    assert answer(r) == "good 192.0.2.6"


@pytest.mark.parametrize("hostname,word", [
    ("", "notfqdn"),
    ("test", "notfqdn"),
    ("nonexistent." + DEFAULT_ZONE, "nohost"),
])
def test_hostname_mismatch_is_client_fault(nsupd, named, host, hostname, word):
    r = nsupd.update(host, {"hostname": hostname, "myip": "192.0.2.6"})
    assert answer(r) == word
    assert counters(nsupd, host) == (1, 0, 0)
    assert nsupd.show(host.fqdn)["client_result_msg"]
    assert records(named, host) == ([], [])


def test_hostname_of_other_users_host_is_nohost(nsupd, named, make_host):
    mine = make_host()
    theirs = make_host(owner=OTHER)
    r = nsupd.update(mine, {"hostname": theirs.fqdn, "myip": "192.0.2.6"})
    assert answer(r) == "nohost"
    assert counters(nsupd, mine) == (1, 0, 0)
    assert counters(nsupd, theirs) == (0, 0, 0)
    assert records(named, theirs) == ([], [])


# --- updates -----------------------------------------------------------------

def test_good_nochg_good_ipv4(nsupd, named, host):
    assert answer(nsupd.update(host, {"myip": "192.0.2.10"})) == "good 192.0.2.10"
    assert named.query(host.fqdn, A) == ["192.0.2.10"]
    assert answer(nsupd.update(host, {"myip": "192.0.2.10"})) == "nochg 192.0.2.10"
    assert counters(nsupd, host) == (1, 0, 0)
    assert answer(nsupd.update(host, {"myip": "192.0.2.11"})) == "good 192.0.2.11"
    assert named.query(host.fqdn, A) == ["192.0.2.11"]
    assert named.query(host.fqdn, AAAA) == []
    assert counters(nsupd, host) == (1, 0, 0)
    assert nsupd.show(host.fqdn)["client_result_msg"]


def test_record_ttl_comes_from_config(nsupd, named, host):
    answer(nsupd.update(host, {"myip": "192.0.2.12"}))
    q = dns.message.make_query(host.fqdn, "A")
    q.flags = 0
    resp = dns.query.udp(q, "127.0.0.1", port=named.port, timeout=5)
    rrsets = [rr for rr in resp.answer if rr.rdtype == dns.rdatatype.A]
    assert len(rrsets) == 1 and len(rrsets[0]) == 1
    assert rrsets[0].ttl == nsupd.ttl


def test_good_nochg_ipv6_compares_addresses(nsupd, named, host):
    assert answer(nsupd.update(host, {"myip": "2001:db8::a1"})) == "good 2001:db8::a1"
    assert named.query(host.fqdn, AAAA) == ["2001:db8::a1"]
    # Fix: the same address in another spelling is nochg, not a rewrite.
    r = nsupd.update(host, {"myip": "2001:DB8:0::A1"})
    assert answer(r).startswith("nochg ")
    assert counters(nsupd, host) == (1, 0, 0)
    assert named.query(host.fqdn, A) == []


def test_noncanonical_ipv6_is_written_canonically(nsupd, named, host):
    r = nsupd.update(host, {"myip": "2001:DB8:0:0::B2"})
    assert answer(r).startswith("good ")
    assert named.query(host.fqdn, AAAA) == ["2001:db8::b2"]


def test_auto_detected_ipv4(nsupd, named, host):
    assert answer(nsupd.update(host)) == "good 127.0.0.1"
    assert records(named, host) == (["127.0.0.1"], [])
    assert answer(nsupd.update(host, {"myip": ""})) == "nochg 127.0.0.1"


def test_auto_detected_ipv6_loopback_stays_ipv6(nsupd, named, host):
    assert answer(nsupd.update(host, v6=True)) == "good ::1"
    assert records(named, host) == ([], ["::1"])


@pytest.mark.parametrize("given,v4", [("::ffff:192.0.2.33", "192.0.2.33"),
                                      ("::FFFF:192.0.2.35", "192.0.2.35"),
                                      ("::192.0.2.34", "192.0.2.34")])
def test_v4_mapped_myip_writes_a_record(nsupd, named, host, given, v4):
    r = nsupd.update(host, {"myip": given})
    assert answer(r).startswith("good ")
    assert records(named, host) == ([v4], [])
    # and it is the same address as the plain IPv4 form
    assert answer(nsupd.update(host, {"myip": v4})) == "nochg " + v4


def test_ipv6_loopback_myip_stays_ipv6(nsupd, named, host):
    nsupd.set(host.fqdn, netmask_ipv6=128)
    assert answer(nsupd.update(host, {"myip": "::1"})) == "good ::1"
    assert records(named, host) == ([], ["::1"])


def test_myip_with_prefix_length_is_cut(nsupd, named, host):
    nsupd.set(host.fqdn, netmask_ipv4=32)
    assert answer(nsupd.update(host, {"myip": "192.0.2.9/24"})) == "good 192.0.2.9"
    assert named.query(host.fqdn, A) == ["192.0.2.9"]


def test_myip_whitespace_is_stripped(nsupd, named, host):
    assert answer(nsupd.update(host, {"myip": " 192.0.2.13 "})) == "good 192.0.2.13"
    assert named.query(host.fqdn, A) == ["192.0.2.13"]


def test_multi_address_one_line(nsupd, named, host):
    # spec A29-A31, with the fix: one line per host, good if anything changed.
    r = nsupd.update(host, {"myip": "192.0.2.20,2001:db8::20"})
    assert answer(r) == "good 192.0.2.20,2001:db8::20"
    assert records(named, host) == (["192.0.2.20"], ["2001:db8::20"])
    r = nsupd.update(host, {"myip": "192.0.2.20,2001:db8::20"})
    assert answer(r) == "nochg 192.0.2.20,2001:db8::20"
    assert counters(nsupd, host) == (1, 0, 0)
    r = nsupd.update(host, {"myip": "192.0.2.21,2001:db8::20"})
    assert answer(r) == "good 192.0.2.21,2001:db8::20"
    assert counters(nsupd, host) == (1, 0, 0)
    assert records(named, host) == (["192.0.2.21"], ["2001:db8::20"])
    r = nsupd.update(host, {"myip": "192.0.2.21,2001:db8::21"})
    assert answer(r) == "good 192.0.2.21,2001:db8::21"
    assert counters(nsupd, host) == (1, 0, 0)
    # A32
    r = nsupd.delete(host, {"myip": "0.0.0.0,::"})
    assert answer(r) == "deleted A,AAAA"
    assert records(named, host) == ([], [])


def test_multi_address_ipv6_first(nsupd, named, host):
    r = nsupd.update(host, {"myip": "2001:db8::22,192.0.2.22"})
    assert answer(r) == "good 2001:db8::22,192.0.2.22"
    assert records(named, host) == (["192.0.2.22"], ["2001:db8::22"])


def test_multi_address_comma_encodings(nsupd, named, host):
    # requests encodes ',' as %2C; also send a raw comma in the query string.
    r = nsupd.get("/nic/update?myip=192.0.2.23,2001:db8::23", auth=host.auth)
    assert answer(r) == "good 192.0.2.23,2001:db8::23"
    assert records(named, host) == (["192.0.2.23"], ["2001:db8::23"])


def test_myipv4_and_myipv6_params(nsupd, named, host):
    r = nsupd.update(host, {"myipv4": "192.0.2.40", "myipv6": "2001:db8::40"})
    text = answer(r)
    assert text.startswith("good ") and "\n" not in text
    assert set(text[5:].split(",")) == {"192.0.2.40", "2001:db8::40"}
    assert records(named, host) == (["192.0.2.40"], ["2001:db8::40"])
    r = nsupd.update(host, {"myipv6": "2001:db8::41"})
    assert answer(r) == "good 2001:db8::41"
    assert records(named, host) == (["192.0.2.40"], ["2001:db8::41"])


@pytest.mark.parametrize("path", ["/nic/update", "/v3/update", "/v2/update"])
def test_update_path_aliases(nsupd, named, host, path):
    r = nsupd.update(host, {"myip": "192.0.2.41"}, path=path)
    assert answer(r) == "good 192.0.2.41"
    assert named.query(host.fqdn, A) == ["192.0.2.41"]


def test_trailing_slash_is_404(nsupd, named, host):
    r = nsupd.update(host, {"myip": "192.0.2.42"}, path="/nic/update/")
    assert r.status_code == 404
    assert named.query(host.fqdn, A) == []


def test_legacy_dyn_params_are_ignored(nsupd, named, host):
    params = {"system": "dyndns", "hostname": host.fqdn, "myip": "192.0.2.43", "wildcard": "OFF",
              "mx": "NO", "backmx": "NO", "offline": "NO"}
    assert answer(nsupd.update(host, params)) == "good 192.0.2.43"
    assert named.query(host.fqdn, A) == ["192.0.2.43"]


def test_unknown_params_are_ignored(nsupd, named, host):
    params = [("foo", "bar"), ("myip", "192.0.2.44"), ("x", ""), ("zzz", "1,2,3")]
    assert answer(nsupd.update(host, params)) == "good 192.0.2.44"


def test_last_myip_occurrence_counts(nsupd, named, host):
    params = [("myip", "192.0.2.45"), ("myip", "192.0.2.46")]
    assert answer(nsupd.update(host, params)) == "good 192.0.2.46"
    assert named.query(host.fqdn, A) == ["192.0.2.46"]


@pytest.mark.parametrize("myip", ["1234", "\u00e4\u00fc\u00f6", "192.0.2.50,", "01.2.3.4",
                                  "1.2.3.256", "1.2.3", "foo", ",", "192.0.2.50,bogus"])
def test_invalid_myip_is_dnserr_and_changes_nothing(nsupd, named, host, myip):
    before = nsupd.show(host.fqdn)
    r = nsupd.update(host, {"myip": myip})
    assert answer(r) == "dnserr"
    assert records(named, host) == ([], [])
    after = nsupd.show(host.fqdn)
    assert (after["client_faults"], after["server_faults"], after["api_auth_faults"]) == (0, 0, 0)
    assert after["last_update_ipv4"] == before["last_update_ipv4"]


def test_scoped_ipv6_is_dnserr(nsupd, named, host):
    r = nsupd.update(host, {"myip": "fe80::1%eth0"})
    assert answer(r) == "dnserr"
    assert records(named, host) == ([], [])


def test_same_address_twice_in_one_request(nsupd, named, host):
    r = nsupd.update(host, {"myip": "192.0.2.51,192.0.2.51"})
    text = answer(r)
    assert text.startswith("good ") and "\n" not in text
    assert named.query(host.fqdn, A) == ["192.0.2.51"]
    assert counters(nsupd, host)[0] == 0


# --- netmask (network address) updates ---------------------------------------

def test_ipv6_network_address_deletes_record(nsupd, named, host):
    nsupd.set(host.fqdn, netmask_ipv6=64)
    assert answer(nsupd.update(host, {"myip": "2001:db8:1:2::5"})) == "good 2001:db8:1:2::5"
    assert named.query(host.fqdn, AAAA) == ["2001:db8:1:2::5"]
    # With "/64" the element is the router's delegated prefix (issue 4): it is
    # for the related hosts and leaves the host's own record alone, without a
    # fault (tests/system/test_related.py covers it).
    r = nsupd.update(host, {"myip": "2001:db8:1:2::/64"})
    assert answer(r) == "nochg 2001:db8:1:2::/64"
    assert named.query(host.fqdn, AAAA) == ["2001:db8:1:2::5"]
    assert counters(nsupd, host) == (0, 0, 0)
    # Without a length, the network address of the host's netmask deletes
    # the record, as in the original (#648).
    r = nsupd.update(host, {"myip": "2001:db8:1:2::"})
    assert answer(r) == "good 2001:db8:1:2::"
    assert named.query(host.fqdn, AAAA) == []
    assert counters(nsupd, host) == (0, 0, 0)


def test_ipv6_unspecified_deletes_with_netmask_64(nsupd, named, host):
    nsupd.set(host.fqdn, netmask_ipv6=64)
    answer(nsupd.update(host, {"myip": "2001:db8::60"}))
    assert answer(nsupd.update(host, {"myip": "::"})) == "good ::"
    assert records(named, host) == ([], [])


def test_ipv4_network_address_deletes_record(nsupd, named, host):
    nsupd.set(host.fqdn, netmask_ipv4=24)
    assert answer(nsupd.update(host, {"myip": "192.0.2.5"})) == "good 192.0.2.5"
    r = nsupd.update(host, {"myip": "192.0.2.0"})
    assert answer(r) == "good 192.0.2.0"
    assert named.query(host.fqdn, A) == []
    s = nsupd.show(host.fqdn)
    assert s["netmask_ipv4"] == 24


def test_ipv4_netmask_32_writes_zero_address(nsupd, named, host):
    nsupd.set(host.fqdn, netmask_ipv4=32)
    assert answer(nsupd.update(host, {"myip": "0.0.0.0"})) == "good 0.0.0.0"
    assert named.query(host.fqdn, A) == ["0.0.0.0"]


# --- delete ------------------------------------------------------------------

def test_delete_a_then_aaaa(nsupd, named, host):
    # spec A25
    answer(nsupd.update(host, {"myip": "192.0.2.60"}))
    answer(nsupd.update(host, {"myip": "2001:db8::60"}))
    assert records(named, host) == (["192.0.2.60"], ["2001:db8::60"])
    assert answer(nsupd.delete(host, {"myip": "0.0.0.0"})) == "deleted A"
    assert records(named, host) == ([], ["2001:db8::60"])
    assert answer(nsupd.delete(host, {"myip": "::"})) == "deleted AAAA"
    assert records(named, host) == ([], [])
    assert counters(nsupd, host) == (0, 0, 0)


def test_delete_auto_detected_family(nsupd, named, host):
    answer(nsupd.update(host, {"myip": "192.0.2.61,2001:db8::61"}))
    assert answer(nsupd.delete(host)) == "deleted A"
    assert records(named, host) == ([], ["2001:db8::61"])
    assert answer(nsupd.delete(host, v6=True)) == "deleted AAAA"
    assert records(named, host) == ([], [])


def test_delete_nothing_there_is_still_deleted(nsupd, named, host):
    assert answer(nsupd.delete(host, {"myip": "0.0.0.0"})) == "deleted A"


@pytest.mark.parametrize("myip", ["1234", "\u00e4\u00fc\u00f6"])
def test_delete_invalid_myip_is_dnserr(nsupd, named, host, myip):
    # spec A23, A24
    answer(nsupd.update(host, {"myip": "192.0.2.62"}))
    assert answer(nsupd.delete(host, {"myip": myip})) == "dnserr"
    assert named.query(host.fqdn, A) == ["192.0.2.62"]


def test_delete_needs_auth(nsupd, named, host):
    answer(nsupd.update(host, {"myip": "192.0.2.63"}))
    assert_badauth(nsupd.delete(host, {"myip": "0.0.0.0"}, auth=None))
    assert_badauth(nsupd.delete(host, {"myip": "0.0.0.0"}, auth=(host.fqdn, "wrong")))
    assert named.query(host.fqdn, A) == ["192.0.2.63"]


def test_cli_host_delete_removes_records(nsupd, named, host):
    answer(nsupd.update(host, {"myip": "192.0.2.64,2001:db8::64"}))
    assert records(named, host) == (["192.0.2.64"], ["2001:db8::64"])
    nsupd.cli("host", "delete", host.fqdn)
    assert records(named, host) == ([], [])
    assert_badauth(nsupd.update(host, {"myip": "192.0.2.65"}))
    assert nsupd.run("host", "show", host.fqdn, "--json").returncode != 0


# --- HEAD ----------------------------------------------------------------------

def test_head_update_changes_nothing(nsupd, named, host):
    answer(nsupd.update(host, {"myip": "192.0.2.70"}))
    before = nsupd.show(host.fqdn)
    r = nsupd.update(host, {"myip": "192.0.2.71"}, method="HEAD")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers.get("Content-Type", "").split(";")[0] == "text/plain"
    assert int(r.headers["Content-Length"]) > 0
    # also a HEAD that would be nochg and one with a new family
    nsupd.update(host, {"myip": "192.0.2.70"}, method="HEAD")
    nsupd.update(host, {"myip": "2001:db8::70"}, method="HEAD")
    nsupd.delete(host, {"myip": "0.0.0.0"}, method="HEAD")
    assert records(named, host) == (["192.0.2.70"], [])
    after = nsupd.show(host.fqdn)
    # (only the api auth message may say that someone authenticated)
    before.pop("api_auth_result_msg")
    after.pop("api_auth_result_msg")
    assert after == before


def test_head_badauth(nsupd, host):
    r = nsupd.update(host, {"myip": "192.0.2.72"}, auth=None, method="HEAD")
    assert r.status_code == 401
    assert r.headers.get("Content-Length") == str(len("badauth"))


# --- abuse, agents, availability ----------------------------------------------

def test_bad_agent(nsupd, named, host):
    r = nsupd.update(host, {"myip": "192.0.2.80"}, headers={"User-Agent": "bad_agent"})
    assert answer(r) == "badagent"
    assert counters(nsupd, host) == (1, 0, 0)
    assert named.query(host.fqdn, A) == []
    r = nsupd.update(host, {"myip": "192.0.2.80"}, headers={"User-Agent": "EvilBot/1.0"})
    assert answer(r) == "badagent"
    # exact match only
    r = nsupd.update(host, {"myip": "192.0.2.80"}, headers={"User-Agent": "bad_agent2"})
    assert answer(r) == "good 192.0.2.80"
    assert counters(nsupd, host) == (2, 0, 0)


def test_bad_hosts_hostname_param_without_auth_is_403(nsupd):
    r = nsupd.get("/nic/update", params={"hostname": "blocked.nsupd.test", "myip": "192.0.2.81"})
    assert answer(r, 403) == "abuse"


def test_bad_hosts_hostname_param_with_auth_is_403(nsupd, named, host):
    r = nsupd.update(host, {"hostname": "blocked.nsupd.test", "myip": "192.0.2.81"})
    assert answer(r, 403) == "abuse"
    assert counters(nsupd, host) == (0, 0, 0)
    assert named.query(host.fqdn, A) == []


def test_bad_hosts_username_is_403_without_db(nsupd, named, make_host):
    h = make_host(label="blockedhost")
    try:
        for user in (h.fqdn, h.fqdn.upper()):
            r = nsupd.update(h, {"myip": "192.0.2.82"}, auth=(user, h.secret))
            assert answer(r, 403) == "abuse"
            r = nsupd.update(h, {"myip": "192.0.2.82"}, auth=(user, "wrong"))
            assert answer(r, 403) == "abuse"
        assert counters(nsupd, h) == (0, 0, 0)
        assert named.query(h.fqdn, A) == []
    finally:
        nsupd.run("host", "delete", h.fqdn)


@pytest.mark.parametrize("bad", ["192.0.2.7", "198.51.100.77"])
def test_bad_ips_sets_abuse_flags_and_deletes_records(nsupd, named, host, bad):
    assert answer(nsupd.update(host, {"myip": "192.0.2.83,2001:db8::83"})).startswith("good ")
    r = nsupd.update(host, {"myip": bad})
    assert answer(r) == "abuse"
    s = nsupd.show(host.fqdn)
    assert s["abuse"] is True and s["abuse_blocked"] is True
    assert s["client_faults"] == 1
    assert records(named, host) == ([], [])
    # and the host stays blocked
    assert answer(nsupd.update(host, {"myip": "192.0.2.84"})) == "abuse"
    assert records(named, host) == ([], [])


@pytest.mark.parametrize("flag", ["abuse", "abuse_blocked"])
def test_abuse_flag_answers_abuse_without_fault(nsupd, named, host, flag):
    nsupd.set(host.fqdn, **{flag: True})
    assert answer(nsupd.update(host, {"myip": "192.0.2.85"})) == "abuse"
    assert answer(nsupd.delete(host, {"myip": "0.0.0.0"})) == "abuse"
    assert counters(nsupd, host) == (0, 0, 0)
    assert nsupd.show(host.fqdn)["client_result_msg"]
    assert records(named, host) == ([], [])
    nsupd.set(host.fqdn, **{flag: False})
    assert answer(nsupd.update(host, {"myip": "192.0.2.85"})) == "good 192.0.2.85"


def test_unavailable_host_is_nohost_without_fault(nsupd, named, host):
    nsupd.set(host.fqdn, available=False)
    assert answer(nsupd.update(host, {"myip": "192.0.2.86"})) == "nohost"
    assert counters(nsupd, host) == (0, 0, 0)
    assert records(named, host) == ([], [])
    nsupd.set(host.fqdn, available=True)
    assert answer(nsupd.update(host, {"myip": "192.0.2.86"})) == "good 192.0.2.86"


# --- timestamps, TLS flag, proxies ---------------------------------------------

def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def test_last_update_and_tls_fields(nsupd, host):
    t0 = now_utc() - datetime.timedelta(seconds=2)
    answer(nsupd.update(host, {"myip": "192.0.2.90"}))
    s = nsupd.show(host.fqdn)
    t4 = parse_time(s["last_update_ipv4"])
    assert t0 <= t4 <= now_utc() + datetime.timedelta(seconds=2)
    assert s["tls_update_ipv4"] is False
    before6 = s["last_update_ipv6"]
    # 127.0.0.1 is a trusted proxy: X-Forwarded-Proto counts.
    answer(nsupd.update(host, {"myip": "2001:db8::90"}, headers={"X-Forwarded-Proto": "https"}))
    s = nsupd.show(host.fqdn)
    t6 = parse_time(s["last_update_ipv6"])
    assert t6 >= t0 and s["last_update_ipv6"] != before6
    assert s["tls_update_ipv6"] is True
    assert s["tls_update_ipv4"] is False
    assert parse_time(s["last_update_ipv4"]) == t4


def test_trusted_proxy_x_forwarded_for(nsupd, named, host):
    h = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert answer(nsupd.update(host, headers=h)) == "good 203.0.113.9"
    assert records(named, host) == (["203.0.113.9"], [])
    s = nsupd.show(host.fqdn)
    assert s["tls_update_ipv4"] is True
    assert answer(nsupd.get("/myip", headers={"X-Forwarded-For": "203.0.113.9"})) == "203.0.113.9"
    h = {"X-Forwarded-For": "2001:db8::99"}
    assert answer(nsupd.update(host, headers=h)) == "good 2001:db8::99"
    assert records(named, host) == (["203.0.113.9"], ["2001:db8::99"])


def test_untrusted_peer_x_forwarded_headers_ignored(nsupd, named, host):
    # ::1 is not in trusted_proxies (127.0.0.1/32)
    h = {"X-Forwarded-For": "203.0.113.10", "X-Forwarded-Proto": "https"}
    assert answer(nsupd.update(host, headers=h, v6=True)) == "good ::1"
    assert records(named, host) == ([], ["::1"])
    assert nsupd.show(host.fqdn)["tls_update_ipv6"] is False
    assert answer(nsupd.get("/myip", headers=h, v6=True)) == "::1"


@pytest.fixture(scope="module")
def untrusting(named, tmp_path_factory):
    inst = Nsupd(tmp_path_factory.mktemp("nsupd-untrusting"), trusted_proxies="")
    inst.migrate()
    setup_domains(inst, named)
    inst.start()
    yield inst
    stop_checked(inst)


def test_no_trusted_proxies_ignores_forwarded_headers(untrusting, named):
    h = untrusting.add_host(DEFAULT_ZONE, OWNER)
    hdr = {"X-Forwarded-For": "203.0.113.11", "X-Forwarded-Proto": "https"}
    assert answer(untrusting.update(h, headers=hdr)) == "good 127.0.0.1"
    assert named.query(h.fqdn, A) == ["127.0.0.1"]
    s = untrusting.show(h.fqdn)
    assert s["tls_update_ipv4"] is False
    assert answer(untrusting.get("/myip", headers=hdr)) == "127.0.0.1"


# --- DNS backend ---------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_each_tsig_algorithm(nsupd, named, make_host, algorithm):
    h = make_host(zone_for(algorithm))
    r = nsupd.update(h, {"myip": "192.0.2.100,2001:db8::100"})
    assert answer(r) == "good 192.0.2.100,2001:db8::100"
    assert records(named, h) == (["192.0.2.100"], ["2001:db8::100"])
    assert answer(nsupd.update(h, {"myip": "192.0.2.101"})) == "good 192.0.2.101"
    assert records(named, h) == (["192.0.2.101"], ["2001:db8::100"])
    assert answer(nsupd.delete(h, {"myip": "0.0.0.0,::"})) == "deleted A,AAAA"
    assert records(named, h) == ([], [])
    assert counters(nsupd, h) == (0, 0, 0)


def test_wrong_tsig_key_is_dnserr_with_message(nsupd, named, make_host):
    h = make_host(WRONGKEY_ZONE)
    r = nsupd.update(h, {"myip": "192.0.2.110"})
    assert answer(r) == "dnserr"
    s = nsupd.show(h.fqdn)
    assert (s["client_faults"], s["server_faults"], s["api_auth_faults"]) == (0, 1, 0)
    msg = s["server_result_msg"] or ""
    assert "tsig" in msg.lower() or "signature" in msg.lower(), msg
    assert named.query(h.fqdn, A) == []


def test_domain_added_unavailable_stays_dnserr(nsupd, named, make_host):
    h = make_host(OFF_ZONE)
    assert answer(nsupd.update(h, {"myip": "192.0.2.111"})) == "dnserr"
    # never re-enabled by the back-off timer
    time.sleep(nsupd.unavailable_retry + 1)
    assert answer(nsupd.update(h, {"myip": "192.0.2.111"})) == "dnserr"
    assert named.query(h.fqdn, A) == []
    s = nsupd.show(h.fqdn)
    assert s["server_faults"] == 2 and s["client_faults"] == 0
    assert s["server_result_msg"]


RETRY = 5


@pytest.fixture
def dead_ns_setup(tmp_path):
    zone = ZoneSpec(name="dead.nsupd.test", algorithm="hmac-sha256",
                    secret=ZoneSpec.random_secret("hmac-sha256"))
    ns = Named(str(tmp_path / "named"), [zone])
    ns.start()
    inst = Nsupd(tmp_path / "nsupd", dns={"resolver_timeout": 2, "update_timeout": 2,
                                          "unavailable_retry": RETRY})
    try:
        inst.migrate()
        inst.add_user(OWNER)
        inst.add_domain(zone.name, OWNER, ns.server, zone.algorithm, zone.secret)
        inst.start()
        yield ns, inst, zone
        stop_checked(inst)
    finally:
        inst.kill()
        ns.stop()


def test_dead_nameserver_backoff_and_recovery(dead_ns_setup):
    ns, inst, zone = dead_ns_setup
    h = inst.add_host(zone.name, OWNER)
    assert answer(inst.update(h, {"myip": "192.0.2.120"})) == "good 192.0.2.120"
    assert ns.query(h.fqdn, A) == ["192.0.2.120"]

    ns.stop()
    t_fail0 = time.monotonic()
    r = inst.update(h, {"myip": "192.0.2.121"}, timeout=30)
    t_fail = time.monotonic()
    assert answer(r) == "dnserr"
    assert t_fail - t_fail0 < 10, "a dead nameserver must fail within the configured timeouts"
    s = inst.show(h.fqdn)
    assert s["server_faults"] == 1 and s["client_faults"] == 0
    assert s["server_result_msg"] and len(s["server_result_msg"]) > 10, s

    ns.start()   # same port again
    back = ns.query(h.fqdn, A)
    assert "192.0.2.121" not in back
    # Within the back-off the zone is not tried, although the nameserver is back.
    # (back-off times may have whole-second granularity, hence the margins)
    if time.monotonic() - t_fail < RETRY - 1.5:
        assert answer(inst.update(h, {"myip": "192.0.2.122"})) == "dnserr"
        assert ns.query(h.fqdn, A) == back
    # Afterwards it recovers by itself.
    deadline = t_fail + RETRY + 10
    while True:
        text = answer(inst.update(h, {"myip": "192.0.2.123"}))
        if text != "dnserr" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert text == "good 192.0.2.123"
    assert time.monotonic() - t_fail0 >= RETRY - 1.05, "recovered before the back-off ended"
    assert ns.query(h.fqdn, A) == ["192.0.2.123"]


def test_database_failure_answers_911(nsupd, named, host, tmp_path):
    # SQLite: an exclusive transaction on the file; PostgreSQL: an ACCESS
    # EXCLUSIVE lock on hosts held by another session (nsupdlib).
    answer(nsupd.update(host, {"myip": "192.0.2.130"}))
    result = {}
    with database_locked(nsupd):
        r = nsupd.update(host, {"myip": "192.0.2.131"}, timeout=90)
        result["status"], result["text"] = r.status_code, r.text
        answer(r)
    assert result["text"] == "911", result
    # nothing lost: the service works again once the database does
    assert answer(nsupd.update(host, {"myip": "192.0.2.132"})) == "good 192.0.2.132"
    assert named.query(host.fqdn, A) == ["192.0.2.132"]
