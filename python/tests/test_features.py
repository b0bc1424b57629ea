"""The feature store from Python: upload_feature from a DataFrame (dtypes kept) or a file,
immutability, semver order, read_features, the point-in-time join read_with_features checked
against pandas' merge_asof, lineage, diffs, deletes, list(data_type="feature") and errors."""

import numpy as np
import pandas as pd
import pytest

import dlake
from conftest import DAY_MS, JAN1_MS, MINUTE_MS, write_klines


def features(start_ms, count, step_ms, offset=0.25):
    ts = pd.to_datetime(start_ms + np.arange(count) * step_ms, unit="ms", utc=True)
    return pd.DataFrame({
        "ts": ts,
        "rsi": np.arange(count, dtype="float64") + offset,
        "signal": np.arange(count, dtype="int64") % 3,
        "label": ["up" if i % 2 else "down" for i in range(count)],
        "flag": np.arange(count) % 2 == 0,
    })


@pytest.fixture
def lake(tmp_path):
    with dlake.DataLakeClient.init(tmp_path / "lake") as client:
        client.ingest(write_klines(tmp_path / "btc.csv", JAN1_MS, 1440), "binance", "BTCUSDT",
                      market="futures")
        yield client


def test_a_dataframe_uploads_with_its_dtypes_and_reads_back(lake):
    df = features(JAN1_MS, 288, 5 * MINUTE_MS)
    df.loc[3, "rsi"] = np.nan
    report = lake.upload_feature(df, "BINANCE", "BTCUSDT", "alpha_v1", "1.0.0",
                                 description="five-minute rsi",
                                 sources=["BINANCE/FUTURES/BTCUSDT/raw/1m"], code_ref="nb:1")
    assert report["outcome"] == "created"
    assert report["rows"] == 288
    assert report["dataset"] == "features/alpha_v1/1.0.0/BINANCE/BTCUSDT"
    assert [(c["name"], c["type"]) for c in report["columns"]] == [
        ("ts", "BIGINT"), ("rsi", "DOUBLE"), ("signal", "BIGINT"), ("label", "VARCHAR"),
        ("flag", "BOOLEAN")]
    assert report["sources"][0]["dataset"] == "BINANCE/FUTURES/BTCUSDT/raw/1m"
    assert len(report["sources"][0]["digest"]) == 64

    back = lake.read_features("BINANCE", "BTCUSDT", "alpha_v1")
    assert str(back.index.tz) == "UTC" and back.index.name == "ts"
    assert (back.index == pd.DatetimeIndex(df["ts"])).all()
    assert np.isnan(back["rsi"].iloc[3])
    assert back["rsi"].iloc[4] == 4.25
    assert list(back["label"][:2]) == ["down", "up"]
    assert str(back["signal"].dtype) == "Int64"
    # The same content again: a no-op; other content: refused, naming the next version.
    assert lake.upload_feature(df, "BINANCE", "BTCUSDT", "alpha_v1", "1.0.0")["outcome"] == \
        "unchanged"
    changed = df.copy()
    changed.loc[5, "rsi"] = 0.0
    with pytest.raises(dlake.AlreadyExistsError, match="such as 1.0.1"):
        lake.upload_feature(changed, "BINANCE", "BTCUSDT", "alpha_v1", "1.0.0")
    listed = lake.list(data_type="feature")
    assert list(listed["dataset"]) == ["features/alpha_v1/1.0.0/BINANCE/BTCUSDT"]


def test_versions_are_semver_and_a_delete_falls_back(lake, tmp_path):
    path = tmp_path / "f.csv"
    features(JAN1_MS, 10, MINUTE_MS).assign(ts=lambda f: f["ts"].astype("int64") // 10**6) \
        .to_csv(path, index=False)
    for version in ["1.9.0", "1.10.0", "1.2.0"]:
        lake.upload_feature(str(path), "BINANCE", "BTCUSDT", "alpha", version)
    assert [v["version"] for v in lake.list_features()] == ["1.10.0", "1.9.0", "1.2.0"]
    assert lake.show_feature("alpha")[0]["version"] == "1.10.0"
    deleted = lake.delete_feature("alpha", "1.10.0")
    assert [v["version"] for v in deleted["versions"]] == ["1.10.0"]
    assert lake.show_feature("alpha")[0]["version"] == "1.9.0"
    diff = lake.diff_features("alpha@1.2.0", "alpha@1.9.0")
    assert diff["same_schema"] and diff["coverage"][0]["a"]["rows"] == 10
    with pytest.raises(dlake.NotFoundError, match="has no version 1.10.0"):
        lake.read_features("BINANCE", "BTCUSDT", "alpha", version="1.10.0")
    with pytest.raises(dlake.InvalidArgumentError, match="invalid version '1.0'"):
        lake.upload_feature(str(path), "BINANCE", "BTCUSDT", "alpha", "1.0")


def test_the_point_in_time_join_matches_merge_asof(lake):
    rng = np.random.default_rng(3)
    times = JAN1_MS + np.sort(rng.choice(1440 * 60, 300, replace=False)) * 1000
    feats = pd.DataFrame({"ts": times, "value": rng.normal(size=300)})
    lake.upload_feature(feats, "BINANCE", "BTCUSDT", "noise", "0.1.0")
    joined = lake.read_with_features("BINANCE", "BTCUSDT", "noise", start_date="2024-01-01T02:00",
                                     end_date="2024-01-01T20:00", columns=["close"])
    candles = pd.DataFrame({"ts": joined.index.astype("int64") // 10**6})
    expected = pd.merge_asof(candles, feats.rename(columns={"ts": "fts"}), left_on="ts",
                             right_on="fts", direction="backward")
    assert len(joined) == 18 * 60
    assert list(joined.columns) == ["close", "noise.ts", "noise.value"]
    assert str(joined["noise.ts"].dtype) == "datetime64[ns, UTC]"
    np.testing.assert_array_equal(joined["noise.value"].to_numpy(), expected["value"].to_numpy())
    used = joined["noise.ts"].astype("int64") // 10**6
    assert (used.to_numpy() <= candles["ts"].to_numpy()).all()  # never a later row
    # With a tolerance, older rows are not used.
    near = lake.read_with_features("BINANCE", "BTCUSDT", ["noise@0.1.0"], tolerance="30s",
                                   start_date="2024-01-01T02:00", end_date="2024-01-01T20:00")
    stale = candles["ts"].to_numpy() - expected["fts"].to_numpy() > 30_000
    assert near["noise.value"].isna().to_numpy().tolist() == stale.tolist()
    with pytest.raises(dlake.NotFoundError, match="feature set 'nothing'"):
        lake.read_with_features("BINANCE", "BTCUSDT", "nothing")


def test_bad_frames_are_refused_before_the_lake_is_touched(lake):
    with pytest.raises(ValueError, match="no ts column"):
        lake.upload_feature(pd.DataFrame({"x": [1.0]}), "BINANCE", "BTCUSDT", "a", "1.0.0")
    dup = pd.DataFrame({"ts": [JAN1_MS, JAN1_MS], "x": [1.0, 2.0]})
    with pytest.raises(dlake.InvalidArgumentError, match="appears 2 times"):
        lake.upload_feature(dup, "BINANCE", "BTCUSDT", "a", "1.0.0")
    by_index = pd.DataFrame({"x": [1.0, 2.0]},
                            index=pd.DatetimeIndex(["2024-01-01", "2024-01-02"], name="ts"))
    report = lake.upload_feature(by_index, "BINANCE", "BTCUSDT", "a", "1.0.0")
    assert report["time_from"] == JAN1_MS and report["time_to"] == JAN1_MS + DAY_MS
    assert lake.list_features(feature_set="a")[0]["rows"] == 2


def test_ingest_reports_progress_and_a_raising_callback_stops_it(tmp_path):
    seen = []
    with dlake.DataLakeClient.init(tmp_path / "lake") as client:
        csv = write_klines(tmp_path / "big.csv", JAN1_MS, 120 * 1440)
        client.ingest(csv, "binance", "BTCUSDT", progress=seen.append)
        assert [p["phase"] for p in seen] == ["reading", "reading", "writing"]
        assert seen[0]["rows_read"] >= 99_000 and seen[-1]["rows_read"] == 120 * 1440
        assert seen[1]["files_done"] == 1 and seen[1]["files_total"] == 1

        def stop(p):
            if p["phase"] == "writing":
                raise KeyError("enough")

        later = write_klines(tmp_path / "later.csv", JAN1_MS + 200 * DAY_MS, 10)
        with pytest.raises(KeyError, match="enough"):
            client.ingest(later, "binance", "BTCUSDT", progress=stop)
        assert client.list()["rows"].sum() == 120 * 1440
