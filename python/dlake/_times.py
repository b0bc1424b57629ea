"""Python time values as the text libdlake's time parser reads.

dlake has one date parser, the library's (the CLI's --start/--end use it too); this module only
spells Python values in a form it reads, so the rules stay the library's: a date-only end
includes that whole day, epoch integers are milliseconds, times without an offset are UTC.
"""

import datetime as _dt

_UTC = _dt.timezone.utc


def _iso_utc(moment):
    """A datetime (naive = UTC) as "YYYY-MM-DDTHH:MM:SS.mmmZ"; sub-millisecond parts dropped."""
    moment = moment.replace(tzinfo=_UTC) if moment.tzinfo is None else moment.astimezone(_UTC)
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z")


def time_text(value, name):
    """The text for a time argument `name`: "" for None.

    str: passed as is ("2024-01-05", "2024-01-05T12:30", "2024-01-05T14:30+02:00",
    "1704412800000"). int: epoch milliseconds. datetime.date: a date (a date-only end includes
    the day). datetime.datetime, pandas.Timestamp, numpy.datetime64: that instant; naive values
    are UTC, aware ones are converted to UTC.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a date, a time or epoch milliseconds, not a bool")
    if isinstance(value, _dt.datetime):
        return _iso_utc(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if hasattr(value, "__index__"):  # int, numpy integers
        return str(value.__index__())
    try:
        import pandas as pd

        moment = pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a date, a time or epoch milliseconds, not "
                        f"{type(value).__name__}: {error}") from None
    if moment is pd.NaT:
        raise ValueError(f"{name} is NaT")
    return _iso_utc(moment)
