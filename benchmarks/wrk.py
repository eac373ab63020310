"""HTTP load with wrk (a C load generator, so the client does not bound the figures), or with
the Python client of ``benchmarks/load.py`` when wrk is missing (those figures are marked as
bound by the client).

wrk runs with the Lua scripts of ``benchmarks/lua``: ``paths.lua`` asks a random path of a
file at each request (a random known customer), ``events.lua`` posts tracker events; both end
with ``report.lua``'s JSON line, read here.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load import run_load

LUA = Path(__file__).resolve().parent / "lua"
WRK_MISSING = (
    "wrk not found: HTTP figures come from the Python client and are bound by it (marked "
    "'client-bound'); install wrk for real ones: apt-get install wrk"
)


@dataclass(frozen=True)
class Figures:
    """One load run: completed requests, refused ones (non-2xx and socket errors), time."""

    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    client_bound: bool = False

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def line(self, name: str, floor: Figures | None = None) -> str:
        text = (
            f"{name:<28} {self.rate:>9,.0f} req/s   p50 {self.p50_ms:7.2f} ms   "
            f"p99 {self.p99_ms:7.2f} ms   errors {self.errors}"
        )
        if floor is not None and floor is not self:
            text += (
                f"   = {self.rate / floor.rate:4.0%} of the floor's req/s, "
                f"p99 {self.p99_ms / floor.p99_ms:4.1f}x the floor's"
            )
        if self.client_bound:
            text += "   (client-bound: Python client)"
        return text


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def _wrk(
    url: str, script: str, args: Sequence[str], *, seconds: float, connections: int
) -> Figures:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(LUA / script),
        url,
        "--",
        *args,
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK_JSON "))
    data = json.loads(line.removeprefix("WRK_JSON "))
    refused = sum(data[key] for key in ("connect", "read", "write", "status", "timeout"))
    return Figures(
        requests=data["requests"],
        errors=refused,
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )


def load_paths(base: str, paths: Sequence[str], *, seconds: float, connections: int) -> Figures:
    """GET a random one of ``paths`` (each starting with ``/``) per request from ``base``."""
    if have_wrk():
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as file:
            file.write("\n".join(paths) + "\n")
            file.flush()
            return _wrk(base, "paths.lua", [file.name], seconds=seconds, connections=connections)
    shuffled = list(paths)
    random.Random(1).shuffle(shuffled)
    result = asyncio.run(
        run_load([base + path for path in shuffled], concurrency=connections, seconds=seconds)
    )
    return Figures(
        requests=result.requests,
        errors=result.errors,
        seconds=result.seconds,
        p50_ms=result.percentile(50),
        p99_ms=result.percentile(99),
        client_bound=True,
    )


def post_events(
    base: str,
    products: Sequence[str],
    *,
    per_request: int,
    seconds: float,
    connections: int,
    prefix: str,
) -> Figures:
    """POST ProductPage events (``per_request`` a request) with wrk; needs wrk."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as file:
        file.write("\n".join(products) + "\n")
        file.flush()
        return _wrk(
            base,
            "events.lua",
            [str(per_request), file.name, prefix],
            seconds=seconds,
            connections=connections,
        )
