"""Infrastructure of a test's own, which it may take down: for the outage tests (X-05, X-03).

An outage test stops the real process of Kafka, FerretDB or Mailpit and starts it again. It must
not do that to the session's infrastructure, which every other test uses at the same time. So
:class:`PrivateInfra` starts a second set with ``deploy/local/infra.sh`` (the script CI and
developers use) in a run directory and on ports of its own; ``down`` SIGKILLs one component's
process group, as a crash would, and ``up`` runs ``infra.sh start`` again, which starts what is
not running, on the same ports and data.

The install cache is the session's: ``INFRA_CACHE`` when set, otherwise the repository's
``.cache/infra``, where a fresh clone's first ``infra.sh start`` (``tests/harness.py``) installs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Literal, get_args

from harness import INFRA_SCRIPT, Infra, free_port

Component = Literal["kafka", "ferretdb", "mailpit", "jaeger"]
COMPONENTS: tuple[Component, ...] = get_args(Component)

PORT_VARIABLES = (
    "INFRA_KAFKA_PORT",
    "INFRA_KAFKA_CONTROLLER_PORT",
    "INFRA_FERRETDB_PORT",
    "INFRA_MAILPIT_SMTP_PORT",
    "INFRA_MAILPIT_HTTP_PORT",
    "INFRA_JAEGER_OTLP_PORT",
    "INFRA_JAEGER_QUERY_PORT",
    "INFRA_JAEGER_QUERY_GRPC_PORT",
    "INFRA_JAEGER_HEALTH_PORT",
)


class PrivateInfra:
    """Kafka, FerretDB and Mailpit in ``run_dir``, on free ports, for one group of tests."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.env = {
            **os.environ,
            **{name: str(free_port()) for name in PORT_VARIABLES},
            "INFRA_RUN": str(run_dir),
        }

    def up(self) -> Infra:
        """Start whatever is not running (all of it the first time) and wait until healthy."""
        started = subprocess.run(
            ["bash", str(INFRA_SCRIPT), "start"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if started.returncode != 0:
            raise RuntimeError(f"infra.sh start failed:\n{started.stderr}\n{started.stdout}")
        values = dict(
            line.split("=", 1)
            for line in (self.run_dir / "env").read_text().splitlines()
            if "=" in line
        )
        return Infra(
            values["KAFKA_BOOTSTRAP_SERVERS"],
            values["MONGODB_URI"],
            values["SMTP_HOST"],
            int(values["SMTP_PORT"]),
            values["MAILPIT_URL"],
            source="private",
            jaeger_url=values["JAEGER_URL"],
            otlp_endpoint=values["JAEGER_OTLP_ENDPOINT"],
        )

    def down(self, component: Component) -> None:
        """SIGKILL the component's process group, as a crash of its machine would, and wait
        until it is gone (its ports closed)."""
        pid = int((self.run_dir / f"{component}.pid").read_text())
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and _state(pid) not in ("Z", "X"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{component} (pid {pid}) still runs after SIGKILL")
            time.sleep(0.05)

    def stop(self) -> None:
        subprocess.run(["bash", str(INFRA_SCRIPT), "stop"], env=self.env, check=False, timeout=120)


def alive(pid: int) -> bool:
    """The process exists and has not ended (a zombie has)."""
    return _state(pid) not in ("Z", "X")


def _state(pid: int) -> str:
    with suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0]
    return "X"


@contextmanager
def private_infra(run_dir: Path) -> Iterator[tuple[PrivateInfra, Infra]]:
    """A :class:`PrivateInfra`, started, and stopped (its data kept for a look) afterwards."""
    own = PrivateInfra(run_dir)
    try:
        yield own, own.up()
    finally:
        own.stop()
