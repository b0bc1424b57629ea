"""delta_read: rows of Delta tables written by `dlake delta`, with time travel."""

import pandas as pd
import pytest

import dlake
from conftest import run_dlake


@pytest.fixture
def table(tmp_path, fresh):
    """A Delta table of 3 rows (version 0) plus 1 appended (version 1)."""
    first = tmp_path / "first.csv"
    first.write_text("id,price,name,active,day\n"
                     "1,10.5,alpha,true,2024-01-01\n"
                     "2,,beta,false,2024-01-02\n"
                     "3,30.25,,,2024-01-03\n")
    more = tmp_path / "more.csv"
    more.write_text("id,price,name,active,day\n4,40.0,delta,true,2024-01-04\n")
    path = tmp_path / "quotes"
    for args in (("create", str(path), "--from", str(first)),
                 ("append", str(path), "--from", str(more))):
        result = run_dlake(fresh.root, "delta", *args)
        assert result.returncode == 0, result.stderr
    return path


def test_reads_the_latest_version_with_its_types(fresh, table):
    df = fresh.delta_read(table)
    df = df.sort_values("id").reset_index(drop=True)
    assert list(df.columns) == ["id", "price", "name", "active", "day"]
    assert isinstance(df.index, pd.RangeIndex)
    assert str(df["id"].dtype) == "Int64"
    assert str(df["price"].dtype) == "float64"
    assert df["name"].dtype == object
    assert str(df["active"].dtype) == "boolean"
    assert df["day"].dtype == object  # dates come as the library renders them
    assert df["id"].tolist() == [1, 2, 3, 4]
    assert df["name"].tolist() == ["alpha", "beta", None, "delta"]
    assert df["active"].tolist() == [True, False, pd.NA, True]
    assert pd.isna(df["price"].iloc[1]) and df["price"].iloc[2] == 30.25
    assert df["day"].iloc[0] == "2024-01-01"


def test_time_travel_columns_where_and_limit(fresh, table):
    assert sorted(fresh.delta_read(str(table), version=0)["id"].tolist()) == [1, 2, 3]
    df = fresh.delta_read(table, columns=["name", "id"], where="id >= 2 AND name IS NOT NULL")
    assert list(df.columns) == ["name", "id"]
    assert sorted(df["id"].tolist()) == [2, 4]
    assert len(fresh.delta_read(table, limit=2)) == 2


def test_empty_reads_keep_the_columns(fresh, table):
    df = fresh.delta_read(table, where="id > 100")
    assert len(df) == 0
    assert list(df.columns) == ["id", "price", "name", "active", "day"]
    assert str(df["id"].dtype) == "Int64" and str(df["active"].dtype) == "boolean"


def test_errors(fresh, table, tmp_path):
    with pytest.raises(dlake.NotFoundError, match="_delta_log"):
        fresh.delta_read(tmp_path / "no-table")
    with pytest.raises(dlake.DlakeError, match="version 7"):
        fresh.delta_read(table, version=7)
    with pytest.raises(dlake.DlakeError, match="nope"):
        fresh.delta_read(table, where="nope = 1")
