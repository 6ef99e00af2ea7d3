"""The documentation's table of the seeds' functions (docs/seeds.md) stays true: every test it
names exists under tests/, every built or partial row names one, every row that is out of
scope says why, and the summary's counts are the rows' own.

No rule is proved here, so the test names none: the table is read as text, and the tests it
cites are found by their ``def`` lines.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "seeds.md"
SEEDS = ("000", "001", "002", "003", "004")
STATUSES = ("built", "partial", "in progress (issue 23)", "not built", "out of scope")
IN_SCOPE = STATUSES[:4]
CITED = re.compile(r"`(test_[a-z0-9_]+)`")
FILES = re.compile(r"`((?:services|tests|libs|docs|deploy)/[\w/.-]+\.[a-z]+)`")
DEFINED = re.compile(r"^\s*(?:async\s+)?def\s+(test_[a-z0-9_]+)\s*\(", re.MULTILINE)


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def rows() -> list[list[str]]:
    """The item rows: ``| 000-01 | seed | SPEC | status | where | tests |``."""
    found = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if re.match(r"\|\s*00[0-4]-\d\d\s*\|", line):
            found.append(cells(line))
    return found


def status_of(row: list[str]) -> str:
    return row[3].strip("*").strip()


def defined_tests() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        names.update(DEFINED.findall(path.read_text(encoding="utf-8")))
    return names


def test_docs_seeds_table_cites_only_existing_tests() -> None:
    cited = set(CITED.findall(DOC.read_text(encoding="utf-8")))
    assert cited, "the table names tests"
    missing = sorted(cited - defined_tests())
    assert not missing, f"docs/seeds.md names tests that do not exist: {missing}"


def test_docs_seeds_table_cites_only_existing_files() -> None:
    cited = set(FILES.findall(DOC.read_text(encoding="utf-8")))
    assert cited, "the table names files"
    missing = sorted(path for path in cited if not (ROOT / path).is_file())
    assert not missing, f"docs/seeds.md names files that do not exist: {missing}"


def test_docs_seeds_rows_are_numbered_once_with_a_known_status() -> None:
    table = rows()
    numbers = [row[0] for row in table]
    assert len(numbers) == len(set(numbers)), "each row's number once"
    for row in table:
        assert len(row) == 6, row
        assert status_of(row) in STATUSES, row


def test_docs_seeds_built_rows_name_a_test_and_out_of_scope_rows_a_reason() -> None:
    for row in rows():
        status = status_of(row)
        if status in ("built", "partial"):
            assert CITED.search(row[5]), f"{row[0]} is {status} without a test"
        if status in ("partial", "not built", "out of scope"):
            assert row[4], f"{row[0]} is {status} without saying why or what is missing"


def test_docs_seeds_summary_counts_are_the_rows() -> None:
    counted = {seed: Counter(status_of(r) for r in rows() if r[0][:3] == seed) for seed in SEEDS}
    summary = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        row = cells(line)
        if len(row) == 7 and (row[0][:3] in SEEDS or row[0] == "all"):
            summary[row[0][:3]] = [int(n) for n in row[1:]]
    for seed in SEEDS:
        n = counted[seed]
        in_scope = sum(n[s] for s in IN_SCOPE)
        expected = [*(n[s] for s in IN_SCOPE), in_scope, n["out of scope"]]
        assert summary[seed] == expected, (seed, summary[seed], expected)
    assert summary["all"] == [sum(col) for col in zip(*(summary[s] for s in SEEDS), strict=True)]
