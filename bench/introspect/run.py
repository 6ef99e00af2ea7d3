"""bench/introspect: session introspections per second and p99, beside a bare FastAPI endpoint.

Introspection is on every request the gateway forwards (ID-SESS-02), so it must be cheap: one
``_id`` read of the session (and the write that restarts its idle time). The baseline, in the
same run, is a bare FastAPI app under the same uvicorn settings answering the same JSON without
touching anything. Same load for both: wrk with 4 keep-alive connections, on this machine's
cores. Goals: p99 under 5 ms and at least 0.5 of the bare endpoint's rate.

    .venv/bin/python bench/introspect/run.py [--seconds 10]     (needs: apt-get install wrk)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the tests' infrastructure discovery and process harness
sys.path.insert(0, str(REPO / "bench"))

from benchkit import CommandsPerOperation, summarise  # noqa: E402
from harness import PROVISIONING, Namespace, ServiceProcess, provide_infra  # noqa: E402
from wrkload import CONNECTIONS, start_bare, wrk  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    with provide_infra() as infra, tempfile.TemporaryDirectory() as tmp:
        print(
            f"infrastructure: {infra.source}; wrk {args.seconds} s, {CONNECTIONS} connections; "
            f"{os.cpu_count()} cores"
        )
        bare_proc, bare_url = start_bare(Path(__file__).parent, "/v1/sessions/current")
        try:
            wrk(bare_url, 2)  # warm-up
            bare = wrk(bare_url, args.seconds)
        finally:
            bare_proc.terminate()
            bare_proc.wait()
        identity = ServiceProcess(
            "identity", infra, Namespace(), Path(tmp), log_level="WARNING"
        ).start()
        try:
            org = httpx.post(
                f"{identity.url}/v1/realms/demo/orgs",
                json={"name": "ベンチ", "admin": {"login_id": "XA3bench"}},
                headers=PROVISIONING,
            ).json()
            login = httpx.post(
                f"{identity.url}/v1/realms/demo/login",
                json={"login_id": "XA3bench", "password": org["initial_password"]},
            )
            token = login.headers["set-cookie"].split(";")[0].split("=", 1)[1]
            headers = {"Authorization": f"Bearer {token}"}
            wrk(f"{identity.url}/v1/sessions/current", 2, headers=headers)  # warm-up
            with CommandsPerOperation(identity.url) as counted:
                ours = wrk(f"{identity.url}/v1/sessions/current", args.seconds, headers=headers)
        finally:
            identity.stop()
    for label, r in (("bare FastAPI endpoint", bare), ("identity introspection", ours)):
        print(
            f"{label:24} {r['per_second']:8.0f}/s"
            f"  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
        )
    ratio = ours["per_second"] / bare["per_second"]
    commands = counted.per(ours["requests"])
    print(f"ratio {ratio:.2f} (goal >= 0.75); p99 {ours['p99_ms']:.2f} ms (goal < 5 ms)")
    print(f"database commands per introspection: {commands:.3f}")
    summarise(
        "introspect",
        "introspections/s (wrk, 4 connections)",
        f"{ours['per_second']:,.0f}/s, p99 {ours['p99_ms']:.2f} ms; {commands:.3f} commands each",
        baseline=f"bare FastAPI endpoint {bare['per_second']:,.0f}/s",
        ratio=ratio,
        goal="≥ 0.75; p99 < 5 ms",
        met=ratio >= 0.75 and ours["p99_ms"] < 5,
    )


if __name__ == "__main__":
    main()
