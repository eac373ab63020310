"""Without an admin key the servers listen on loopback only, say so, and refuse anything else."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from recoms.httpkit import is_loopback

ELSEWHERE = ["0.0.0.0", "::", "192.0.2.10", "shop.example"]


@pytest.fixture
def keyless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("RECOMS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'api.db'}")
    for name in ("RECOMS_API_KEY", "RECOMS_HOST", "BOT_HOST", "BOT_RECOMS_URL", "BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def one_line_error(err: str, program: str, setting: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{program}: error: refusing to listen on")
    assert setting in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("host", ELSEWHERE)
def test_recoms_serve_refuses_to_listen_elsewhere_without_a_key(
    keyless: Path, host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from recoms.__main__ import main

    assert main(["serve", "--host", host, "--port", str(free_port())]) == 2
    one_line_error(capsys.readouterr().err, "recoms", "RECOMS_API_KEY")


def test_recoms_host_from_the_environment_is_refused_too(
    keyless: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from recoms.__main__ import main

    monkeypatch.setenv("RECOMS_HOST", "0.0.0.0")
    assert main(["demo", "--port", str(free_port())]) == 2
    one_line_error(capsys.readouterr().err, "recoms", "RECOMS_API_KEY")


@pytest.mark.parametrize("host", ELSEWHERE)
def test_recoms_bot_run_refuses_to_listen_elsewhere_without_a_key(
    keyless: Path, host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    assert main(["run", "--host", host]) == 2
    one_line_error(capsys.readouterr().err, "recoms-bot", "RECOMS_API_KEY")


def test_a_bot_on_a_remote_engine_names_the_key_its_web_app_uses(
    keyless: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    monkeypatch.setenv("BOT_RECOMS_URL", "https://recoms.shop.example")
    monkeypatch.delenv("BOT_RECOMS_API_KEY", raising=False)
    assert main(["run", "--host", "0.0.0.0"]) == 2
    one_line_error(capsys.readouterr().err, "recoms-bot", "BOT_RECOMS_API_KEY")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("", False),
        ("::", False),
        ("::ffff:127.0.0.1", False),
        ("10.0.0.1", False),
        ("localhost.shop.example", False),
    ],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve(tmp_path: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    environment = dict(os.environ, RECOMS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 's.db'}")
    environment.pop("RECOMS_API_KEY", None)
    environment.pop("RECOMS_HOST", None)
    environment.update(env)
    return subprocess.Popen(
        [sys.executable, "-m", "recoms", "serve", *args],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def lines_until_serving(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("serving"):
            break
    return lines


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=30)
    if process.stdout is not None:
        process.stdout.close()


def test_without_a_key_serve_says_so_and_listens_on_loopback(tmp_path: Path) -> None:
    port = free_port()
    process = serve(tmp_path, "--port", str(port))
    try:
        lines = lines_until_serving(process)
        assert any("no RECOMS_API_KEY" in line and "loopback" in line for line in lines), lines
        assert lines[-1].startswith(f"serving the recoms API on http://127.0.0.1:{port}/")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
            assert answer.status == 200
    finally:
        stop(process)


def test_with_a_key_serve_listens_on_every_address(tmp_path: Path) -> None:
    port = free_port()
    process = serve(tmp_path, "--host", "0.0.0.0", "--port", str(port), RECOMS_API_KEY="k-123")
    try:
        lines = lines_until_serving(process)
        assert lines, "the server printed nothing"
        assert lines[-1].startswith("serving"), lines
        assert not any("no RECOMS_API_KEY" in line for line in lines)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/stats")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        refused.value.close()
        assert refused.value.code == 401
    finally:
        stop(process)
