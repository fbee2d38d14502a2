#!/usr/bin/python3
"""Writes the hand-made seed inputs of the fuzz targets into
tests/fuzz/corpus/TARGET/seed-*. Run again after changing it; what fuzzing
adds (files named by their SHA-1) stays. Uses dnspython for the DNS answers."""

import base64
import hashlib
import json
import os

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

HERE = os.path.dirname(os.path.abspath(__file__))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=")


def request_seeds():
    auth = lambda text: b"Basic " + base64.b64encode(text)
    items = {
        0: [auth(b"h.example.org:secret"), auth(b"user:pa:ss"), auth(b":"), b"Basic Zm9v",
            b"basic   aDpz==  ", b"Bearer abc", b"Basic \xff\xfe", auth(b"h\xc3\xa9.org:x")],
        1: [b"1.2.3.4", b"1.2.3.4,2001:db8::1", b"2001:db8:1f00::/56", b"::ffff:1.2.3.4",
            b" 10.0.0.1 , ::1 ", b"1.2.3.4/24", b"bad", b"1.2.3.4,", b",".join([b"::1"] * 17),
            b"2001:db8::/129", b"0.0.0.0/0", b"fe80::1%eth0"],
        2: [b"2001:db8:1f00::/56\n2001:db8::/48", b"2001:db8::", b"\n2001:db8::/64",
            b"2001:db8::/56\n2001:db8::/56", b"1.2.3.0/24", b"2001:db8::1/200"],
        3: [b"H.Example.ORG.", b"a..b", b"x" * 70 + b".org", b".", b"a.b.c.d.e.f.g",
            b"-bad-.example.org", b"xn--bcher-kva.example"],
        4: [b"192.0.2.1", b"2001:db8::1/64", b"::", b"1.2.3.4/33", b"01.2.3.4",
            b"1:2:3:4:5:6:7:8", b"1:2:3:4:5:6:1.2.3.4", b"::ffff:0:0/96"],
        5: [b"0.0.0.1", b"300", b"0x1f", b"::1", b"", b"4294967296", b"0xffffffff"],
        6: [b"::216:3eff:fe00:1", b"216:3eff:fe00:1", b"a:b", b"1:2:3:4:5", b"0x1ffffffffffffffff",
            b"1f:ff1f:ffff:ffff:ffff:ffff:ffff:ffff"],
        7: [b"a=1&b=%41+b&c", b"%zz", b"a=%00", b"&&=&", b"k=" + b"%41" * 100],
        8: [b"/domain/12/", b"/admin/auth/user/5/change/", b"/host/1/related/2/",
            b"/admin/../x/1/change/", b"/domain/9999999999999999999/", b"/"],
    }
    for sel, values in items.items():
        for v in values:
            yield bytes([sel]) + v


def dns_seeds():
    q4 = dns.message.make_query("h.example.org", "A")
    q6 = dns.message.make_query("h.example.org", "AAAA")
    qsoa = dns.message.make_query("example.org", "SOA")
    out = []

    def answer(q, rrsets=(), rcode=0, tc=False):
        r = dns.message.make_response(q)
        r.set_rcode(rcode)
        for rr in rrsets:
            r.answer.append(rr)
        if tc:
            r.flags |= dns.flags.TC
        return r.to_wire()

    a = dns.rrset.from_text("h.example.org.", 60, "IN", "A", "192.0.2.7")
    aaaa = dns.rrset.from_text("h.example.org.", 60, "IN", "AAAA", "2001:db8::7")
    cname = dns.rrset.from_text("h.example.org.", 60, "IN", "CNAME", "t.example.org.")
    ta = dns.rrset.from_text("t.example.org.", 60, "IN", "A", "192.0.2.8")
    loop = dns.rrset.from_text("t.example.org.", 60, "IN", "CNAME", "h.example.org.")
    soa = dns.rrset.from_text("example.org.", 60, "IN", "SOA",
                              "ns.example.org. admin.example.org. 1 2 3 4 5")
    out += [b"\x00" + answer(q4, [a]), b"\x00" + answer(q4, [cname, ta]),
            b"\x00" + answer(q4, [cname, loop]), b"\x00" + answer(q4, rcode=3),
            b"\x00" + answer(q4, [a], tc=True), b"\x00" + answer(q4, rcode=5),
            b"\x00" + answer(q6, [a]), b"\x01" + answer(q6, [aaaa]),
            b"\x01" + answer(q6, [cname]), b"\x00" + answer(q4)[:20]]
    out += [b"\x02" + answer(qsoa, [soa]), b"\x02" + answer(qsoa, rcode=9),
            b"\x02" + answer(qsoa, [a]), b"\x02" + answer(qsoa, tc=True)]
    upd = dns.message.make_query("example.org", "SOA")
    upd.set_opcode(dns.opcode.UPDATE)
    r = dns.message.make_response(upd)
    out += [b"\x03" + r.to_wire()]
    r.set_rcode(dns.rcode.REFUSED)
    out += [b"\x03" + r.to_wire(), b"\x03" + bytes(12)]
    return out


def config_seeds():
    return [
        b"[server]\nlisten = 127.0.0.1:8000\nthreads = 4\n",
        b"[database]\nurl = sqlite:///var/lib/nsupd/nsupd.db\n",
        b"[database]\nurl = postgresql://u:p@127.0.0.1:5432/db\n",
        b"[site]\nname = nsupd\nbase_url = https://nsupd.example\nwe_have_tls = true\n",
        b"[server]\nlisten = [::1]:8000\n[dns]\nquery_timeout_ms = 0\n",
        b"[server\nlisten=",
        b"[abuse]\nbad_agents = curl, wget\nbad_hosts = a.example.org\n",
        b"[mail]\nsmtp_url = smtp://127.0.0.1:25\nfrom = nsupd@example.org\n",
        b"[oidc.corp]\nissuer = https://idp.example\nclient_id = x\nclient_secret = y\n",
        b"key = value without a section\n",
        b"[server]\nthreads = 99999999999999999999\n",
        b"[registration]\nemail_blacklist = (\n",
    ]


def web_seeds():
    now = 1700000000
    claims = {"iss": "https://idp.example", "aud": "client-1", "sub": "u", "exp": now + 300,
              "iat": now, "nonce": "nonce-1", "email": "a@example.org", "email_verified": True}
    hdr = {"alg": "RS256", "kid": "k1"}
    jwt = b".".join([b64url(json.dumps(hdr).encode()), b64url(json.dumps(claims).encode()),
                     b64url(b"\x00" * 256)])
    out = [b"\x00de-CH,de;q=0.9,en;q=0.8", b"\x00fr;q=0, *", b"\x00", b"\x00de;q=1.5,fr;q=abc",
           b"\x01msgid \"Hosts\"\nmsgstr \"Rechner\"\n",
           b"\x01#, fuzzy\nmsgid \"a\"\nmsgstr \"b\"\n",
           b"\x01msgid \"\"\n\"x\\n\"\nmsgstr \"\"\n\"Content-Type: text/plain\\n\"\n",
           b"\x01msgid \"unterminated\n",
           b"\x02" + jwt, b"\x02a.b.c", b"\x02...", b"\x02" + jwt.replace(b"RS256", b"none"),
           b"\x03" + json.dumps(hdr).encode() + b"\n" + json.dumps(claims).encode(),
           b"\x03" + json.dumps(hdr).encode() + b"\n" +
           json.dumps(dict(claims, aud=["client-1", "other"], azp="client-1")).encode(),
           b"\x03" + json.dumps({"alg": "RS256"}).encode() + b"\n" +
           json.dumps(dict(claims, exp="soon")).encode(),
           b"\x03{}\n[]",
           b"\x04\x00\xc8good 1.2.3.4", b"\x04\x01\x91badauth", b"\x04\x00\xc8\x01\x02nochg",
           b"\x04\x00\x00", b"\x04\x01\xf4<html>911</html>",
           b"\x05123456", b"\x05 123 456 ", b"\x05abcdef", b"\x05ab12c-de34f",
           b"\x06a@example.org", b"\x06admin@example.com", b"\x06a@b", b"\x06" + b"x" * 300,
           b"\x07<script>alert('x')&\"</script>", b"\x07plain", b"\x07&amp;",
           b"\x08/overview/", b"\x08//evil.example/", b"\x08/\\evil.example", b"\x08/a/../b",
           b"\x08/host/1/?next=//x#y", b"\x08https://evil.example/", b"\x08/%2e%2e/",
           b"\x08/\tx"]
    return out


def template_seeds():
    return [
        b'{% extends "base.html" %}{% block content %}<h1>{{ page_name|upper }}</h1>'
        b'{% include "part.html" %}{% endblock %}',
        b'{% if user.staff and not form.next == "x" or n != 2 %}a{% elif n %}b{% else %}c'
        b'{% endif %}',
        b'{% for h in hosts %}{{ loop.index }}:{{ h.name|default:"-" }}{% if loop.last %}.'
        b'{% endif %}{% empty %}none{% endfor %}',
        b'{% trans "Hosts" n=n %} {% trans "Hi %(name)s" name=user.name %}',
        b'{{ user.id|int }} {{ n|yesno:"yes,no" }} {{ form.next|urlencode }} {{ 0|date }}'
        b' {{ hosts|length }} {{{ user.name }}} {# note #}',
        b'{% for kv in user %}{{ kv.key }}={{ kv.value }}{% endfor %}',
        b'{% if (n == 3) and (user.name != none) %}y{% endif %}',
        b'{% include "custom/page.html" %}',
        b'{% extends "custom/page.html" %}',
        b'{% block a %}{% block a %}{% endblock %}{% endblock %}',
        b'{{ a.b.c.d.e.f }}{{ }}{{ "lit" }}{% if %}{% endif %}',
        b'{% for x in %}{% endfor %}{% unknown %}{{ x|nofilter }}',
        b'{{ x', b'{% if x %}', b'{#', b'\x00{{ n }}',
    ]


def write(target, inputs):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        if name.startswith("seed-"):
            os.remove(os.path.join(d, name))
    for data in inputs:
        name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def main():
    write("request", list(request_seeds()))
    write("dns", dns_seeds())
    write("config", config_seeds())
    write("web", web_seeds())
    write("template", template_seeds())


if __name__ == "__main__":
    main()
