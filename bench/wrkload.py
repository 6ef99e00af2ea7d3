"""HTTP load from wrk, and the bare FastAPI endpoints the HTTP benches measure against.

wrk is C on this machine, so the load generator is not the bottleneck a Python one would be.
``bench/introspect`` and ``bench/authz`` share it: the same connections, the same parsing of
wrk's report, and a bare app started under the same uvicorn settings as the services.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from harness import free_port

CONNECTIONS = 4


def wrk(
    url: str,
    seconds: int,
    *,
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, float]:
    """Requests per second, p50 and p99 of ``url`` under wrk's load; a GET, or a POST of
    ``body`` as JSON. Any non-2xx answer fails the run: a bench of refusals measures nothing."""
    if shutil.which("wrk") is None:
        sys.exit("this bench needs wrk: apt-get install wrk")
    lines = [f'wrk.headers["{name}"] = "{value}"' for name, value in (headers or {}).items()]
    if body is not None:
        lines += ['wrk.method = "POST"', f"wrk.body = [[{json.dumps(body)}]]"]
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    try:
        command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
        out = subprocess.run(
            [*command, "-s", script.name, url], capture_output=True, text=True, check=True
        ).stdout
    finally:
        os.unlink(script.name)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise AssertionError(f"{non_2xx.group(1)} failed requests:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    made = float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {
        "per_second": rate,
        "p50_ms": _ms(out, "50%"),
        "p99_ms": _ms(out, "99%"),
        "requests": made,
    }


def _ms(out: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def start_bare(app_dir: Path, path: str) -> tuple[subprocess.Popen[bytes], str]:
    """``bare_app:app`` of ``app_dir`` under uvicorn, as the services run; its URL at ``path``."""
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
        cwd=app_dir,
    )
    url = f"http://127.0.0.1:{port}{path}"
    for _ in range(100):
        try:
            httpx.get(url, timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("bare app did not start")
