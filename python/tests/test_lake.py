"""list, ingest and verify: the library's JSON forms as DataFrames and dicts, the same as
`dlake … --json` prints them."""

import os

import pandas as pd
import pytest

import dlake
from conftest import JAN1_MS, dlake_json, run_dlake, write_klines

LIST_COLUMNS = ["dataset", "exchange", "market", "symbol", "type", "period", "files", "rows",
                "bytes", "time_from", "time_to", "known_gaps"]


def test_list_has_the_fields_of_the_json_form(client, lake_path):
    df = client.list()
    cli = dlake_json(lake_path, "list")
    assert list(df.columns) == LIST_COLUMNS == list(cli[0].keys())
    assert df["dataset"].tolist() == [d["dataset"] for d in cli]
    assert df["rows"].tolist() == [d["rows"] for d in cli]
    assert str(df["rows"].dtype) == "int64" and str(df["bytes"].dtype) == "int64"
    assert str(df["time_from"].dtype) == "datetime64[ns, UTC]"
    assert (df["time_from"].astype("int64") // 1_000_000).tolist() == [d["time_from"] for d in cli]
    btc = df.set_index("dataset").loc["BINANCE/FUTURES/BTCUSDT/raw/1m"]
    assert btc["rows"] == 2880 and btc["files"] == 2
    assert btc["time_from"] == pd.Timestamp("2024-01-01", tz="UTC")
    assert btc["time_to"] == pd.Timestamp("2024-01-02 23:59", tz="UTC")


def test_list_filters(client):
    assert client.list(symbol="BTCUSDT")["dataset"].tolist() == [
        "BINANCE/FUTURES/BTCUSDT/alt/funding", "BINANCE/FUTURES/BTCUSDT/raw/1m"]
    assert client.list(symbol="eth/usdt", market="spot")["dataset"].tolist() == [
        "BINANCE/SPOT/ETHUSDT/raw/1m"]
    assert len(client.list(exchange="binance", data_type="raw")) == 3
    assert len(client.list(exchange="bybit")) == 0
    with pytest.raises(dlake.InvalidArgumentError, match="unknown data type 'candles'"):
        client.list(data_type="candles")


def test_empty_lists_have_the_columns_and_dtypes(fresh, client):
    for df in (fresh.list(), client.list(symbol="SOLUSDT")):
        assert len(df) == 0
        assert list(df.columns) == LIST_COLUMNS
        assert str(df["files"].dtype) == "int64"
        assert df["symbol"].dtype == object
        assert str(df["time_to"].dtype) == "datetime64[ns, UTC]"


def test_seed_example_lists_feature_datasets(client, fresh, tmp_path):
    # The seed's §4.2 example: none in the shared lake, then one uploaded with the CLI.
    empty = client.list(symbol="BTCUSDT", data_type="feature")
    assert len(empty) == 0
    assert list(empty.columns) == LIST_COLUMNS
    features = tmp_path / "alpha.csv"
    features.write_text(f"ts,score\n{JAN1_MS},0.5\n{JAN1_MS + 300_000},0.75\n")
    upload = run_dlake(fresh.root, "upload-feature", "--path", str(features), "--exchange",
                       "binance", "--symbol", "BTCUSDT", "--feature-set", "alpha", "--version",
                       "1.0.0")
    assert upload.returncode == 0, upload.stderr
    df = fresh.list(symbol="BTCUSDT", data_type="feature")
    assert df["dataset"].tolist() == ["features/alpha/1.0.0/BINANCE/BTCUSDT"]
    assert df["type"].tolist() == ["feature"] and df["period"].tolist() == ["alpha@1.0.0"]
    assert df["rows"].tolist() == [2]
    assert fresh.list(symbol="BTCUSDT", data_type="raw").empty


def test_ingest_returns_the_json_report(fresh, tmp_path):
    csv = write_klines(tmp_path / "a.csv", JAN1_MS, 1500)
    report = fresh.ingest(csv, exchange="binance", symbol="BTC/USDT:USDT")
    assert report["dataset"] == "BINANCE/FUTURES/BTCUSDT/raw/1m"
    assert report["files"] == [csv]
    assert report["rows_read"] == 1500
    assert report["days_created"] == 2 and report["days_unchanged"] == 0
    assert report["time_from"] == JAN1_MS
    assert report["columns"][:6] == ["ts", "open", "high", "low", "close", "volume"]
    # The same fields as `dlake ingest --json` prints.
    cli = dlake_json(fresh.root, "ingest", "--source", csv, "--exchange", "binance", "--symbol",
                     "BTCUSDT", "--dry-run")
    assert list(report.keys()) == list(cli.keys())
    again = fresh.ingest(os.fsencode(csv), "binance", "BTCUSDT")
    assert again["days_unchanged"] == 2 and again["days_created"] == 0
    assert len(fresh.read_ohlc("binance", "BTCUSDT")) == 1500


def test_ingest_options(fresh, tmp_path):
    csv = write_klines(tmp_path / "a.csv", JAN1_MS, 60)
    dry = fresh.ingest(csv, "binance", "BTCUSDT", market="spot", dry_run=True)
    assert dry["dry_run"] is True
    assert len(fresh.list()) == 0
    report = fresh.ingest([tmp_path / "a.csv"], "binance", "BTCUSDT", market="spot",
                          compression="zstd", aggregate=["15m"])
    assert report["dataset"] == "BINANCE/SPOT/BTCUSDT/raw/1m"
    assert [t["dataset"] for t in report["aggregated"]] == ["BINANCE/SPOT/BTCUSDT/agg/15m"]
    assert len(fresh.read("binance", "BTCUSDT", data_type="agg", period="15m")) == 4


def test_ingest_errors_name_the_file_and_line(fresh, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(f"{JAN1_MS},1,2,0.5,1.5,10\n{JAN1_MS + 60000},1,2,3,1.5,10\n")
    with pytest.raises(dlake.InvalidArgumentError, match=f"{path}:2: "):
        fresh.ingest(path, "binance", "BTCUSDT")
    assert len(fresh.list()) == 0  # nothing written
    skipped = fresh.ingest(path, "binance", "BTCUSDT", on_bad_rows="skip")
    assert skipped["rows_bad"] == 1
    assert skipped["first_bad_rows"][0]["line"] == 2
    with pytest.raises(dlake.InvalidArgumentError, match="on_bad_rows"):
        fresh.ingest(path, "binance", "BTCUSDT", on_bad_rows="ignore")
    with pytest.raises(dlake.InvalidArgumentError, match="period is required for alt"):
        fresh.ingest(path, "binance", "BTCUSDT", data_type="alt")
    with pytest.raises(dlake.DlakeError, match="missing.csv"):
        fresh.ingest(tmp_path / "missing.csv", "binance", "BTCUSDT")


def test_verify_reports_as_the_cli(fresh, tmp_path):
    fresh.ingest(write_klines(tmp_path / "a.csv", JAN1_MS, 1440), "binance", "BTCUSDT")
    report = fresh.verify()
    assert report["ok"] is True
    assert report["files_checked"] == 1
    assert report["datasets"][0]["dataset"] == "BINANCE/FUTURES/BTCUSDT/raw/1m"
    assert list(report.keys()) == list(dlake_json(fresh.root, "verify").keys())
    orphan = os.path.join(fresh.root, "data", "BINANCE", "stray.parquet")
    with open(orphan, "wb") as f:
        f.write(b"not parquet")
    found = fresh.verify(check_data=False)
    assert found["ok"] is False
    assert found["orphans"] == ["data/BINANCE/stray.parquet"]
    repaired = fresh.verify(repair=True)
    assert repaired["removed"] == 1 and repaired["ok"] is True
    assert not os.path.exists(orphan)
    assert fresh.verify(symbol="ETHUSDT")["files_checked"] == 0
