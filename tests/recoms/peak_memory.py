"""The peak resident memory of a Python script run in a fresh interpreter, for tests that
bound what an import may cost."""

from __future__ import annotations

import subprocess
import sys

# The kernel's high-water mark of the process's own memory since it started: unlike
# ru_maxrss, it does not count what the forking test process held.
_REPORT = """
for _line in open("/proc/self/status"):
    if _line.startswith("VmHWM:"):
        print("peak-kB", _line.split()[1])
"""


def peak_rss_mb(script: str) -> tuple[float, str]:
    """Run ``script`` (which must succeed) and return its peak RSS in MB and what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", script + _REPORT], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    printed, _, peak = done.stdout.rpartition("peak-kB ")
    return int(peak) / 1024, printed
