"""JSON logs: one object a line for every record, and access lines without query strings."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

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
