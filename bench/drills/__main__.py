"""`python -m bench.drills [restart] [sigkill]` (`make drills`): run the drills, PASS or FAIL each,
exit 1 when one failed. Logs of the servers stay in the printed folder when a drill fails."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.drills import postgres_restart, sigkill
from bench.drills.cluster import private_cluster

DRILLS = {"restart": postgres_restart.run, "sigkill": sigkill.run}


async def main(names: list[str]) -> int:
    folder = Path(tempfile.mkdtemp(prefix="weerbaar-drills-"))
    failed = []
    with private_cluster() as cluster:
        print(f"private PostgreSQL cluster on 127.0.0.1:{cluster.port} ({cluster.bin})", flush=True)
        for name in names:
            started = time.monotonic()
            drill_folder = folder / name
            drill_folder.mkdir()
            result = await DRILLS[name](cluster, drill_folder)
            verdict = "PASS" if result.passed else "FAIL"
            print(f"\n{verdict}  {name} ({time.monotonic() - started:.0f} s)")
            for line in result.lines:
                print(f"      {line}")
            if not result.passed:
                failed.append(name)
    if failed:
        print(f"\nFAIL: {', '.join(failed)}; logs in {folder}")
        return 1
    shutil.rmtree(folder, ignore_errors=True)
    print("\nPASS: all drills")
    return 0


if __name__ == "__main__":
    chosen = sys.argv[1:] or list(DRILLS)
    unknown = [name for name in chosen if name not in DRILLS]
    if unknown:
        sys.exit(f"unknown drill(s): {', '.join(unknown)}; choose from {', '.join(DRILLS)}")
    sys.exit(asyncio.run(main(chosen)))
