"""The guard around the whole page: rate limit, security headers, and never a traceback.

It is a plain ASGI wrapper (not Starlette's BaseHTTPMiddleware) so that it
also covers the responses Starlette makes itself (404, 405, its 500) and
costs little per request.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections import OrderedDict
from dataclasses import dataclass

log = logging.getLogger("sikro.web")

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
    """`requests` per `seconds` per client address (a token bucket of that size)."""

    requests: int
    seconds: float

    @classmethod
    def parse(cls, text: str | None) -> "RateLimit | None":
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


class TokenBucketLimiter:
    """Per-client token buckets, refilled continuously; bounded memory.

    Only the `max_clients` most recently seen addresses are remembered: a
    forgotten one starts again with a full bucket, which is what it would
    have after waiting anyway.
    """

    def __init__(self, limit: RateLimit, max_clients: int = 100_000, clock=time.monotonic):
        self.capacity = float(limit.requests)
        self.refill_per_second = limit.requests / limit.seconds
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def wait_seconds(self, client: str) -> float:
        """0 when `client` may make this request now (and count it), else how long to wait."""
        now = self.clock()
        tokens, last = self._buckets.pop(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.refill_per_second)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.refill_per_second
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait


class Guard:
    """ASGI wrapper: rate limit first, headers on every response, a plain 500 page on any error.

    `pages` gives the bodies of the 429 and 500 answers: they are rendered
    once at start, so answering them can itself never fail.
    """

    def __init__(self, app, *, limiter: TokenBucketLimiter | None, too_many_html: bytes,
                 too_many_json: bytes, server_error_html: bytes):
        self.app = app
        self.limiter = limiter
        self.too_many_html = too_many_html
        self.too_many_json = too_many_json
        self.server_error_html = server_error_html

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = _with_security_headers(message.get("headers", []), scope["path"])
            await send(message)

        wait = self.limiter.wait_seconds(_client_address(scope)) if self.limiter else 0.0
        if wait > 0:
            return await self._too_many(scope, send_with_headers, wait)
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:  # a bug: logged here, never shown to the client
            log.exception("error answering %s %s", scope.get("method"), _path_for_log(scope))
            if not started:
                await _send_body(send_with_headers, 500, self.server_error_html, b"text/html; charset=utf-8")

    async def _too_many(self, scope, send, wait: float):
        is_api = scope["path"].startswith("/api/")
        body = self.too_many_json if is_api else self.too_many_html
        kind = b"application/json" if is_api else b"text/html; charset=utf-8"
        retry = str(max(1, math.ceil(wait))).encode()
        await _send_body(send, 429, body, kind, extra=[(b"retry-after", retry)])


def _client_address(scope) -> str:
    # Behind the office's reverse proxy uvicorn puts the X-Forwarded-For address here
    # (--forwarded-allow-ips trusts only the proxy), so each citizen has their own bucket.
    client = scope.get("client")
    return client[0] if client else "unknown"


def _path_for_log(scope) -> str:
    # A token in a log is harmless (it is printed on paper) but long; keep the log readable.
    path = scope.get("path", "")
    return path if len(path) <= 40 else path[:40] + "…"


def _with_security_headers(headers, path: str) -> list:
    headers = [h for h in headers if h[0].lower() != b"server"]
    headers.extend(SECURITY_HEADERS)
    if not any(name.lower() == b"cache-control" for name, _ in headers):
        headers.append(STATIC_CACHE if path.startswith(STATIC_PREFIX) else NO_STORE)
    return headers


async def _send_body(send, status: int, body: bytes, content_type: bytes, extra=()):
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
