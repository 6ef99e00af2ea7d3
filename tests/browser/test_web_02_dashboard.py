"""The ops dashboard in a real browser behind the gateway (WEB-02, WEB-03, AU-05, X-15): the
realm's support desk watches; a login made in another browser shows within 2 seconds, with the
counters; a portal user of the realm is refused the page.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
from harness import REPO
from portal_browser import chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.integration

REALM = "demo"
NEW_PASSWORD = "Kaisha-Pass-2026"


async def test_web_02_dashboard_shows_a_login_from_another_browser_within_2_seconds(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    desk = portal.support_operator(REALM)
    org = portal.open_org(REALM)
    name = request.node.name
    with chromium(portal.url, name, "ops") as ops, chromium(portal.url, name, "user") as user:
        ops.log_in(REALM, desk["login_id"], desk["initial_password"], "forced-change")
        ops.change_password(desk["initial_password"], NEW_PASSWORD, "home")
        ops.open(f"/realms/{REALM}/ops/dashboard", "dashboard")
        logins = int(ops.driver.find_element(By.ID, "count-logins").text)

        user.log_in(REALM, org["admin_login_id"], org["initial_password"], "logged-in")
        logged_in_at = time.monotonic()
        WebDriverWait(ops.driver, 2, poll_frequency=0.05).until(
            lambda d: org["admin_login_id"] in d.find_element(By.ID, "records").text
        )
        assert time.monotonic() - logged_in_at <= 2
        WebDriverWait(ops.driver, 2).until(
            lambda d: int(d.find_element(By.ID, "count-logins").text) > logins
        )
        ops.step("login-shown-live")

        user.change_password(org["initial_password"], NEW_PASSWORD, "user-home")
        user.open(f"/realms/{REALM}/ops/dashboard", "a-portal-user-refused")
        assert "records" not in user.driver.page_source
        assert "この操作を行う権限がありません" in user.text


GRAFANA_DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "portal-ops.json"
PROMQL_WORDS = {"sum", "rate", "increase", "count", "or", "vector", "histogram_quantile"}


def metric_names(expr: str) -> set[str]:
    """The metrics a PromQL expression reads: what is left once label matchers, ranges,
    groupings, strings and numbers are gone, minus PromQL's own words."""
    for pattern in (
        r"\{[^}]*\}",
        r"\[[^\]]*\]",
        r"\bby\s*\([^)]*\)",
        r'"[^"]*"',
        r"\b\d+(\.\d+)?\b",
    ):
        expr = re.sub(pattern, " ", expr)
    expr = re.sub(r"label_values\(\s*([a-z_:]+)\s*,\s*[a-z_]+\s*\)", r"\1", expr)
    return set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr)) - PROMQL_WORDS


def exposed(text: str) -> set[str]:
    """Every series name a /metrics page can answer, from its samples and its TYPE lines (a
    labelled counter nobody has counted yet shows only those)."""
    names: set[str] = set()
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            names.add(name)
            names.update(name + s for s in suffixes.get(kind, ()))
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def test_web_02_every_metric_the_grafana_dashboard_names_is_in_some_services_metrics(
    portal: Portal,
) -> None:
    dashboard = json.loads(GRAFANA_DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs += [v["query"] for v in dashboard["templating"]["list"]]
    named = set().union(*(metric_names(e) for e in exprs))
    assert {"audit_logins_total", "http_requests_total", "background_task_up"} <= named
    services = (portal.identity, portal.notify, portal.audit, portal.certs, portal.enroll)
    found = set().union(*(exposed(httpx.get(f"{s.url}/metrics").text) for s in services))
    assert named <= found, f"named by the dashboard, in no service's /metrics: {named - found}"
