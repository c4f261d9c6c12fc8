#!/usr/bin/env python3
"""Writes a deterministic stock-price CSV to stdout: ROWS data rows (default
500000) of date, ticker, open, high, low, close, volume and a short text.
Same ROWS and SEED, same bytes."""
import random
import sys


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 500000
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 42)
    tickers = ["ACME", "GLOBEX", "INITECH", "UMBRELLA", "HOOLI", "STARK",
               "WAYNE", "TYRELL", "股票代码", "SOYLENT"]
    notes = ["", "split 2:1", "\"guidance\" raised", "halted, resumed",
             "ex-dividend", "earnings call", "52w high", "股息"]
    out = sys.stdout
    out.write("date,ticker,open,high,low,close,volume,note\n")
    buf = []
    for i in range(rows):
        o = rng.uniform(5, 500)
        h = o * (1 + rng.random() * 0.05)
        lo = o * (1 - rng.random() * 0.05)
        c = rng.uniform(lo, h)
        note = notes[rng.randrange(len(notes))]
        if "," in note or "\"" in note:
            note = "\"" + note.replace("\"", "\"\"") + "\""
        buf.append("2024-%02d-%02d,%s,%.2f,%.2f,%.2f,%.2f,%d,%s\n" % (
            1 + (i // 28) % 12, 1 + i % 28, tickers[rng.randrange(10)],
            o, h, lo, c, rng.randrange(1000, 9000000), note))
        if len(buf) == 10000:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))


if __name__ == "__main__":
    main()
