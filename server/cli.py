"""The `weerbaar` command: serve, migrate, worker, demo data, organisations, tour figures, users and
invoice exports."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from server import clock, demo
from server.background import background_tasks
from server.backup import add_backup_commands
from server.cli_users import add_user_commands
from server.db import apply_migrations, make_migrations, pending_model_changes, with_orm
from server.errors import DomainError
from server.logs import configure_logging
from server.metrics import metrics_folder
from server.settings import Settings, SettingsError, load_settings
from server.users import ROLE_LABELS


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    with metrics_folder(args.workers, settings.metrics_multiprocess_dir):
        uvicorn.run(
            "server.app:app_from_environment",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            proxy_headers=True,
            log_level="info",
            log_config=None,  # the app's JSON lines (server/logs.py), set up in each worker
            access_log=False,  # the app logs each request itself, without the path's tokens
        )
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(apply_migrations(settings.database_url))
    print("Database bijgewerkt.")
    # A database from before the stored tour figures (or restored from a backup) gets them here.
    return cmd_figures_rebuild(settings, args)


def cmd_figures_rebuild(settings: Settings, args: argparse.Namespace) -> int:
    from reporting.figures import rebuild_figures

    count = asyncio.run(with_orm(settings.database_url, rebuild_figures))
    print(f"Tourcijfers van {count} organisaties opnieuw berekend.")
    return 0


def cmd_makemigrations(settings: Settings, args: argparse.Namespace) -> int:
    if args.check:
        pending = asyncio.run(pending_model_changes())
        for name in pending:
            print(f"Ontbrekende migratie: {name}")
        return 1 if pending else 0
    for path in asyncio.run(make_migrations()):
        print(f"Aangemaakt: {path}")
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """The mail sender and the periodic jobs as a process of their own (stops on SIGTERM/SIGINT)."""
    from server.app import background_loops, periodic_jobs

    if not settings.smtp_url:
        print("Let op: WEERBAAR_SMTP_URL is niet ingesteld; mail blijft in de wachtrij.", file=sys.stderr)

    async def work() -> int:
        loop = asyncio.get_running_loop()
        async with background_tasks(
            settings, periodic_jobs(settings), background_loops(settings, worker=True)
        ) as stop:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await stop.wait()
        return 0

    return asyncio.run(with_orm(settings.database_url, work))


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    if settings.is_production:
        print("Demogegevens horen niet in productie.", file=sys.stderr)
        return 2

    from bookings.demo import load_bookings_demo
    from bookings.invitations_demo import load_invitations_demo
    from feedback.demo import load_feedback_demo
    from invoicing.demo import load_invoicing_demo
    from reporting.demo import load_reporting_demo

    async def work() -> int:
        if await demo.load_demo():
            await load_bookings_demo()
            await load_invitations_demo(settings)
            await load_feedback_demo()
            await load_invoicing_demo()
            await load_reporting_demo()
            print("Demogegevens geladen.")
        else:
            print("De database heeft al gebruikers: demogegevens niet opnieuw geladen.")
        if args.links:
            print("\nEenmalige inloglinks (15 minuten geldig):")
            for user, link in await demo.demo_login_links(settings.base_url):
                print(f"\n  {str(ROLE_LABELS[user.role]).capitalize()}: {user.name} <{user.email}>\n  {link}")
            print(
                "\nCoördinator en financiën vragen om een tweede stap: de code uit een authenticator-app "
                f"met sleutel {demo.DEMO_TOTP_SECRET}, of `weerbaar user totp-code EMAIL`."
            )
        return 0

    return asyncio.run(with_orm(settings.database_url, work))


def cmd_orgs_import(settings: Settings, args: argparse.Namespace) -> int:
    from server.mergers import run_import

    return asyncio.run(with_orm(settings.database_url, lambda: run_import(Path(args.file), args.mergers)))


def cmd_history_import(settings: Settings, args: argparse.Namespace) -> int:
    from reporting.history import run_import

    return asyncio.run(with_orm(settings.database_url, lambda: run_import(Path(args.file))))


def cmd_contacts_import(settings: Settings, args: argparse.Namespace) -> int:
    from bookings.contacts import import_contacts_command

    return asyncio.run(with_orm(settings.database_url, lambda: import_contacts_command(Path(args.file))))


def cmd_invoices_export(settings: Settings, args: argparse.Namespace) -> int:
    from invoicing.exports import parse_period, write_period
    from server.errors import ValidationFailed

    try:
        first, last = parse_period(args.first, args.last)
    except ValidationFailed as error:
        for message in error.errors.values():
            print(f"Fout: {message}", file=sys.stderr)
        return 2

    async def work() -> int:
        written = await write_period(first, last, Path(args.out))
        for path in written:
            print(path)
        documents = sum(1 for path in written if path.suffix == ".pdf")
        print(f"{len(written)} bestanden geschreven ({documents} documenten van {first} tot en met {last}).")
        return 0

    return asyncio.run(with_orm(settings.database_url, work))


def cmd_invoices_issue_drafts(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import timedelta

    from invoicing.batch import issue_drafts

    async def work() -> int:
        lease = timedelta(seconds=settings.lease_seconds)
        progress = await issue_drafts(args.ids or None, actor=None, lease=lease)
        print(f"{len(progress.issued)} van {progress.total} concepten uitgereikt.")
        if progress.issued:
            print(f"Nummers {progress.issued[0]} tot en met {progress.issued[-1]}.")
        for invoice_id, reason in progress.skipped.items():
            print(f"Concept {invoice_id} niet uitgereikt: {reason}")
        return 0

    return asyncio.run(with_orm(settings.database_url, work))


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    from server.retention import purge_expired

    async def work() -> int:
        report = await purge_expired()
        print(
            f"Verwijderd: {report.login_links} inloglinks, {report.sessions} sessies, "
            f"{report.rate_limit_hits} inlogpogingen, {report.webhook_events} webhookgebeurtenissen; "
            f"{report.mail_bodies} mailteksten gewist."
        )
        return 0

    return asyncio.run(with_orm(settings.database_url, work))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="weerbaar", description="Weerbaar: beheer en server.")
    parser.add_argument(
        "--verbose", action="store_true", help="ook de informatieregels van ORM en databasedrivers"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="de webserver starten")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="migraties toepassen").set_defaults(handler=cmd_migrate)
    makemigrations = commands.add_parser("makemigrations", help="migraties maken na een modelwijziging")
    makemigrations.add_argument(
        "--check", action="store_true", help="alleen controleren; exit 1 bij verschil"
    )
    makemigrations.set_defaults(handler=cmd_makemigrations)
    commands.add_parser("worker", help="mail versturen als eigen proces").set_defaults(handler=cmd_worker)

    demo_parser = commands.add_parser("demo", help="demogegevens laden (alleen in een lege database)")
    demo_parser.add_argument("--no-links", dest="links", action="store_false", help="geen inloglinks tonen")
    demo_parser.set_defaults(handler=cmd_demo)

    orgs = commands.add_parser("orgs", help="organisaties").add_subparsers(dest="orgs_command", required=True)
    orgs_import = orgs.add_parser("import", help="gemeenten of provincies importeren (CBS-formaat)")
    orgs_import.add_argument("file")
    orgs_import.add_argument("--mergers", help="CSV met old_cbs_code,new_cbs_code,effective_on")
    orgs_import.set_defaults(handler=cmd_orgs_import)
    history = commands.add_parser("history", help="vóór de app").add_subparsers(dest="h", required=True)
    history_import = history.add_parser("import", help="CSV met cbs_code,step,held_on,participants,note")
    history_import.add_argument("file")
    history_import.set_defaults(handler=cmd_history_import)
    figures = commands.add_parser("figures", help="tourcijfers").add_subparsers(dest="f", required=True)
    figures.add_parser(
        "rebuild", help="de opgeslagen tourcijfers van alle organisaties opnieuw berekenen"
    ).set_defaults(handler=cmd_figures_rebuild)
    contacts = commands.add_parser("contacts", help="contactpersonen").add_subparsers(dest="c", required=True)
    contacts_import = contacts.add_parser("import", help="CSV met cbs_code,function,name,email,phone")
    contacts_import.add_argument("file")
    contacts_import.set_defaults(handler=cmd_contacts_import)

    invoices = commands.add_parser("invoices", help="facturen").add_subparsers(
        dest="invoices_command", required=True
    )
    invoices_export = invoices.add_parser(
        "export", help="pdf's, e-facturen (UBL) en journaal.csv van een periode wegschrijven"
    )
    invoices_export.add_argument(
        "--from", dest="first", required=True, help="eerste factuurdatum (JJJJ-MM-DD)"
    )
    invoices_export.add_argument("--to", dest="last", required=True, help="laatste factuurdatum (JJJJ-MM-DD)")
    invoices_export.add_argument("--out", required=True, help="map voor de bestanden (wordt aangemaakt)")
    invoices_export.set_defaults(handler=cmd_invoices_export)
    issue_drafts = invoices.add_parser(
        "issue-drafts", help="alle concepten (of de gekozen) uitreiken: nummer, pdf en e-factuur"
    )
    issue_drafts.add_argument(
        "--id", dest="ids", type=int, action="append", help="alleen dit concept (herhaalbaar)"
    )
    issue_drafts.set_defaults(handler=cmd_invoices_issue_drafts)

    add_user_commands(commands)
    add_backup_commands(commands)
    commands.add_parser(
        "purge", help="verlopen inloglinks, sessies en pogingen verwijderen; oude mailteksten wissen"
    ).set_defaults(handler=cmd_purge)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_format, verbose=args.verbose)
        clock.start_from_setting(settings.clock_start)
        return args.handler(settings, args)
    except SettingsError as error:
        print(f"Configuratiefout: {error}", file=sys.stderr)
        return 2
    except DomainError as error:
        print(f"Fout: {error.message}", file=sys.stderr)
        if hasattr(error, "errors"):
            for field, message in error.errors.items():
                print(f"  {field}: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
