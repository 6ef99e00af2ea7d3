"""bench/login: successful logins per second through the HTTP API, beside bare argon2id.

For each parameter set (ours: m=19 MiB, t=2; Keycloak 26's default: m=7 MiB, t=5; both p=1),
an identity process on the real database and broker serves logins of 32 users from 8
concurrent clients; the same run measures the same number of bare ``PasswordHasher.verify``
calls on as many threads as the machine has cores. Hashing is the floor: the goal is login
throughput at least 0.8 of bare hashing. The CPU time each process spends per login (identity,
the database, the broker, the load client) shows where the rest goes. Keycloak publishes 15
password logins per second per vCPU for its default parameters, shown for comparison.

    .venv/bin/python bench/login/run.py [--logins 400]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the tests' infrastructure discovery and process harness
sys.path.insert(0, str(REPO / "bench"))

import psutil  # noqa: E402
from benchkit import CommandsPerOperation, CpuTime, infra_processes, summarise  # noqa: E402
from harness import (  # noqa: E402
    PROVISIONING,
    Infra,
    Namespace,
    ServiceProcess,
    no_cookie_jar,
    provide_infra,
)

from services.identity.usecases.passwords import make_hasher  # noqa: E402

USERS = 32
NEW_PASSWORD = "Kaisha-Pass-2026"
CLIENTS = 8
KEYCLOAK_LOGINS_PER_VCPU = 15
PARAMETER_SETS = {
    "ours (19 MiB, t=2)": (19 * 1024, 2),
    "Keycloak 26 default (7 MiB, t=5)": (7 * 1024, 5),
}


async def changed_password(
    client: httpx.AsyncClient, login_id: str, initial: str
) -> dict[str, str]:
    """The user as it logs in every day: its initial password changed once, so a login owes
    no step (a login with an initial password also ends the user's other pending logins)."""
    login = await client.post(
        "/v1/realms/demo/login", json={"login_id": login_id, "password": initial}
    )
    assert login.status_code == 200, login.text
    changed = await client.post(
        "/v1/realms/demo/password",
        json={"current_password": initial, "new_password": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {login.cookies['__Host-session']}"},
    )
    assert changed.status_code == 204, changed.text
    return {"login_id": login_id, "password": NEW_PASSWORD}


def bare_verifications(memory_kib: int, time_cost: int, n: int) -> float:
    hasher = make_hasher(memory_kib, time_cost)
    stored = hasher.hash("Kaisha-Pass-2026")
    cores = os.cpu_count() or 1
    started = time.perf_counter()
    with ThreadPoolExecutor(cores) as pool:
        list(pool.map(lambda _: hasher.verify(stored, "Kaisha-Pass-2026"), range(n)))
    return n / (time.perf_counter() - started)


async def logins(
    infra: Infra, memory_kib: int, time_cost: int, n: int, log_dir: Path
) -> dict[str, float]:
    identity = ServiceProcess(
        "identity",
        infra,
        Namespace(),
        log_dir,
        log_level="WARNING",
        password_hash_memory_kib=str(memory_kib),
        password_hash_time_cost=str(time_cost),
    ).start()
    try:
        async with no_cookie_jar(httpx.AsyncClient(base_url=identity.url, timeout=60)) as client:
            users = []
            for i in range(USERS):
                r = await client.post(
                    "/v1/realms/demo/orgs",
                    json={"name": "ベンチ", "admin": {"login_id": f"XA3bench{i:04d}"}},
                    headers=PROVISIONING,
                )
                users.append(
                    await changed_password(client, f"XA3bench{i:04d}", r.json()["initial_password"])
                )
            latencies: list[float] = []
            queue: asyncio.Queue[int] = asyncio.Queue()
            for i in range(n):
                queue.put_nowait(i)

            async def client_loop() -> None:
                while not queue.empty():
                    i = queue.get_nowait()
                    t = time.perf_counter()
                    r = await client.post("/v1/realms/demo/login", json=users[i % USERS])
                    latencies.append(time.perf_counter() - t)
                    assert r.status_code == 200, r.text

            assert identity.proc is not None
            cpu = CpuTime(
                {
                    "identity": psutil.Process(identity.proc.pid),
                    **{k: v for k, v in infra_processes(infra).items() if k != "mail catcher"},
                    "load client": psutil.Process(),
                }
            )
            async with CommandsPerOperation(identity.url) as counted:
                started = time.perf_counter()
                cpu.start()
                await asyncio.gather(*(client_loop() for _ in range(CLIENTS)))
                elapsed = time.perf_counter() - started
                spent = cpu.stop()
                await asyncio.sleep(1)  # the relay publishes the last logins' events
    finally:
        identity.stop()
    latencies.sort()
    return {
        "per_second": n / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "commands": counted.per(n),
        **{f"cpu_ms {name}": seconds / n * 1000 for name, seconds in spent.items()},
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--logins", type=int, default=400)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with provide_infra() as infra, tempfile.TemporaryDirectory() as tmp:
        print(f"infrastructure: {infra.source}; {args.logins} logins per set; {cores} cores")
        for label, (memory, time_cost) in PARAMETER_SETS.items():
            bare = bare_verifications(memory, time_cost, args.logins)
            result = await logins(infra, memory, time_cost, args.logins, Path(tmp))
            print(f"\n{label}")
            print(f"  bare argon2id verify ({cores} threads): {bare:8.1f}/s")
            print(
                f"  logins through the API:            {result['per_second']:8.1f}/s"
                f"  p50 {result['p50_ms']:.0f} ms  p99 {result['p99_ms']:.0f} ms"
            )
            ratio = result["per_second"] / bare
            print(f"  ratio {ratio:.2f} (goal >= 0.80)")
            print(f"  database commands per login, relay included: {result['commands']:.1f}")
            summarise(
                "login",
                f"logins/s, {label}",
                f"{result['per_second']:.1f}/s, p99 {result['p99_ms']:.0f} ms; "
                f"{result['commands']:.1f} commands a login (goal ≤ 3)",
                baseline=f"bare argon2id verify {bare:.1f}/s",
                ratio=ratio,
                goal="≥ 0.80",
                met=ratio >= 0.8,
            )
            print(f"  CPU per login: the hash {cores / bare * 1000:.1f} ms (bare), and by process:")
            for key, ms in result.items():
                if key.startswith("cpu_ms "):
                    print(f"    {key.removeprefix('cpu_ms '):12} {ms:6.1f} ms")
            print(
                f"  logins/s per core: {result['per_second'] / cores:.1f}"
                f"  (Keycloak's published sizing: {KEYCLOAK_LOGINS_PER_VCPU}/s per vCPU)"
            )


if __name__ == "__main__":
    asyncio.run(main())
