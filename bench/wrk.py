"""Running `wrk` (Debian's HTTP load generator, written in C) and reading its report.

Pages are plain `wrk` runs with the session cookie as a header. Writes go through `requests.lua`,
which sends the requests listed in a file (method, path, cookie, body per line), each connection
taking the next one, so that every write is a different booking, answer or invoice.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).with_name("requests.lua")
THREADS = 2
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    #: Requests without an answer within wrk's timeout (10 s): too slow, not refused.
    timeouts: int = 0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def available() -> bool:
    return shutil.which("wrk") is not None


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def parse(report: str) -> Result:
    """The figures of a `wrk --latency` report; errors are socket errors and non-2xx/3xx answers,
    timeouts are counted apart."""
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", report)
    if done is None:
        raise ValueError(f"wrk gaf geen resultaat:\n{report}")
    p50 = re.search(r"^ +50% +(\S+) *$", report, re.MULTILINE)
    p99 = re.search(r"^ +99% +(\S+) *$", report, re.MULTILINE)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write) (\d+)", report))
    timeouts = re.search(r"timeout (\d+)", report)
    status = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    errors += int(status.group(1)) if status else 0
    return Result(
        requests=int(done.group(1)),
        seconds=_milliseconds(done.group(2) + done.group(3)) / 1000,
        p50_ms=_milliseconds(p50.group(1)) if p50 else 0.0,
        p99_ms=_milliseconds(p99.group(1)) if p99 else 0.0,
        errors=errors,
        timeouts=int(timeouts.group(1)) if timeouts else 0,
    )


def run(
    url: str,
    *,
    connections: int,
    seconds: float,
    cookie: str = "",
    request_file: Path | None = None,
) -> Result:
    """Drive `url` with `connections` keep-alive connections for `seconds` (GET, or the listed requests)."""
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "--latency",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if request_file is not None:
        command += ["-s", str(LUA_SCRIPT)]
    command.append(url)
    if request_file is not None:
        command += ["--", str(request_file), str(THREADS)]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    return parse(completed.stdout)
