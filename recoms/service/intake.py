"""What this process's engine has taken in since it started: plain counts that metrics read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Intake:
    """Counts since the process started. ``events`` by ``accepted`` / ``rejected``;
    ``imports`` by (kind, result): kind ``feed``, ``order`` or ``event``, result ``done``,
    ``failed`` (stopped by an error) or ``busy`` (refused: another import of the kind ran)."""

    events: Counter[str] = field(default_factory=Counter)
    imports: Counter[tuple[str, str]] = field(default_factory=Counter)
