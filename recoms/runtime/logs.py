"""Logging of both processes: plain text lines, or one JSON object per line for a collector."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Literal, TextIO

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Drivers log statement parameters (phones, emails) at DEBUG; alembic is chatty at INFO.
QUIET = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "alembic")

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
    """The handler ``configure_logging`` installs, and so may replace."""


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
