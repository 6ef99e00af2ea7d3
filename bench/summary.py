"""The summary table of one ``make bench``: every bench's figure, its baseline, the ratio, the
goal and whether it was met, printed and saved as ``docs/benchmarks/<date>-summary.md``.

Each bench appends its rows to the file ``$BENCH_SUMMARY`` names (``benchkit.summarise``); this
script reads them once every bench has run.

    .venv/bin/python bench/summary.py ROWS.jsonl [--out docs/benchmarks]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def row(r: dict[str, Any]) -> str:
    ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
    met = {True: "met", False: "**missed**", None: "(diagnostic)"}[r["met"]]
    cells = [r["bench"], r["figure"], r["ours"], r["baseline"], ratio, r["goal"], met]
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| bench | figure | ours | baseline (same run) | ratio | goal | met |",
        "| --- | --- | --- | --- | ---: | --- | --- |",
    ]
    return "\n".join(lines + [row(r) for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rows", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks"))
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.rows.read_text(encoding="utf-8").splitlines()]
    if not rows:
        raise SystemExit(f"no bench wrote a row into {args.rows}")
    met = sum(1 for r in rows if r["met"] is True)
    goals = sum(1 for r in rows if r["met"] is not None)
    now = datetime.now(UTC)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    text = (
        f"# make bench, {now:%Y-%m-%d}\n\n"
        f"On {platform.node()}: {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; load average at the end "
        f"{load}. {met} of {goals} goals met.\n\n{table(rows)}\n"
    )
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    saved = args.out / f"{now:%Y-%m-%d}-summary.md"
    saved.write_text(text, encoding="utf-8")
    print(f"saved {saved}")


if __name__ == "__main__":
    main()
