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
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the tests' infrastructure discovery and process harness

from harness import PROVISIONING, Namespace, ServiceProcess, free_port, provide_infra  # noqa: E402

CONNECTIONS = 4


def wrk(url: str, headers: dict[str, str], seconds: int) -> dict[str, float]:
    """Load from wrk (C, on this machine): a Python load generator would be the bottleneck."""
    if shutil.which("wrk") is None:
        sys.exit("bench/introspect needs wrk: apt-get install wrk")
    header_args = [arg for k, v in headers.items() for arg in ("-H", f"{k}: {v}")]
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", *header_args, url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise AssertionError(f"{non_2xx.group(1)} failed requests:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return {"per_second": rate, "p50_ms": _ms(out, "50%"), "p99_ms": _ms(out, "99%")}


def _ms(out: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def start_bare() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=Path(__file__).parent,
    )
    url = f"http://127.0.0.1:{port}/v1/sessions/current"
    for _ in range(100):
        try:
            httpx.get(url, timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("bare app did not start")


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
        bare_proc, bare_url = start_bare()
        try:
            wrk(bare_url, {}, 2)  # warm-up
            bare = wrk(bare_url, {}, args.seconds)
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
            wrk(f"{identity.url}/v1/sessions/current", headers, 2)  # warm-up
            ours = wrk(f"{identity.url}/v1/sessions/current", headers, args.seconds)
        finally:
            identity.stop()
    for label, r in (("bare FastAPI endpoint", bare), ("identity introspection", ours)):
        print(
            f"{label:24} {r['per_second']:8.0f}/s"
            f"  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
        )
    print(
        f"ratio {ours['per_second'] / bare['per_second']:.2f} (goal >= 0.50); "
        f"p99 {ours['p99_ms']:.2f} ms (goal < 5 ms)"
    )


if __name__ == "__main__":
    main()
