"""Who the client is on the network (ID-BOT-02): its address, which no client can choose.

The peer address is the client's, unless the peer is one of the configured trusted proxies
(``TRUSTED_PROXIES``: the gateway). Then the client is the nearest address in
``X-Forwarded-For`` that is not a trusted proxy: each proxy appends the address it saw, so the
entries right of the client's are the proxies', and whatever stands left of it the client
wrote itself. uvicorn's own reading of the header is off (``servicekit.runtime.serve``), so this
is the only one; the API's and the pages' dependencies both ask it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_networks(setting: str) -> tuple[Network, ...]:
    """``TRUSTED_PROXIES`` (comma-separated networks, a bare address being its own /32 or
    /128) as the networks whose peers may name the client."""
    return tuple(
        ipaddress.ip_network(n.strip(), strict=False) for n in setting.split(",") if n.strip()
    )


def _address(text: str | None) -> Address | None:
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def _proxy(address: Address, proxies: tuple[Network, ...]) -> bool:
    return any(address in network for network in proxies)


def client_address(
    peer_host: str | None, forwarded_for: Sequence[str], proxies: tuple[Network, ...]
) -> str | None:
    """The client's address, from the peer's and, behind a trusted proxy, the request's
    ``X-Forwarded-For`` headers (every one of them, in order)."""
    peer = _address(peer_host)
    if peer is None or not _proxy(peer, proxies):
        return None if peer is None else str(peer)
    found = peer
    hops = ",".join(forwarded_for).split(",")
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        found = address
        if not _proxy(address, proxies):
            break
    return str(found)
