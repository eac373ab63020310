"""Logging of both processes: plain text lines, or one JSON object per line for a collector."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from datetime import UTC, datetime
from typing import Literal, TextIO

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Drivers log statement parameters (phones, emails) at DEBUG; alembic is chatty at INFO.
QUIET = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "alembic")
FLUSH_SECONDS = 0.2
"""Longest an info line waits to be written."""
MAX_PENDING_LINES = 1_000
"""Lines held at most: more are written at once, however soon."""

_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", ...extras}``: the fields a record was given
    with ``extra=`` come along, and a traceback as ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _RECORD_FIELDS and not key.startswith("_")
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _ProcessHandler(logging.StreamHandler[TextIO]):
    """The handler ``configure_logging`` installs, and so may replace.

    A warning or worse is written at once, with what came before it; other lines within
    ``FLUSH_SECONDS``, together (and at exit). A serving process logs a line per request,
    and a write to the stream per line was a tenth of what answering a request cost. A
    process killed outright loses at most that last fraction of a second of info lines, as
    a web server's buffered access log does."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._closed = threading.Event()
        threading.Thread(target=self._flush_often, name="log writer", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        # Called by ``handle`` with the handler's lock held.
        try:
            self._pending.append(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)
            return
        if record.levelno >= logging.WARNING or len(self._pending) >= MAX_PENDING_LINES:
            try:
                self.flush()
            except Exception:
                self.handleError(record)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            if self._pending:
                text = "".join(self._pending)
                self._pending.clear()
                self.stream.write(text)
            self.stream.flush()

    def close(self) -> None:
        self._closed.set()
        try:
            self.flush()
        finally:
            super().close()

    def _flush_often(self) -> None:
        while not self._closed.wait(FLUSH_SECONDS):
            try:
                self.flush()
            except Exception:  # a closed or broken stream: nothing left to write to
                return


def configure_logging(
    log_format: LogFormat, *, level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """Every record of the process to ``stream`` (stderr) in ``log_format``, at ``level``.

    A second call replaces what the first installed (a command's settings may choose JSON
    after the program started in text); handlers someone else installed on the root logger
    (a test runner, an application embedding ours) are left alone, and then so is the level."""
    root = logging.getLogger()
    for installed in [h for h in root.handlers if isinstance(h, _ProcessHandler)]:
        root.removeHandler(installed)
        installed.close()
    if not root.handlers:
        _lighter_records()
        handler = _ProcessHandler(stream or sys.stderr)
        json_lines = log_format == "json"
        handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
        root.addHandler(handler)
        root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def _lighter_records() -> None:
    """Records without what neither format writes: the caller's file and line (a walk up the
    stack at each record), the thread and the process. The access log writes a record per
    request, and these are a quarter of its cost (the logging HOWTO's "Optimization")."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def log_format_argument(parser: argparse.ArgumentParser, setting: str) -> None:
    """``--log-format text|json``, whose default is the ``setting`` named."""
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        help=f"text lines, or one JSON object per line (default {setting}, text)",
    )
