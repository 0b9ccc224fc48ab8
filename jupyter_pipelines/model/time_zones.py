"""The time zones a schedule recurrence is stated in (v1 ``TimeZone``): v1's Windows zone
names, each with the IANA zone (``zoneinfo``) that has the same rules.

The IANA zone of each Windows name is the one the Unicode CLDR ``windowsZones`` table gives
for the world ("001") territory. A recurrence may also name an IANA zone directly.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import RecurrenceError, did_you_mean

#: (v1 member name, v1 value: the Windows zone name, IANA zone), in v1's order (west to east).
_ZONES: tuple[tuple[str, str, str], ...] = (
    ("DatelineStandardTime", "Dateline Standard Time", "Etc/GMT+12"),
    ("UTC11", "UTC-11", "Etc/GMT+11"),
    ("AleutianStandardTime", "Aleutian Standard Time", "America/Adak"),
    ("HawaiianStandardTime", "Hawaiian Standard Time", "Pacific/Honolulu"),
    ("MarquesasStandardTime", "Marquesas Standard Time", "Pacific/Marquesas"),
    ("AlaskanStandardTime", "Alaskan Standard Time", "America/Anchorage"),
    ("UTC09", "UTC-09", "Etc/GMT+9"),
    ("PacificStandardTimeMexico", "Pacific Standard Time (Mexico)", "America/Tijuana"),
    ("UTC08", "UTC-08", "Etc/GMT+8"),
    ("PacificStandardTime", "Pacific Standard Time", "America/Los_Angeles"),
    ("USMountainStandardTime", "US Mountain Standard Time", "America/Phoenix"),
    ("MountainStandardTimeMexico", "Mountain Standard Time (Mexico)", "America/Mazatlan"),
    ("MountainStandardTime", "Mountain Standard Time", "America/Denver"),
    ("CentralAmericaStandardTime", "Central America Standard Time", "America/Guatemala"),
    ("CentralStandardTime", "Central Standard Time", "America/Chicago"),
    ("EasterIslandStandardTime", "Easter Island Standard Time", "Pacific/Easter"),
    ("CentralStandardTimeMexico", "Central Standard Time (Mexico)", "America/Mexico_City"),
    ("CanadaCentralStandardTime", "Canada Central Standard Time", "America/Regina"),
    ("SAPacificStandardTime", "SA Pacific Standard Time", "America/Bogota"),
    ("EasternStandardTimeMexico", "Eastern Standard Time (Mexico)", "America/Cancun"),
    ("EasternStandardTime", "Eastern Standard Time", "America/New_York"),
    ("HaitiStandardTime", "Haiti Standard Time", "America/Port-au-Prince"),
    ("CubaStandardTime", "Cuba Standard Time", "America/Havana"),
    ("USEasternStandardTime", "US Eastern Standard Time", "America/Indiana/Indianapolis"),
    ("ParaguayStandardTime", "Paraguay Standard Time", "America/Asuncion"),
    ("AtlanticStandardTime", "Atlantic Standard Time", "America/Halifax"),
    ("VenezuelaStandardTime", "Venezuela Standard Time", "America/Caracas"),
    ("CentralBrazilianStandardTime", "Central Brazilian Standard Time", "America/Cuiaba"),
    ("SAWesternStandardTime", "SA Western Standard Time", "America/La_Paz"),
    ("PacificSAStandardTime", "Pacific SA Standard Time", "America/Santiago"),
    ("TurksAndCaicosStandardTime", "Turks And Caicos Standard Time", "America/Grand_Turk"),
    ("NewfoundlandStandardTime", "Newfoundland Standard Time", "America/St_Johns"),
    ("TocantinsStandardTime", "Tocantins Standard Time", "America/Araguaina"),
    ("ESouthAmericaStandardTime", "E. South America Standard Time", "America/Sao_Paulo"),
    ("SAEasternStandardTime", "SA Eastern Standard Time", "America/Cayenne"),
    ("ArgentinaStandardTime", "Argentina Standard Time", "America/Argentina/Buenos_Aires"),
    ("GreenlandStandardTime", "Greenland Standard Time", "America/Nuuk"),
    ("MontevideoStandardTime", "Montevideo Standard Time", "America/Montevideo"),
    ("SaintPierreStandardTime", "Saint Pierre Standard Time", "America/Miquelon"),
    ("BahiaStandardTime", "Bahia Standard Time", "America/Bahia"),
    ("UTC02", "UTC-02", "Etc/GMT+2"),
    ("MidAtlanticStandardTime", "Mid-Atlantic Standard Time", "Etc/GMT+2"),
    ("AzoresStandardTime", "Azores Standard Time", "Atlantic/Azores"),
    ("CapeVerdeStandardTime", "Cape Verde Standard Time", "Atlantic/Cape_Verde"),
    ("UTC", "UTC", "Etc/UTC"),
    ("MoroccoStandardTime", "Morocco Standard Time", "Africa/Casablanca"),
    ("GMTStandardTime", "GMT Standard Time", "Europe/London"),
    ("GreenwichStandardTime", "Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("WEuropeStandardTime", "W. Europe Standard Time", "Europe/Berlin"),
    ("CentralEuropeStandardTime", "Central Europe Standard Time", "Europe/Budapest"),
    ("RomanceStandardTime", "Romance Standard Time", "Europe/Paris"),
    ("CentralEuropeanStandardTime", "Central European Standard Time", "Europe/Warsaw"),
    ("WCentralAfricaStandardTime", "W. Central Africa Standard Time", "Africa/Lagos"),
    ("NamibiaStandardTime", "Namibia Standard Time", "Africa/Windhoek"),
    ("JordanStandardTime", "Jordan Standard Time", "Asia/Amman"),
    ("GTBStandardTime", "GTB Standard Time", "Europe/Bucharest"),
    ("MiddleEastStandardTime", "Middle East Standard Time", "Asia/Beirut"),
    ("EgyptStandardTime", "Egypt Standard Time", "Africa/Cairo"),
    ("EEuropeStandardTime", "E. Europe Standard Time", "Europe/Chisinau"),
    ("SyriaStandardTime", "Syria Standard Time", "Asia/Damascus"),
    ("WestBankStandardTime", "West Bank Standard Time", "Asia/Hebron"),
    ("SouthAfricaStandardTime", "South Africa Standard Time", "Africa/Johannesburg"),
    ("FLEStandardTime", "FLE Standard Time", "Europe/Kiev"),
    ("TurkeyStandardTime", "Turkey Standard Time", "Europe/Istanbul"),
    ("IsraelStandardTime", "Israel Standard Time", "Asia/Jerusalem"),
    ("KaliningradStandardTime", "Kaliningrad Standard Time", "Europe/Kaliningrad"),
    ("LibyaStandardTime", "Libya Standard Time", "Africa/Tripoli"),
    ("ArabicStandardTime", "Arabic Standard Time", "Asia/Baghdad"),
    ("ArabStandardTime", "Arab Standard Time", "Asia/Riyadh"),
    ("BelarusStandardTime", "Belarus Standard Time", "Europe/Minsk"),
    ("RussianStandardTime", "Russian Standard Time", "Europe/Moscow"),
    ("EAfricaStandardTime", "E. Africa Standard Time", "Africa/Nairobi"),
    ("IranStandardTime", "Iran Standard Time", "Asia/Tehran"),
    ("ArabianStandardTime", "Arabian Standard Time", "Asia/Dubai"),
    ("AstrakhanStandardTime", "Astrakhan Standard Time", "Europe/Astrakhan"),
    ("AzerbaijanStandardTime", "Azerbaijan Standard Time", "Asia/Baku"),
    ("RussiaTimeZone3", "Russia Time Zone 3", "Europe/Samara"),
    ("MauritiusStandardTime", "Mauritius Standard Time", "Indian/Mauritius"),
    ("GeorgianStandardTime", "Georgian Standard Time", "Asia/Tbilisi"),
    ("CaucasusStandardTime", "Caucasus Standard Time", "Asia/Yerevan"),
    ("AfghanistanStandardTime", "Afghanistan Standard Time", "Asia/Kabul"),
    ("WestAsiaStandardTime", "West Asia Standard Time", "Asia/Tashkent"),
    ("EkaterinburgStandardTime", "Ekaterinburg Standard Time", "Asia/Yekaterinburg"),
    ("PakistanStandardTime", "Pakistan Standard Time", "Asia/Karachi"),
    ("IndiaStandardTime", "India Standard Time", "Asia/Kolkata"),
    ("SriLankaStandardTime", "Sri Lanka Standard Time", "Asia/Colombo"),
    ("NepalStandardTime", "Nepal Standard Time", "Asia/Kathmandu"),
    ("CentralAsiaStandardTime", "Central Asia Standard Time", "Asia/Almaty"),
    ("BangladeshStandardTime", "Bangladesh Standard Time", "Asia/Dhaka"),
    ("NCentralAsiaStandardTime", "N. Central Asia Standard Time", "Asia/Novosibirsk"),
    ("MyanmarStandardTime", "Myanmar Standard Time", "Asia/Yangon"),
    ("SEAsiaStandardTime", "SE Asia Standard Time", "Asia/Bangkok"),
    ("AltaiStandardTime", "Altai Standard Time", "Asia/Barnaul"),
    ("WMongoliaStandardTime", "W. Mongolia Standard Time", "Asia/Hovd"),
    ("NorthAsiaStandardTime", "North Asia Standard Time", "Asia/Krasnoyarsk"),
    ("TomskStandardTime", "Tomsk Standard Time", "Asia/Tomsk"),
    ("ChinaStandardTime", "China Standard Time", "Asia/Shanghai"),
    ("NorthAsiaEastStandardTime", "North Asia East Standard Time", "Asia/Irkutsk"),
    ("SingaporeStandardTime", "Singapore Standard Time", "Asia/Singapore"),
    ("WAustraliaStandardTime", "W. Australia Standard Time", "Australia/Perth"),
    ("TaipeiStandardTime", "Taipei Standard Time", "Asia/Taipei"),
    ("UlaanbaatarStandardTime", "Ulaanbaatar Standard Time", "Asia/Ulaanbaatar"),
    ("NorthKoreaStandardTime", "North Korea Standard Time", "Asia/Pyongyang"),
    ("AusCentralWStandardTime", "Aus Central W. Standard Time", "Australia/Eucla"),
    ("TransbaikalStandardTime", "Transbaikal Standard Time", "Asia/Chita"),
    ("TokyoStandardTime", "Tokyo Standard Time", "Asia/Tokyo"),
    ("KoreaStandardTime", "Korea Standard Time", "Asia/Seoul"),
    ("YakutskStandardTime", "Yakutsk Standard Time", "Asia/Yakutsk"),
    ("CenAustraliaStandardTime", "Cen. Australia Standard Time", "Australia/Adelaide"),
    ("AUSCentralStandardTime", "AUS Central Standard Time", "Australia/Darwin"),
    ("EAustraliaStandardTime", "E. Australia Standard Time", "Australia/Brisbane"),
    ("AUSEasternStandardTime", "AUS Eastern Standard Time", "Australia/Sydney"),
    ("WestPacificStandardTime", "West Pacific Standard Time", "Pacific/Port_Moresby"),
    ("TasmaniaStandardTime", "Tasmania Standard Time", "Australia/Hobart"),
    ("VladivostokStandardTime", "Vladivostok Standard Time", "Asia/Vladivostok"),
    ("LordHoweStandardTime", "Lord Howe Standard Time", "Australia/Lord_Howe"),
    ("BougainvilleStandardTime", "Bougainville Standard Time", "Pacific/Bougainville"),
    ("RussiaTimeZone10", "Russia Time Zone 10", "Asia/Srednekolymsk"),
    ("MagadanStandardTime", "Magadan Standard Time", "Asia/Magadan"),
    ("NorfolkStandardTime", "Norfolk Standard Time", "Pacific/Norfolk"),
    ("SakhalinStandardTime", "Sakhalin Standard Time", "Asia/Sakhalin"),
    ("CentralPacificStandardTime", "Central Pacific Standard Time", "Pacific/Guadalcanal"),
    ("RussiaTimeZone11", "Russia Time Zone 11", "Asia/Kamchatka"),
    ("NewZealandStandardTime", "New Zealand Standard Time", "Pacific/Auckland"),
    ("UTC12", "UTC+12", "Etc/GMT-12"),
    ("FijiStandardTime", "Fiji Standard Time", "Pacific/Fiji"),
    ("KamchatkaStandardTime", "Kamchatka Standard Time", "Asia/Kamchatka"),
    ("ChathamIslandsStandardTime", "Chatham Islands Standard Time", "Pacific/Chatham"),
    ("TongaStandardTime", "Tonga Standard Time", "Pacific/Tongatapu"),
    ("SamoaStandardTime", "Samoa Standard Time", "Pacific/Apia"),
    ("LineIslandsStandardTime", "Line Islands Standard Time", "Pacific/Kiritimati"),
)

#: The Windows zone name of each v1 value -> its IANA zone.
IANA_ZONES: dict[str, str] = {value: iana for _, value, iana in _ZONES}

TimeZone = Enum(  # type: ignore[misc]
    "TimeZone",
    [(member, value) for member, value, _ in _ZONES],
    module=__name__,
    qualname="TimeZone",
)
TimeZone.__doc__ = """The time zones of a schedule recurrence (v1 ``TimeZone``): the value of
each member is its Windows zone name (``TimeZone.PacificStandardTime.value == "Pacific Standard
Time"``); ``iana_zone(tz)`` is the IANA zone it is computed in."""


def time_zone_of(value: object) -> object:
    """What a recurrence keeps as its time zone: a ``TimeZone`` member for a member, a Windows
    name or a member name; an IANA zone name as given; None for None. Anything else is a
    RecurrenceError listing the choices."""
    if value is None or isinstance(value, TimeZone):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text in IANA_ZONES:
            return TimeZone(text)
        if text in TimeZone.__members__:
            return TimeZone[text]
        if _iana(text) is not None:
            return text
        hint = did_you_mean(text, list(IANA_ZONES) + list(TimeZone.__members__))
        raise RecurrenceError(
            f"time zone {value!r} is not a v1 TimeZone name nor an IANA zone{hint}; "
            "use TimeZone.UTC, a Windows name such as 'Pacific Standard Time', or an IANA name "
            "such as 'Europe/Warsaw'"
        )
    raise RecurrenceError(f"time zone {value!r} is not a TimeZone (nor a zone name)")


def iana_zone(value: object) -> ZoneInfo:
    """The ``zoneinfo`` zone of a recurrence's time zone (UTC when None)."""
    zone = time_zone_of(value)
    if zone is None:
        name = "Etc/UTC"
    elif isinstance(zone, TimeZone):
        name = IANA_ZONES[zone.value]
    else:
        name = str(zone)
    found = _iana(name)
    if found is None:
        raise RecurrenceError(
            f"time zone {name!r} is not in this machine's time zone database; install the "
            "'tzdata' package"
        )
    return found


def zone_label(value: object) -> str:
    """A time zone as people read it: the Windows name of a TimeZone, else the name given."""
    zone = time_zone_of(value)
    if zone is None:
        return "UTC"
    return str(zone.value) if isinstance(zone, TimeZone) else str(zone)


@lru_cache(maxsize=256)
def _iana(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


__all__ = ["IANA_ZONES", "TimeZone", "iana_zone", "time_zone_of", "zone_label"]
