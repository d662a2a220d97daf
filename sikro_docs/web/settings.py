"""The site's settings from the profile: `[limits.web]` and `[web] trusted_proxies`.

`web_limits` stands in for `sikro_docs.limits.limits(profile, "web")` (built-in
defaults merged with the profile) until that module exists; swap the body,
keep the callers.
"""

from __future__ import annotations

from ..errors import SikroError
from .forwarded import TrustedProxies

DEFAULT_WEB_LIMITS = {
    "header_bytes": 8192,  # request line and headers (a token is < 1,000 characters)
    "body_bytes": 2048,  # the short-code form is a few dozen bytes
    "form_fields": 10,
}


def web_limits(profile: dict) -> dict[str, int]:
    """DEFAULT_WEB_LIMITS with `[limits.web]` of the profile over them; SikroError for a bad value."""
    given = ((profile.get("limits") or {}).get("web") or {})
    merged = {**DEFAULT_WEB_LIMITS}
    for name, value in given.items():
        if name not in DEFAULT_WEB_LIMITS:
            raise SikroError(f"[limits.web] {name}: unknown setting (known: {', '.join(DEFAULT_WEB_LIMITS)})")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SikroError(f"[limits.web] {name}: {value!r} is not a whole number of at least 1")
        merged[name] = value
    return merged


def trusted_proxies(profile: dict) -> TrustedProxies:
    return TrustedProxies.parse((profile.get("web") or {}).get("trusted_proxies") or [])
