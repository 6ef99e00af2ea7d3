"""One portal behind the gateway for every browser test (WEB-03): started once, since each
flow uses organisations and people of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import Infra
from portal_stack import Portal, running_portal


@pytest.fixture(scope="session")
def portal(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with running_portal(infra, tmp_path_factory.mktemp("portal")) as found:
        yield found
