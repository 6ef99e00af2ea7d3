"""RFC 9457 problem details with a stable ``code`` and a Japanese ``title`` (X-05, SPEC section 7).

A refusal is a value of the domain; the API maps it once to a :class:`ProblemCode`, and every
error a client can cause leaves through :func:`problem_response`. Nothing a client sends may
produce a 500: validation errors become 422 ``VALIDATION_ERROR`` with the offending fields.

A browser on one of the portal's pages is a person, not a program: the same problem reaches it
as the portal's page (WEB-04), with the same status and Japanese title, when the service gives
:func:`install_problem_handlers` its :class:`ProblemPage`; ``servicekit.browsers.wants_page``
decides which, once for every service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicekit.browsers import PROBLEM_JSON as PROBLEM_JSON  # where it has always been
from servicekit.browsers import wants_page
from servicekit.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class ProblemSpec:
    status: int
    title: str


class ProblemCode(Enum):
    """Section 7 of the SPEC, plus the generic errors every HTTP API needs."""

    INVALID_CREDENTIALS = ProblemSpec(401, "利用者IDまたはパスワードに誤りがあります")
    ACCOUNT_LOCKED = ProblemSpec(
        423,
        "パスワードを3回以上連続で誤ったため、利用者IDは利用できなくなりました。"
        "アカウントロックの解除後、再度ログインしてください",
    )
    ACCOUNT_DISABLED = ProblemSpec(403, "この利用者IDは現在ご利用いただけません")
    HALF_WIDTH_REQUIRED = ProblemSpec(422, "IDとパスワードは半角英数字で入力してください")
    BROWSER_MISMATCH = ProblemSpec(403, "登録されているブラウザ情報と異なります")
    AUTH_EMAIL_PROVISIONAL_TIMEOUT = ProblemSpec(
        410, "メール認証用アドレスの仮登録がタイムアウトしました"
    )
    AUTH_LINK_TIMEOUT = ProblemSpec(410, "メール認証用リンクがタイムアウトしました")
    SESSION_EXPIRED = ProblemSpec(401, "セッション情報の取得に失敗しました")
    PASSWORD_CHANGE_REQUIRED = ProblemSpec(403, "パスワードを変更してください")
    OTP_REQUIRED = ProblemSpec(403, "ワンタイムパスワードにより保護されています")
    OTP_INVALID = ProblemSpec(422, "ワンタイムパスワードに誤りがあります")
    OTP_EXPIRED = ProblemSpec(410, "ワンタイムパスワードが失効しました。再度発行してください")
    OTP_ISSUE_LIMIT = ProblemSpec(
        429, "ワンタイムパスワードの発行回数が上限に達しました。しばらくしてから発行してください"
    )
    CHALLENGE_REQUIRED = ProblemSpec(403, "画像認証が必要です")
    CHALLENGE_FAILED = ProblemSpec(403, "画像認証に失敗しました。もう一度認証してください")
    INPUT_INFO_ERROR = ProblemSpec(422, "入力情報エラー")
    NO_DATA = ProblemSpec(404, "対象データがありません")
    EXPORT_NOT_READY = ProblemSpec(409, "ファイルを作成中です。しばらくしてから再度お試しください")
    EXPORT_GONE = ProblemSpec(
        410, "このファイルはダウンロード済みか保存期間を過ぎています。もう一度作成してください"
    )
    MAINTENANCE = ProblemSpec(503, "ただいまシステムメンテナンス中です")
    # The client-certificate authority (CT) and the gateway (GW).
    RENEWAL_NOT_OPEN = ProblemSpec(409, "更新期間ではありません。有効期限の30日前から更新できます")
    CERT_EXPIRED = ProblemSpec(
        410, "クライアント証明書の有効期限が切れています。再発行のお手続きが必要です"
    )
    CERT_REVOKED = ProblemSpec(403, "このクライアント証明書は失効しています")
    CERT_ALREADY_RENEWED = ProblemSpec(409, "このクライアント証明書は更新済みです")
    CERT_UNKNOWN = ProblemSpec(404, "クライアント証明書が見つかりません")
    NOTICE_ALREADY_USED = ProblemSpec(
        409, "このお知らせでは発行済みです。再発行のお手続きをしてください"
    )
    NOTICE_EXISTS = ProblemSpec(409, "このユーザーIDのお知らせは登録済みです")
    CLIENT_CERTIFICATE_REQUIRED = ProblemSpec(403, "クライアント証明書が必要です")
    TOO_MANY_REQUESTS = ProblemSpec(
        429, "リクエストが集中しています。しばらくしてから再度お試しください"
    )
    # Generic errors of any HTTP API.
    VALIDATION_ERROR = ProblemSpec(422, "入力内容に誤りがあります")
    MALFORMED_REQUEST = ProblemSpec(400, "リクエストの形式が正しくありません")
    NOT_FOUND = ProblemSpec(404, "指定された対象が見つかりません")
    REALM_NOT_FOUND = ProblemSpec(404, "指定されたレルムは存在しません")
    METHOD_NOT_ALLOWED = ProblemSpec(405, "この操作は許可されていません")
    CONFLICT = ProblemSpec(409, "他の操作と競合しました。もう一度お試しください")
    LOGIN_ID_TAKEN = ProblemSpec(409, "この利用者IDは既に使われています")
    FORBIDDEN = ProblemSpec(403, "この操作を行う権限がありません")
    CSRF_CHECK_FAILED = ProblemSpec(403, "不正なリクエストです。画面からやり直してください")
    LINK_EXPIRED = ProblemSpec(410, "リンクの有効期限が切れています。もう一度お手続きください")
    LINK_INVALID = ProblemSpec(404, "このリンクは無効です")
    LINK_RESEND_TOO_SOON = ProblemSpec(
        429, "メール認証用リンクは前回の送信から10分を過ぎると再発行できます"
    )
    BUSINESS_USER_LIMIT = ProblemSpec(409, "登録できる業務用IDの上限に達しています")
    PASSWORD_POLICY = ProblemSpec(422, "パスワードの条件を満たしていません")
    UNSUPPORTED_MEDIA_TYPE = ProblemSpec(415, "対応していない形式です")
    # Enrolment (SPEC section 6, kencom).
    SIGNUP_EXPIRED = ProblemSpec(
        410, "仮登録の有効期間が過ぎました。メールアドレスの登録からやり直してください"
    )
    SIGNUP_NOT_FOUND = ProblemSpec(
        404, "仮登録の情報が見つかりません。メールアドレスの登録からやり直してください"
    )
    SIGNUP_MAIL_LIMIT = ProblemSpec(429, "仮登録メールを再送信できる回数の上限に達しました")
    INSURANCE_CARD_INVALID = ProblemSpec(422, "保険証情報の入力内容に誤りがあります")
    ELIGIBILITY_NO_MATCH = ProblemSpec(422, "保険証情報を確認できませんでした")
    ELIGIBILITY_NOT_YET_LINKED = ProblemSpec(422, "ご加入の組合のデータがまだ連携されていません")
    ELIGIBILITY_RESTRICTED = ProblemSpec(403, "ご所属の組合において利用制限があります")
    ELIGIBILITY_ALREADY_REGISTERED = ProblemSpec(409, "この保険証情報は既に照会されています")
    ELIGIBILITY_TRIES_EXHAUSTED = ProblemSpec(429, "保険証情報の照会回数が上限に達しました")
    ELIGIBILITY_UNION_MAINTENANCE = ProblemSpec(
        409, "ご所属の組合は現在kencomのメンテナンスを実施しています"
    )
    ROSTER_INVALID = ProblemSpec(422, "名簿ファイルに誤りがあります")
    CHECKUP_CODE_INVALID = ProblemSpec(422, "健診閲覧コードが正しくありません")
    CHECKUP_CODE_LOCKED = ProblemSpec(
        423,
        "健診閲覧コードの入力回数が上限に達しました。お客様サポートへ再発行をお申し込みください",
    )
    CHECKUP_IDENTITY_REQUIRED = ProblemSpec(403, "健診閲覧コードによる本人確認を行ってください")
    SECRET_QUESTION_REQUIRED = ProblemSpec(403, "秘密の質問を設定してください")
    SECRET_ANSWER_INVALID = ProblemSpec(422, "秘密の質問の答えが正しくありません")
    SECRET_ANSWER_LOCKED = ProblemSpec(
        423,
        "秘密の質問の答えの入力回数が上限に達しました。お客様サポートへお問い合わせください",
    )
    SERVICE_UNAVAILABLE = ProblemSpec(
        503, "ただいまサービスを一時的にご利用いただけません。しばらくしてから再度お試しください"
    )
    INTERNAL_ERROR = ProblemSpec(500, "システムエラーが発生しました")

    @property
    def status(self) -> int:
        return self.value.status

    @property
    def title(self) -> str:
        return self.value.title


#: How long a client should wait before it repeats a request answered ``SERVICE_UNAVAILABLE``
#: (``Retry-After``): about as long as a database or broker takes to come back after a restart.
RETRY_AFTER_SECONDS = 5


def problem_headers(code: ProblemCode) -> dict[str, str]:
    """The headers a problem's answer carries whatever route gives it: ``Retry-After`` on
    ``SERVICE_UNAVAILABLE``, so a client knows it may repeat the request, and when."""
    if code is ProblemCode.SERVICE_UNAVAILABLE:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return {}


class Problem(Exception):
    """Raised by routes and use cases to answer with a problem document."""

    def __init__(self, code: ProblemCode, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(code.name)
        self.code = code
        self.detail = detail
        self.extensions = extensions


def problem_response(
    code: ProblemCode,
    *,
    detail: str | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:problem:{code.name.lower().replace('_', '-')}",
        "title": code.title,
        "status": code.status,
        "code": code.name,
    }
    if detail is not None:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(
        jsonable_encoder(body),
        status_code=code.status,
        media_type=PROBLEM_JSON,
        headers=problem_headers(code) | dict(headers or {}),
    )


_HTTP_STATUS_CODES = {
    400: ProblemCode.MALFORMED_REQUEST,
    404: ProblemCode.NOT_FOUND,
    405: ProblemCode.METHOD_NOT_ALLOWED,
    415: ProblemCode.UNSUPPORTED_MEDIA_TYPE,
    422: ProblemCode.VALIDATION_ERROR,
    503: ProblemCode.SERVICE_UNAVAILABLE,
}


#: The problem document of every error answer, as documented in each service's OpenAPI.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details with a stable code and a Japanese title (X-05).",
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:problem:session-expired"]},
        "title": {"type": "string", "examples": ["セッション情報の取得に失敗しました"]},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "string", "enum": [code.name for code in ProblemCode]},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The path that was asked."},
        "errors": {
            "type": "array",
            "description": "VALIDATION_ERROR, MALFORMED_REQUEST: each field at fault.",
            "items": {
                "type": "object",
                "required": ["location", "message"],
                "properties": {
                    "location": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "message": {"type": "string"},
                    "type": {"type": ["string", "null"]},
                },
            },
        },
    },
    "additionalProperties": True,
}

#: Every status a problem may answer with. A 500 is never documented: it is a bug (X-05).
PROBLEM_STATUSES = sorted({code.status for code in ProblemCode} - {500})


def document_problems(app: FastAPI) -> None:
    """Every operation of ``app`` documents the problems of section 7 and the generic ones as
    ``application/problem+json`` with the :data:`PROBLEM_SCHEMA`, written once here rather
    than in each route, so that a client (or schemathesis) can check every error answer
    against the document. A route's own ``responses`` descriptions are kept; their content
    is replaced, since every error leaves through :func:`problem_response`.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _add_problems(build())
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


def _add_problems(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for fastapis_own in ("HTTPValidationError", "ValidationError"):  # replaced below
        schemas.pop(fastapis_own, None)
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    codes_by_status: dict[int, list[str]] = {}
    for code in ProblemCode:
        codes_by_status.setdefault(code.status, []).append(code.name)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in PROBLEM_STATUSES:
                responses.setdefault(
                    str(status), {"description": ", ".join(codes_by_status[status])}
                )
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = content


class ProblemPage(Protocol):
    """How a service shows a problem to a browser on one of its pages, in the portal's look
    (``webkit.pages.problem_page``): the problem's status and Japanese title, and a way on."""

    def __call__(
        self, request: Request, code: ProblemCode, detail: str | None = None
    ) -> Response: ...


def install_problem_handlers(app: FastAPI, page: ProblemPage | None = None) -> None:
    """Every error leaves as problem+json: ours, FastAPI's validation, Starlette's (an unknown
    path, a wrong method), and crashes; and the OpenAPI document says so
    (:func:`document_problems`). With ``page``, a browser on a page (``wants_page``) is
    answered the same problem as the portal's page instead."""
    document_problems(app)

    def answer(
        request: Request,
        code: ProblemCode,
        *,
        detail: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> Response:
        if page is not None and wants_page(request.scope):
            shown = page(request, code, detail)
            shown.headers.update(dict(headers or {}))
            return shown
        return problem_response(
            code, detail=detail, instance=request.url.path, headers=headers, **extensions
        )

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return answer(request, exc.code, detail=exc.detail, **exc.extensions)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"location": list(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
            for e in exc.errors()
        ]
        malformed = any(e["type"] in {"json_invalid", "model_attributes_type"} for e in errors)
        code = ProblemCode.MALFORMED_REQUEST if malformed else ProblemCode.VALIDATION_ERROR
        return answer(request, code, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_STATUS_CODES.get(exc.status_code, ProblemCode.MALFORMED_REQUEST)
        return answer(request, code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        """The last resort: a service's own ``AnswerEveryRequest`` (``servicekit.outages``)
        answers first, an outage with 503, and keeps the connection open."""
        log.exception("unhandled error", path=request.url.path)
        return answer(request, ProblemCode.INTERNAL_ERROR)
