"""The site's settings from the profile: `[limits.web]` and `[web] trusted_proxies`."""

from __future__ import annotations

from ..errors import EXIT_UNUSABLE, SikroError
from ..limits import limits
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
DEFAULT_WEB_LIMITS = limits(None, "web")  # the built-in [limits.web] of the default profile


def web_limits(profile: dict) -> dict[str, int]:
    """`[limits.web]` of the profile over the built-in defaults (the one loader: sikro_docs.limits)."""
    return limits(profile, "web")


def trusted_proxies(profile: dict) -> TrustedProxies:
    entries = (profile.get("web") or {}).get("trusted_proxies") or []
    try:
        return TrustedProxies.parse(entries)
    except ValueError as exc:
        raise WebSettingError("[web] trusted_proxies", entries, str(exc)) from None
