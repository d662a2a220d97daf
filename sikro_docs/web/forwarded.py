"""Who the client is: the peer, or the address a trusted reverse proxy says it forwarded for.

X-Forwarded-For is a list each proxy appends the address it received from.
Only the entries added by proxies of our own are believed: walking the
chain from the right (the peer, then the header's entries from the last),
the client is the first address that is not one of `[web] trusted_proxies`.
What the client wrote itself is left of that and never counts, so rotating
the header does not give anyone a fresh rate-limit bucket.

An IPv6 client is counted by its /64 (one subscriber's network): otherwise
one phone could take a new bucket from 2^64 addresses.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

FORWARDED_FOR = b"x-forwarded-for"
# Hops looked at, from the right: a proxy chain longer than this is not ours.
MAX_HOPS = 16
MAX_KEY_CHARS = 64  # an entry that is not an address is counted by its start
IPV6_CLIENT_PREFIX = 64


@lru_cache(maxsize=4096)
def _address(text: str):
    """The IP address in `text` (IPv4-mapped IPv6 as IPv4), None when it is not one. A port some
    proxies add (`203.0.113.5:4711`, `[2001:db8::1]:4711`) is dropped: it changes every connection."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple = ()

    @classmethod
    def parse(cls, entries) -> TrustedProxies:
        """From `[web] trusted_proxies` (addresses or networks); ValueError naming a bad entry."""
        if isinstance(entries, str):
            entries = [part for part in entries.replace(",", " ").split() if part]
        networks = []
        for entry in entries or ():
            try:
                networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network "
                                 "(e.g. \"127.0.0.1\" or \"10.0.0.0/24\")") from None
        return cls(tuple(networks))

    def trusts(self, text: str) -> bool:
        if not self.networks:
            return False
        address = _address(text)
        return address is not None and any(address in network for network in self.networks)


def client_key(scope, proxies: TrustedProxies) -> str:
    """The rate-limit key of the request's client (see the module docstring)."""
    peer = scope.get("client")
    peer = str(peer[0]) if peer else "unknown"
    if not proxies.trusts(peer):
        return _key(peer)
    hops = _forwarded_hops(scope.get("headers", ()))
    for hop in reversed(hops):
        if not proxies.trusts(hop):
            return _key(hop)
    return _key(hops[0] if hops else peer)


def _forwarded_hops(headers) -> list[str]:
    values = [value.decode("latin-1") for name, value in headers if name == FORWARDED_FOR]
    hops = [hop.strip() for value in values for hop in value.split(",") if hop.strip()]
    return hops[-MAX_HOPS:]


def _key(text: str) -> str:
    address = _address(text)
    if address is None:
        return text[:MAX_KEY_CHARS]
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(address)
