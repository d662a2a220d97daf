"""The site's settings from the profile: `[limits.web]` and `[web] trusted_proxies`.

`web_limits` stands in for `sikro_docs.limits.limits(profile, "web")` (built-in
defaults merged with the profile) until that module exists; swap the body,
keep the callers.
"""

from __future__ import annotations

from ..errors import EXIT_UNUSABLE, SikroError
from .forwarded import TrustedProxies


class WebSettingError(SikroError):
    """A setting of the site in sikro.toml that cannot be used (exit 2, before any worker starts)."""

    exit_code = EXIT_UNUSABLE
    code = "web-setting"

    def __init__(self, setting: str, value, why: str):
        self.setting, self.value = setting, value
        super().__init__(f"sikro.toml: {setting}: {why}")

# `sikro serve` hands request_seconds to its workers' HTTP protocol (http_limits) through this.
REQUEST_SECONDS_ENV = "SIKRO_WEB_REQUEST_SECONDS"
DEFAULT_WEB_LIMITS = {
    "header_bytes": 8192,  # request line and headers (a token is < 1,000 characters)
    "body_bytes": 2048,  # the short-code form is a few dozen bytes
    "form_fields": 10,
    "request_seconds": 10,  # for the whole request (headers and body) to arrive
}


def web_limits(profile: dict) -> dict[str, int]:
    """DEFAULT_WEB_LIMITS with `[limits.web]` of the profile over them; SikroError for a bad value."""
    given = ((profile.get("limits") or {}).get("web") or {})
    merged = {**DEFAULT_WEB_LIMITS}
    for name, value in given.items():
        if name not in DEFAULT_WEB_LIMITS:
            raise WebSettingError(f"[limits.web] {name}", value,
                                  f"unknown setting (known: {', '.join(DEFAULT_WEB_LIMITS)})")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise WebSettingError(f"[limits.web] {name}", value, f"{value!r} is not a whole number of at least 1")
        merged[name] = value
    return merged


def trusted_proxies(profile: dict) -> TrustedProxies:
    entries = (profile.get("web") or {}).get("trusted_proxies") or []
    try:
        return TrustedProxies.parse(entries)
    except ValueError as exc:
        raise WebSettingError("[web] trusted_proxies", entries, str(exc)) from None
