"""DataLakeClient itself: lake discovery as the CLI does it, settings, closing, the exception
classes, and concurrent use from threads."""

import concurrent.futures
import os

import pytest

import dlake


def test_exception_classes():
    assert issubclass(dlake.DlakeError, Exception)
    pairs = [(dlake.NotFoundError, LookupError), (dlake.InvalidArgumentError, ValueError),
             (dlake.IoError, OSError), (dlake.UnavailableError, ConnectionError)]
    for cls, builtin in pairs:
        assert issubclass(cls, dlake.DlakeError) and issubclass(cls, builtin)
    for cls in (dlake.AlreadyExistsError, dlake.FailedPreconditionError, dlake.AbortedError,
                dlake.CorruptionError, dlake.InternalError):
        assert issubclass(cls, dlake.DlakeError)
    assert dlake.NotFoundError.__module__ == "dlake"
    assert dlake.NotFoundError.code == "Not found"
    assert dlake.InvalidArgumentError.code == "Invalid argument"
    assert dlake.__version__.count(".") == 2


def test_explicit_lake_that_is_not_one(tmp_path):
    with pytest.raises(dlake.NotFoundError, match="is not a lake \\(no manifest.db\\)"):
        dlake.DataLakeClient(tmp_path)


def test_discovery_from_the_environment_and_the_working_folder(lake_path, tmp_path, monkeypatch):
    monkeypatch.setenv("DLAKE_LAKE", str(lake_path))
    with dlake.DataLakeClient() as client:
        assert client.root == str(lake_path)
    monkeypatch.setenv("DLAKE_LAKE", str(tmp_path))
    with pytest.raises(dlake.NotFoundError, match="DLAKE_LAKE="):
        dlake.DataLakeClient()
    monkeypatch.delenv("DLAKE_LAKE")
    inside = lake_path / "data" / "BINANCE"
    monkeypatch.chdir(inside)
    with dlake.DataLakeClient() as client:
        assert client.root == str(lake_path)
        assert len(client.read_ohlc("binance", "BTCUSDT", "2024-01-01", "2024-01-01")) == 1440
    monkeypatch.chdir(tmp_path)
    with pytest.raises(dlake.NotFoundError, match="not inside a lake"):
        dlake.DataLakeClient()


def test_init_creates_a_lake(tmp_path):
    path = tmp_path / "new"
    with dlake.DataLakeClient.init(path) as client:
        assert os.path.isfile(os.path.join(client.root, "manifest.db"))
        assert repr(client) == f"DataLakeClient({str(path)!r})"
    with dlake.DataLakeClient(path) as again:
        assert len(again.list()) == 0


def test_settings_are_checked_like_flags(lake_path):
    with dlake.DataLakeClient(lake_path, settings={"threads": 2, "memory_limit": "512MB"}) as c:
        assert len(c.list()) == 4
    with pytest.raises(dlake.InvalidArgumentError, match="unknown setting 'colour'"):
        dlake.DataLakeClient(lake_path, settings={"colour": "blue"})
    with pytest.raises(dlake.InvalidArgumentError, match="--threads"):
        dlake.DataLakeClient(lake_path, settings={"threads": "many"})


def test_a_closed_client_refuses_calls(lake_path):
    client = dlake.DataLakeClient(lake_path)
    client.close()
    client.close()  # twice is fine
    with pytest.raises(dlake.FailedPreconditionError, match="closed"):
        client.list()
    assert repr(client) == "DataLakeClient(<closed>)"


def test_threads_share_one_client(client):
    def read(day):
        return client.read_ohlc("binance", "BTCUSDT", f"2024-01-0{day}", f"2024-01-0{day}")

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        frames = list(pool.map(read, [1, 2, 1, 2, 1, 2, 1, 2]))
    assert [len(f) for f in frames] == [1440] * 8
    assert frames[0].equals(frames[2]) and not frames[0].equals(frames[1])
