"""When support agents are at work: daily hours in the shop's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

_HOURS = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


@dataclass(frozen=True)
class OfficeHours:
    """``opens`` to ``closes`` every day in ``zone``; ``closes`` before ``opens`` spans midnight
    (``22:00-06:00``); equal times mean around the clock."""

    opens: time
    closes: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, hours: str, zone: str) -> OfficeHours:
        """``09:00-18:00`` in an IANA zone such as ``Europe/Kyiv``; ValueError otherwise."""
        match = _HOURS.fullmatch(hours)
        if match is None:
            raise ValueError(f"hours must read like 09:00-18:00, not {hours!r}")
        opens_h, opens_m, closes_h, closes_m = (int(part) for part in match.groups())
        try:
            return cls(time(opens_h, opens_m), time(closes_h, closes_m), ZoneInfo(zone))
        except (ValueError, KeyError) as error:
            raise ValueError(f"not a time of day or time zone: {hours!r} {zone!r}") from error

    def is_open(self, now: datetime) -> bool:
        if self.opens == self.closes:
            return True
        local = now.astimezone(self.zone).time()
        if self.opens < self.closes:
            return self.opens <= local < self.closes
        return local >= self.opens or local < self.closes

    def next_opening(self, now: datetime) -> datetime:
        """When agents are next at work, in the shop's zone (``now`` itself when they are)."""
        if self.is_open(now):
            return now.astimezone(self.zone)
        local = now.astimezone(self.zone)
        opening = datetime.combine(local.date(), self.opens, tzinfo=self.zone)
        return opening if opening > local else opening + timedelta(days=1)
