#!/usr/bin/env python3
"""sdk_read_bench: DataLakeClient.read_ohlc of a year of 1m candles into pandas against the C++
Lake::Read of the same range, measured in the same process, interleaved.

Target (issue 13): the SDK adds at most 20% to the library's read (median against median).
The baseline is Client.time_read: MakeReadRequest + Lake::Read timed inside C++ with the GIL
released, the batch dropped. The SDK side is the whole Python call: the same read, the buffers
handed to numpy and the DataFrame with its UTC DatetimeIndex built.

    PYTHONPATH=build/python python3 bench/sdk_read_bench.py [--quick] [--days N] [--reps N]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import dlake

JAN1_MS = 1704067200000
MINUTE_MS = 60_000


def write_candles(path, days):
    n = days * 1440
    ts = JAN1_MS + np.arange(n, dtype=np.int64) * MINUTE_MS
    rng = np.random.default_rng(7)
    close = 42000 + np.cumsum(rng.normal(0, 5, n))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) + 1
    low = np.minimum(open_, close) - 1
    volume = rng.uniform(1, 10, n)
    table = np.column_stack([ts, open_, high, low, close, volume])
    np.savetxt(path, table, delimiter=",", header="ts,open,high,low,close,volume", comments="",
               fmt=["%d", "%.2f", "%.2f", "%.2f", "%.2f", "%.4f"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10 days, 3 reps: a smoke run")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--threads", default="2")
    args = parser.parse_args()
    days, reps = (10, 3) if args.quick else (args.days, args.reps)

    with tempfile.TemporaryDirectory(prefix="sdk-read-bench-") as work:
        csv = Path(work) / "candles.csv"
        write_candles(csv, days)
        settings = {"threads": args.threads}
        with dlake.DataLakeClient.init(Path(work) / "lake", settings) as client:
            client.ingest(str(csv), "BINANCE", "BTCUSDT", market="FUTURES")
        csv.unlink()
        end = str(JAN1_MS + days * 1440 * MINUTE_MS)
        with dlake.DataLakeClient(Path(work) / "lake", settings) as client:
            sdk, cpp = [], []
            rows = 0
            for _ in range(reps):
                seconds, rows = client._client.time_read(
                    exchange="BINANCE", market="FUTURES", symbol="BTCUSDT", start=str(JAN1_MS),
                    end=end)
                cpp.append(seconds)
                started = time.perf_counter()
                frame = client.read_ohlc("BINANCE", "BTCUSDT", JAN1_MS, int(end), market="FUTURES")
                sdk.append(time.perf_counter() - started)
                if len(frame) != rows:
                    print(f"sdk_read_bench: read_ohlc gave {len(frame)} rows, Lake::Read {rows}")
                    return 1
                del frame

    ratio = statistics.median(sdk) / statistics.median(cpp)
    print(f"sdk_read_bench: {rows:,} candles ({days} days of 1m), {reps} interleaved reads each")
    print(f"  C++ Lake::Read         best {min(cpp):.3f} s  median {statistics.median(cpp):.3f} s")
    print(f"  SDK read_ohlc (pandas) best {min(sdk):.3f} s  median {statistics.median(sdk):.3f} s")
    print(f"  SDK / C++ = {ratio:.2f}x median, {min(sdk) / min(cpp):.2f}x best")
    passed = ratio <= 1.20
    print(f"  [{'PASS' if passed else 'MISS'}] the SDK adds at most 20% to Lake::Read "
          f"({(ratio - 1) * 100:+.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
