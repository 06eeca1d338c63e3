"""The systemd units in deploy/systemd: valid for systemd (`systemd-analyze verify`, where the tool
exists; else they must at least parse), and their commands are commands `weerbaar` has."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from server.cli import build_parser
from server.settings import PROJECT_DIR

UNITS = PROJECT_DIR / "deploy" / "systemd"
INSTALLED_AT = "/opt/weerbaar"


def units() -> list[Path]:
    return sorted(path for path in UNITS.iterdir() if path.suffix in (".service", ".timer"))


def parsed(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def test_there_are_units_for_serve_worker_and_the_backup() -> None:
    assert {path.name for path in units()} == {
        "weerbaar.service",
        "weerbaar-worker.service",
        "weerbaar-backup.service",
        "weerbaar-backup.timer",
    }


@pytest.mark.parametrize("name", ["weerbaar.service", "weerbaar-worker.service", "weerbaar-backup.service"])
def test_each_service_runs_a_weerbaar_command(name: str) -> None:
    service = parsed(UNITS / name)["Service"]
    command = shlex.split(service["ExecStart"].replace("%%", "%"))
    if command[0] == "/bin/sh":  # the backup: the command is the shell's script
        command = shlex.split(command[-1].removeprefix("exec "))
    assert command[0] == f"{INSTALLED_AT}/.venv/bin/weerbaar"
    build_parser().parse_args(command[1:])  # exits (SystemExit) on a command weerbaar lacks
    assert service["User"] == "weerbaar" and service["NoNewPrivileges"] == "yes"
    assert service["EnvironmentFile"] == "/etc/weerbaar/weerbaar.env"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """`systemd-analyze verify` on the units as installed here (this checkout instead of /opt/weerbaar,
    folders of the test instead of /etc and /var): no error and no warning."""
    (tmp_path / "weerbaar.env").write_text("WEERBAAR_ENV=development\n")
    for unit in units():
        text = unit.read_text().replace(INSTALLED_AT, str(PROJECT_DIR))
        text = text.replace("/etc/weerbaar", str(tmp_path)).replace("/var/backups/weerbaar", str(tmp_path))
        (tmp_path / unit.name).write_text(text)
    checked = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / unit.name) for unit in units())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.strip() == "", checked.stderr
