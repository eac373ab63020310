"""Several serving processes on one port: ``--workers N`` starts N copies of the command,
each listening with ``SO_REUSEPORT`` so that the kernel spreads connections over them, and
stops them all when it is stopped or when one of them ends.

Each worker is a process of its own (its own event loop, database pool and lists in memory,
kept fresh by change notifications), started afresh rather than forked: nothing a parent
opened is shared by accident. Each runs BLAS on one thread (see ``single_blas_thread``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

WORKERS_OPTION = "--workers"
REUSE_PORT_OPTION = "--reuse-port"
"""What the parent adds to each worker's command line: listen on a shared port."""
STOP_SECONDS = 30.0
BLAS_THREADS = (
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "OMP_NUM_THREADS",
)


def single_blas_thread() -> None:
    """One BLAS thread for this process, from now on (a serving process answers many small
    requests at once: each is over before BLAS threads could be woken, and several serving
    processes with a thread per core each would oversubscribe the machine). The variables
    are set for the processes it starts, which read them before numpy loads; this process's
    BLAS, loaded already, is limited through threadpoolctl. A variable set already is kept."""
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def worker_command(argv: Sequence[str], module: str) -> list[str]:
    """The command line of one worker: ``python -m module`` with ``argv`` less the
    ``--workers`` option, plus ``--reuse-port``."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == WORKERS_OPTION:
            skip = True
            continue
        if arg.startswith(WORKERS_OPTION + "="):
            continue
        kept.append(arg)
    return [sys.executable, "-m", module, *kept, REUSE_PORT_OPTION]


def run_workers(command: Sequence[str], workers: int) -> int:
    """Run ``workers`` copies of ``command`` until SIGINT or SIGTERM, or until one ends;
    then stop the others (SIGTERM, then SIGKILL after :data:`STOP_SECONDS`). The exit status
    is 0 when stopped by a signal and every worker stopped cleanly, else the first non-zero
    status of a worker."""
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes = [subprocess.Popen(list(command)) for _ in range(workers)]
        while not stopping and all(process.poll() is None for process in processes):
            time.sleep(0.2)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    statuses = [process.returncode for process in processes]
    failed = [status for status in statuses if status not in (0, -signal.SIGTERM)]
    if failed:
        return int(failed[0])
    return 0
