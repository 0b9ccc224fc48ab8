"""When a recurring schedule fires (v1 ``ScheduleRecurrence``): v1's frequency, interval, start
time, time zone, hours, minutes, week days and time of day, and the fire times they mean,
computed with dateutil's ``rrule`` (the iCalendar RFC 5545 recurrence rules).

v1's meaning, kept here:

- ``frequency`` ``Minute``/``Hour``/``Day``/``Week``/``Month`` and ``interval`` (>= 1): every
  ``interval`` units. Minutes and hours are elapsed time (every 15 minutes is every 15 real
  minutes, across DST changes too); days, weeks and months are wall-clock time in the time zone
  (every day at 09:00 stays at 09:00 when DST starts or ends).
- ``start_time`` (naive, in ``time_zone``; UTC when None): the first fire and the phase of the
  following ones. In the past, the first fire is the next one after now (no catch-up). With
  no start time the first fire is at once (at creation) and the phase is the creation time.
- ``hours`` and ``minutes`` (Day and Week only; or ``time_of_day`` "hh:mm"): the times of day
  (every hour x minute pair; a missing one is 0, as v1 shows them). With them, or with
  ``week_days`` (Week only), the fires are the matching times strictly after the start time.
- A monthly recurrence fires on the start's day of month, or the last day of months that lack
  it (a start on the 31st fires on Feb 28/29, Apr 30, ...).
- A wall-clock time that does not exist on a day (a DST gap) fires at the same offset before
  the change (02:30 becomes 03:30 where clocks jump from 02:00 to 03:00); a time that occurs
  twice (clocks going back) fires once, at the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import Any

from dateutil import rrule
from dateutil.relativedelta import relativedelta

from ..errors import RecurrenceError
from .time_zones import TimeZone, iana_zone, time_zone_of, zone_label

FREQUENCIES = ("Minute", "Hour", "Day", "Week", "Month")
WEEK_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: The longest period of a recurrence: its fires, and the two periods the scheduler looks
#: back over, stay within datetime's years 1 to 9999.
LONGEST_PERIOD = timedelta(days=365 * 1000)
_RRULE_FREQ = {
    "Minute": rrule.MINUTELY,
    "Hour": rrule.HOURLY,
    "Day": rrule.DAILY,
    "Week": rrule.WEEKLY,
    "Month": rrule.MONTHLY,
}
_RRULE_DAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)
_TIME_OF_DAY = re.compile(r"[0-9]{1,2}:[0-9]{2}$")
#: The most occurrences looked at for one answer (a rule that matches nothing stops here).
_SEARCH_LIMIT = 200_000


class ScheduleRecurrence:
    """How often a recurring schedule submits its pipeline (v1 ``ScheduleRecurrence``).

    ``ScheduleRecurrence(frequency="Hour", interval=12)`` fires every 12 hours;
    ``ScheduleRecurrence(frequency="Week", interval=2, week_days=["Monday", "Wednesday"],
    time_of_day="18:30")`` every other week on Monday and Wednesday at 18:30. See the module
    docstring for the full meaning; ``validate()`` applies v1's rules.
    """

    def __init__(
        self,
        frequency: str,
        interval: int,
        start_time: datetime | str | None = None,
        time_zone: Any = None,
        hours: list[int] | None = None,
        minutes: list[int] | None = None,
        week_days: list[str] | None = None,
        time_of_day: str | None = None,
    ) -> None:
        self.frequency = frequency
        self.interval = interval
        self.start_time = _start_text(start_time)
        self.time_zone = time_zone_of(time_zone)
        if self.start_time is not None and self.time_zone is None:
            self.time_zone = TimeZone("UTC")
        self.hours = hours
        self.minutes = minutes
        self.week_days = week_days
        self.time_of_day = time_of_day
        if time_of_day is not None:
            if hours is not None or minutes is not None:
                raise RecurrenceError("Can not specify time_of_day and hours or minutes.")
            self.hours, self.minutes = _time_of_day(time_of_day)

    def validate(self) -> None:
        """Raise RecurrenceError (a ValueError, as v1) when the recurrence breaks v1's rules."""
        if self.frequency not in FREQUENCIES:
            raise RecurrenceError(
                f"Invalid value for frequency {self.frequency!r}, only one of Minute, Hour, "
                "Day, Week, or Month accepted"
            )
        if not isinstance(self.interval, int) or isinstance(self.interval, bool):
            raise RecurrenceError(
                f"Interval must be an integer greater than 0, got {self.interval!r}."
            )
        if self.interval < 1:
            raise RecurrenceError("Interval must be an integer greater than 0.")
        longest = LONGEST_PERIOD // _UNITS.get(self.frequency, LONGEST_PERIOD)
        if self.interval > longest:
            raise RecurrenceError(
                f"Interval must be at most {longest:,} for frequency {self.frequency}."
            )
        if self.frequency not in ("Day", "Week") and self.hours is not None:
            raise RecurrenceError("Can only specify hours if frequency is Week or Day.")
        if self.frequency not in ("Day", "Week") and self.minutes is not None:
            raise RecurrenceError("Can only specify minutes if frequency is Week or Day.")
        if self.frequency != "Week" and self.week_days is not None:
            raise RecurrenceError("Can only specify week days if frequency is Week.")
        _check_values(self.hours, 23, "Hours")
        _check_values(self.minutes, 59, "Minutes")
        if self.week_days is not None and not isinstance(self.week_days, list | tuple):
            raise RecurrenceError(f"Week days must be a list of str, got {self.week_days!r}.")
        for day in self.week_days or []:
            if day not in WEEK_DAYS:
                raise RecurrenceError(
                    f"Week day {day!r} is not accepted; week days must be a list of str, "
                    "accepted values: " + ", ".join(WEEK_DAYS) + "."
                )
        iana_zone(self.time_zone)
        if self.start_time is not None:
            _parse_start(self.start_time)

    # -- as data ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The recurrence as JSON-ready data (what a schedule record keeps)."""
        return {
            "frequency": self.frequency,
            "interval": self.interval,
            "start_time": self.start_time,
            "time_zone": zone_label(self.time_zone) if self.time_zone is not None else None,
            "hours": self.hours,
            "minutes": self.minutes,
            "week_days": self.week_days,
            "time_of_day": self.time_of_day,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ScheduleRecurrence:
        """The recurrence of ``to_dict``'s data (or of a v1 schedule YAML's recurrence)."""
        known = {"frequency", "interval", "start_time", "time_zone", "hours", "minutes"}
        known |= {"week_days", "time_of_day"}
        unknown = sorted(set(doc) - known)
        if unknown:
            raise RecurrenceError(
                f"unknown recurrence field(s) {', '.join(map(repr, unknown))}; the fields are "
                + ", ".join(sorted(known))
            )
        if "frequency" not in doc or "interval" not in doc:
            raise RecurrenceError("a recurrence needs 'frequency' and 'interval'")
        fields: dict[str, Any] = {k: doc.get(k) for k in known}
        if fields["time_of_day"] is not None:
            fields["hours"] = fields["minutes"] = None
        return cls(**fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ScheduleRecurrence) and other.to_dict() == self.to_dict()

    def __hash__(self) -> int:
        return hash(str(sorted(self.to_dict().items(), key=str)))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if v is not None)
        return f"ScheduleRecurrence({shown})"


# -- fire times -----------------------------------------------------------------------------
def first_fire(recurrence: ScheduleRecurrence, created: datetime) -> datetime:
    """When a schedule made at ``created`` (aware) first fires: at once without a start time
    (v1: "the first workload is run instantly"), else the first fire time at or after
    ``created``."""
    if recurrence.start_time is None:
        return created.astimezone(timezone.utc)
    return next_fire(recurrence, created, created - timedelta(microseconds=1))


def next_fire(recurrence: ScheduleRecurrence, anchor: datetime, after: datetime) -> datetime:
    """The first fire time strictly after ``after`` (aware, UTC answer); ``anchor`` (aware) is
    the schedule's creation time, the phase of a recurrence without a start time."""
    for when in fire_times(recurrence, anchor, after):
        return when
    raise RecurrenceError(f"{recurrence!r} never fires after {after.isoformat()}")


def latest_fire(
    recurrence: ScheduleRecurrence, anchor: datetime, since: datetime, until: datetime
) -> datetime | None:
    """The latest fire time in [``since``, ``until``], or None: a schedule that missed
    several fires (no server ran) fires once, for the latest."""
    window_start = max(since - timedelta(microseconds=1), until - _two_periods(recurrence))
    latest = None
    for when in fire_times(recurrence, anchor, window_start):
        if when > until:
            break
        latest = when
    return latest


def _two_periods(recurrence: ScheduleRecurrence) -> timedelta:
    """At least two periods of the recurrence (each period holds a fire), with a day to spare
    for DST changes."""
    return 2 * recurrence.interval * _UNITS[recurrence.frequency] + timedelta(days=1)


#: The longest time each frequency's unit can last.
_UNITS = {
    "Minute": timedelta(minutes=1),
    "Hour": timedelta(hours=1),
    "Day": timedelta(days=1),
    "Week": timedelta(weeks=1),
    "Month": timedelta(days=31),
}


def fire_times(
    recurrence: ScheduleRecurrence, anchor: datetime, after: datetime
) -> Iterator[datetime]:
    """The fire times strictly after ``after``, in order, as aware UTC datetimes."""
    recurrence.validate()
    zone = iana_zone(recurrence.time_zone)
    start = _start_local(recurrence, anchor, zone)
    pattern = _has_pattern(recurrence)
    after_utc = after.astimezone(timezone.utc)
    last: datetime | None = None
    rule = _rule(recurrence, start, after_utc, zone)
    for local in islice(rule, _SEARCH_LIMIT):
        if pattern and local <= start:
            continue  # v1: a start time that matches the pattern is not itself a fire
        when = _to_utc(local, zone, recurrence.frequency)
        if when <= after_utc or (last is not None and when <= last):
            continue  # before the window, or a DST gap mapped two times onto one instant
        last = when
        yield when


def _rule(
    recurrence: ScheduleRecurrence, start: datetime, after: datetime, zone: Any
) -> rrule.rrule:
    """The rrule of the recurrence over naive datetimes (UTC for minutes and hours, else wall
    clock in the zone), starting a whole number of periods after ``start`` and at least one
    period before ``after`` (so that a schedule started years ago is not walked from its
    start)."""
    frequency, interval = recurrence.frequency, recurrence.interval
    options: dict[str, Any] = {"interval": interval}
    near = after.astimezone(zone).replace(tzinfo=None)
    if frequency in ("Minute", "Hour"):
        start = _to_utc(start, zone, "Day").replace(tzinfo=None)
        near = after.astimezone(timezone.utc).replace(tzinfo=None)
        step = timedelta(minutes=interval) if frequency == "Minute" else timedelta(hours=interval)
        periods = max(0, (near - start) // step - 1)
        dtstart = start + periods * step
    elif frequency == "Day":
        periods = max(0, (near.date() - start.date()).days // interval - 1)
        dtstart = start + timedelta(days=periods * interval)
    elif frequency == "Week":
        periods = max(0, (near.date() - start.date()).days // (7 * interval) - 1)
        dtstart = start + timedelta(weeks=periods * interval)
        options["byweekday"] = [_RRULE_DAYS[WEEK_DAYS.index(d)] for d in recurrence.week_days or []]
        options["byweekday"] = options["byweekday"] or [_RRULE_DAYS[start.weekday()]]
    else:
        months = (near.year - start.year) * 12 + near.month - start.month
        periods = max(0, months // interval - 1)
        dtstart = start.replace(day=1) + relativedelta(months=periods * interval)
        # the start's day, or the month's last day when it has fewer days
        options.update(bymonthday=(start.day, -1) if start.day > 28 else start.day, bysetpos=1)
        if start.day <= 28:
            del options["bysetpos"]
    if recurrence.hours is not None or recurrence.minutes is not None:
        options.update(
            byhour=sorted(set(recurrence.hours or [0])),
            byminute=sorted(set(recurrence.minutes or [0])),
            bysecond=0,
        )
    return rrule.rrule(_RRULE_FREQ[frequency], dtstart=dtstart, **options)


def _has_pattern(recurrence: ScheduleRecurrence) -> bool:
    return any(x is not None for x in (recurrence.hours, recurrence.minutes, recurrence.week_days))


def _start_local(recurrence: ScheduleRecurrence, anchor: datetime, zone: Any) -> datetime:
    """The start as a naive wall-clock time in ``zone``: the start time, else the anchor."""
    if recurrence.start_time is not None:
        return _parse_start(recurrence.start_time)
    return anchor.astimezone(zone).replace(tzinfo=None, microsecond=0)


def _to_utc(local: datetime, zone: Any, frequency: str) -> datetime:
    """A naive occurrence as an aware UTC time (minute and hour rules are already UTC)."""
    if frequency in ("Minute", "Hour"):
        return local.replace(tzinfo=timezone.utc)
    # fold=0: a repeated wall time is its first instant; a skipped one keeps the old offset
    return local.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)


# -- in words -------------------------------------------------------------------------------
def describe(recurrence: ScheduleRecurrence) -> str:
    """The recurrence in words: "every 15 minutes", "every 2 weeks on Monday, Wednesday at
    18:30 (Pacific Standard Time)", "every month on day 31 (or the month's last day) at 09:00"."""
    unit = recurrence.frequency.lower()
    text = f"every {unit}" if recurrence.interval == 1 else f"every {recurrence.interval} {unit}s"
    start = _parse_start(recurrence.start_time) if recurrence.start_time else None
    if recurrence.week_days:
        text += " on " + ", ".join(recurrence.week_days)
    if recurrence.frequency == "Month" and start is not None:
        text += f" on day {start.day}" + (" (or the month's last day)" if start.day > 28 else "")
    if recurrence.hours is not None or recurrence.minutes is not None:
        text += " at " + ", ".join(times_of_day(recurrence.hours, recurrence.minutes))
    elif start is not None and recurrence.frequency in ("Day", "Week", "Month"):
        text += f" at {start:%H:%M}"
    if start is not None:
        text += f", starting {start:%Y-%m-%d %H:%M}"
    if recurrence.time_zone is not None and zone_label(recurrence.time_zone) != "UTC":
        text += f" ({zone_label(recurrence.time_zone)})"
    elif start is not None or recurrence.hours is not None or recurrence.minutes is not None:
        text += " (UTC)"
    return text


def times_of_day(hours: list[int] | None, minutes: list[int] | None) -> list[str]:
    """Every hour x minute pair as "hh:mm" (a missing list is [0], as v1 shows them)."""
    return [
        f"{h:02d}:{m:02d}" for h in sorted(set(hours or [0])) for m in sorted(set(minutes or [0]))
    ]


# -- helpers --------------------------------------------------------------------------------
def _start_text(start_time: datetime | str | None) -> str | None:
    if start_time is None:
        return None
    if isinstance(start_time, datetime):
        if start_time.tzinfo is not None:
            raise RecurrenceError("Can not specify tzinfo for start_time, use time_zone instead.")
        return start_time.strftime("%Y-%m-%dT%H:%M:%S")
    if not isinstance(start_time, str):
        raise RecurrenceError(
            f"start_time must be a datetime or a string YYYY-MM-DDThh:mm:ss, got {start_time!r}"
        )
    _parse_start(start_time)
    return start_time


def _parse_start(text: str) -> datetime:
    """A start time string as a naive datetime (v1: YYYY-MM-DDThh:mm:ss, in the time zone)."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RecurrenceError(
            f"start_time {text!r} is not a date and time in the format YYYY-MM-DDThh:mm:ss"
        ) from None
    if parsed.tzinfo is not None:
        if parsed.utcoffset() != timedelta(0):
            raise RecurrenceError(
                f"start_time {text!r} carries a UTC offset; give the time without one and its "
                "zone as time_zone"
            )
        parsed = parsed.replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def _time_of_day(text: Any) -> tuple[list[int], list[int]]:
    if not isinstance(text, str) or _TIME_OF_DAY.match(text) is None:
        raise RecurrenceError(f"time_of_day should be in the format hh:mm, got {text!r}.")
    hour, minute = (int(part) for part in text.split(":"))
    if not 0 <= hour <= 23:
        raise RecurrenceError("Time of day hour value must be between 0 and 23.")
    if not 0 <= minute <= 59:
        raise RecurrenceError("Time of day minute value must be between 0 and 59.")
    return [hour], [minute]


def _check_values(values: Any, highest: int, what: str) -> None:
    if values is None:
        return
    if not isinstance(values, (list, tuple)):
        raise RecurrenceError(f"{what} must be a list of integers, got {values!r}.")
    for value in values:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= highest:
            raise RecurrenceError(f"{what} must be between 0 and {highest}, got {value!r}.")


__all__ = [
    "FREQUENCIES",
    "WEEK_DAYS",
    "ScheduleRecurrence",
    "describe",
    "fire_times",
    "first_fire",
    "latest_fire",
    "next_fire",
    "times_of_day",
]
