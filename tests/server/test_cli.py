"""The `weerbaar` command, run as a user would, against a fresh database of the kind under test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import weerbaar
from tests.paths import SHARED_DATA

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX only")


async def test_migrate_demo_import_and_users(fresh_url: str, tmp_path: Path) -> None:
    migrate = weerbaar(fresh_url, "migrate")
    assert migrate.returncode == 0 and "Tourcijfers van 0 organisaties opnieuw berekend" in migrate.stdout

    demo = weerbaar(fresh_url, "demo")
    assert demo.returncode == 0, demo.stderr
    rebuild = weerbaar(fresh_url, "figures", "rebuild")
    assert rebuild.returncode == 0 and "opnieuw berekend" in rebuild.stdout, rebuild.stderr
    assert demo.stdout.count("http://weerbaar.test/inloggen/link/") == 6
    assert "Coördinator: Carla de Coördinator <coordinator@weerbaar.example>" in demo.stdout
    assert "Griffier: Gijs Griffier <griffier.amsterdam@weerbaar.example>" in demo.stdout
    assert "Tortoise" not in demo.stdout + demo.stderr, "the ORM's log lines only with --verbose"
    again = weerbaar(fresh_url, "demo")
    assert "niet opnieuw geladen" in again.stdout

    provinces = weerbaar(fresh_url, "orgs", "import", str(SHARED_DATA / "provincies.csv"))
    assert "9 nieuw, 0 bijgewerkt, 3 ongewijzigd" in provinces.stdout, provinces.stderr
    first = weerbaar(fresh_url, "orgs", "import", str(SHARED_DATA / "gemeenten.csv"))
    assert "336 nieuw, 0 bijgewerkt, 6 ongewijzigd" in first.stdout
    second = weerbaar(fresh_url, "orgs", "import", str(SHARED_DATA / "gemeenten.csv"))
    assert "0 nieuw, 0 bijgewerkt, 342 ongewijzigd" in second.stdout

    added = weerbaar(
        fresh_url,
        "user",
        "add",
        "--email",
        "Nieuw@Zeist.nl",
        "--name",
        "Nieuwe Griffier",
        "--role",
        "clerk",
        "--org",
        "GM0355",
    )
    assert added.returncode == 0 and "nieuw@zeist.nl" in added.stdout
    no_org = weerbaar(fresh_url, "user", "add", "--email", "x@zeist.nl", "--name", "X", "--role", "clerk")
    assert no_org.returncode == 1 and "organisation" in no_org.stderr

    link = weerbaar(fresh_url, "user", "login-link", "nieuw@zeist.nl")
    assert link.returncode == 0 and link.stdout.startswith("http://weerbaar.test/inloggen/link/")
    unknown = weerbaar(fresh_url, "user", "login-link", "niemand@zeist.nl")
    assert unknown.returncode == 1

    nobody = weerbaar(fresh_url, "user", "totp-code", "niemand@weerbaar.example")
    assert nobody.returncode == 1
    assert "geen gebruiker met het e-mailadres niemand@weerbaar.example" in nobody.stderr
    clerk_code = weerbaar(fresh_url, "user", "totp-code", "griffier.amsterdam@weerbaar.example")
    assert "heeft (nog) geen tweede stap ingesteld" in clerk_code.stderr
    code = weerbaar(fresh_url, "user", "totp-code", "coordinator@weerbaar.example")
    assert code.returncode == 0 and len(code.stdout.strip()) == 6
    reset = weerbaar(fresh_url, "user", "reset-second-factor", "coordinator@weerbaar.example")
    assert reset.returncode == 0, reset.stderr
    assert weerbaar(fresh_url, "user", "totp-code", "coordinator@weerbaar.example").returncode == 1


async def test_bad_csv_is_reported_without_a_traceback(fresh_url: str, tmp_path: Path) -> None:
    weerbaar(fresh_url, "migrate")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    result = weerbaar(fresh_url, "orgs", "import", str(bad))
    assert (
        result.returncode == 1 and "Onbekende kolommen" in result.stderr and "Traceback" not in result.stderr
    )


def test_production_without_a_secret_is_refused() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEERBAAR_")}
    env["WEERBAAR_ENV"] = "production"
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and "WEERBAAR_SECRET_KEY" in result.stderr
