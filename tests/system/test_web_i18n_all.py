"""Every page in every shipped language (issue 3): the URL map is walked for
an anonymous visitor, a user with a domain, a host, a related host and a
forward configuration, and a staff user (admin pages), plus the pages that
only a POST shows (form errors, the new host secret). Each page is fetched
with Accept-Language en, de, fr and it and must

- answer the expected status in the asked language (<html lang=...>),
- show no template syntax or unfilled placeholder (%(name)s, {{, {%),
- show no None/null/undefined artefacts,
- show, in de/fr/it, no English text of a string its .po file has: every
  msgid whose text is on the English page must not be on the translated
  page unless the translation itself contains it.

Links found on the pages are checked against the walked map, so a new page
that nobody added here shows up as a failure."""

import html.parser
import os
import re

import pytest

from webworld import ALICE, STAFF, admin_walk, client, start_world, stop_world, walk

LANGS = ["en", "de", "fr", "it"]
PO_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "po")

# Same-origin paths that are not pages of this walk: remote login needs an
# OIDC provider (tests/system/test_web_remote.py), custom pages need a
# configured directory (test_web_basic.py), static files and the API.
NOT_PAGES = [r"/static/.*", r"/login/[^/]+/", r"/complete/[^/]+/", r"/custom/.*",
             r"/nic/.*", r"/myip", r"/detectip/.*", r"/ajax_get_ips/", r"/robots\.txt",
             r"/\.well-known/change-password"]


# ---- .po files -------------------------------------------------------------

def _unquote(parts):
    s = "".join(p[1:-1] for p in parts)
    return (s.replace('\\"', '"').replace("\\n", "\n").replace("\\t", "\t")
            .replace("\\\\", "\\"))


def read_po(lang):
    """{msgid: msgstr} of the page strings (templates and src/web), fuzzy and
    empty entries as "" (they show in English)."""
    out = {}
    with open(os.path.join(PO_DIR, lang + ".po"), encoding="utf-8") as f:
        entries = f.read().split("\n\n")
    for e in entries:
        refs, fuzzy, cur, mid, mstr = [], False, None, [], []
        for line in e.strip().split("\n"):
            if line.startswith("#:"):
                refs += line[2:].split()
            elif line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif line.startswith("msgid "):
                cur = mid
                cur.append(line[6:])
            elif line.startswith("msgstr "):
                cur = mstr
                cur.append(line[7:])
            elif line.startswith('"') and cur is not None:
                cur.append(line)
        msgid = _unquote(mid)
        if not msgid or not any(r.startswith(("templates/", "src/web/")) for r in refs):
            continue
        out[msgid] = "" if fuzzy else _unquote(mstr)
    return out


def fragments(msgid):
    """The literal pieces of a msgid long enough to be recognisable on a
    page (several words), without placeholders and markup."""
    out = []
    for piece in re.split(r"%\([a-z_0-9]+\)s|<[^>]*>|\n|&[a-z]+;", msgid):
        piece = " ".join(piece.split()).strip(" .,:;()")
        if len(piece) >= 12 and len(piece.split()) >= 2:
            out.append(piece)
    return out


CATALOGS = {lang: read_po(lang) for lang in LANGS if lang != "en"}


# ---- pages -----------------------------------------------------------------

class Text(html.parser.HTMLParser):
    """The visible text of a page (plus the attributes people read: titles,
    labels, placeholders, values of buttons, JS messages in data-*), and the
    same without <pre>/<code> (config snippets may say /dev/null)."""

    ATTRS = ("title", "placeholder", "aria-label", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.prose, self.skip, self.code, self.links = [], [], 0, 0, []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        if tag in ("pre", "code"):
            self.code += 1
        a = dict(attrs)
        for k, v in attrs:
            if v and (k in self.ATTRS or (k.startswith("data-") and " " in v) or
                      (k == "value" and a.get("type") in ("submit", "button"))):
                self.parts.append(v)
                self.prose.append(v)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form" and a.get("action"):
            self.links.append(a["action"])

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
        if tag in ("pre", "code") and self.code:
            self.code -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)
            if not self.code:
                self.prose.append(data)


def parse(page):
    t = Text()
    t.feed(page)
    t.close()
    norm = lambda parts: " ".join(" ".join(parts).split())  # noqa: E731
    return norm(t.parts), norm(t.prose), t.links


def pattern_of(path):
    path = path.split("?")[0].split("#")[0]
    return re.sub(r"/\d+(?=/)", "/<int>", path)


@pytest.fixture(scope="module")
def world(named, tmp_path_factory):
    w = start_world(named, tmp_path_factory.mktemp("web-i18n"))
    yield w
    stop_world(w)


def fetch(c, method, path, data, status):
    if method == "POST":
        r = c.post(path, data)
        assert r.status_code == status, (method, path, r.status_code, r.text[:3000])
        if status == 302:
            loc = r.headers["Location"]
            r = c.get(loc)
            assert r.status_code == 200, (path, loc, r.status_code)
            path = loc
    else:
        r = c.get(path, auth=(data or {}).get("auth"))
        assert r.status_code == status, (method, path, r.status_code, r.text[:3000])
    assert r.headers.get("Content-Type", "").startswith("text/html"), (path, r.headers)
    return path, r.text


def pages_in(world, lang):
    """{(who, method, path): html} of the whole walk in one language."""
    inst = world.inst
    clients = {None: client(inst, lang=lang), ALICE: client(inst, ALICE, lang=lang),
               STAFF: client(inst, STAFF, lang=lang)}
    out = {}
    for who, method, path, data, status in walk(world):
        shown, text = fetch(clients[who], method, path, data, status)
        out[(who, method, path)] = (shown, text)
        m = re.search(r'<code[^>]*id="secret">([^<]+)</code>', text)
        if method == "POST" and m:
            # A new secret: the browser updater needs it from now on.
            world.alice_host.secret = m.group(1)
    for path, status in admin_walk(clients[STAFF]):
        shown, text = fetch(clients[STAFF], "GET", path, None, status)
        out[(STAFF, "GET", path)] = (shown, text)
    return out


@pytest.fixture(scope="module")
def all_pages(world):
    return {lang: pages_in(world, lang) for lang in LANGS}


ARTEFACTS = [re.compile(r"\bNone\b"), re.compile(r"\bnull\b"), re.compile(r"\bundefined\b"),
             re.compile(r"\bNaN\b"), re.compile(r"\(null\)"), re.compile(r"\bTrue\b|\bFalse\b")]


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_renders_without_placeholders(all_pages, lang):
    problems = []
    for key, (shown, page) in all_pages[lang].items():
        if '<html lang="%s"' % lang not in page:
            problems.append((key, "not in %s" % lang))
        text, prose, _ = parse(page)
        for bad in ("%(", "{{", "}}", "{%", "%}", "{#", "#}"):
            if bad in text:
                i = text.index(bad)
                problems.append((key, "template syntax %r: ...%s..." % (bad, text[i - 60:i + 60])))
        if "(null)" in page:
            problems.append((key, "(null) in the HTML"))
        for rx in ARTEFACTS:
            m = rx.search(prose)
            if m:
                problems.append((key, "artefact %r: ...%s..." % (
                    m.group(0), prose[max(0, m.start() - 60):m.end() + 60])))
    assert not problems, "\n".join(map(str, problems))


def english_left(catalog, en_text, text):
    """[(kind, fragment)] of the catalog's strings that the English page
    shows and the translated page still shows in English."""
    out = []
    for msgid, msgstr in catalog.items():
        for frag in fragments(msgid):
            if frag in en_text and frag in text and frag not in msgstr:
                out.append(("untranslated" if not msgstr else "English", frag))
    return out


def test_the_english_check_can_fail(all_pages):
    """The comparison finds a string left in English (a German page with
    one English sentence planted into it)."""
    en = parse(all_pages["en"][(None, "GET", "/accounts/login/")][1])[0]
    de = parse(all_pages["de"][(None, "GET", "/accounts/login/")][1])[0]
    assert "Forgot your password?" in en and english_left(CATALOGS["de"], en, de) == []
    assert english_left(CATALOGS["de"], en, de + " Forgot your password?") == [
        ("English", "Forgot your password?")]


@pytest.mark.parametrize("lang", ["de", "fr", "it"])
def test_no_english_left_in_translated_pages(all_pages, lang):
    problems = []
    checked = 0
    for key, (shown, page) in all_pages[lang].items():
        en_text = parse(all_pages["en"][key][1])[0]
        checked += sum(1 for m in CATALOGS[lang] for f in fragments(m) if f in en_text)
        problems += [(key,) + p for p in english_left(CATALOGS[lang], en_text, parse(page)[0])]
    # The walk really compared many strings (about a thousand).
    assert checked > 500, checked
    # One line per (page, fragment): enough to find the string.
    assert not problems, "\n".join("%s %s: %r" % p for p in problems)


def test_the_walk_covers_every_linked_page(all_pages, world):
    """Every same-origin link or form target on the walked pages is a page
    of the walk (or one of the known non-pages)."""
    walked = {pattern_of(shown) for pages in all_pages.values() for shown, _ in pages.values()}
    walked |= {pattern_of(k[2]) for pages in all_pages.values() for k in pages}
    missing = {}
    for key, (shown, page) in all_pages["en"].items():
        for link in parse(page)[2]:
            if not link.startswith("/") or link.startswith("//"):
                continue
            pat = pattern_of(link)
            if pat in walked or any(re.fullmatch(rx, pat.split("?")[0]) for rx in NOT_PAGES):
                continue
            # POST-only targets (logout, language, update buttons) are forms,
            # not pages; they are listed in the CSRF test.
            if pat in ("/accounts/logout/", "/i18n/setlang/", "/nic/update_authorized",
                       "/nic/delete_authorized", "/accounts/login/two-factor/"):
                continue
            missing.setdefault(pat, key)
    assert not missing, missing


def test_german_pages_are_german(all_pages):
    """A few strings every user sees, as a readable sanity check of the
    generic comparison above."""
    de = all_pages["de"]
    assert "Anmelden" in parse(de[(None, "GET", "/accounts/login/")][1])[0]
    assert "Übersicht" in parse(de[(ALICE, "GET", "/overview/")][1])[0]
