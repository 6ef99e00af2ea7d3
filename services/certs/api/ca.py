"""What relying parties fetch from the CA: its certificate, its CRL, and OCSP (CT-08, CT-10).

Open to anyone, as a CA's publication points are: they tell nothing about who holds what
beyond what a certificate's holder shows by presenting it. The URLs in every certificate
point here (``PUBLIC_URL``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from services.certs.api.deps import CertsDep
from services.certs.usecases.signing import pem

router = APIRouter(prefix="/v1/ca", tags=["certificate authority"])

OCSP_REQUEST_MAX_BYTES = 8192
OCSP_BODY = {
    "content": {"application/ocsp-request": {"schema": {"type": "string", "format": "binary"}}},
    "required": True,
}
OCSP_ANSWER = {
    200: {
        "description": "An OCSP response (RFC 6960); an unsuccessful one for a malformed "
        "request or another CA's certificate",
        "content": {
            "application/ocsp-response": {"schema": {"type": "string", "format": "binary"}}
        },
    }
}


@router.get(
    "/certificate",
    summary="The CA certificate (PEM): the file to trust",
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {"schema": {"type": "string"}}}}},
)
async def ca_certificate(certs: CertsDep) -> Response:
    return Response(pem(certs.keeper.authority.certificate), media_type="application/x-pem-file")


@router.get(
    "/crl",
    summary="The latest CRL (DER), as named in every certificate (CT-08)",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pkix-crl": {"schema": {"type": "string", "format": "binary"}}}
        }
    },
)
async def crl(certs: CertsDep) -> Response:
    return Response(
        await certs.keeper.crl(),
        media_type="application/pkix-crl",
        headers={"Cache-Control": "max-age=60"},
    )


@router.post(
    "/ocsp",
    summary="OCSP responder (RFC 6960), signed by a delegated responder (CT-10)",
    response_class=Response,
    openapi_extra={"requestBody": OCSP_BODY},
    responses=OCSP_ANSWER,  # type: ignore[arg-type]
)
async def ocsp_post(request: Request, certs: CertsDep) -> Response:
    body = await request.body()
    return await _answer(body[: OCSP_REQUEST_MAX_BYTES + 1], certs)


@router.get(
    "/ocsp/{encoded:path}",
    summary="OCSP by GET: the request in base64, URL-escaped (RFC 6960 appendix A.1)",
    response_class=Response,
    responses=OCSP_ANSWER,  # type: ignore[arg-type]
)
async def ocsp_get(
    encoded: Annotated[str, Path(max_length=4 * OCSP_REQUEST_MAX_BYTES // 3)], certs: CertsDep
) -> Response:
    try:
        body = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        body = b""
    return await _answer(body, certs)


async def _answer(body: bytes, certs: CertsDep) -> Response:
    if len(body) > OCSP_REQUEST_MAX_BYTES:
        body = b""  # answered as malformed
    answer = await certs.keeper.ocsp_answer(
        body, lambda serial: certs.certificates.status(serial, certs.keeper.now())
    )
    return Response(
        answer, media_type="application/ocsp-response", headers={"Cache-Control": "no-store"}
    )
