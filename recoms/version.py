"""The installed distribution's version, for ``--version`` and the changelog's sections."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "recoms-bot"


def package_version() -> str:
    """pyproject.toml's version as installed (wheel or editable); "unknown" from a bare tree."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"
