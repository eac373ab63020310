"""How the package is installed and run: its version, and the drivers that are optional extras."""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from bot.__main__ import main as bot_main
from recoms.__main__ import main as recoms_main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's .env or settings leak into these runs."""
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_TOKEN", "BOT_REDIS_URL", "BOT_DATABASE_URL", "BOT_RECOMS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RECOMS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'recoms.db'}")


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


@pytest.mark.parametrize(
    ("main", "prog"), [(recoms_main, "recoms"), (bot_main, "recoms-bot")], ids=["recoms", "bot"]
)
def test_both_commands_tell_their_version(
    main: Callable[[Sequence[str]], int], prog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"{prog} {project_version()}"


def only_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert len(lines) == 1, err
    return lines[0]


def test_a_postgresql_url_without_asyncpg_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # what Python sees when it is not installed
    monkeypatch.setenv("RECOMS_DATABASE_URL", "postgresql+asyncpg://shop:s3cret@127.0.0.1:1/db")
    assert recoms_main(["stats"]) == 2
    line = only_error_line(capsys.readouterr().err)
    assert line == (
        "recoms: error: a postgresql+asyncpg:// database URL needs the asyncpg package, "
        "which is not installed: pip install 'recoms-bot[postgres]'"
    )


def test_the_bot_names_the_missing_driver_of_its_own_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("BOT_DATABASE_URL", "postgresql+asyncpg://shop:s3cret@127.0.0.1:1/bot")
    assert bot_main(["audit"]) == 2
    line = only_error_line(capsys.readouterr().err)
    assert line.startswith("recoms-bot: error: a postgresql+asyncpg:// database URL needs")
    assert "pip install 'recoms-bot[postgres]'" in line
    assert "s3cret" not in line


def test_a_redis_url_without_the_redis_client_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("BOT_REDIS_URL", "redis://127.0.0.1:1/0")
    assert bot_main(["run", "--port", "0"]) == 2
    line = only_error_line(capsys.readouterr().err)
    assert line == (
        "recoms-bot: error: a redis:// URL needs the redis package, which is not installed: "
        "pip install 'recoms-bot[redis]'"
    )


def test_sqlite_and_memory_need_neither_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)
    monkeypatch.setitem(sys.modules, "redis", None)
    assert recoms_main(["stats"]) == 0
    assert "products" in capsys.readouterr().out


def install_steps(text: str) -> list[str]:
    """The commands that build the wheel and install it, one per entry, as the shell runs them."""
    joined = re.sub(r"\s*\\\n\s*", " ", text)
    commands = [
        part.strip()
        for line in joined.splitlines()
        for part in line.removeprefix("RUN ").split("&&")
    ]
    return [c for c in commands if c.startswith(('"$PYTHON" -m', '"$work/venv/bin/pip"'))]


def test_the_dockerfile_installs_the_wheel_as_ci_checks_it() -> None:
    """CI cannot build the image; it runs .ci/wheel-check, so the image must do what that does."""
    checked = install_steps((ROOT / ".ci" / "wheel-check").read_text(encoding="utf-8"))
    image = install_steps((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    assert len(checked) == 5
    assert any("--require-hashes" in step and "requirements.lock" in step for step in checked)
    assert image == checked
