"""The migration to the day-rate history carries every existing rate over, valid since 1900."""

from __future__ import annotations

import json
import subprocess
import sys


async def test_existing_day_rates_move_into_the_history(fresh_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.bookings.day_rate_migration", fresh_url],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["rates"] == [
        {"trainer_id": outcome["user_id"], "valid_from": "1900-01-01", "day_rate_cents": 65000}
    ]
    assert "day_rate_cents" not in outcome["profile_columns"]
    assert "is_vat_registered" in outcome["profile_columns"]
