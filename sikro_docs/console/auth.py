"""Who a console request comes from, and whether it may change anything.

- The session cookie (`sikro_console`: HttpOnly, SameSite=Lax, Secure over
  HTTPS) holds a random token; the server keeps its SHA-256 (accounts.sessions).
  A sign-in always makes a new token and ends the one the browser had, so a
  session id planted before sign-in is worth nothing (no fixation).
- Every state-changing request (POST) carries a CSRF token in its form:
  HMAC(console key, session token hash) for a signed-in page; before sign-in
  HMAC(console key, nonce) with the nonce in a short-lived cookie of its own.
  A POST whose Origin is another site, or that the browser marks cross-site, is
  refused too.
- The JSON API (/api/) takes only `Authorization: Bearer <token>` (a per-user
  API token), never the cookie: no browser sends that on its own, so the API
  needs no CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request

from ..keys import chain_secret
from ..web.forwarded import TrustedProxies, client_key

SESSION_COOKIE = "sikro_console"
LOGIN_COOKIE = "sikro_console_login"  # the nonce of the sign-in form's CSRF token
LANG_COOKIE = "sikro_console_lang"
CSRF_FIELD = "csrf"
LOGIN_NONCE_SECONDS = 3600
MAX_COOKIE_CHARS = 100


@lru_cache(maxsize=8)
def _key(keys_dir: str) -> bytes:
    # derived from the chain secret (keys/, owner-only), under a label of its own
    return hmac.new(chain_secret(Path(keys_dir)), b"sikro console csrf v1", hashlib.sha256).digest()


def csrf_token(ws, credential: str) -> str:
    """The CSRF token of a signed-in session (`credential`: its token hash)."""
    return hmac.new(_key(str(ws.keys_dir)), b"session|" + credential.encode(), hashlib.sha256).hexdigest()


def login_token(ws, nonce: str) -> str:
    return hmac.new(_key(str(ws.keys_dir)), b"login|" + nonce.encode(), hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def token_matches(expected: str, form: dict[str, list[str]]) -> bool:
    given = (form.get(CSRF_FIELD) or [""])[0]
    return bool(given) and hmac.compare_digest(expected, given)


def cookie(request: Request, name: str) -> str | None:
    value = request.cookies.get(name)
    return value if value and len(value) <= MAX_COOKIE_CHARS else None


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def same_origin(request: Request) -> bool:
    """False for a POST a browser says comes from another site or another host of this site
    (Sec-Fetch-Site), or whose Origin is another host. Under the pages' `Referrer-Policy:
    no-referrer` a browser sends `Origin: null` for its own forms: then Sec-Fetch-Site and the
    CSRF token decide."""
    if request.headers.get("sec-fetch-site", "").lower() in ("cross-site", "same-site"):
        return False
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def over_https(request: Request, proxies: TrustedProxies) -> bool:
    """The request came over HTTPS: directly, or as a trusted proxy's X-Forwarded-Proto says."""
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    return proxies.trusts(peer) and request.headers.get("x-forwarded-proto", "").lower() == "https"


def client_of(request: Request, proxies: TrustedProxies) -> str:
    """The client's address as the rate limit and the sign-in throttle count it."""
    return client_key(request.scope, proxies)


def safe_next(target: str | None) -> str:
    """A path of this site to go on to after sign-in; anything else (another site, //host) is home."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target[:500]
