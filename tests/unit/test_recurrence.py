"""Schedule recurrences (v1 ScheduleRecurrence): v1's rules, and the fire times they mean for
every frequency, intervals above one, starts in the past and future, week days, hours x
minutes, month ends and DST changes."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from itertools import islice, pairwise
from zoneinfo import ZoneInfo

import pytest

from jupyter_pipelines import ScheduleRecurrence, TimeZone
from jupyter_pipelines.errors import RecurrenceError
from jupyter_pipelines.model.recurrence import (
    describe,
    fire_times,
    first_fire,
    latest_fire,
    next_fire,
)
from jupyter_pipelines.model.time_zones import IANA_ZONES, iana_zone, time_zone_of

UTC = timezone.utc
LA = ZoneInfo("America/Los_Angeles")


def at(*parts: int, tz: object = UTC) -> datetime:
    return datetime(*parts, tzinfo=tz)  # type: ignore[arg-type]


def fires(recurrence: ScheduleRecurrence, after: datetime, n: int, anchor: datetime | None = None):
    return list(islice(fire_times(recurrence, anchor or after, after), n))


def local(times: list[datetime], zone: ZoneInfo = LA) -> list[str]:
    return [t.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") for t in times]


# -- v1's rules -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frequency": "Second", "interval": 1}, "only one of Minute, Hour, Day, Week, or Month"),
        ({"frequency": "Day", "interval": 0}, "Interval must be an integer greater than 0"),
        ({"frequency": "Day", "interval": "2"}, "Interval must be an integer"),
        ({"frequency": "Hour", "interval": 1, "hours": [1]}, "hours if frequency is Week or Day"),
        ({"frequency": "Month", "interval": 1, "minutes": [1]}, "minutes if frequency is Week"),
        ({"frequency": "Day", "interval": 1, "week_days": ["Monday"]}, "week days if frequency"),
        ({"frequency": "Day", "interval": 1, "hours": [24]}, "Hours must be between 0 and 23"),
        ({"frequency": "Week", "interval": 1, "minutes": [60]}, "Minutes must be between 0 and 59"),
        ({"frequency": "Week", "interval": 1, "week_days": ["Mon"]}, "Week day 'Mon'"),
    ],
)
def test_validate_applies_v1_rules(kwargs: dict[str, object], message: str) -> None:
    recurrence = ScheduleRecurrence(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(RecurrenceError, match=message):
        recurrence.validate()
    assert issubclass(RecurrenceError, ValueError)  # v1 raises ValueError


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time_of_day": "7:5"}, "format hh:mm"),
        ({"time_of_day": "24:00"}, "hour value must be between 0 and 23"),
        ({"time_of_day": "10:60"}, "minute value must be between 0 and 59"),
        ({"time_of_day": "10:30", "hours": [1]}, "Can not specify time_of_day and hours"),
        ({"start_time": datetime(2024, 1, 1, tzinfo=UTC)}, "Can not specify tzinfo"),
        ({"start_time": "tomorrow"}, "format YYYY-MM-DDThh:mm:ss"),
        ({"start_time": "2024-01-01T10:00:00+02:00"}, "carries a UTC offset"),
        ({"time_zone": "Mars Standard Time"}, "not a v1 TimeZone name nor an IANA zone"),
    ],
)
def test_constructor_refuses_what_v1_refuses(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(RecurrenceError, match=message):
        ScheduleRecurrence("Day", 1, **kwargs)  # type: ignore[arg-type]


def test_time_of_day_becomes_hours_and_minutes_and_start_time_gets_utc() -> None:
    r = ScheduleRecurrence("Week", 2, week_days=["Monday"], time_of_day="18:30")
    assert (r.hours, r.minutes) == ([18], [30])
    assert r.time_zone is None
    started = ScheduleRecurrence("Day", 1, start_time=datetime(2024, 5, 20, 16))
    assert started.start_time == "2024-05-20T16:00:00"
    assert started.time_zone is TimeZone.UTC


def test_time_zones_are_v1_names_members_or_iana_names() -> None:
    assert time_zone_of("Pacific Standard Time") is TimeZone.PacificStandardTime
    assert time_zone_of("PacificStandardTime") is TimeZone.PacificStandardTime
    assert time_zone_of("Europe/Warsaw") == "Europe/Warsaw"
    assert iana_zone(TimeZone.PacificStandardTime) == LA
    assert len(TimeZone) == len(IANA_ZONES) == 131  # v1 has 131 zones
    for member in TimeZone:  # every v1 zone has rules on this machine
        iana_zone(member)
    with pytest.raises(RecurrenceError, match='did you mean "Pacific Standard Time"'):
        time_zone_of("Pacific Standard Tme")


def test_to_dict_and_from_dict_round_trip() -> None:
    r = ScheduleRecurrence(
        "Week",
        2,
        start_time="2024-01-03T08:00:00",
        time_zone=TimeZone.PacificStandardTime,
        week_days=["Monday"],
        time_of_day="18:30",
    )
    assert ScheduleRecurrence.from_dict(r.to_dict()) == r
    assert r.to_dict()["time_zone"] == "Pacific Standard Time"
    with pytest.raises(RecurrenceError, match="unknown recurrence field"):
        ScheduleRecurrence.from_dict({"frequency": "Day", "interval": 1, "every": 2})


# -- every frequency ------------------------------------------------------------------------
def test_minutes_every_15_from_the_start_time() -> None:
    r = ScheduleRecurrence("Minute", 15, start_time="2024-01-01T10:05:00")
    got = fires(r, at(2024, 1, 1, 9), 3)
    assert got == [at(2024, 1, 1, 10, 5), at(2024, 1, 1, 10, 20), at(2024, 1, 1, 10, 35)]


def test_hours_with_a_start_in_the_past_keep_its_phase_and_do_not_catch_up() -> None:
    # v1: "every hour on the 55th minute ... if the start time is in the past, the first
    # workload is run at the next future 55th minute of the hour"
    r = ScheduleRecurrence("Hour", 1, start_time="2020-01-13T12:55:00")
    now = at(2024, 6, 1, 8, 10)
    assert first_fire(r, now) == at(2024, 6, 1, 8, 55)
    assert next_fire(r, now, at(2024, 6, 1, 8, 55)) == at(2024, 6, 1, 9, 55)


def test_hours_interval_above_one() -> None:
    r = ScheduleRecurrence("Hour", 12, start_time="2024-01-01T06:00:00")
    got = fires(r, at(2024, 1, 1, 7), 3)
    assert got == [at(2024, 1, 1, 18), at(2024, 1, 2, 6), at(2024, 1, 2, 18)]


def test_days_at_hours_times_minutes() -> None:
    r = ScheduleRecurrence("Day", 1, hours=[10, 12, 14], minutes=[30])
    got = fires(r, at(2024, 3, 1, 11), 4, anchor=at(2024, 3, 1, 0))
    assert got == [
        at(2024, 3, 1, 12, 30),
        at(2024, 3, 1, 14, 30),
        at(2024, 3, 2, 10, 30),
        at(2024, 3, 2, 12, 30),
    ]


def test_days_every_other_day_at_the_start_time_of_day() -> None:
    r = ScheduleRecurrence("Day", 2, start_time="2024-02-27T09:00:00")
    got = fires(r, at(2024, 2, 1), 3)
    assert got == [at(2024, 2, 27, 9), at(2024, 2, 29, 9), at(2024, 3, 2, 9)]


def test_missing_minutes_or_hours_are_zero_as_v1_shows_them() -> None:
    only_hours = ScheduleRecurrence("Day", 1, hours=[6])
    assert fires(only_hours, at(2024, 1, 1, 7), 1) == [at(2024, 1, 2, 6, 0)]
    only_minutes = ScheduleRecurrence("Day", 1, minutes=[45])
    assert fires(only_minutes, at(2024, 1, 1, 7), 1) == [at(2024, 1, 2, 0, 45)]


def test_weeks_every_two_on_monday_and_wednesday_at_18_30_pacific() -> None:
    # v1's example: every 2 weeks on Monday and Wednesday at 6:30pm
    r = ScheduleRecurrence(
        "Week",
        2,
        start_time="2024-01-01T08:00:00",
        time_zone=TimeZone.PacificStandardTime,
        week_days=["Monday", "Wednesday"],
        time_of_day="18:30",
    )
    got = fires(r, at(2023, 12, 1), 5)
    assert local(got) == [
        "2024-01-01 18:30 PST",
        "2024-01-03 18:30 PST",
        "2024-01-15 18:30 PST",
        "2024-01-17 18:30 PST",
        "2024-01-29 18:30 PST",
    ]


def test_weeks_without_week_days_fire_on_the_start_weekday() -> None:
    r = ScheduleRecurrence("Week", 1, start_time="2024-01-04T07:15:00")  # a Thursday
    got = fires(r, at(2024, 1, 5), 2)
    assert got == [at(2024, 1, 11, 7, 15), at(2024, 1, 18, 7, 15)]


def test_months_on_the_start_day_or_the_last_day_of_shorter_months() -> None:
    r = ScheduleRecurrence("Month", 1, start_time="2024-01-31T09:00:00")
    got = fires(r, at(2024, 1, 1), 6)
    assert [t.date().isoformat() for t in got] == [
        "2024-01-31",
        "2024-02-29",  # a leap year
        "2024-03-31",
        "2024-04-30",
        "2024-05-31",
        "2024-06-30",
    ]
    quarterly = ScheduleRecurrence("Month", 3, start_time="2023-11-30T00:00:00")
    got = fires(quarterly, at(2023, 12, 1), 3)
    assert [t.date().isoformat() for t in got] == ["2024-02-29", "2024-05-30", "2024-08-30"]


def test_months_on_the_first_as_v1_example() -> None:
    r = ScheduleRecurrence("Month", 1, start_time="2019-11-01T09:00:00")
    assert fires(r, at(2024, 6, 15), 2) == [at(2024, 7, 1, 9), at(2024, 8, 1, 9)]


# -- first fires ----------------------------------------------------------------------------
def test_no_start_time_fires_at_once_then_counts_from_creation() -> None:
    created = at(2024, 1, 1, 10, 0, 7)
    r = ScheduleRecurrence("Minute", 30)
    assert first_fire(r, created) == created
    assert next_fire(r, created, created) == at(2024, 1, 1, 10, 30, 7)


def test_a_start_in_the_future_is_the_first_fire() -> None:
    r = ScheduleRecurrence("Day", 1, start_time="2030-05-20T16:00:00")
    assert first_fire(r, at(2024, 1, 1)) == at(2030, 5, 20, 16)


def test_a_start_matching_the_pattern_is_not_itself_a_fire() -> None:
    # v1: "If start_time matches week_days and time_of_day ... the first work load does not
    # run at start_time, but instead runs at the next calculated run time."
    r = ScheduleRecurrence("Day", 1, start_time="2024-01-01T10:30:00", time_of_day="10:30")
    assert first_fire(r, at(2023, 12, 1)) == at(2024, 1, 2, 10, 30)


def test_a_missed_stretch_fires_once_for_the_latest_due_time() -> None:
    r = ScheduleRecurrence("Hour", 1, start_time="2024-01-01T00:00:00")
    latest = latest_fire(r, at(2024, 1, 1), at(2024, 1, 1, 3), at(2024, 1, 1, 7, 30))
    assert latest == at(2024, 1, 1, 7)
    assert latest_fire(r, at(2024, 1, 1), at(2024, 1, 1, 7, 1), at(2024, 1, 1, 7, 30)) is None


def test_far_from_the_start_is_computed_without_walking_every_fire() -> None:
    r = ScheduleRecurrence("Minute", 1, start_time="2015-01-01T00:00:30")
    began = time.monotonic()
    assert next_fire(r, at(2015, 1, 1), at(2025, 6, 1, 12)) == at(2025, 6, 1, 12, 0, 30)
    assert latest_fire(r, at(2015, 1, 1), at(2015, 1, 2), at(2025, 6, 1, 12)) == at(
        2025, 6, 1, 11, 59, 30
    )
    assert time.monotonic() - began < 1.0


# -- DST ------------------------------------------------------------------------------------
def test_daily_wall_clock_time_stays_through_dst_changes() -> None:
    r = ScheduleRecurrence(
        "Day", 1, start_time="2024-03-08T09:00:00", time_zone="Pacific Standard Time"
    )
    got = fires(r, at(2024, 3, 8), 4)
    assert local(got) == [
        "2024-03-08 09:00 PST",
        "2024-03-09 09:00 PST",
        "2024-03-10 09:00 PDT",
        "2024-03-11 09:00 PDT",
    ]
    assert [t.hour for t in got] == [17, 17, 16, 16]  # in UTC
    autumn = fires(r, at(2024, 11, 2), 3)
    assert [t.hour for t in autumn] == [16, 17, 17]


def test_a_time_in_the_spring_gap_fires_once_an_hour_later() -> None:
    r = ScheduleRecurrence(
        "Day", 1, start_time="2024-03-09T02:30:00", time_zone="America/Los_Angeles"
    )
    got = fires(r, at(2024, 3, 9), 3)
    assert local(got) == ["2024-03-09 02:30 PST", "2024-03-10 03:30 PDT", "2024-03-11 02:30 PDT"]


def test_a_time_that_happens_twice_in_autumn_fires_once() -> None:
    r = ScheduleRecurrence("Day", 1, time_of_day="01:30", time_zone=TimeZone.PacificStandardTime)
    got = fires(r, at(2024, 11, 2, 12), 2, anchor=at(2024, 11, 1))
    assert local(got) == ["2024-11-03 01:30 PDT", "2024-11-04 01:30 PST"]


def test_hours_that_collide_in_the_gap_give_distinct_increasing_fires() -> None:
    r = ScheduleRecurrence(
        "Day", 1, hours=[1, 2, 3], minutes=[30], time_zone=TimeZone.PacificStandardTime
    )
    got = fires(r, at(2024, 3, 10, 0), 4, anchor=at(2024, 3, 1))
    assert local(got) == [
        "2024-03-10 01:30 PST",
        "2024-03-10 03:30 PDT",  # 02:30 does not exist: it lands on 03:30, fired once
        "2024-03-11 01:30 PDT",
        "2024-03-11 02:30 PDT",
    ]
    assert got == sorted(set(got))


def test_minutes_and_hours_are_elapsed_time_across_dst() -> None:
    r = ScheduleRecurrence(
        "Hour", 1, start_time="2024-03-10T00:00:00", time_zone=TimeZone.PacificStandardTime
    )
    got = fires(r, at(2024, 3, 10, 7), 5)
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(got))
    assert local(got)[:4] == [
        "2024-03-10 00:00 PST",
        "2024-03-10 01:00 PST",
        "2024-03-10 03:00 PDT",
        "2024-03-10 04:00 PDT",
    ]


def test_a_zone_east_of_utc_with_dst() -> None:
    r = ScheduleRecurrence(
        "Week",
        1,
        week_days=["Sunday"],
        time_of_day="02:30",
        time_zone=TimeZone.CentralEuropeanStandardTime,
    )
    got = fires(r, at(2024, 3, 25), 2, anchor=at(2024, 3, 1))
    assert local(got, ZoneInfo("Europe/Warsaw")) == [
        "2024-03-31 03:30 CEST",  # clocks jump 02:00 -> 03:00 that Sunday
        "2024-04-07 02:30 CEST",
    ]


# -- in words -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("recurrence", "text"),
    [
        (ScheduleRecurrence("Minute", 15), "every 15 minutes"),
        (ScheduleRecurrence("Hour", 1), "every hour"),
        (
            ScheduleRecurrence("Day", 1, hours=[10, 14], minutes=[30]),
            "every day at 10:30, 14:30 (UTC)",
        ),
        (
            ScheduleRecurrence(
                "Week",
                2,
                week_days=["Monday", "Wednesday"],
                time_of_day="18:30",
                time_zone=TimeZone.PacificStandardTime,
            ),
            "every 2 weeks on Monday, Wednesday at 18:30 (Pacific Standard Time)",
        ),
        (
            ScheduleRecurrence("Month", 1, start_time="2024-01-31T09:00:00"),
            "every month on day 31 (or the month's last day) at 09:00, starting 2024-01-31 "
            "09:00 (UTC)",
        ),
    ],
)
def test_describe(recurrence: ScheduleRecurrence, text: str) -> None:
    assert describe(recurrence) == text
