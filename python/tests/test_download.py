"""download_symbols and download_history against the fake exchange program (real HTTP on
127.0.0.1): reports, stored rows, progress callbacks and their exceptions, errors, and the GIL
released while the library waits on the network."""

import http.server
import json
import socket
import threading

import pandas as pd
import pytest

import dlake
from conftest import DAY_MS, JAN1_MS

FEB1 = "2024-02-01"


def test_download_symbols_stores_and_returns_them(exchange_client):
    df = exchange_client.download_symbols("binance", market="futures")
    assert list(df.columns) == ["symbol", "base", "quote", "status", "contract_type",
                                "listing_time", "market"]
    assert df["symbol"].tolist() == ["BTCUSDT", "ETHUSDT"]
    eth = df.set_index("symbol").loc["ETHUSDT"]
    assert eth["base"] == "ETH" and eth["market"] == "FUTURES"
    assert eth["listing_time"] == pd.Timestamp("2020-06-01 12:30", tz="UTC")
    assert str(df["listing_time"].dtype) == "datetime64[ns, UTC]"
    spot = exchange_client.download_symbols("BYBIT", "spot")
    assert set(spot["symbol"]) == {"BTCUSDT", "ETHUSDT"}


def test_download_history_stores_candles_and_reports(exchange_client):
    calls = []
    report = exchange_client.download_history(
        "binance", "BTC/USDT:USDT", start_date=FEB1, end_date="2024-02-02", funding=True,
        progress=calls.append)
    datasets = {d["dataset"]: d for d in report["datasets"]}
    assert datasets["BINANCE/FUTURES/BTCUSDT/raw/1m"]["rows_written"] == 2 * 1440
    assert datasets["BINANCE/FUTURES/BTCUSDT/alt/funding"]["rows_written"] == 2 * 3
    assert report["requests"] >= 2
    assert calls, "progress was never called"
    first = calls[0]
    assert set(first) == {"dataset", "range_from", "range_to", "position", "rows", "requests",
                          "retries"}
    assert first["dataset"] == "BINANCE/FUTURES/BTCUSDT/raw/1m"
    assert first["range_from"] == JAN1_MS + 31 * DAY_MS
    assert calls[-1]["position"] >= calls[0]["position"]
    df = exchange_client.read_ohlc("binance", "BTCUSDT", FEB1, "2024-02-02")
    assert len(df) == 2 * 1440
    assert df.index[0] == pd.Timestamp(FEB1, tz="UTC")
    again = exchange_client.download_history("binance", ["BTCUSDT"], start_date=FEB1,
                                             end_date="2024-02-02")
    assert again["datasets"][0]["already_complete"] is True


class StopDownload(Exception):
    pass


def test_an_exception_in_the_progress_callback_stops_the_download(exchange_client):
    calls = []

    def progress(p):
        calls.append(p)
        if len(calls) == 2:
            raise StopDownload("enough")

    with pytest.raises(StopDownload, match="enough"):
        exchange_client.download_history("binance", "BTCUSDT", timeframe="1m", start_date=FEB1,
                                         end_date="2024-02-05", progress=progress)
    assert len(calls) == 2  # not called again after it raised
    assert exchange_client.verify()["ok"] is True
    # The next download fills what is missing.
    report = exchange_client.download_history("binance", "BTCUSDT", start_date=FEB1,
                                              end_date="2024-02-05")
    assert report["datasets"][0]["dataset"] == "BINANCE/FUTURES/BTCUSDT/raw/1m"
    assert len(exchange_client.read_ohlc("binance", "BTCUSDT", FEB1, "2024-02-04")) == 4 * 1440

    def interrupt(p):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        exchange_client.download_history("binance", "ETHUSDT", start_date=FEB1,
                                         end_date="2024-02-02", progress=interrupt)


def test_download_errors(exchange_client):
    with pytest.raises(dlake.InvalidArgumentError, match="kraken"):
        exchange_client.download_history("kraken", "BTCUSDT", days=1)
    with pytest.raises(dlake.InvalidArgumentError, match="no funding rates"):
        exchange_client.download_history("bybit", "BTCUSDT", market="spot", start_date=FEB1,
                                         end_date="2024-02-02", funding=True)
    with pytest.raises(dlake.InvalidArgumentError, match="exclude each other"):
        exchange_client.download_history("binance", "BTCUSDT", start_date=FEB1, days=2)
    with pytest.raises(dlake.InvalidArgumentError, match="must be after the start"):
        exchange_client.download_history("binance", "BTCUSDT", start_date="2024-02-03",
                                         end_date=FEB1)
    with pytest.raises(dlake.InvalidArgumentError, match="no symbol"):
        exchange_client.download_history("binance", [])
    with pytest.raises(TypeError, match="progress"):
        exchange_client.download_history("binance", "BTCUSDT", progress="loud")


def test_an_unreachable_exchange_is_unavailable(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    settings = {"binance.futures_url": url, "retry_base_ms": "1"}
    with dlake.DataLakeClient.init(tmp_path / "lake", settings=settings) as client:
        with pytest.raises(dlake.UnavailableError) as error:
            client.download_symbols("binance", "futures")
    assert url in str(error.value)
    assert isinstance(error.value, ConnectionError)


def test_the_gil_is_released_while_the_library_waits(tmp_path):
    """The exchange is a Python server answering on this thread. If the download held the GIL,
    this thread could not answer it and the download would hang until it times out."""

    class Handler(http.server.BaseHTTPRequestHandler):
        paths = []

        def do_GET(self):
            Handler.paths.append(self.path)
            body = json.dumps({"code": -1121, "msg": "Invalid symbol."}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    server.timeout = 60
    url = f"http://127.0.0.1:{server.server_address[1]}"
    with dlake.DataLakeClient.init(tmp_path / "lake", settings={"binance.futures_url": url}) as c:
        outcome = []

        def download():
            try:
                c.download_symbols("binance", "futures")
            except dlake.DlakeError as error:
                outcome.append(error)

        worker = threading.Thread(target=download)
        worker.start()
        server.handle_request()  # runs only if the worker released the GIL
        worker.join(timeout=60)
        server.server_close()
    assert not worker.is_alive()
    assert Handler.paths and Handler.paths[0].startswith("/fapi/v1/exchangeInfo")
    assert len(outcome) == 1 and "Invalid symbol" in str(outcome[0])
