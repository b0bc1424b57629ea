#!/usr/bin/env python3
"""Regenerates the bundled sample data in samples/ (synthetic, deterministic).

The files imitate the formats data.binance.vision ships (facts in ../shared/specs/exchange-apis.md);
the prices are a made-up random walk, not market data.
"""
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "samples")
MAR_1_2024 = 1709251200000


def candles(rng, start, step, count, price):
    for i in range(count):
        drift = 40 * math.sin(i / 180.0)
        o = round(price + drift + rng.uniform(-5, 5), 1)
        c = round(o + rng.uniform(-8, 8), 1)
        h = round(max(o, c) + rng.uniform(0, 6), 1)
        l = round(min(o, c) - rng.uniform(0, 6), 1)
        v = round(rng.uniform(5, 300), 3)
        yield start + i * step, o, h, l, c, v
        price = c - drift


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(20240301)
    with open(os.path.join(OUT, "BTCUSDT-1m-2024-03-01_03.csv"), "w") as f:
        f.write("open_time,open,high,low,close,volume,close_time,quote_volume,count,"
                "taker_buy_volume,taker_buy_quote_volume,ignore\n")
        for ts, o, h, l, c, v in candles(rng, MAR_1_2024, 60000, 3 * 1440, 61500.0):
            trades = rng.randint(200, 4000)
            f.write(f"{ts},{o},{h},{l},{c},{v},{ts + 59999},{round(v * c, 4)},{trades},"
                    f"{round(v / 2, 3)},{round(v * c / 2, 4)},0\n")
    with open(os.path.join(OUT, "ETHUSDT-1h-2024-03.csv"), "w") as f:
        f.write("ts,open,high,low,close,volume\n")
        for ts, o, h, l, c, v in candles(rng, MAR_1_2024, 3600000, 31 * 24, 3400.0):
            f.write(f"{ts},{o},{h},{l},{c},{v}\n")
    with open(os.path.join(OUT, "BTCUSDT-trades-2024-03-01.csv"), "w") as f:
        f.write("id,price,qty,quote_qty,time,is_buyer_maker\n")
        ts, price = MAR_1_2024, 61500.0
        for i in range(5000):
            ts += rng.randint(1, 30000)
            if ts >= MAR_1_2024 + 86400000:
                break
            price = round(price + rng.uniform(-3, 3), 1)
            qty = round(rng.uniform(0.001, 0.5), 3)
            maker = "true" if rng.random() < 0.5 else "false"
            f.write(f"{4000000000 + i},{price},{qty},{round(price * qty, 4)},{ts},{maker}\n")


if __name__ == "__main__":
    main()
