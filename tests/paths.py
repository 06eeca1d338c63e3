"""Where the shared data of the project lives (beside the repository, never copied into it)."""

from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
