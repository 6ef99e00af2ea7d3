"""bench/scale: how each hot operation's cost grows with the data (issue 24).

Seeds the database as years of use would leave it (1,000,000 users across 10,000 organisations,
as many live sessions, 10,000,000 access records over 13 months, 100,000 certificates, a roster
of 1,000,000 lines, a delivery log of 1,000,000 mails: each a flag, and ``--size`` scales them
all), in bulk through the stores' own document mapping. At each step (``--steps``, by default
1 %, 10 % and 100 % of those sizes) it measures every hot operation through the running
services, with the database commands it costs, and at the end prints each operation's figure
per step and its growth factor: cost at the last step over cost at the first (goal: at most 1.5).

    .venv/bin/python bench/scale/run.py [--size 0.1] [--steps 0.01,0.1,1] [--areas identity,audit]
        [--users N ...] [--out docs/benchmarks/scale.md]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "bench" / "scale"))

from benchkit import summarise  # noqa: E402
from harness import Infra, Namespace, provide_infra  # noqa: E402
from scalekit import Area, Figure, Sizes, growth  # noqa: E402

GOAL = 1.5


def areas(names: list[str]) -> list[Area]:
    """The areas asked for, imported only when asked (each starts its own services)."""
    found: list[Area] = []
    for name in names:
        module = __import__(f"{name}_area")
        found.append(module.AREA)
    return found


async def disk_mib(infra: Infra, ns: Namespace) -> float:
    """The namespace's databases' size as the database reports it."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri)
    try:
        names = [n for n in await client.list_database_names() if n.startswith(ns.name)]
        total = 0.0
        for name in names:
            stats = await client[name].command("dbStats")
            total += float(stats.get("storageSize") or stats.get("dataSize") or 0)
        return total / 2**20
    finally:
        await client.close()


async def drop(infra: Infra, ns: Namespace) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri)
    try:
        for name in await client.list_database_names():
            if name.startswith(ns.name):
                await client.drop_database(name)
    finally:
        await client.close()


def table(steps: list[float], results: dict[float, list[Figure]]) -> str:
    """The Markdown table: an operation per row, its figure per step, growth and commands."""
    head = " | ".join(f"{s:g} ×" for s in steps)
    lines = [
        f"| operation | unit | {head} | growth (goal ≤ {GOAL}) | commands per operation |",
        "| --- | --- | " + " | ".join("---:" for _ in steps) + " | ---: | ---: |",
    ]
    first = {f.operation: f for f in results[steps[0]]}
    last = {f.operation: f for f in results[steps[-1]]}
    for operation, figure in first.items():
        values = []
        for step in steps:
            at = next((f for f in results[step] if f.operation == operation), None)
            values.append("" if at is None else f"{at.value:,.2f}")
        end = last.get(operation)
        factor = "" if end is None else f"{growth(figure, end):.2f}"
        met = "" if end is None else (" met" if growth(figure, end) <= GOAL else " **missed**")
        commands = "" if end is None or end.commands is None else f"{end.commands:.1f}"
        lines.append(
            f"| {operation} | {figure.unit} | {' | '.join(values)} | {factor}{met} | {commands} |"
        )
        if end is not None:
            summarise(
                "scale",
                f"{operation}: growth {steps[0]:g} × → {steps[-1]:g} × of the sizes",
                f"{end.value:,.2f} {end.unit}" + (f"; {commands} commands" if commands else ""),
                baseline=f"{figure.value:,.2f} {figure.unit} at {steps[0]:g} ×",
                ratio=growth(figure, end),
                goal=f"growth ≤ {GOAL}",
                met=growth(figure, end) <= GOAL,
            )
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=float, default=1.0, help="scale every size (0.1: a tenth)")
    parser.add_argument("--steps", default="0.01,0.1,1", help="fractions of the sizes measured")
    parser.add_argument("--areas", default="identity,audit,enroll,certs,notify")
    parser.add_argument("--out", type=Path, help="also write the table (Markdown) here")
    for size in fields(Sizes):
        parser.add_argument(f"--{size.name.replace('_', '-')}", type=int, default=size.default)
    args = parser.parse_args()
    full = Sizes(**{n.name: getattr(args, n.name) for n in fields(Sizes)}).scaled(args.size)
    full = Sizes(**{**full.__dict__, "orgs": args.orgs, "months": args.months})
    steps = [float(s) for s in args.steps.split(",")]
    chosen = areas(args.areas.split(","))
    results: dict[float, list[Figure]] = {}
    timings: list[str] = []
    with provide_infra() as infra, tempfile.TemporaryDirectory() as tmp:
        ns = Namespace()
        print(f"infrastructure: {infra.source}; sizes at 100 %: {full}; {os.cpu_count()} cores")
        try:
            for area in chosen:
                await area.start(infra, ns, Path(tmp))
            for step in steps:
                sizes = full.scaled(step)
                started = time.perf_counter()
                for area in chosen:
                    await area.grow(sizes)
                seeded = time.perf_counter() - started
                mib = await disk_mib(infra, ns)
                timings.append(f"{step:g} ×: seeded in {seeded:,.0f} s, database {mib:,.0f} MiB")
                print(f"step {step:g}: {sizes}\n  {timings[-1]}")
                results[step] = []
                for area in chosen:
                    figures = await area.measure()
                    for f in figures:
                        print(f"  {f.operation:40} {f.value:12,.2f} {f.unit}", end="")
                        print("" if f.commands is None else f"  {f.commands:.1f} cmd")
                    results[step].extend(figures)
        finally:
            for area in chosen:
                await area.stop()
            await drop(infra, ns)
    report = table(steps, results)
    print(report)
    if args.out:
        disk = shutil.disk_usage(REPO)
        args.out.write_text(
            f"# bench/scale, {datetime.now(UTC):%Y-%m-%d}\n\n"
            f"`{' '.join(['bench/scale/run.py', *sys.argv[1:]])}` on {platform.node()} "
            f"({os.cpu_count()} cores, {platform.python_implementation()} "
            f"{platform.python_version()}), sizes at 100 %: {full}. "
            f"Free disk after: {disk.free / 2**30:.0f} GiB.\n\n"
            + "\n".join(f"- {t}" for t in timings)
            + "\n\n"
            + report
            + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    asyncio.run(main())
