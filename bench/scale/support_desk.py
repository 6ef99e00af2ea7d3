"""Identity's introspection for ``bench/scale``'s audit and notify areas: every token is the
support desk of the realm it names (``Bearer demo`` is demo's support operator).

The realm's support desk may export any organisation's access history (AU-03) and read the
realm's delivery log (X-15), so one caller reaches every operation these areas measure. The
areas measure audit and notify, not login: a stub answers in microseconds, and sends no
database command that would be counted against the operation.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness import free_port


class _SupportDesk(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        realm = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        body = json.dumps(
            {"user_id": "support", "realm": realm, "role": "support", "login_id": "support"}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class SupportDesk:
    """The stub, served from a thread while the areas run; ``url`` is identity's URL."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), _SupportDesk)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
