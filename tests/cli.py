"""Running the `weerbaar` command as a user would, against a given database."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.hang_guard import HANG_GUARD_SECONDS


def cli_environment(url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "WEERBAAR_DATABASE_URL": url,
        "WEERBAAR_SECRET_KEY": "cli-test-secret-key-long-enough-1234567890",
        "WEERBAAR_BASE_URL": "http://weerbaar.test",
    }
    env.pop("WEERBAAR_SMTP_URL", None)
    return env


def weerbaar(
    url: str, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env={**cli_environment(url), **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def weerbaar_output(env: dict[str, str], *args: str) -> str:
    """What `weerbaar ARGS` prints, run with exactly `env`; a failing command fails the test."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
        check=True,
    ).stdout
