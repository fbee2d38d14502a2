"""A small OpenID Connect / OAuth2 provider for the remote login tests, on
127.0.0.1 only: discovery document, authorize endpoint (no login form: it
answers at once for `provider.user`), token endpoint (client
authentication, redirect_uri and PKCE S256 checked), RS256-signed ID tokens
(python3-cryptography), JWKS and userinfo; plus GitHub-style endpoints
under /github/ (OAuth2 without ID tokens, /github/user, /github/user/emails).

Knobs for the negative tests: `bad_signature` (sign with a key that is not
in the JWKS, under the published kid), `nonce_override`, `aud_override`,
`expired`."""

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64(n):
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class OidcProvider:
    CLIENT_ID = "nsupd-test-client"
    CLIENT_SECRET = "s3cret+/=&x"        # needs form-encoding in HTTP Basic
    GH_CLIENT_ID = "gh-test-client"
    GH_CLIENT_SECRET = "gh-s3cret"
    KID = "test-key-1"

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.user = {"sub": "alice-0001", "email": "alice@example.org",
                     "preferred_username": "alice"}
        self.gh_user = {"id": 4711, "login": "octo", "email": None}
        self.gh_emails = [{"email": "octo@example.net", "primary": True, "verified": True}]
        self.bad_signature = False
        self.nonce_override = None
        self.aud_override = None
        self.expired = False
        self.codes = {}
        self.authorize_requests = []
        self.token_requests = []
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):
                pass

            def do_GET(self):
                provider._get(self)

            def do_POST(self):
                provider._post(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    # --- configuration for nsupd ------------------------------------------

    def config(self, github=True):
        text = ("\n[oidc.testidp]\ntitle = Test IdP\nclient_id = %s\nclient_secret = %s\n"
                "discovery_url = %s/.well-known/openid-configuration\n"
                % (self.CLIENT_ID, self.CLIENT_SECRET, self.base))
        if github:
            text += ("\n[oauth.github]\nclient_id = %s\nclient_secret = %s\n"
                     "authorize_url = %s/github/authorize\ntoken_url = %s/github/token\n"
                     "userinfo_url = %s/github/user\n"
                     % (self.GH_CLIENT_ID, self.GH_CLIENT_SECRET, self.base, self.base,
                        self.base))
        return text

    # --- tokens --------------------------------------------------------------

    def jwks(self):
        pub = self.key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.KID,
                          "n": int_b64(pub.n), "e": int_b64(pub.e)}]}

    def sign(self, claims):
        header = {"alg": "RS256", "typ": "JWT", "kid": self.KID}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode())).encode()
        key = self.other_key if self.bad_signature else self.key
        sig = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return signing_input.decode() + "." + b64url(sig)

    def id_token(self, user, nonce):
        now = int(time.time())
        claims = dict(user)
        claims.update({
            "iss": self.base,
            "aud": self.aud_override or self.CLIENT_ID,
            "iat": now - (4000 if self.expired else 0),
            "exp": now + (-3000 if self.expired else 300),
            "nonce": self.nonce_override if self.nonce_override is not None else nonce,
            "email_verified": True,
        })
        return self.sign(claims)

    # --- HTTP ------------------------------------------------------------------

    def _send(self, h, status, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else b""
        h.send_response(status)
        if body is not None:
            h.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _get(self, h):
        url = urllib.parse.urlsplit(h.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        path = url.path
        if path == "/.well-known/openid-configuration":
            return self._send(h, 200, {
                "issuer": self.base,
                "authorization_endpoint": self.base + "/authorize",
                "token_endpoint": self.base + "/token",
                "userinfo_endpoint": self.base + "/userinfo",
                "jwks_uri": self.base + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            })
        if path == "/jwks":
            return self._send(h, 200, self.jwks())
        if path in ("/authorize", "/github/authorize"):
            github = path.startswith("/github/")
            with self.lock:
                self.authorize_requests.append(dict(q))
            want_client = self.GH_CLIENT_ID if github else self.CLIENT_ID
            if q.get("client_id") != want_client or q.get("response_type") != "code" \
                    or q.get("code_challenge_method") != "S256" or not q.get("code_challenge") \
                    or not q.get("state") or not q.get("redirect_uri"):
                return self._send(h, 400, {"error": "invalid_request"})
            code = secrets.token_urlsafe(16)
            with self.lock:
                self.codes[code] = {"client_id": want_client, "redirect_uri": q["redirect_uri"],
                                    "challenge": q["code_challenge"], "nonce": q.get("nonce"),
                                    "user": dict(self.gh_user if github else self.user),
                                    "github": github}
            sep = "&" if "?" in q["redirect_uri"] else "?"
            loc = q["redirect_uri"] + sep + urllib.parse.urlencode(
                {"code": code, "state": q["state"]})
            return self._send(h, 302, None, {"Location": loc})
        token = (h.headers.get("Authorization") or "")
        if not token.startswith("Bearer "):
            return self._send(h, 401, {"error": "no token"})
        token = token[7:]
        with self.lock:
            grant = self.codes.get("access:" + token)
        if grant is None:
            return self._send(h, 401, {"error": "bad token"})
        if path == "/userinfo" and not grant["github"]:
            return self._send(h, 200, grant["user"])
        if path == "/github/user" and grant["github"]:
            return self._send(h, 200, grant["user"])
        if path == "/github/user/emails" and grant["github"]:
            return self._send(h, 200, self.gh_emails)
        return self._send(h, 404, {"error": "not found"})

    def _post(self, h):
        n = int(h.headers.get("Content-Length") or 0)
        form = dict(urllib.parse.parse_qsl(h.rfile.read(n).decode()))
        path = urllib.parse.urlsplit(h.path).path
        with self.lock:
            self.token_requests.append({"path": path, "form": dict(form),
                                        "auth": h.headers.get("Authorization")})
        if path not in ("/token", "/github/token"):
            return self._send(h, 404, {"error": "not found"})
        github = path.startswith("/github/")
        if github:
            cid, csecret = form.get("client_id"), form.get("client_secret")
            ok_client = cid == self.GH_CLIENT_ID and csecret == self.GH_CLIENT_SECRET
        else:
            auth = h.headers.get("Authorization") or ""
            ok_client = False
            if auth.startswith("Basic "):
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                ok_client = (urllib.parse.unquote_plus(user) == self.CLIENT_ID and
                             urllib.parse.unquote_plus(pw) == self.CLIENT_SECRET)
        if not ok_client:
            return self._send(h, 401, {"error": "invalid_client"})
        with self.lock:
            grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or form.get("grant_type") != "authorization_code" \
                or grant["redirect_uri"] != form.get("redirect_uri") \
                or grant["github"] != github:
            return self._send(h, 400, {"error": "invalid_grant"})
        verifier = form.get("code_verifier", "")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
            return self._send(h, 400, {"error": "invalid_grant",
                                       "error_description": "PKCE verification failed"})
        access = secrets.token_urlsafe(24)
        with self.lock:
            self.codes["access:" + access] = grant
        body = {"access_token": access, "token_type": "Bearer", "expires_in": 3600}
        if not github:
            body["id_token"] = self.id_token(grant["user"], grant["nonce"])
        return self._send(h, 200, body)
