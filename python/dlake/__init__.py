"""dlake: the Python SDK of the dl-datalake market-data lake (doc/python.md).

    import dlake
    client = dlake.DataLakeClient()            # the lake of $DLAKE_LAKE or the working folder
    df = client.read_ohlc(exchange="BINANCE", symbol="BTCUSDT",
                          start_date="2024-01-05", end_date="2024-01-05")

Every call goes to libdlake (the library the `dlake` command runs on) through the compiled
module dlake._dlake: the same name rules, date parsing, dataset resolution and reports as the
CLI. Rows arrive as pandas DataFrames built column by column from the library's buffers;
reports as dicts of the library's JSON forms (doc/json.md). Errors raise dlake.DlakeError
subclasses carrying the library's message.
"""

import json as _json
import os as _os

from . import _dlake
from ._dlake import (
    AbortedError,
    AlreadyExistsError,
    CorruptionError,
    DlakeError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    IoError,
    NotFoundError,
    UnavailableError,
)
from ._times import time_text as _time_text

__all__ = [
    "DataLakeClient",
    "DlakeError",
    "InvalidArgumentError",
    "NotFoundError",
    "AlreadyExistsError",
    "FailedPreconditionError",
    "AbortedError",
    "UnavailableError",
    "IoError",
    "CorruptionError",
    "InternalError",
]

__version__ = _dlake.__version__


def _word(value, name):
    """A name argument (exchange, symbol, …) as text; None = not given."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def _words(value, name):
    """A list of names from one str or an iterable of them."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, _os.PathLike)):
        value = [value]
    out = []
    for item in value:
        if isinstance(item, (bytes, _os.PathLike)):
            item = _os.fsdecode(item)
        if not isinstance(item, str):
            raise TypeError(f"{name} must hold str values, not {type(item).__name__}")
        out.append(item)
    return out


def _optional_words(value, name):
    return None if value is None else _words(value, name)


def _count(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return value.__index__()


class DataLakeClient:
    """A lake, opened: the Python face of dlake::Lake.

    DataLakeClient(lake=None, settings=None)

    lake: the lake folder; None finds it as the CLI does: $DLAKE_LAKE, else the nearest folder
    holding manifest.db from the working directory upwards. NotFoundError when there is none.
    settings: {setting name: value} of the highest precedence, as the CLI's flags (e.g.
    {"threads": "2", "memory_limit": "1GB"}); below them DLAKE_* variables, <lake>/dlake.toml
    and defaults (doc/settings.md).

    Methods may be called from several threads at once; the GIL is released while the library
    works. close() (or a with block) frees the lake's DuckDB memory early.
    """

    def __init__(self, lake=None, settings=None, *, _create=False):
        lake = "" if lake is None else _os.fspath(lake)
        settings = {str(k): str(v) for k, v in (settings or {}).items()}
        self._client = _dlake.Client(lake, settings, _create)

    @classmethod
    def init(cls, lake, settings=None):
        """Creates a lake in `lake` (as `dlake init`), or opens the one there, and returns its
        client."""
        return cls(_os.fspath(lake), settings, _create=True)

    @property
    def root(self):
        """The lake's folder (absolute)."""
        return self._client.root

    def close(self):
        """Releases the lake; later calls raise FailedPreconditionError."""
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        try:
            return f"DataLakeClient({self.root!r})"
        except DlakeError:
            return "DataLakeClient(<closed>)"

    # ---- Reading ----

    def read_ohlc(self, exchange, symbol, start_date=None, end_date=None, market=None,
                  timeframe=None, columns=None):
        """Candles of one symbol in [start_date, end_date) as a DataFrame indexed by `ts`.

        exchange, symbol, market: names in any case; a unified symbol (BTC/USDT:USDT) maps to
        the exchange's id. market None: the one market holding the symbol (InvalidArgumentError
        naming them when several do). start_date, end_date: None (open), a str as the CLI takes
        it ("2024-01-05", "2024-01-05T12:30", epoch ms), a date, a datetime/Timestamp (naive =
        UTC) or epoch milliseconds; a date-only end includes that whole day. timeframe: None for
        the stored 1m candles, or a longer period ("15m", "1h", "1d") to resample to (the stored
        aggregate when it is up to date). columns: the columns to read (ts is always the index).
        """
        return self.read(exchange, symbol, start_date, end_date, market=market,
                         timeframe=timeframe, columns=columns)

    def read(self, exchange, symbol, start_date=None, end_date=None, market=None, data_type="raw",
             period=None, timeframe=None, columns=None, limit=None):
        """Rows of any dataset (`dlake read`) as a DataFrame indexed by `ts` (UTC).

        As read_ohlc, plus data_type ("raw", "agg", "ticks", "alt"), period (default 1m, tick
        for ticks; alt datasets: the one stored when None) and limit (at most that many rows).
        """
        names = _words(columns, "columns")
        if names and "ts" not in names:
            names.insert(0, "ts")
        limit = _count(limit, "limit")
        rows = self._client.read(
            exchange=_word(exchange, "exchange"), market=_word(market, "market"),
            symbol=_word(symbol, "symbol"), type=_word(data_type, "data_type"),
            period=_word(period, "period"), timeframe=_word(timeframe, "timeframe"),
            start=_time_text(start_date, "start_date"), end=_time_text(end_date, "end_date"),
            columns=names, limit=-1 if limit is None else limit)
        from ._frames import frame_from_columns

        return frame_from_columns(rows, index_name="ts")

    def list(self, symbol=None, exchange=None, data_type=None, market=None, period=None):
        """The datasets (`dlake list`) as a DataFrame, one row each: the fields of the JSON form
        (dataset, exchange, market, symbol, type, period, files, rows, bytes, time_from, time_to,
        known_gaps), times as UTC timestamps. Arguments narrow the list; None matches all."""
        text = self._client.list(
            exchange=_word(exchange, "exchange"), market=_word(market, "market"),
            symbol=_word(symbol, "symbol"), type=_word(data_type, "data_type"),
            period=_word(period, "period"))
        return self._records(text, "datasets")

    def delta_read(self, path, version=None, columns=None, where=None, limit=None):
        """Rows of a Delta table (`dlake delta read`) as a DataFrame with a RangeIndex.

        path: the table's folder (relative to the working directory). version: time travel to
        that version; None = the latest. columns: the columns to read (None = all). where: a SQL
        predicate over the columns. limit: at most that many rows. Integers come as Int64,
        floats as float64, booleans as boolean, other types (decimals, dates, timestamps) as
        the library renders them in text.
        """
        rows = self._client.delta_read(
            path=_os.fspath(path), version=_count(version, "version"),
            columns=_words(columns, "columns"), where=_word(where, "where"),
            limit=_count(limit, "limit"))
        from ._frames import frame_from_columns

        return frame_from_columns(rows)

    # ---- Writing ----

    def ingest(self, source, exchange, symbol, market="FUTURES", data_type="raw", period=None,
               on_bad_rows="fail", compression="snappy", dry_run=False, aggregate=None,
               progress=None):
        """Loads CSV files into one dataset (`dlake ingest`); returns the report as a dict.

        source: a CSV file, a folder of .csv files or a glob, or a list of them. period: None =
        1m (tick for ticks; alt data must name one). on_bad_rows: "fail" (nothing written) or
        "skip" (skipped and reported). aggregate: periods to bring up to date afterwards (None =
        the `aggregate` setting). progress: None or a callable taking a dict (phase "reading" or
        "writing", file, files_done, files_total, rows_read), called every 100,000 rows, after
        each file and before writing; what it raises stops the ingest before anything is written.
        """
        if progress is not None and not callable(progress):
            raise TypeError("progress must be callable or None")
        text = self._client.ingest(
            sources=_words(source, "source"), exchange=_word(exchange, "exchange"),
            market=_word(market, "market"), symbol=_word(symbol, "symbol"),
            type=_word(data_type, "data_type"), period=_word(period, "period"),
            on_bad_rows=_word(on_bad_rows, "on_bad_rows"),
            compression=_word(compression, "compression"), dry_run=bool(dry_run),
            aggregate=_optional_words(aggregate, "aggregate"), progress=progress)
        return _json.loads(text)

    def download_symbols(self, exchange, market=None):
        """Fetches an exchange market's tradable symbols and stores them in the lake
        (`dlake download-symbols`); returns them as a DataFrame (symbol, base, quote, status,
        contract_type, listing_time, market). market None: the exchange's default."""
        text = self._client.download_symbols(exchange=_word(exchange, "exchange"),
                                             market=_word(market, "market"))
        return self._records(text, "symbols")

    def download_history(self, exchange, symbols, market=None, timeframe="1m", start_date=None,
                         end_date=None, days=None, funding=False, aggregate=None, progress=None):
        """Downloads candle history (and with funding=True funding rates) into the lake,
        incrementally (`dlake download-history`); returns the report as a dict.

        symbols: one or a list (BTCUSDT, BTC/USDT:USDT). start_date/end_date as in read_ohlc;
        None = after what is stored (or from the listing) up to now. days: the last N days
        instead of a start. progress: None or a callable taking a dict (dataset, range_from,
        range_to, position, rows, requests, retries; times in epoch ms), called after every
        page with the GIL held; an exception it raises stops the download (pages stored before
        stay) and propagates. Ctrl-C stops it the same way.
        """
        if progress is not None and not callable(progress):
            raise TypeError("progress must be callable or None")
        text = self._client.download_history(
            exchange=_word(exchange, "exchange"), market=_word(market, "market"),
            symbols=_words(symbols, "symbols"), timeframe=_word(timeframe, "timeframe"),
            start=_time_text(start_date, "start_date"), end=_time_text(end_date, "end_date"),
            days=_count(days, "days") or 0, funding=bool(funding),
            aggregate=_optional_words(aggregate, "aggregate"), progress=progress)
        return _json.loads(text)

    # ---- The feature store (doc/features.md) ----

    def upload_feature(self, data, exchange, symbol, feature_set, version, market=None,
                       description=None, sources=None, code_ref=None, dry_run=False):
        """Uploads feature rows as an immutable version of a feature set (`dlake upload-feature`).

        data: a DataFrame (its time in a `ts` column or a DatetimeIndex named ts: datetimes,
        naive = UTC, or int epoch ms; other columns keep their dtypes: ints, floats (NaN = NULL),
        bools, strings) or the path of a .parquet/.csv file. version: a semantic version
        ("1.0.0"). sources: datasets it was computed from ("BINANCE/FUTURES/BTCUSDT/raw/1m").
        The same content again is a no-op (outcome "unchanged"); other content under an
        existing version raises AlreadyExistsError. Returns the report as a dict.
        """
        path = ""
        columns = []
        if isinstance(data, (str, bytes, _os.PathLike)):
            path = _os.fsdecode(data)
        else:
            from ._frames import columns_from_frame

            columns = columns_from_frame(data)
        text = self._client.upload_feature(
            path=path, columns=columns, exchange=_word(exchange, "exchange"),
            symbol=_word(symbol, "symbol"), market=_word(market, "market"),
            feature_set=_word(feature_set, "feature_set"), version=_word(version, "version"),
            description=_word(description, "description"), code_ref=_word(code_ref, "code_ref"),
            sources=_words(sources, "sources"), dry_run=bool(dry_run))
        return _json.loads(text)

    def read_features(self, exchange, symbol, feature_set, version=None, start_date=None,
                      end_date=None, columns=None, limit=None, as_of=None):
        """The rows of a feature set version (the highest when version is None; with as_of, the
        highest created before it) as a DataFrame indexed by `ts` (UTC)."""
        ref = _word(feature_set, "feature_set")
        if version is not None:
            ref += "@" + _word(version, "version")
        names = _words(columns, "columns")
        if names and "ts" not in names:
            names.insert(0, "ts")
        limit = _count(limit, "limit")
        rows = self._client.read_features(
            ref=ref, exchange=_word(exchange, "exchange"), symbol=_word(symbol, "symbol"),
            start=_time_text(start_date, "start_date"), end=_time_text(end_date, "end_date"),
            columns=names, limit=-1 if limit is None else limit,
            as_of=_time_text(as_of, "as_of"))
        from ._frames import frame_from_columns

        return frame_from_columns(rows, index_name="ts")

    def read_with_features(self, exchange, symbol, features, start_date=None, end_date=None,
                           market=None, timeframe=None, columns=None, tolerance=None,
                           as_of=None, limit=None):
        """Candles joined point in time with feature sets (`dlake read --with-features`): each
        candle gets, per set, the newest feature row with ts at or before its own, never a later
        one. features: "alpha", "alpha@1.0.0" or a list of them. Feature columns are named
        "<set>.<column>"; "<set>.ts" (UTC timestamps) is the time of the row used. tolerance: a
        duration ("5m", "2h"): older rows are not used (NaN/<NA>). as_of: only versions created
        before it. Indexed by `ts` (UTC)."""
        refs = ",".join(_words(features, "features"))
        names = _words(columns, "columns")
        if names and "ts" not in names:
            names.insert(0, "ts")
        limit = _count(limit, "limit")
        rows = self._client.read_with_features(
            exchange=_word(exchange, "exchange"), market=_word(market, "market"),
            symbol=_word(symbol, "symbol"), period="", timeframe=_word(timeframe, "timeframe"),
            start=_time_text(start_date, "start_date"), end=_time_text(end_date, "end_date"),
            columns=names, limit=-1 if limit is None else limit, features=refs,
            tolerance=_word(tolerance, "tolerance"), as_of=_time_text(as_of, "as_of"))
        from ._frames import feature_times, frame_from_columns

        return feature_times(frame_from_columns(rows, index_name="ts"))

    def list_features(self, feature_set=None, exchange=None, symbol=None):
        """The feature set versions (`dlake features list`) as a list of dicts, sets by name and
        versions highest first, each with its lineage (doc/json.md)."""
        return _json.loads(self._client.list_features(
            feature_set=_word(feature_set, "feature_set"), exchange=_word(exchange, "exchange"),
            symbol=_word(symbol, "symbol")))

    def show_feature(self, ref):
        """Every exchange symbol of one version ("alpha" = its highest, "alpha@1.0.0"), lineage
        included, as a list of dicts."""
        return _json.loads(self._client.show_feature(_word(ref, "ref")))

    def diff_features(self, a, b):
        """How two versions ("alpha@1.0.0", "alpha@1.1.0") differ in schema and coverage."""
        return _json.loads(self._client.diff_features(_word(a, "a"), _word(b, "b")))

    def delete_feature(self, feature_set, version, exchange=None, symbol=None, dry_run=False):
        """Deletes a version (of every exchange symbol, or the one named); returns the report."""
        return _json.loads(self._client.delete_feature(
            feature_set=_word(feature_set, "feature_set"), version=_word(version, "version"),
            exchange=_word(exchange, "exchange"), symbol=_word(symbol, "symbol"),
            dry_run=bool(dry_run)))

    # ---- Checking ----

    def verify(self, symbol=None, exchange=None, data_type=None, market=None, period=None,
               repair=False, check_data=True):
        """Checks the lake (`dlake verify`): checksums, orphans, missing files, leftovers, and
        with check_data gaps, duplicates and order. Returns the report as a dict; its "ok" is
        False when problems were found (that is a result, not an error). repair=True removes
        orphans and temporary leftovers only."""
        text = self._client.verify(
            exchange=_word(exchange, "exchange"), market=_word(market, "market"),
            symbol=_word(symbol, "symbol"), type=_word(data_type, "data_type"),
            period=_word(period, "period"), repair=bool(repair), check_data=bool(check_data))
        return _json.loads(text)

    @staticmethod
    def _records(text, kind):
        from ._frames import frame_from_records

        template = _json.loads(_dlake.record_template(kind))[0]
        return frame_from_records(_json.loads(text), template)
