"""The migration that rewrites phone numbers typed before they were checked, in the stored format."""

from __future__ import annotations

import json
import subprocess
import sys


async def test_old_phone_numbers_are_rewritten_and_unreadable_ones_kept(fresh_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.bookings.phone_migration", fresh_url],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["bookings"] == [
        {"reference": "WB-OUD001", "contact_phone": "+31 70 373 8314"},
        {"reference": "WB-OUD002", "contact_phone": "bel de bode"},
    ]
    assert outcome["contacts"] == [{"phone": "+31 30 123 4567"}]
