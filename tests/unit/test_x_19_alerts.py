"""X-19: what must wake an operator is a Prometheus alerting rule with a runbook, unit-tested.

``promtool`` (Debian's prometheus package, installed by ``deploy/local/infra.sh install``) checks
``deploy/prometheus/alerts.yml`` and runs its unit tests, ``alerts.test.yml``; the tests here also
hold every alert to its promises: a severity, words for the operator, a runbook page that exists,
a promtool case that fires it and one that shows it silent, and metrics the services export.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS / "alerts.yml"
RULE_TESTS = PROMETHEUS / "alerts.test.yml"
RUNBOOKS = ROOT / "docs" / "operations" / "runbooks"
RUNBOOK_BASE = "https://docs.portal.example.jp/operations/runbooks/"
SEVERITIES = {"critical", "warning"}

PROMQL_WORDS = {
    *("sum", "max", "min", "by", "without", "rate", "increase", "time", "and", "or", "unless"),
    *("job", "instance", "task", "check", "group", "topic", "realm", "rejection"),
    *("route", "status", "result", "reason", "method", "v1", "ca", "ocsp", "encoded", "path"),
}
"""Words of the rules' expressions that are not metric names: functions, labels, values."""


def promtool() -> str:
    """The promtool binary; a missing one fails the suite (it is part of what make test runs)."""
    found = shutil.which("promtool") or (
        "/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None
    )
    if found is None:
        pytest.fail(
            "promtool is missing: `bash deploy/local/infra.sh install` installs Debian's prometheus"
        )
    return found


def run_promtool(*args: str) -> str:
    done = subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"promtool {' '.join(args)} failed:\n{output}"
    return output


def alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_x_19_the_alerting_rules_are_valid_promql() -> None:
    output = run_promtool("check", "rules", str(RULES))
    assert f"SUCCESS: {len(alerts())} rules found" in output


def test_x_19_every_alert_fires_and_stays_silent_as_its_promtool_tests_say() -> None:
    assert "SUCCESS" in run_promtool("test", "rules", str(RULE_TESTS))


def test_x_19_every_alert_has_a_promtool_case_that_fires_it_and_one_that_does_not() -> None:
    cases = [
        case
        for test in yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))["tests"]
        for case in test["alert_rule_test"]
    ]
    fired = {c["alertname"] for c in cases if c["exp_alerts"]}
    silent = {c["alertname"] for c in cases if c["exp_alerts"] == []}
    names = {a["alert"] for a in alerts()}
    assert names - fired == set(), "alerts no test fires"
    assert names - silent == set(), "alerts no test shows silent for a healthy series"
    assert (fired | silent) - names == set(), "tests of alerts that do not exist"


@pytest.mark.parametrize("alert", alerts(), ids=lambda a: str(a["alert"]))
def test_x_19_every_alert_has_a_severity_its_words_and_a_runbook_page(
    alert: dict[str, Any],
) -> None:
    assert alert["labels"]["severity"] in SEVERITIES
    notes = alert["annotations"]
    assert notes["summary"] and notes["description"]
    url = notes["runbook_url"]
    assert url.startswith(RUNBOOK_BASE) and url.endswith("/"), url
    page = RUNBOOKS / f"{url.removeprefix(RUNBOOK_BASE).rstrip('/')}.md"
    assert page.is_file(), f"{alert['alert']}: no runbook page {page.relative_to(ROOT)}"
    text = page.read_text(encoding="utf-8")
    assert f"`{alert['alert']}`" in text, f"{page.name} does not name {alert['alert']}"
    for part in ("## What it means", "## What to look at", "## What to do"):
        assert part in text, f"{page.name} has no '{part}'"
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert f"operations/runbooks/{page.name}" in nav, f"{page.name} is not in mkdocs.yml's nav"


def test_x_19_every_metric_the_alerts_read_is_one_a_service_exports() -> None:
    """A typo in a metric name makes a rule that never fires: each name must be registered by
    libs/ or services/ (a counter's ``_total`` is added by prometheus-client), or be ``up``."""
    sources = "\n".join(
        p.read_text(encoding="utf-8")
        for folder in ("libs", "services")
        for p in (ROOT / folder).rglob("*.py")
    )
    for alert in alerts():
        expression = re.sub(r'"[^"]*"', "", str(alert["expr"]))  # label values
        words = set(re.findall(r"[a-z_][a-z0-9_]*", expression)) - PROMQL_WORDS
        assert words, alert["alert"]
        for name in words - {"up"}:
            registered = {f'"{name}"', f'"{name.removesuffix("_total")}"'}
            assert any(r in sources for r in registered), (
                f"{alert['alert']}: nothing exports {name}"
            )


def test_x_19_the_local_prometheus_loads_the_alerts(tmp_path: Path) -> None:
    """``make up`` renders Prometheus's configuration elsewhere (deploy/local/stack.py): the rule
    file must still be found from there, and the whole must pass ``promtool check config``;
    docker compose mounts the rules beside its configuration."""
    spec = importlib.util.spec_from_file_location("stack", ROOT / "deploy" / "local" / "stack.py")
    assert spec is not None and spec.loader is not None
    stack = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stack)
    config = tmp_path / "prometheus.yml"
    config.write_text(stack.prometheus_config(), encoding="utf-8")
    assert yaml.safe_load(config.read_text(encoding="utf-8"))["rule_files"] == [str(RULES)]
    output = run_promtool("check", "config", str(config))
    assert f"SUCCESS: {len(alerts())} rules found" in output
    compose = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    assert compose["rule_files"] == ["alerts.yml"]
    mounts = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    volumes = mounts["services"]["prometheus"]["volumes"]
    assert "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in volumes
