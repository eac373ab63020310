"""Logs: one JSON object a line for every record, access lines without query strings, and
lines written while the process runs, a warning at once."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from recoms.runtime.logs import JsonFormatter
from tests.recoms.test_cli import free_port, wait_until_healthy

EMAIL = "olena.petrenko@example.com"


def test_a_record_becomes_one_json_object_with_its_extras_and_traceback() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("tests.logs.json")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("imported %d lines\nof %s", 3, "orders.csv", extra={"kind": "orders"})
        try:
            raise ValueError("bad line")
        except ValueError:
            log.exception("import failed")
    finally:
        log.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "imported 3 lines\nof orders.csv"
    assert first["level"] == "WARNING"
    assert first["logger"] == "tests.logs.json"
    assert first["kind"] == "orders"
    assert first["time"].endswith("+00:00")
    assert "args" not in first
    assert second["level"] == "ERROR"
    assert "ValueError: bad line" in second["exception"]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_recoms_serve_logs_json_access_lines_without_the_query_string(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ, RECOMS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}")
    env.pop("RECOMS_API_KEY", None)
    env.pop("RECOMS_LOG_FORMAT", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "recoms", "serve", "--port", str(port), "--log-format", "json"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base)
        assert _get(f"{base}/api/v2/contacts/recoms/2?email={EMAIL}") == 200
        assert _get(f"{base}/api/v1/contacts/profile?email={EMAIL}") == 404
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    lines = [json.loads(line) for line in err.splitlines()]
    assert lines, "the server logged nothing"
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    access = [line for line in lines if line["logger"] == "recoms.access"]
    listed = next(line for line in access if (line.get("route") or "").startswith("/api/v2"))
    assert listed["route"] == "/api/v2/contacts/recoms/{dataSourceId}"
    assert listed["path"] == "/api/v2/contacts/recoms/2"
    assert listed["method"] == "GET"
    assert listed["status"] == 200
    assert listed["bytes"] > 0
    assert listed["duration_ms"] >= 0
    assert any(line["status"] == 404 for line in access)
    assert EMAIL not in err
    assert "olena.petrenko" not in err


LOGGING_PROCESS = """
import logging, sys
from recoms.runtime import logs

logs.FLUSH_SECONDS = float(sys.argv[1])
logs.configure_logging("text")
log = logging.getLogger("tests.logs.process")
for command in sys.stdin:
    level, message = command.split()
    log.log(getattr(logging, level), message)
"""


class LoggingProcess:
    """A process logging through ``configure_logging``'s handler a line for each line it is
    sent (``INFO message``), until its input ends; what it logs is read as it comes."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(process.stderr,), daemon=True).start()

    def say(self, level: str, message: str) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(f"{level} {message}\n")

    def next_message(self, *, within: float = 10.0) -> str:
        """The message of the next line logged, which must come ``within`` seconds."""
        try:
            line = self._lines.get(timeout=within)
        except queue.Empty:
            raise AssertionError(f"nothing was logged within {within} s") from None
        return line.split(": ", 1)[-1].strip()

    def _read(self, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            self._lines.put(line)

    def running(self) -> bool:
        return self._process.poll() is None

    def exit(self) -> None:
        """End its input and wait for it to exit."""
        assert self._process.stdin is not None
        self._process.stdin.close()
        assert self._process.wait(timeout=30) == 0


@contextlib.contextmanager
def logging_process(flush_seconds: float) -> Iterator[LoggingProcess]:
    with subprocess.Popen(
        [sys.executable, "-c", LOGGING_PROCESS, str(flush_seconds)],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    ) as process:
        try:
            yield LoggingProcess(process)
        finally:
            process.kill()


def test_info_lines_are_written_while_the_process_runs() -> None:
    with logging_process(flush_seconds=0.05) as process:
        process.say("INFO", "served")
        assert process.next_message() == "served"
        assert process.running()


def test_a_warning_is_written_at_once_after_the_lines_before_it_and_the_rest_at_exit() -> None:
    with logging_process(flush_seconds=3_600) as process:
        for level, message in [("INFO", "first"), ("INFO", "second"), ("WARNING", "third")]:
            process.say(level, message)
        assert [process.next_message() for _ in range(3)] == ["first", "second", "third"]
        process.say("INFO", "fourth")
        process.exit()
        assert process.next_message() == "fourth"
