"""`weerbaar user …`: accounts, sign-in help, and personal data by account or by address."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from server import totp
from server.db import with_orm
from server.models import User
from server.settings import Settings


async def _user_with_email(email: str, *, active: bool = False) -> User | None:
    """The (active) user with this address, or None after saying so on stderr."""
    from server.auth import normalise_email

    user = await User.get_or_none(email=normalise_email(email), **({"is_active": True} if active else {}))
    if user is None:
        print(f"Geen {'actieve ' if active else ''}gebruiker met e-mailadres {email}.", file=sys.stderr)
    return user


def cmd_user_add(settings: Settings, args: argparse.Namespace) -> int:
    from server.users import add_user

    async def work() -> int:
        user = await add_user(args.email, args.name, args.role, args.org or "")
        print(f"Gebruiker {user.email} aangemaakt ({user.role}).")
        return 0

    return asyncio.run(with_orm(settings.database_url, work))


def cmd_user_login_link(settings: Settings, args: argparse.Namespace) -> int:
    from tortoise.transactions import in_transaction

    from server.audit import record
    from server.auth import issue_login_link

    async def work() -> int:
        user = await _user_with_email(args.email, active=True)
        if user is None:
            return 1
        async with in_transaction():
            link = await issue_login_link(user, settings.base_url)
            await record(None, "login_link_issued", user, "via de command line (ondersteuning)")
        print(link)
        return 0

    return asyncio.run(with_orm(settings.database_url, work))


def cmd_user_reset_second_factor(settings: Settings, args: argparse.Namespace) -> int:
    from server.users import reset_second_factor

    async def work() -> int:
        user = await _user_with_email(args.email)
        if user is None:
            return 1
        await reset_second_factor(user.id, actor=None)
        print(f"Tweede stap van {user.email} gewist; bij de volgende keer inloggen opnieuw instellen.")
        return 0

    return asyncio.run(with_orm(settings.database_url, work))


def cmd_user_totp_code(settings: Settings, args: argparse.Namespace) -> int:
    from server.auth import normalise_email

    if settings.is_production:
        print("Alleen beschikbaar in de ontwikkelomgeving.", file=sys.stderr)
        return 2

    async def work() -> int:
        user = await User.get_or_none(email=normalise_email(args.email))
        if user is None:
            print(f"Er is geen gebruiker met het e-mailadres {args.email}.", file=sys.stderr)
            return 1
        if not user.totp_secret:
            print(f"{user.email} heeft (nog) geen tweede stap ingesteld.", file=sys.stderr)
            return 1
        print(totp.code_for(user.totp_secret))
        return 0

    return asyncio.run(with_orm(settings.database_url, work))


def cmd_user_export(settings: Settings, args: argparse.Namespace) -> int:
    from server.app import personal_data_register
    from server.privacy import export_person

    async def work() -> int:
        user = await _user_with_email(args.email)
        if user is None:
            return 1
        _, content = await export_person(user.id, personal_data_register(), actor=None)
        await asyncio.to_thread(Path(args.out).write_bytes, content)
        print(f"Persoonsgegevens van gebruiker #{user.id} geschreven naar {args.out}.")
        return 0

    return asyncio.run(with_orm(settings.database_url, work))


def cmd_user_erase(settings: Settings, args: argparse.Namespace) -> int:
    from server.app import personal_data_register
    from server.privacy import erase_person

    if not args.confirm:
        print("Wissen kan niet ongedaan worden gemaakt; herhaal met --ja.", file=sys.stderr)
        return 2

    async def work() -> int:
        user = await _user_with_email(args.email)
        if user is None:
            return 1
        changed = await erase_person(user.id, personal_data_register(), actor=None)
        print(f"Persoonsgegevens van gebruiker #{user.id} gewist ({sum(changed.values())} rijen).")
        return 0

    return asyncio.run(with_orm(settings.database_url, work))


def cmd_address_export(settings: Settings, args: argparse.Namespace) -> int:
    from server.app import personal_data_register
    from server.privacy import export_address

    async def work() -> int:
        content = await export_address(args.email, personal_data_register(), actor=None)
        await asyncio.to_thread(Path(args.out).write_bytes, content)
        print(f"Persoonsgegevens bij dit adres geschreven naar {args.out}.")
        return 0

    return asyncio.run(with_orm(settings.database_url, work))


def cmd_address_erase(settings: Settings, args: argparse.Namespace) -> int:
    from server.app import personal_data_register
    from server.privacy import erase_address

    if not args.confirm:
        print("Wissen kan niet ongedaan worden gemaakt; herhaal met --ja.", file=sys.stderr)
        return 2

    async def work() -> int:
        changed = await erase_address(args.email, personal_data_register(), actor=None)
        print(f"Persoonsgegevens bij dit adres gewist ({sum(changed.values())} rijen).")
        return 0

    return asyncio.run(with_orm(settings.database_url, work))


def add_user_commands(commands: Any) -> None:
    """`weerbaar user …` on the command line's subparsers."""
    user = commands.add_parser("user", help="gebruikers").add_subparsers(dest="user_command", required=True)
    user_add = user.add_parser("add", help="gebruiker toevoegen (zonder uitnodigingsmail)")
    user_add.add_argument("--email", required=True)
    user_add.add_argument("--name", required=True)
    user_add.add_argument("--role", required=True, choices=["coordinator", "clerk", "trainer", "finance"])
    user_add.add_argument("--org", help="CBS-code, verplicht voor een griffier (bijv. GM0363)")
    user_add.set_defaults(handler=cmd_user_add)
    login_link = user.add_parser("login-link", help="eenmalige inloglink tonen (ondersteuning)")
    login_link.add_argument("email")
    login_link.set_defaults(handler=cmd_user_login_link)
    reset = user.add_parser("reset-second-factor", help="tweede stap wissen (verloren telefoon)")
    reset.add_argument("email")
    reset.set_defaults(handler=cmd_user_reset_second_factor)
    totp_code = user.add_parser("totp-code", help="huidige TOTP-code tonen (alleen ontwikkeling)")
    totp_code.add_argument("email")
    totp_code.set_defaults(handler=cmd_user_totp_code)
    export = user.add_parser("export", help="alle persoonsgegevens van een gebruiker als JSON (inzage)")
    export.add_argument("email")
    export.add_argument("--out", required=True, help="het JSON-bestand om te schrijven")
    export.set_defaults(handler=cmd_user_export)
    erase = user.add_parser("erase", help="persoonsgegevens van een gebruiker wissen (facturen blijven)")
    erase.add_argument("email")
    erase.add_argument("--ja", dest="confirm", action="store_true", help="bevestigen: niet ongedaan te maken")
    erase.set_defaults(handler=cmd_user_erase)
    address_export = user.add_parser(
        "export-address", help="inzage voor iemand zonder account (contactpersoon, deelnemer) op e-mailadres"
    )
    address_export.add_argument("email")
    address_export.add_argument("--out", required=True, help="het JSON-bestand om te schrijven")
    address_export.set_defaults(handler=cmd_address_export)
    address_erase = user.add_parser(
        "erase-address", help="gegevens van iemand zonder account wissen op e-mailadres"
    )
    address_erase.add_argument("email")
    address_erase.add_argument(
        "--ja", dest="confirm", action="store_true", help="bevestigen: niet ongedaan te maken"
    )
    address_erase.set_defaults(handler=cmd_address_erase)
