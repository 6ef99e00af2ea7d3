"""Session-wide fixtures: real infrastructure once per session, a namespace per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import Infra, Namespace, ServiceProcess, provide_infra, running_service
from identity_client import NOTIFY_PUBLIC
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with provide_infra() as found:
        print(f"\n[infra] using {found.source}: {found.env()}")
        yield found


@pytest.fixture
def ns() -> Namespace:
    return Namespace()


@pytest.fixture
async def mongo(infra: Infra) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
    yield client
    await client.close()


@pytest.fixture
def db(mongo: AsyncMongoClient[dict[str, Any]], ns: Namespace) -> AsyncDatabase[dict[str, Any]]:
    return mongo[ns.database("test")]


@pytest.fixture(scope="module")
def identity(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServiceProcess, Namespace]]:
    """One identity process for a module's tests, sealing mail secrets to the tests' key."""
    with running_service(
        "identity", infra, tmp_path_factory.mktemp("identity"), notify_public_key=NOTIFY_PUBLIC
    ) as started:
        yield started


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report, so fixtures can tell whether their test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def services(
    infra: Infra, ns: Namespace, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """Start services as real processes; every one started is stopped after the test, and a
    failed test prints the end of each one's log, so CI output shows what the services saw."""
    started: list[ServiceProcess] = []

    def start(service: str, **settings: str) -> ServiceProcess:
        proc = ServiceProcess(service, infra, ns, tmp_path, **settings).start()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for proc in started:
            print(f"\n----- {proc.service} log ({proc.log_path}) -----\n{proc.log_tail(80)}")
