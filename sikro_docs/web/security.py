"""The guard around the whole page: rate limit, body size, security headers, and never a traceback.

It is a plain ASGI wrapper (not Starlette's BaseHTTPMiddleware) so that it
also covers the responses Starlette makes itself (404, 405, its 500) and
costs little per request.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from .forwarded import TrustedProxies, client_key

log = logging.getLogger("sikro.web")
HTML = b"text/html; charset=utf-8"
CLOSE = (b"connection", b"close")

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    (b"x-robots-tag", b"noindex, nofollow"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    # The page is only ever served over HTTPS (behind the office's proxy); over plain HTTP browsers ignore it.
    (b"strict-transport-security", b"max-age=31536000"),
]
NO_STORE = (b"cache-control", b"no-store")
STATIC_CACHE = (b"cache-control", b"public, max-age=86400")
STATIC_PREFIX = "/static/"

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")


@dataclass(frozen=True)
class RateLimit:
    """`requests` per `seconds` per client address (a token bucket of that size; rate_table)."""

    requests: int
    seconds: float

    @classmethod
    def parse(cls, text: str | None) -> RateLimit | None:
        """"30/10s" (or "30/10"); "off" disables the limit (for benchmarks only); ValueError otherwise."""
        text = (text or "").strip().lower()
        if text == "off":
            return None
        match = _RATE.match(text)
        if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
            raise ValueError(f"rate limit {text!r}: expected REQUESTS/SECONDS like 30/10s, or off")
        return cls(int(match.group(1)), float(match.group(2)))

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds:g}s"


@dataclass(frozen=True)
class Answers:
    """The bodies of the answers the guard gives itself, rendered once at start (so that giving
    them can never fail): HTML pages in both languages, and JSON for /api/."""

    too_many_html: bytes
    too_many_json: bytes
    too_large_html: bytes
    bad_request_html: bytes
    server_error_html: bytes


class Guard:
    """ASGI wrapper: rate limit first, then the body's size, headers on every response, a plain
    500 page on any error, one quiet line for a client that went away.

    `limiter` is a RateTable (shared by the server's workers) or None; the client is whom
    `proxies` say (forwarded.client_key). A body larger than `body_bytes` is answered 413
    without reading more of it (and the connection closed): at once when its Content-Length
    says so, else when the application has read that much.
    """

    def __init__(self, app, *, limiter, proxies: TrustedProxies, body_bytes: int, answers: Answers,
                 csp: str = CSP, upload_paths: tuple[str, ...] = (), upload_bytes: int = 0):
        self.app = app
        self.limiter = limiter
        self.proxies = proxies
        self.body_bytes = body_bytes
        self.answers = answers
        self.headers = [(b"content-security-policy", csp.encode()), *SECURITY_HEADERS[1:]]
        # the paths that take a file (a workbook, a scan) take a body up to upload_bytes
        self.upload_paths, self.upload_bytes = upload_paths, upload_bytes

    def _body_bound(self, scope) -> int:
        if self.upload_paths and scope.get("method") == "POST" and scope["path"].startswith(self.upload_paths):
            return max(self.body_bytes, self.upload_bytes)
        return self.body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = _with_security_headers(message.get("headers", []), scope["path"],
                                                            self.headers)
            await send(message)

        wait = self.limiter.wait_seconds(client_key(scope, self.proxies)) if self.limiter else 0.0
        if wait > 0:
            return await self._too_many(scope, send_with_headers, wait)
        declared = _declared_length(scope)
        if declared is None or _has_nul(scope):
            return await self._refuse(send_with_headers, 400, self.answers.bad_request_html)
        bound = self._body_bound(scope)
        if declared > bound:
            return await self._refuse(send_with_headers, 413, self.answers.too_large_html)
        try:
            await self.app(scope, bounded_receive(receive, bound), send_with_headers)
        except ClientDisconnect:
            log.warning("client went away during %s %s", scope.get("method"), _path_for_log(scope))
        except HTTPException as exc:  # raised outside a route (Starlette answers those inside)
            if not started:
                body = self.answers.too_large_html if exc.status_code == 413 else self.answers.bad_request_html
                await self._refuse(send_with_headers, exc.status_code, body)
        except Exception:  # a bug: logged here, never shown to the client
            log.exception("error answering %s %s", scope.get("method"), _path_for_log(scope))
            if not started:
                await _send_body(send_with_headers, 500, self.answers.server_error_html, HTML)

    async def _refuse(self, send, status: int, body: bytes):
        # The rest of the request is never read: the connection cannot carry another one.
        await _send_body(send, status, body, HTML, extra=[CLOSE])

    async def _too_many(self, scope, send, wait: float):
        is_api = scope["path"].startswith("/api/")
        body = self.answers.too_many_json if is_api else self.answers.too_many_html
        kind = b"application/json" if is_api else HTML
        retry = str(max(1, math.ceil(wait))).encode()
        # Closed: a refused client's body (if any) is never read, and its next try costs it a connection.
        await _send_body(send, 429, body, kind, extra=[(b"retry-after", retry), CLOSE])


def _declared_length(scope) -> int | None:
    """The Content-Length (0 without one); None when it is not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.strip()
            return int(text) if text.isdigit() and len(text) <= 18 else None
    return 0


def bounded_receive(receive, limit: int):
    """`receive` that raises HTTPException(413) (connection closed) once the body passes `limit`
    bytes: a chunked body says its size only by arriving."""
    seen = 0

    async def bounded():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413, headers={"connection": "close"})
        return message

    return bounded


def _path_for_log(scope) -> str:
    # A token in a log is harmless (it is printed on paper) but long; keep the log readable.
    path = scope.get("path", "")
    return path if len(path) <= 40 else path[:40] + "…"


def _with_security_headers(headers, path: str, security_headers=SECURITY_HEADERS) -> list:
    headers = [h for h in headers if h[0].lower() != b"server"]
    headers.extend(security_headers)
    if not any(name.lower() == b"cache-control" for name, _ in headers):
        headers.append(STATIC_CACHE if path.startswith(STATIC_PREFIX) else NO_STORE)
    return headers


async def _send_body(send, status: int, body: bytes, content_type: bytes, extra=()):
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _has_nul(scope) -> bool:
    """A NUL character in the path or the query (%00): no address or value of ours holds one, and
    PostgreSQL refuses text that does (the request would end as a 500 there, not as a 400)."""
    return "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"") \
        or b"\x00" in scope.get("query_string", b"")
