"""read_ohlc and read: rows, dtypes, the UTC index, time zones, the CLI's date rules, empty
results, resampling, NULLs, and agreement with `dlake read`."""

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest

import dlake
from conftest import DAY_MS, JAN1_MS, MINUTE_MS, kline_line, run_dlake

CANDLE_COLUMNS = ["open", "high", "low", "close", "volume", "close_time", "quote_volume", "trades",
                  "taker_buy_base", "taker_buy_quote"]
CANDLE_DTYPES = {"open": "float64", "high": "float64", "low": "float64", "close": "float64",
                 "volume": "float64", "close_time": "Int64", "quote_volume": "float64",
                 "trades": "Int64", "taker_buy_base": "float64", "taker_buy_quote": "float64"}


def utc(text):
    return pd.Timestamp(text, tz="UTC")


def test_seed_example_reads_a_day_of_candles_with_a_utc_index(lake_path, monkeypatch):
    # The seed's §4.2 example: the lake found as the CLI finds it.
    monkeypatch.setenv("DLAKE_LAKE", str(lake_path))
    client = dlake.DataLakeClient()
    df = client.read_ohlc(exchange="BINANCE", symbol="BTCUSDT", start_date="2024-01-02",
                          end_date="2024-01-02")
    assert isinstance(df, pd.DataFrame)
    assert len(df) == 1440  # a date-only end includes that whole day
    assert isinstance(df.index, pd.DatetimeIndex)
    assert df.index.name == "ts"
    assert str(df.index.tz) == "UTC"
    assert df.index[0] == utc("2024-01-02 00:00")
    assert df.index[-1] == utc("2024-01-02 23:59")
    assert df.index.is_monotonic_increasing
    assert list(df.columns) == CANDLE_COLUMNS
    assert {c: str(t) for c, t in df.dtypes.items()} == CANDLE_DTYPES
    assert all(pd.api.types.is_numeric_dtype(t) for t in df.dtypes)


def test_values_are_those_of_the_csv(client):
    df = client.read_ohlc("binance", "BTCUSDT", "2024-01-01T00:00", "2024-01-01T00:03")
    assert len(df) == 3
    for i, (ts, row) in enumerate(df.iterrows()):
        fields = kline_line(JAN1_MS + i * MINUTE_MS, i, 42000.0).split(",")
        assert ts.value // 1_000_000 == int(fields[0])
        assert row["open"] == float(fields[1])
        assert row["close"] == float(fields[4])
        assert row["volume"] == float(fields[5])
        assert row["close_time"] == int(fields[6])
        assert row["trades"] == int(fields[8])


def test_the_same_rows_as_dlake_read(client, lake_path):
    df = client.read_ohlc("binance", "BTCUSDT", "2024-01-01T23:00", "2024-01-02T01:00")
    cli = run_dlake(lake_path, "read", "--exchange", "binance", "--symbol", "BTCUSDT", "--start",
                    "2024-01-01T23:00", "--end", "2024-01-02T01:00", "--format", "csv")
    assert cli.returncode == 0, cli.stderr
    expected = pd.read_csv(io.StringIO(cli.stdout))
    assert len(df) == len(expected) == 120
    assert (df.index.asi8 // 1_000_000 == expected["ts"].to_numpy()).all()
    for column in CANDLE_COLUMNS:
        assert (df[column].to_numpy(dtype="float64") ==
                expected[column].to_numpy(dtype="float64")).all(), column


@pytest.mark.parametrize("start, end", [
    ("2024-01-01T12:00", "2024-01-01T13:00"),
    ("2024-01-01T14:00+02:00", "2024-01-01T09:00-04:00"),
    (dt.datetime(2024, 1, 1, 12), dt.datetime(2024, 1, 1, 13)),  # naive = UTC
    (dt.datetime(2024, 1, 1, 13, tzinfo=dt.timezone(dt.timedelta(hours=1))),
     dt.datetime(2024, 1, 1, 13, tzinfo=dt.timezone.utc)),
    (pd.Timestamp("2024-01-01 12:00"), pd.Timestamp("2024-01-01 08:00", tz="America/New_York")),
    (np.datetime64("2024-01-01T12:00"), np.datetime64("2024-01-01T13:00:00.000")),
    (JAN1_MS + 12 * 3600_000, np.int64(JAN1_MS + 13 * 3600_000)),
    (str(JAN1_MS + 12 * 3600_000), str(JAN1_MS + 13 * 3600_000)),
])
def test_times_are_utc_whatever_their_form(client, start, end):
    df = client.read_ohlc("binance", "BTCUSDT", start, end)
    assert len(df) == 60
    assert df.index[0] == utc("2024-01-01 12:00")
    assert df.index[-1] == utc("2024-01-01 12:59")


def test_a_date_is_a_whole_day_and_a_datetime_an_instant(client):
    assert len(client.read_ohlc("binance", "BTCUSDT", dt.date(2024, 1, 1), dt.date(2024, 1, 1))) \
        == 1440
    assert len(client.read_ohlc("binance", "BTCUSDT", "2024-01-01", "2024-01-02")) == 2 * 1440
    assert len(client.read_ohlc("binance", "BTCUSDT", dt.datetime(2024, 1, 1),
                                dt.datetime(2024, 1, 2))) == 1440
    # Sub-millisecond parts are dropped (times are milliseconds in the lake).
    start = pd.Timestamp("2024-01-01 00:00:00.000999", tz="UTC")
    assert client.read_ohlc("binance", "BTCUSDT", start, "2024-01-01T00:01").index[0] == \
        utc("2024-01-01")


def test_open_bounds_read_everything(client):
    df = client.read_ohlc("binance", "BTCUSDT")
    assert len(df) == 2 * 1440
    assert df.index[0] == utc("2024-01-01")


def test_columns_are_read_in_the_order_given_with_ts_as_the_index(client):
    df = client.read_ohlc("binance", "BTCUSDT", "2024-01-01", "2024-01-01", columns=["close", "open"])
    assert list(df.columns) == ["close", "open"]
    assert df.index.name == "ts"
    df = client.read_ohlc("binance", "BTCUSDT", "2024-01-01", "2024-01-01",
                          columns=("ts", "trades"))
    assert list(df.columns) == ["trades"]
    assert str(df["trades"].dtype) == "Int64"
    df = client.read_ohlc("binance", "BTCUSDT", "2024-01-01", "2024-01-01", columns="volume")
    assert list(df.columns) == ["volume"]


def test_symbol_and_names_in_any_form(client):
    a = client.read_ohlc("BINANCE", "BTCUSDT", "2024-01-01", "2024-01-01")
    b = client.read_ohlc("binance", "btc/usdt:usdt", "2024-01-01", "2024-01-01", market="Futures")
    pd.testing.assert_frame_equal(a, b)


def test_a_symbol_in_two_markets_needs_the_market(client):
    with pytest.raises(dlake.InvalidArgumentError) as error:
        client.read_ohlc("binance", "ETHUSDT", "2024-01-01", "2024-01-01")
    assert "BINANCE/FUTURES/ETHUSDT/raw/1m" in str(error.value)
    assert "BINANCE/SPOT/ETHUSDT/raw/1m" in str(error.value)
    assert isinstance(error.value, ValueError)
    spot = client.read_ohlc("binance", "ETHUSDT", "2024-01-01", "2024-01-01", market="spot")
    futures = client.read_ohlc("binance", "ETHUSDT", "2024-01-01", "2024-01-01", market="futures")
    assert len(spot) == len(futures) == 1440
    assert spot["open"].iloc[0] != futures["open"].iloc[0]


def test_nulls_are_na_for_integers_and_nan_for_doubles(client):
    # ETHUSDT futures: day 1 from a 12-column file, day 2 from a 6-column one.
    df = client.read_ohlc("binance", "ETHUSDT", "2024-01-01T23:59", "2024-01-02T00:01",
                          market="futures")
    assert list(df.columns) == CANDLE_COLUMNS
    assert {c: str(t) for c, t in df.dtypes.items()} == CANDLE_DTYPES
    assert df["trades"].iloc[0] == 10 + 1439 % 13
    assert df["trades"].iloc[1] is pd.NA
    assert df["trades"].isna().tolist() == [False, True]
    assert np.isnan(df["quote_volume"].iloc[1]) and not np.isnan(df["quote_volume"].iloc[0])
    assert df["close_time"].iloc[1] is pd.NA
    assert df["close"].iloc[1] == 2300.0


def test_strings_booleans_and_their_nulls(client):
    df = client.read("binance", "BTCUSDT", market="futures", data_type="alt", period="funding")
    assert list(df.columns) == ["rate", "note", "flag"]
    assert str(df["rate"].dtype) == "float64"
    assert df["note"].dtype == object
    assert str(df["flag"].dtype) == "boolean"
    assert df["note"].tolist() == ["first", None, "third é"]
    assert df["flag"].tolist() == [True, pd.NA, False]
    assert df["rate"].iloc[0] == 0.0001 and np.isnan(df["rate"].iloc[1])
    assert df.index[1] == utc("2024-01-01 08:00")
    # An alt dataset's one period is found without naming it.
    pd.testing.assert_frame_equal(df, client.read("binance", "BTCUSDT", data_type="alt"))


def test_limit(client):
    df = client.read("binance", "BTCUSDT", "2024-01-01", limit=5)
    assert len(df) == 5
    assert df.index[-1] == utc("2024-01-01 00:04")


def test_resampled_candles(client):
    hourly = client.read_ohlc("binance", "BTCUSDT", "2024-01-01", "2024-01-01", timeframe="1h")
    assert len(hourly) == 24
    assert str(hourly.index.tz) == "UTC"
    minutes = client.read_ohlc("binance", "BTCUSDT", "2024-01-01T05:00", "2024-01-01T06:00")
    five = hourly.loc[utc("2024-01-01 05:00")]
    assert five["open"] == minutes["open"].iloc[0]
    assert five["close"] == minutes["close"].iloc[-1]
    assert five["high"] == minutes["high"].max()
    assert five["low"] == minutes["low"].min()
    assert five["volume"] == pytest.approx(minutes["volume"].sum())
    assert five["trades"] == minutes["trades"].sum()
    assert str(hourly["trades"].dtype) == "Int64"


@pytest.mark.parametrize("kwargs", [
    dict(start_date="2023-06-01", end_date="2023-06-01"),           # before every file
    dict(start_date="2024-01-02T23:59:30", end_date="2024-01-03"),  # after the last row
    dict(start_date="2025-01-01"),
])
def test_empty_results_keep_the_columns_and_dtypes(client, kwargs):
    df = client.read_ohlc("binance", "BTCUSDT", **kwargs)
    assert len(df) == 0
    assert list(df.columns) == CANDLE_COLUMNS
    assert {c: str(t) for c, t in df.dtypes.items()} == CANDLE_DTYPES
    assert isinstance(df.index, pd.DatetimeIndex)
    assert df.index.name == "ts" and str(df.index.tz) == "UTC"


def test_empty_resampled_and_column_reads_keep_their_columns(client):
    df = client.read_ohlc("binance", "BTCUSDT", "2023-06-01", "2023-06-01", timeframe="4h")
    assert list(df.columns) == CANDLE_COLUMNS
    assert str(df.index.tz) == "UTC"
    df = client.read_ohlc("binance", "BTCUSDT", "2023-06-01", "2023-06-01", columns=["close"])
    assert list(df.columns) == ["close"] and str(df["close"].dtype) == "float64"
    df = client.read("binance", "BTCUSDT", "2024-01-01", limit=0)
    assert len(df) == 0 and list(df.columns) == CANDLE_COLUMNS


def test_errors_carry_the_librarys_message(client):
    with pytest.raises(dlake.NotFoundError, match="no dataset BINANCE/\\*/DOGEUSDT/raw/1m") as error:
        client.read_ohlc("binance", "DOGEUSDT", "2024-01-01", "2024-01-02")
    assert isinstance(error.value, LookupError) and isinstance(error.value, dlake.DlakeError)
    assert error.value.code == "Not found"
    with pytest.raises(dlake.InvalidArgumentError, match="invalid time '2024-13-01'"):
        client.read_ohlc("binance", "BTCUSDT", "2024-13-01", "2024-12-01")
    with pytest.raises(dlake.InvalidArgumentError, match="must be after the start"):
        client.read_ohlc("binance", "BTCUSDT", "2024-01-02", "2024-01-01T12:00")
    with pytest.raises(dlake.InvalidArgumentError, match="'7x'"):
        client.read_ohlc("binance", "BTCUSDT", timeframe="7x")
    with pytest.raises(dlake.InvalidArgumentError, match="unknown data type 'candles'"):
        client.read("binance", "BTCUSDT", data_type="candles")
    with pytest.raises(dlake.InvalidArgumentError, match="no_such_column"):
        client.read_ohlc("binance", "BTCUSDT", "2024-01-01", "2024-01-01", columns=["no_such_column"])
    with pytest.raises(TypeError, match="start_date"):
        client.read_ohlc("binance", "BTCUSDT", start_date=object())
    with pytest.raises(TypeError, match="exchange"):
        client.read_ohlc(42, "BTCUSDT")


def test_the_frame_owns_its_buffers_after_the_client_is_gone(lake_path):
    with dlake.DataLakeClient(lake_path) as client:
        df = client.read_ohlc("binance", "BTCUSDT", "2024-01-01", "2024-01-01")
    del client
    assert df["close"].sum() > 0
    assert df.index[100] == utc("2024-01-01 01:40")
    copy = df.copy()
    copy.iloc[0, 0] = -1.0
    assert df.iloc[0, 0] != -1.0
    assert DAY_MS == 1440 * MINUTE_MS
