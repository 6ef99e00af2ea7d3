"""Who the client is on the network (ID-BOT-02): its address, which no client can choose.

The peer address is the client's, unless the peer is one of the configured trusted proxies
(``TRUSTED_PROXIES``: the gateway). Then the client is the nearest address in
``X-Forwarded-For`` that is not a trusted proxy: each proxy appends the address it saw, so the
entries right of the client's are the proxies', and whatever stands left of it the client
wrote itself. uvicorn's own reading of the header is off (``servicekit.runtime.serve``), so this
is the only one.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import Depends, Request

from services.identity.usecases.context import Client

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(setting: str) -> tuple[Network, ...]:
    """``TRUSTED_PROXIES`` (comma-separated networks, a bare address being its own /32 or
    /128) as the networks whose peers may name the client."""
    return tuple(
        ipaddress.ip_network(n.strip(), strict=False) for n in setting.split(",") if n.strip()
    )


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def _proxy(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: tuple[Network, ...]
) -> bool:
    return any(address in network for network in proxies)


async def client_address(request: Request) -> str | None:
    peer = _address(request.client.host if request.client else None)
    proxies: tuple[Network, ...] = request.app.state.trusted_proxies
    if peer is None or not _proxy(peer, proxies):
        return None if peer is None else str(peer)
    found = peer
    hops = ",".join(request.headers.getlist("x-forwarded-for")).split(",")
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        found = address
        if not _proxy(address, proxies):
            break
    return str(found)


ClientAddress = Annotated[str | None, Depends(client_address)]


async def client(request: Request, address: ClientAddress) -> Client:
    """The client as the records name it: its address and its browser."""
    return Client(address, request.headers.get("user-agent"))


ClientDep = Annotated[Client, Depends(client)]
