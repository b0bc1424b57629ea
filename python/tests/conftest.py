"""Fixtures of the dlake SDK tests: real lakes made with the SDK's own ingest from CSV files
written here, the dlake binary of the same build (DLAKE_BINARY) to compare with, and the fake
exchange program (DLAKE_FAKE_EXCHANGE) serving Binance and Bybit on 127.0.0.1.

ctest sets PYTHONPATH and both variables (python/CMakeLists.txt). By hand:
    PYTHONPATH=build/python python3 -m pytest -q python/tests
finds the programs in build/ when the variables are unset.
"""

import json
import os
import pathlib
import subprocess

import pytest

import dlake

JAN1_MS = 1704067200000  # 2024-01-01T00:00:00Z
MINUTE_MS = 60_000
DAY_MS = 86_400_000

_REPO = pathlib.Path(__file__).resolve().parents[2]


def program(variable, relative):
    path = os.environ.get(variable) or str(_REPO / "build" / relative)
    if not os.path.exists(path):
        pytest.skip(f"{relative} is not built (set {variable})")
    return path


def kline_line(ts, i, price):
    """One Binance kline (12 fields) for minute `i`: low <= open, close <= high."""
    open_ = price + (i % 7) * 0.5
    close = price + (i % 5) * 0.5
    high = max(open_, close) + 1.0
    low = min(open_, close) - 1.0
    volume = 1.0 + (i % 11) * 0.25
    return (f"{ts},{open_:.2f},{high:.2f},{low:.2f},{close:.2f},{volume:.3f},{ts + MINUTE_MS - 1},"
            f"{volume * price:.4f},{10 + i % 13},{volume / 2:.3f},{volume * price / 2:.4f},0")


def write_klines(path, start_ms, count, price=42000.0, six_columns=False):
    """`count` 1m candles from start_ms as a Binance kline CSV (or ts,open,high,low,close,volume)."""
    lines = []
    for i in range(count):
        line = kline_line(start_ms + i * MINUTE_MS, i, price)
        lines.append(",".join(line.split(",")[:6]) if six_columns else line)
    pathlib.Path(path).write_text("\n".join(lines) + "\n")
    return str(path)


def run_dlake(lake, *args):
    """The dlake binary of this build on `lake`; returns the completed process."""
    return subprocess.run([program("DLAKE_BINARY", "apps/dlake/dlake"), "--lake", str(lake), *args],
                          capture_output=True, text=True, timeout=120)


def dlake_json(lake, *args):
    result = run_dlake(lake, "--json", *args)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def lake_path(tmp_path_factory):
    """A lake shared by the read-only tests:
    BINANCE/FUTURES/BTCUSDT/raw/1m      2024-01-01 and 02 (2,880 candles, 12 columns)
    BINANCE/FUTURES/ETHUSDT/raw/1m      2024-01-01 with 12 columns, 2024-01-02 with 6 (NULLs)
    BINANCE/SPOT/ETHUSDT/raw/1m         2024-01-01 (1,440 candles): ETHUSDT is in two markets
    BINANCE/FUTURES/BTCUSDT/alt/funding 3 rows of a double, a string and a bool, with NULLs
    """
    root = tmp_path_factory.mktemp("shared")
    inputs = root / "in"
    inputs.mkdir()
    lake = root / "lake"
    with dlake.DataLakeClient.init(lake) as client:
        client.ingest(write_klines(inputs / "btc.csv", JAN1_MS, 2 * 1440), "binance", "BTCUSDT",
                      market="futures")
        client.ingest([write_klines(inputs / "eth-1.csv", JAN1_MS, 1440, price=2200.0),
                       write_klines(inputs / "eth-2.csv", JAN1_MS + DAY_MS, 1440, price=2300.0,
                                    six_columns=True)],
                      "binance", "ETHUSDT", market="futures")
        client.ingest(write_klines(inputs / "eth-spot.csv", JAN1_MS, 1440, price=2190.0),
                      "binance", "ETHUSDT", market="spot")
        notes = inputs / "funding.csv"
        notes.write_text("ts,rate,note,flag\n"
                         f"{JAN1_MS},0.0001,first,true\n"
                         f"{JAN1_MS + 8 * 3600_000},,,\n"
                         f"{JAN1_MS + 16 * 3600_000},-0.0002,third é,false\n")
        client.ingest(str(notes), "binance", "BTCUSDT", market="futures", data_type="alt",
                      period="funding")
    return lake


@pytest.fixture
def client(lake_path):
    with dlake.DataLakeClient(lake_path) as opened:
        yield opened


@pytest.fixture
def fresh(tmp_path):
    """A new empty lake of this test's own."""
    with dlake.DataLakeClient.init(tmp_path / "lake") as opened:
        yield opened


@pytest.fixture(scope="session")
def fake_exchange():
    """The fake exchange program: its base URL. The market clock is fixed at 2024-03-01."""
    now = JAN1_MS + 60 * DAY_MS
    process = subprocess.Popen(
        [program("DLAKE_FAKE_EXCHANGE", "testing/fake-exchange"), "--now", str(now),
         "--exit-on-stdin-close"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    yield url
    process.stdin.close()
    process.wait(timeout=10)


@pytest.fixture
def exchange_client(tmp_path, fake_exchange):
    """A new lake whose exchange URLs point at the fake exchange."""
    settings = {"binance.spot_url": fake_exchange, "binance.futures_url": fake_exchange,
                "bybit.url": fake_exchange, "retry_base_ms": "1"}
    with dlake.DataLakeClient.init(tmp_path / "lake", settings=settings) as opened:
        yield opened
