"""The console's settings from the profile: `[console]` (rate limit, proxies, cookies) and the
HTTP bounds of `[limits.console]` (the accounts' rules there are accounts.AccountPolicy's)."""

from __future__ import annotations

from dataclasses import dataclass

from ..limits import limits
from ..web.forwarded import TrustedProxies
from ..web.security import RateLimit
from ..web.settings import WebSettingError

DEFAULT_RATE_LIMIT = "120/10s"
SECURE_COOKIES = ("auto", "always", "never")


@dataclass(frozen=True)
class ConsoleSettings:
    rate_limit: RateLimit | None
    proxies: TrustedProxies
    secure_cookies: str  # auto | always | never
    header_bytes: int
    body_bytes: int
    form_fields: int
    request_seconds: float
    upload_bytes: int


def console_settings(profile: dict) -> ConsoleSettings:
    section = profile.get("console") or {}
    bounds = limits(profile, "console")
    text = section.get("rate_limit", DEFAULT_RATE_LIMIT)
    try:
        rate = RateLimit.parse(str(text))
    except ValueError as exc:
        raise WebSettingError("[console] rate_limit", text, str(exc)) from None
    entries = section.get("trusted_proxies") or []
    try:
        proxies = TrustedProxies.parse(entries)
    except ValueError as exc:
        raise WebSettingError("[console] trusted_proxies", entries, str(exc)) from None
    secure = str(section.get("secure_cookies", "auto")).lower()
    if secure not in SECURE_COOKIES:
        raise WebSettingError("[console] secure_cookies", secure, f"must be one of {', '.join(SECURE_COOKIES)}")
    return ConsoleSettings(rate, proxies, secure, int(bounds["header_bytes"]), int(bounds["body_bytes"]),
                           int(bounds["form_fields"]), float(bounds["request_seconds"]),
                           int(bounds["upload_bytes"]))
