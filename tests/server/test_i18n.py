"""UI text goes through gettext: the shipped catalogue holds every text the code and templates use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from server.settings import PROJECT_DIR


def msgids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {str(m.id) for m in read_po(handle) if m.id}


def test_the_dutch_catalogue_is_up_to_date(tmp_path: Path) -> None:
    extracted = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-F",
            "babel.cfg",
            "-o",
            str(extracted),
            ".",
        ],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
    )
    missing = msgids(extracted) - msgids(PROJECT_DIR / "locale" / "nl" / "LC_MESSAGES" / "messages.po")
    assert not missing, f"run `make messages`; not in the catalogue: {sorted(missing)[:10]}"
    assert len(msgids(extracted)) > 100
