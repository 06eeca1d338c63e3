"""Where a webhook may go: a public address, never this machine or a network behind it.

Checked when a subscription is saved and again before every delivery, after resolving the name: a
name that pointed to a public address when it was saved may point to 127.0.0.1 or 10.0.0.5 later
(DNS rebinding). The delivery then connects to the address that was checked, not to what a second
lookup returns (server.webhook_sender pins it). Refused: loopback, private (RFC 1918, ULA),
link-local (169.254.0.0/16 with the cloud metadata service, fe80::/10), carrier-grade NAT, multicast,
reserved and unspecified addresses, also inside an IPv4-mapped IPv6 address. The setting
WEERBAAR_WEBHOOKS_ALLOW_PRIVATE allows them for tests and development (refused in production).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from server.errors import DomainError
from server.forms import is_single_line
from server.i18n import _

MAX_URL_LENGTH = 2000


class AddressRefused(DomainError):
    """The URL is malformed, not https where that is required, or leads to a non-public address."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message, field="url")


@dataclass(frozen=True)
class Target:
    """A checked URL and the addresses its host resolved to (all checked), to connect to in order."""

    url: str
    host: str
    addresses: tuple[str, ...]


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def parse_url(url: str, *, require_https: bool) -> SplitResult:
    """The parts of a URL a webhook may use: http(s), a host, no user name or password in it."""
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH or not is_single_line(url) or " " in url:
        raise AddressRefused(_("Vul één webadres in, bijvoorbeeld https://planner.gemeente.nl/weerbaar."))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise AddressRefused(_("Dit is geen geldig webadres.")) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AddressRefused(_("Het adres moet met https:// beginnen."))
    if require_https and parts.scheme != "https":
        raise AddressRefused(_("Het adres moet met https:// beginnen: webhooks gaan alleen versleuteld."))
    if parts.username or parts.password:
        raise AddressRefused(_("Zet geen gebruikersnaam of wachtwoord in het adres."))
    return parts


async def resolve(url: str, *, allow_private: bool, require_https: bool) -> Target:
    """Check `url` and resolve its host; raises AddressRefused when it is malformed, cannot be found
    or (unless `allow_private`) resolves to any address that is not public."""
    parts = parse_url(url, require_https=require_https)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(_("Dit adres is niet te vinden. Controleer de naam van de server.")) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise AddressRefused(_("Dit adres is niet te vinden. Controleer de naam van de server."))
    if not allow_private and not all(is_public(address) for address in addresses):
        raise AddressRefused(
            _(
                "Dit adres hoort bij een intern of privé-netwerk (zoals localhost of 10.x.x.x). "
                "Webhooks gaan alleen naar openbare adressen op internet."
            )
        )
    return Target(url=url.strip(), host=host, addresses=tuple(addresses))
