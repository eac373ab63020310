"""Every setting is documented where a deployer looks: .env.example and README's settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import BotSettings
from bot.envfile import env_example, settings, settings_table
from recoms.config import RecomsSettings

ROOT = Path(__file__).resolve().parents[1]
REGENERATE = "run `make env-example`"


def setting_names() -> list[str]:
    return [setting.name for _title, group in settings() for setting in group]


def readme_settings_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Settings\n(.*?)^## ", readme, re.MULTILINE | re.DOTALL)
    assert section is not None, "README.md has no '## Settings' section"
    return section.group(1)


def test_the_reference_knows_the_settings_that_deployments_rely_on() -> None:
    names = set(setting_names())
    assert {
        "RECOMS_DATABASE_URL",
        "RECOMS_API_KEY",
        "RECOMS_DEFAULT_REGION",
        "RECOMS_DEFAULT_CURRENCY",
        "RECOMS_HOST",
        "RECOMS_PORT",
        "BOT_TOKEN",
        "BOT_WEBHOOK_URL",
        "BOT_WEBHOOK_SECRET",
        "BOT_DATABASE_URL",
        "BOT_LOCALES_DIR",
        "BOT_LISTS__NEW_FOR_YOU",
        "BOT_LISTS__BUY_AGAIN",
    } <= names
    assert len(names) == len(setting_names())


def test_every_setting_is_in_env_example() -> None:
    written = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^# ([A-Z][A-Z0-9_]*)=", written, re.MULTILINE))
    assert sorted(set(setting_names()) - listed) == [], REGENERATE
    assert written == env_example(), f".env.example is behind the settings models: {REGENERATE}"


def test_every_setting_is_in_readmes_settings_section() -> None:
    section = readme_settings_section()
    missing = [name for name in setting_names() if f"`{name}`" not in section]
    assert missing == [], REGENERATE
    assert settings_table() in section, f"README's settings table is stale: {REGENERATE}"


def test_the_defaults_written_in_env_example_are_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Uncommenting every line that shows a value changes nothing: the values are right."""
    monkeypatch.chdir(tmp_path)
    for name in setting_names():
        monkeypatch.delenv(name, raising=False)
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    values = [line.removeprefix("# ") for line in lines if re.match(r"# [A-Z_]+=.", line)]
    assert len(values) >= 15
    # One value changed shows that the file is read at all.
    values = [("RECOMS_PORT=9999" if v == "RECOMS_PORT=8080" else v) for v in values]
    (tmp_path / ".env").write_text("\n".join(values) + "\n", encoding="utf-8")
    read = RecomsSettings()
    assert read.port == 9999
    assert read.model_copy(update={"port": 8080}) == RecomsSettings(_env_file=None)
    assert BotSettings() == BotSettings(_env_file=None)
