"""The gateway (GW-01..GW-05, CT-09): real nginx in front of identity and certs as processes,
curl and openssl as the clients. Notify's and audit's places are taken by an upstream that
echoes the headers it receives, so the tests see what a service is told."""

from __future__ import annotations

import http.client
import json
import secrets
import ssl
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from certs_portal import csr_of, new_key, pem_of
from gateway_harness import GATEWAY_SECRET, curl, echo_server, issued_files, running_gateway
from harness import PROVISIONING, Infra, ServiceProcess, running_service
from identity_client import NOTIFY_PUBLIC, ready_admin

pytestmark = pytest.mark.integration

FORGED = {
    "X-User-Id": "forged-user",
    "X-Role": "support",
    "X-Org-Id": "forged-org",
    "X-Realm": "demo",
    "X-Permissions": '{"all":true}',
    "X-Otp-Verified": "true",
    "X-Auth-User-Id": "forged-user",
    "X-Auth-Role": "support",
    "X-Client-Certificate": "forged",
    "X-Client-Serial": "01",
    "X-Gateway-Secret": GATEWAY_SECRET,
}


@dataclass(frozen=True)
class Stack:
    gateway: Any
    identity: ServiceProcess
    certs: ServiceProcess


@pytest.fixture(scope="module")
def stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("gateway")
    with ExitStack() as stack:
        identity, _ = stack.enter_context(
            running_service("identity", infra, logs, notify_public_key=NOTIFY_PUBLIC)
        )
        certs, _ = stack.enter_context(
            running_service("certs", infra, logs, gateway_secret=GATEWAY_SECRET)
        )
        echo = stack.enter_context(echo_server())
        upstreams = {
            "identity": f"127.0.0.1:{identity.port}",
            "certs": f"127.0.0.1:{certs.port}",
            "notify": echo,
            "audit": echo,
            "enroll": echo,
        }
        gateway = stack.enter_context(running_gateway(logs / "nginx", upstreams))
        yield Stack(gateway, identity, certs)


def let_in(status: int, body: str) -> bool:
    """Identity answered (its problems name the ``instance``); not the gateway's refusal."""
    return status != 0 and "CLIENT_CERTIFICATE_REQUIRED" not in body and '"instance"' in body


def test_gw_01_gw_05_routes_by_path_over_tls_with_the_security_headers(stack: Stack) -> None:
    gw = stack.gateway
    status, headers, body = curl(gw, f"{gw.url}/v1/ca/certificate")
    assert status == 200 and "BEGIN CERTIFICATE" in body  # certs
    status, headers, body = curl(gw, f"{gw.url}/v1/sessions/current")
    assert status == 401 and json.loads(body)["instance"] == "/v1/sessions/current"  # identity
    assert headers["server"] == "nginx", "no versions, no uvicorn (GW-05)"
    assert headers["strict-transport-security"].startswith("max-age=")
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    status, headers, body = curl(gw, f"{gw.url}/nowhere")
    assert status == 404 and headers["content-type"].startswith("application/problem+json")
    assert json.loads(body)["code"] == "NOT_FOUND"
    assert headers["strict-transport-security"], "the gateway's own answers carry them too"


def test_gw_02_protected_paths_need_a_session_and_forged_headers_never_reach_a_service(
    stack: Stack,
) -> None:
    gw = stack.gateway
    path = "/v1/realms/demo/orgs/0123/access-history/preview"
    forged = [arg for name, value in FORGED.items() for arg in ("-H", f"{name}: {value}")]
    status, _, body = curl(gw, f"{gw.url}{path}", *forged)
    assert status == 401 and json.loads(body)["code"] == "SESSION_EXPIRED"

    token, org = ready_admin(stack.identity.url)
    status, _, body = curl(gw, f"{gw.url}{path}", "-H", f"Authorization: Bearer {token}", *forged)
    assert status == 200, body
    seen = json.loads(body)
    assert seen["x-org-id"] == org["org_id"] and seen["x-role"] == "admin"
    assert seen["x-user-id"] == org["admin_user_id"] and seen["x-realm"] == "demo"
    assert seen["x-otp-verified"] == "false" and seen["x-permissions"] == "null"
    for name in ("x-client-certificate", "x-client-serial", "x-gateway-secret", "x-auth-user-id"):
        assert name not in seen, name

    open_path = "/v1/realms/demo/templates/otp/preview"
    status, _, body = curl(gw, f"{gw.url}{open_path}", *forged)
    assert status == 200
    seen = json.loads(body)
    assert not {name.lower() for name in FORGED} & set(seen), seen


def test_gw_03_ct_09_kihonet_needs_our_certificate_and_a_revocation_holds_within_60_seconds(
    stack: Stack, tmp_path: Path
) -> None:
    gw = stack.gateway
    issued, presented = issued_files(stack.gateway, stack.certs.url, tmp_path)
    where = f"{gw.kihonet_url}/v1/sessions/current"
    assert let_in(*curl(gw, where, *presented)[::2])
    status, _, body = curl(gw, where)
    assert status == 403 and json.loads(body)["code"] == "CLIENT_CERTIFICATE_REQUIRED"
    status, _, body = curl(gw, f"{gw.url}/v1/realms/kihonet/orgs/x", *presented)
    assert status == 403, "kihonet is not served on the other portals' server"
    status, _, body = curl(
        gw, f"{gw.kihonet_url}/v1/realms/kihonet/templates/otp/preview", *presented
    )
    seen = json.loads(body)
    assert int(seen["x-client-serial"], 16) == int(issued["serial_number"], 16)
    assert "x-client-certificate" not in seen and "x-gateway-secret" not in seen, (
        "only certs' renewal hears the certificate and the secret"
    )

    # Other realms' server never asks for a certificate (GW-03).
    handshake = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{gw.port}", "-CAfile", str(gw.trust_file)],
        input="",
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    ).stdout
    assert "No client certificate CA names sent" in handshake

    # An open connection survives the revocation; new ones are refused within 60 seconds.
    tls = ssl.create_default_context(cafile=str(gw.trust_file))
    tls.load_cert_chain(presented[1], presented[3])
    kept = http.client.HTTPSConnection("127.0.0.1", gw.kihonet_port, context=tls, timeout=20)
    try:
        assert asked(kept) == 401, "identity answered: no session"
        revoked = httpx.post(
            f"{stack.certs.url}/v1/realms/kihonet/certificates/{issued['serial_number']}/revoke",
            json={"reason": "key_compromise"},
            headers=PROVISIONING,
            timeout=30,
        )
        assert revoked.status_code == 200, revoked.text
        started = time.monotonic()
        while let_in(*curl(gw, where, *presented)[::2]):
            assert time.monotonic() - started < 60, "a revoked certificate still let in"
            time.sleep(1)
        status, _, body = curl(gw, where, *presented)
        assert status == 403 and json.loads(body)["code"] == "CLIENT_CERTIFICATE_REQUIRED"
        socket_before = kept.sock
        assert asked(kept) == 401 and kept.sock is socket_before, "the open one was not dropped"
    finally:
        kept.close()


def asked(connection: http.client.HTTPSConnection) -> int:
    """One request on a connection kept open (http.client never reconnects on its own)."""
    connection.request("GET", "/v1/sessions/current")
    answer = connection.getresponse()
    answer.read()
    return answer.status


def test_ct_05_renewal_through_the_gateway_is_proven_by_its_mtls_and_a_forged_one_is_not(
    stack: Stack, tmp_path: Path
) -> None:
    gw = stack.gateway
    _, presented = issued_files(stack.gateway, stack.certs.url, tmp_path)
    csr = json.dumps({"csr": pem_of(csr_of(new_key()))})
    renew = "/v1/realms/kihonet/certificates/renew"
    args = ("-X", "POST", "-H", "content-type: application/json", "--data", csr)
    status, _, body = curl(gw, f"{gw.kihonet_url}{renew}", *presented, *args)
    assert status == 409 and json.loads(body)["code"] == "RENEWAL_NOT_OPEN", body
    forged = ("-H", f"X-Gateway-Secret: {GATEWAY_SECRET}", "-H", "X-Client-Certificate: x")
    status, _, body = curl(gw, f"{gw.url}{renew}", *args, *forged)
    assert status == 403 and json.loads(body)["code"] == "FORBIDDEN", body


def test_gw_04_logins_are_limited_per_address_with_a_problem_json_429(stack: Stack) -> None:
    gw = stack.gateway
    login = json.dumps({"login_id": "XA3nobody", "password": "wrong-password"})
    answers = [
        curl(gw, f"{gw.url}/v1/realms/demo/login", "-X", "POST", "-H",
             "content-type: application/json", "--data", login)
        for _ in range(12)
    ]  # fmt: skip
    statuses = [status for status, _, _ in answers]
    assert 401 in statuses, "the first ones reach identity"
    limited = [(h, b) for s, h, b in answers if s == 429]
    assert limited, statuses
    headers, body = limited[0]
    assert headers["content-type"].startswith("application/problem+json")
    assert json.loads(body)["code"] == "TOO_MANY_REQUESTS"


LINK_PAGES = (
    "/realms/demo/login-link",
    "/realms/demo/auth-email/confirm",
    "/realms/demo/email-change/confirm",
    "/realms/kencom/activate",
    "/realms/kencom/password-reset",
)
"""Every page a mailed link opens with ``?token=…`` (identity's four, enroll's activation)."""


def test_x_02_a_links_token_reaches_no_access_log(stack: Stack) -> None:
    """The gateway logs every route without its query string, and the service logs none."""
    gw = stack.gateway
    secret = "SECRET" + secrets.token_urlsafe(24)
    for path in LINK_PAGES:
        status, _, body = curl(gw, f"{gw.url}{path}?token={secret}")
        assert status == (404 if "reset" in path else 200), (path, body)  # ID-PW-08 reads it
    status, _, _ = curl(gw, f"{gw.url}/v1/sessions/current?token={secret}")
    assert status == 401

    logged = gw.access_log.read_text()
    for path in (*LINK_PAGES, "/v1/sessions/current"):
        assert f"GET {path}" in logged, f"the route is logged: {path}"
    assert secret not in logged, "the gateway's access log holds the link's token"
    assert secret not in (gw.run_dir / "error.log").read_text()
    assert secret not in stack.identity.log_path.read_text(), "identity's log holds it"


FORM = "application/x-www-form-urlencoded"
TOO_MANY_REQUESTS = "リクエストが集中しています。しばらくしてから再度お試しください"


def sent_from(
    gateway: Any, address: str, route: tuple[str, str, str, str]
) -> tuple[int, dict[str, str], str]:
    """One request from the client ``address`` (a loopback address of its own)."""
    method, path, kind, body = route
    return curl(
        gateway, f"{gateway.url}{path}", "--interface", address,
        "-X", method, "-H", f"content-type: {kind}", "--data", body,
    )  # fmt: skip


def test_gw_04_id_lock_05_checks_of_the_current_password_are_limited_per_address(
    stack: Stack,
) -> None:
    """The password change, the login-ID change and the e-mail change (their API and their
    pages' forms) are limited per address like the login, with GW-04's problem+json 429; a
    page's form with the portal's page saying the same (WEB-04), linking back to the form."""
    gw = stack.gateway
    routes = [
        ("POST", "/v1/realms/demo/password", "application/json", '{"current_password":"x"}'),
        ("PUT", "/v1/realms/demo/login-id", "application/json", '{"current_password":"x"}'),
        ("POST", "/v1/realms/demo/email-change", "application/json", '{"new_email":"a@b.jp"}'),
        ("POST", "/realms/demo/password-change", FORM, "current_password=x"),
        ("POST", "/realms/demo/account/login-id", FORM, "current_password=x"),
        ("POST", "/realms/demo/account/email", FORM, "new_email=a%40b.jp"),
    ]
    for n, route in enumerate(routes):
        client = f"127.0.0.{20 + n}"  # a client of its own: the limits are per address
        answers = [sent_from(gw, client, route) for _ in range(12)]
        statuses = [status for status, _, _ in answers]
        path = route[1]
        assert statuses[0] in (401, 403), f"{path}: the first ones reach identity: {statuses}"
        limited = [(headers, body) for status, headers, body in answers if status == 429]
        assert limited, f"{path} is not limited per address: {statuses}"
        headers, body = limited[0]
        if path.startswith("/realms/"):
            assert headers["content-type"].startswith("text/html"), body
            assert f"<h1>{TOO_MANY_REQUESTS}</h1>" in body
            assert "エラーコード：TOO_MANY_REQUESTS" in body
            assert f'<a class="button primary" href="{path}">' in body, "the link back"
        else:
            assert headers["content-type"].startswith("application/problem+json")
            assert json.loads(body)["code"] == "TOO_MANY_REQUESTS"
        assert sent_from(gw, f"127.0.0.{60 + n}", route)[0] != 429, f"{path}: per address"


def test_web_04_gw_03_kihonet_pages_on_the_portals_server_are_a_page_saying_why(
    stack: Stack,
) -> None:
    """A browser that opens kihonet on the other portals' server is told on a page that a
    client certificate is needed, with the way to the certificate's issue; a program, JSON."""
    gw = stack.gateway
    status, headers, body = curl(gw, f"{gw.url}/realms/kihonet/login")
    assert status == 403 and headers["content-type"].startswith("text/html"), body
    assert "<h1>クライアント証明書が必要です</h1>" in body
    assert "エラーコード：CLIENT_CERTIFICATE_REQUIRED" in body
    assert 'href="/realms/kihonet/certificate-issue"' in body
    status, headers, body = curl(gw, f"{gw.url}/v1/realms/kihonet/orgs/x")
    assert status == 403 and json.loads(body)["code"] == "CLIENT_CERTIFICATE_REQUIRED"


def s_client(port: int, *args: str) -> tuple[bool, str]:
    """One TLS handshake with openssl as the client: whether it completed, and what it said."""
    done = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
         *args],
        input="",
        capture_output=True,
        text=True,
        errors="replace",  # after ALPN h2 the server sends its binary SETTINGS frame
        timeout=20,
        check=False,
    )  # fmt: skip
    return done.returncode == 0, done.stdout + done.stderr


def tls12_suites() -> dict[str, str]:
    """Every TLS 1.2 cipher suite this openssl knows (weak ones too), and its MAC: ``AEAD``,
    or the HMAC of a CBC (or stream) suite."""
    listed = subprocess.run(
        ["openssl", "ciphers", "-s", "-tls1_2", "-v", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split()[0]: line.split("Mac=")[1].strip() for line in listed.splitlines()}


MOZILLA_INTERMEDIATE_ECDSA = {
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
}
"""Mozilla's intermediate TLS 1.2 suites for the gateway's ECDSA certificate: ECDHE, AEAD."""


@pytest.mark.parametrize("server", ["portals", "kihonet"])
def test_gw_01_tls_is_mozillas_intermediate_profile_with_http2(stack: Stack, server: str) -> None:
    """TLS 1.2 and 1.3 only; in 1.2 only ECDHE with AEAD (no CBC: LUCKY13); the profile's
    curves; HTTP/2 by ALPN. Both servers: the portals' and kihonet's with its client
    certificates."""
    gw = stack.gateway
    port = gw.port if server == "portals" else gw.kihonet_port
    suites = tls12_suites()
    assert len(suites) > 50 and "ECDHE-ECDSA-AES128-SHA256" in suites, "weak suites are tried"
    with ThreadPoolExecutor(max_workers=8) as pool:
        tried = dict(
            zip(
                suites,
                pool.map(lambda s: s_client(port, "-tls1_2", "-cipher", f"{s}:@SECLEVEL=0")[0],
                         suites),
                strict=True,
            )
        )  # fmt: skip
    accepted = {suite for suite, ok in tried.items() if ok}
    cbc = sorted(suite for suite in accepted if suites[suite] != "AEAD")
    assert not cbc, f"CBC suites offered in TLS 1.2: {cbc}"
    assert accepted == MOZILLA_INTERMEDIATE_ECDSA, sorted(accepted)

    for old in ("-tls1", "-tls1_1"):
        ok, said = s_client(port, old, "-cipher", "DEFAULT:@SECLEVEL=0")
        assert not ok and "alert protocol version" in said, f"{old} is refused by the server"
    ok, said = s_client(port, "-tls1_3", "-alpn", "h2,http/1.1")
    assert ok and "TLSv1.3" in said
    assert "ALPN protocol: h2" in said, "HTTP/2 is offered"
    assert "Server Temp Key: X25519" in said, "the profile's first curve"
    for curve in ("prime256v1", "secp384r1"):  # TLS 1.3: the groups are the key exchange's
        ok, said = s_client(port, "-tls1_3", "-groups", curve)
        assert ok, said
    ok, said = s_client(port, "-tls1_3", "-groups", "secp521r1:X448")
    assert not ok, "only X25519, prime256v1 and secp384r1"

    if server == "portals":
        status, _, body = curl(gw, f"{gw.url}/healthz", "--http2", "-w", "\n%{http_version}")
        assert status == 200 and body.endswith("\n2"), body


def test_web_04_gw_02_kencoms_roster_and_code_console_goes_to_enroll_with_a_large_file(
    stack: Stack, tmp_path: Path
) -> None:
    """The support console's roster import and 健診閲覧コード are enroll's (here the echo), behind
    the session check; a roster file far over the 1 MB other bodies may be is streamed through,
    and the console's other pages stay identity's."""
    gw = stack.gateway
    for path in ("/realms/kencom/support/rosters", "/realms/kencom/support/checkup-codes/x"):
        status, headers, _ = curl(gw, f"{gw.url}{path}")
        assert (status, headers.get("location")) == (303, "/realms/kencom/login"), path
    token, _ = ready_admin(stack.identity.url)
    session = ("-H", f"Authorization: Bearer {token}")
    big = tmp_path / "roster.csv"
    big.write_bytes(b"x" * (3 * 1024**2))
    status, _, body = curl(
        gw, f"{gw.url}/realms/kencom/support/rosters", *session, "--data-binary", f"@{big}"
    )
    assert status == 200 and json.loads(body)["content-length"] == str(3 * 1024**2), body[:200]
    status, _, body = curl(gw, f"{gw.url}/realms/kencom/support/checkup-codes", *session)
    assert status == 200 and "x-user-id" in json.loads(body)
    status, _, body = curl(gw, f"{gw.url}/realms/kencom/support/members", *session)
    assert "x-user-id" not in body, "identity's, not enroll's"
