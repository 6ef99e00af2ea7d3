"""X-05 on the CA: whatever a client sends to certs (an issue request's fields, a certificate to
renew with, through the API or the renewal screen behind the gateway's mTLS, OCSP bytes), the
answer is a success, a 4xx problem, a page or an OCSP answer, never a 500.

Certs runs in this process on the real broker and database (``cert_portal``), so an unhandled
exception fails the test where it is raised. Each defect has its example; the properties then
throw arbitrary and mutated input at the same parsers.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import der
import httpx
import pytest
from certs_portal import (
    BASE,
    NONCE_OID,
    CertPortal,
    Holder,
    cert_portal,
    csr_of,
    extension,
    new_key,
    new_user_id,
    ocsp_request,
    pem_of,
    signature,
    with_extensions,
    with_subject_value,
)
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from gateway_harness import GATEWAY_SECRET
from harness import Infra, Namespace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.common import MAIL_ADDRESS
from servicekit.problems import ProblemCode

pytestmark = pytest.mark.integration

PAGE = "/realms/kihonet/certificate-renewal"
CSRF = secrets.token_urlsafe(32)
PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
async def portal(infra: Infra, ns: Namespace) -> AsyncIterator[CertPortal]:
    async with cert_portal(infra, ns, gateway_secret=GATEWAY_SECRET) as found:
        yield found


def assert_not_a_server_error(answer: httpx.Response) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400 and answer.headers["content-type"].startswith("application/"):
        problem = answer.json()
        assert problem["code"].isupper() and problem["title"], problem


async def renewal_page(
    portal: CertPortal, certificate: str, method: str = "GET", **form: str
) -> httpx.Response:
    """The renewal screen as the gateway's kihonet server forwards it: the certificate the
    browser presented, URL-encoded as nginx's ``$ssl_client_escaped_cert``, with the secret."""
    headers = {
        "X-Gateway-Secret": GATEWAY_SECRET,
        "X-Client-Certificate": quote(certificate, safe=""),
        "Cookie": f"__Host-csrf={CSRF}",
    }
    if method == "GET":
        return await portal.client.get(PAGE, headers=headers)
    return await portal.client.post(PAGE, data=form | {"csrf_token": CSRF}, headers=headers)


# --- CT-02: the issue request's fields -------------------------------------------------------


@pytest.mark.parametrize("email", ["a(b)@c.jp", "a<b>@c.jp", '"a b"@c.jp', "山田@example.jp"])
async def test_x_05_ct_02_an_address_the_certificate_cannot_hold_is_refused_with_a_422(
    portal: CertPortal, email: str
) -> None:
    """``cryptography`` refuses an RFC822Name with a comment or a display name (``a(b)@c.jp``
    parses as ``a@c.jp`` named ``b``): the schema refuses it first, before the notice is read
    or anything signed, so the notice still issues once the address is right."""
    holder = Holder(new_user_id())
    await portal.notice(holder)
    refused = await portal.issue(holder, new_key(), email=email)
    assert (refused.status_code, refused.json()["code"]) == (422, "VALIDATION_ERROR"), refused.text
    assert [e["location"] for e in refused.json()["errors"]] == [["body", "email"]]
    assert (await portal.issue(holder, new_key())).status_code == 201


# --- CT-05: a certificate to renew with ------------------------------------------------------


async def test_x_05_ct_05_a_certificate_whose_subject_does_not_parse_is_not_ours_to_renew(
    portal: CertPortal,
) -> None:
    """``cryptography`` reads a certificate's subject only when asked, and refuses bytes that
    are not UTF-8 then. The API and the renewal screen ask whether the certificate is this
    CA's before anything reads its subject: such a certificate is answered ``CERT_UNKNOWN``."""
    key, issued = await portal.issued(Holder(new_user_id()))
    portal.clock.set(datetime.fromisoformat(issued["not_after"]) - timedelta(days=10))
    garbled = with_subject_value(issued["certificate"], der.UTF8_STRING, b"\xff\xfe")
    with pytest.raises(ValueError, match="subject"):
        _ = x509.load_pem_x509_certificate(garbled.encode()).subject

    by_api = await portal.renew(key, garbled, new_key())
    assert (by_api.status_code, by_api.json()["code"]) == (404, "CERT_UNKNOWN"), by_api.text

    unknown = ProblemCode.CERT_UNKNOWN
    shown = await renewal_page(portal, garbled)
    assert shown.status_code == unknown.status and unknown.title in shown.text, shown.text
    password = {"password": "renewal-pass-1", "password_again": "renewal-pass-1"}
    posted = await renewal_page(portal, garbled, "POST", **password)
    assert posted.status_code == unknown.status and unknown.title in posted.text, posted.text
    mistyped = await renewal_page(portal, garbled, "POST", password="a", password_again="b")
    assert mistyped.status_code == unknown.status, "no form shows a certificate not ours"

    assert (await renewal_page(portal, issued["certificate"])).status_code == 200
    renewed = await portal.renew(key, issued["certificate"], new_key())
    assert renewed.status_code == 201, "the garbled copy renewed nothing"


# --- the properties: arbitrary and mutated input ---------------------------------------------

STRING_TAGS = st.sampled_from([0x0C, 0x13, 0x16, 0x1E, 0x1C, 0x14, 0x04, 0x02, 0x30])
"""UTF8String, PrintableString, IA5String, BMPString, UniversalString, T61String, and tags that
are no string at all."""


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with bytes flipped, cut, inserted or repeated, as a broken client sends it."""
    edits = draw(st.lists(st.tuples(st.integers(0, len(data)), st.binary(max_size=8)), max_size=4))
    for at, inserted in edits:
        cut = draw(st.integers(0, 4))
        data = data[:at] + inserted + data[at + cut :]
    return data


@PROPERTY
@given(data=st.data())
async def test_x_05_ct_05_any_certificate_presented_for_renewal_gets_an_answer_never_a_500(
    portal: CertPortal, data: st.DataObject
) -> None:
    if not hasattr(portal, "issued_once"):
        portal.issued_once = await portal.issued(Holder(new_user_id()))  # type: ignore[attr-defined]
    key, issued = portal.issued_once  # type: ignore[attr-defined]
    certificate = issued["certificate"]
    kind = data.draw(st.sampled_from(["subject", "bytes", "pem"]))
    if kind == "subject":
        tag, value = data.draw(STRING_TAGS), data.draw(st.binary(max_size=40))
        ca_key = portal.app.state.certs.keeper.authority.key  # signed again, as a thief would
        signer = data.draw(st.sampled_from([None, ca_key]))
        presented = with_subject_value(certificate, tag, value, signer=signer)
    elif kind == "bytes":
        cert_der = x509.load_pem_x509_certificate(certificate.encode()).public_bytes(Encoding.DER)
        body = base64.b64encode(data.draw(mutated(cert_der))).decode()
        presented = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
    else:
        presented = data.draw(st.text(max_size=200) | mutated_text(certificate))
    new = new_key()
    csr = csr_of(new)
    body_api = {
        "csr": pem_of(csr),
        "certificate": presented or "x",
        "signature": signature(key, csr.public_bytes(Encoding.DER)),
    }
    assert_not_a_server_error(await portal.client.post(f"{BASE}/certificates/renew", json=body_api))
    verify = {"certificate": presented or "x"}
    assert_not_a_server_error(await portal.client.post(f"{BASE}/certificates/verify", json=verify))
    assert_not_a_server_error(await renewal_page(portal, presented))
    mistyped = await renewal_page(portal, presented, "POST", password="a", password_again="b")
    assert_not_a_server_error(mistyped)


def mutated_text(text: str) -> st.SearchStrategy[str]:
    return mutated(text.encode()).map(lambda b: b.decode("utf-8", "replace"))


@st.composite
def ocsp_extensions(draw: st.DrawFn) -> list[bytes]:
    """Request extensions as a careless or hostile client writes them: nonces of any bytes,
    duplicated, unknown extensions, critical or not."""
    unknown_oid = der.tlv(der.OID, bytes([0x2A, 0x03, draw(st.integers(1, 127))]))
    choices = st.one_of(
        st.binary(max_size=40).map(lambda v: extension(NONCE_OID, der.tlv(der.OCTET_STRING, v))),
        st.binary(max_size=40).map(lambda v: extension(NONCE_OID, v)),
        st.tuples(st.binary(max_size=20), st.booleans()).map(
            lambda t: extension(unknown_oid, t[0], critical=t[1])
        ),
    )
    return draw(st.lists(choices, max_size=4))


@PROPERTY
@given(data=st.data())
async def test_x_05_ct_10_any_ocsp_request_gets_an_ocsp_answer_never_a_500(
    portal: CertPortal, data: st.DataObject
) -> None:
    if not hasattr(portal, "asked_once"):
        _, issued = await portal.issued(Holder(new_user_id()))
        cert = x509.load_pem_x509_certificate(issued["certificate"].encode())
        ca = x509.load_pem_x509_certificate(issued["ca_certificate"].encode())
        portal.asked_once = ocsp_request(cert, ca)  # type: ignore[attr-defined]
    request: bytes = portal.asked_once  # type: ignore[attr-defined]
    kind = data.draw(st.sampled_from(["extensions", "mutated", "bytes"]))
    if kind == "extensions":
        sent = with_extensions(request, data.draw(ocsp_extensions()))
    elif kind == "mutated":
        sent = data.draw(mutated(request))
    else:
        sent = data.draw(st.binary(max_size=300))
    for answer in (
        await portal.client.post("/v1/ca/ocsp", content=sent),
        await portal.client.get(f"/v1/ca/ocsp/{quote(base64.b64encode(sent).decode(), safe='')}"),
    ):
        assert answer.status_code == 200, answer.text
        status = ocsp.load_der_ocsp_response(answer.content).response_status
        assert status in {
            ocsp.OCSPResponseStatus.SUCCESSFUL,
            ocsp.OCSPResponseStatus.MALFORMED_REQUEST,
            ocsp.OCSPResponseStatus.UNAUTHORIZED,
        }


NOTICE_FIELDS = ("kihonet_code", "management_number", "user_id", "year", "branch_number")
ADDRESSES = (
    st.from_regex(r"[!-~]{1,20}@[!-~]{1,20}", fullmatch=True)  # what the schema let through
    | st.from_regex(MAIL_ADDRESS, fullmatch=True)
    | st.text(max_size=60)
)


@PROPERTY
@given(data=st.data())
async def test_x_05_ct_02_any_issue_request_fields_get_a_certificate_or_a_problem_never_a_500(
    portal: CertPortal, data: st.DataObject
) -> None:
    """Every field of an issue request, by the API (CSR or PKCS#12) or by the issue screen,
    against a fresh notice each time, so that what the schema lets through reaches the
    certificate's build: it is issued, or refused as a problem (a page), never a 500."""
    holder = Holder(new_user_id())
    await portal.notice(holder)
    typed: dict[str, Any] = holder.fields(email=data.draw(ADDRESSES))
    for name in data.draw(st.sets(st.sampled_from(NOTICE_FIELDS), max_size=2)):
        typed[name] = data.draw(st.text(max_size=20) | mutated_text(typed[name]))
    route = data.draw(st.sampled_from(["csr", "pkcs12", "page"]))
    if route == "csr":
        csr = pem_of(csr_of(new_key()))
        answer = await portal.client.post(f"{BASE}/certificates", json=typed | {"csr": csr})
    elif route == "pkcs12":
        pkcs12 = typed | {"password": "issue-pass-1"}
        answer = await portal.client.post(f"{BASE}/certificates/pkcs12", json=pkcs12)
    else:
        form = typed | {"password": "issue-pass-1", "password_again": "issue-pass-1"}
        form["key"] = secrets.token_urlsafe(16)  # the confirmation's (CT-12)
        answer = await portal.client.post(
            "/realms/kihonet/certificate-issue",
            data=form | {"csrf_token": CSRF},
            headers={"Cookie": f"__Host-csrf={CSRF}"},
        )
    assert_not_a_server_error(answer)
