"""SPEC X-02: passwords, hashes, tokens, links that carry tokens, OTP codes and secret answers
never appear in clear in an event or a log line; what notify must mail travels sealed to its
X25519 public key.
"""

from __future__ import annotations

import base64
import json
import pickle
import types
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from contracts import (
    EVENT_TYPES,
    Event,
    SealedSecret,
    UnsealError,
    generate_keypair,
    open_sealed,
    seal,
)
from contracts.sealed import SEAL_OVERHEAD, SEALED_PREFIX

MakeEvent = Callable[..., Event]

SECRET_WORDS = ("password", "secret", "token", "link", "code", "otp", "answer", "hash")
"""A field whose name contains one of these must be a SealedSecret (or absent)."""

NOT_SECRETS = {
    "operation_code": "a public catalogue code of an operation, e.g. 1-2 (seed 004's list)",
    "status_code": "a public error number of the certificate seed (001), e.g. 3420",
    "rider_codes": "codes naming kinds of contract riders (特約) in the nexi permission matrix",
    "postal_code": "郵便番号 of an organisation's contact address (ID-USER-11), e.g. 100-0001",
    "invitation_code": "kencom's 招待コード: a member hands it to friends, and it opens nothing "
    "(EN-09: recorded for the operator only)",
}
"""Field names that contain a secret word but hold no secret, each with the reason."""

SEALED = TypeAdapter(SealedSecret)


# --- the walker ----------------------------------------------------------------------------------


def _leaves(annotation: Any) -> Iterator[Any]:
    """The concrete types inside an annotation: through Optional, unions, Annotated, tuples."""
    origin = get_origin(annotation)
    if origin is Annotated:
        yield from _leaves(get_args(annotation)[0])
    elif origin in (Union, types.UnionType) or (origin is not None and get_args(annotation)):
        for arg in get_args(annotation):
            if arg is not Ellipsis:
                yield from _leaves(arg)
    else:
        yield annotation


def _secret_named_fields_not_sealed(
    model: type[BaseModel], path: str = "", seen: frozenset[type[BaseModel]] = frozenset()
) -> Iterator[str]:
    """Every field (recursively through nested models) named like a secret but not sealed."""
    for name, field in model.model_fields.items():
        where = f"{path}{model.__name__}.{name}"
        leaves = [t for t in _leaves(field.annotation) if t is not type(None)]
        lowered = name.lower()
        named_secret = any(word in lowered for word in SECRET_WORDS) and name not in NOT_SECRETS
        if named_secret and (not leaves or any(t is not SealedSecret for t in leaves)):
            yield where
        for leaf in leaves:
            if isinstance(leaf, type) and issubclass(leaf, BaseModel) and leaf not in seen:
                yield from _secret_named_fields_not_sealed(leaf, f"{where} → ", seen | {model})


def _sealed_fields(model: type[BaseModel]) -> list[str]:
    return [
        name
        for name, field in model.model_fields.items()
        if SealedSecret in set(_leaves(field.annotation))
    ]


SEALED_FIELDS = [
    (type_name, field)
    for type_name in sorted(EVENT_TYPES)
    for field in _sealed_fields(EVENT_TYPES[type_name])
]


def test_x_02_every_secret_named_field_of_every_event_is_sealed() -> None:
    offenders = [
        where for cls in EVENT_TYPES.values() for where in _secret_named_fields_not_sealed(cls)
    ]
    assert offenders == []


def test_x_02_the_secret_walker_catches_plain_secrets_even_nested() -> None:
    class Inner(BaseModel):
        answer_hash: str | None = None

    class Leaky(BaseModel):
        login_token: str
        sealed_otp: SealedSecret | None = None
        hint: Inner
        many_codes: tuple[str, ...] = ()
        operation_code: str = "1-1"

    assert sorted(_secret_named_fields_not_sealed(Leaky)) == [
        "Leaky.hint → Inner.answer_hash",
        "Leaky.login_token",
        "Leaky.many_codes",
    ]


def test_x_02_every_non_secret_exception_is_still_in_use() -> None:
    """An exception nobody uses any more is a hole waiting for a real secret of that name."""
    used: set[str] = set()

    def collect(model: type[BaseModel]) -> None:
        for name, field in model.model_fields.items():
            used.add(name)
            for leaf in _leaves(field.annotation):
                if isinstance(leaf, type) and issubclass(leaf, BaseModel):
                    collect(leaf)

    for cls in EVENT_TYPES.values():
        collect(cls)
    assert set(NOT_SECRETS) <= used


def test_x_02_the_events_that_carry_mail_secrets_are_the_expected_ones() -> None:
    assert SEALED_FIELDS == [
        ("EmailLinkIssued", "sealed_link"),
        ("InitialPasswordIssued", "sealed_password"),
        ("InitialPasswordIssued", "attachment_password"),
        ("OtpIssued", "sealed_code"),
        ("SignupStarted", "sealed_activation_link"),
        ("TemporaryPasswordIssued", "sealed_password"),
    ]


@pytest.mark.parametrize(("type_name", "field"), SEALED_FIELDS)
@pytest.mark.parametrize(
    "plain",
    [
        "Tr0ub4dor&3",
        "482913",
        "https://portal.example.jp/l?token=0f3c2b9a8d7e6f5a4b3c2d1e0f9a8b7c",
        "sealed:v1:",
        "sealed:v1:c2hvcnQ",  # base64url of "short": too short to be a sealed box
        "sealed:v2:" + "A" * 80,
        "sealed:v1:" + "!" * 80,
    ],
)
def test_x_02_no_event_type_can_carry_a_plain_secret(
    type_name: str, field: str, plain: str, make_event: MakeEvent
) -> None:
    with pytest.raises(ValidationError) as caught:
        make_event(type_name, **{field: plain})
    assert plain not in str(caught.value)
    assert plain not in repr(caught.value.errors())


@pytest.mark.parametrize(("type_name", "field"), SEALED_FIELDS)
def test_x_02_a_plain_secret_is_refused_from_the_wire_too(
    type_name: str, field: str, make_event: MakeEvent
) -> None:
    data = json.loads(make_event(type_name).to_json())
    data[field] = "Tr0ub4dor&3"
    with pytest.raises(ValidationError) as caught:
        EVENT_TYPES[type_name].model_validate_json(json.dumps(data))
    assert "Tr0ub4dor&3" not in str(caught.value)


@given(st.text())
def test_x_02_text_without_the_sealed_prefix_is_never_a_sealed_secret(text: str) -> None:
    if text.startswith(SEALED_PREFIX):
        return
    with pytest.raises(ValidationError):
        SEALED.validate_python(text)
    with pytest.raises(ValidationError):
        SEALED.validate_json(json.dumps(text))


@pytest.mark.parametrize("plain", ["Tr0ub4dor&3", "sealed:v1:Tr0ub4dor"])
def test_x_02_a_refused_secret_is_not_echoed_by_the_validation_error(plain: str) -> None:
    """Not even by the structured ``errors()`` a consumer might log, nor outside an event."""
    with pytest.raises(ValidationError) as caught:
        SEALED.validate_python(plain)
    assert plain not in str(caught.value)
    assert plain not in repr(caught.value.errors())
    assert plain not in caught.value.json()


@given(st.binary(max_size=SEAL_OVERHEAD - 1))
def test_x_02_a_ciphertext_shorter_than_a_sealed_box_is_refused(short: bytes) -> None:
    wire = SEALED_PREFIX + base64.urlsafe_b64encode(short).rstrip(b"=").decode()
    with pytest.raises(ValidationError):
        SEALED.validate_python(wire)
    with pytest.raises(ValueError, match="not a sealed secret"):
        SealedSecret(short)


@pytest.mark.parametrize("not_text", [b"sealed:v1:abc", 12345, None, ["sealed:v1:"]])
def test_x_02_only_text_or_a_sealed_secret_validates(not_text: object) -> None:
    with pytest.raises(ValidationError):
        SEALED.validate_python(not_text)


# --- sealing -------------------------------------------------------------------------------------


@given(plaintext=st.text(min_size=1, max_size=300))
def test_x_02_seal_then_open_gives_back_the_secret(
    plaintext: str, keypair: tuple[str, str]
) -> None:
    public, private = keypair
    sealed = seal(plaintext, public)
    assert open_sealed(sealed, private) == plaintext
    wire = sealed.to_wire()
    assert wire.startswith(SEALED_PREFIX)
    assert SEALED.validate_python(wire) == sealed
    assert open_sealed(SEALED.validate_json(json.dumps(wire)), private) == plaintext


def test_x_02_only_the_private_key_opens_a_sealed_secret(keypair: tuple[str, str]) -> None:
    public, _ = keypair
    _, someone_elses = generate_keypair()
    with pytest.raises(UnsealError):
        open_sealed(seal("Tr0ub4dor&3", public), someone_elses)


def test_x_02_an_altered_ciphertext_does_not_open(keypair: tuple[str, str]) -> None:
    public, private = keypair
    raw = bytearray(seal("Tr0ub4dor&3", public).ciphertext)
    raw[-1] ^= 0x01
    with pytest.raises(UnsealError):
        open_sealed(SealedSecret(bytes(raw)), private)


def test_x_02_sealing_the_same_secret_twice_gives_different_ciphertexts(
    keypair: tuple[str, str],
) -> None:
    """Equal ciphertexts would let a reader of the bus see that two users share a password."""
    public, _ = keypair
    assert seal("same", public) != seal("same", public)


def test_x_02_an_empty_secret_is_not_sealed(keypair: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="empty"):
        seal("", keypair[0])


@pytest.mark.parametrize(
    "bad_key", ["", "not base64!", base64.b64encode(b"too short").decode(), "A" * 44 + "=="]
)
def test_x_02_a_malformed_key_is_refused(bad_key: str, keypair: tuple[str, str]) -> None:
    public, _ = keypair
    with pytest.raises(ValueError, match="public key"):
        seal("secret", bad_key)
    with pytest.raises(ValueError, match="private key"):
        open_sealed(seal("secret", public), bad_key)


def test_x_02_generated_keys_are_32_byte_base64() -> None:
    public, private = generate_keypair()
    assert len(base64.b64decode(public, validate=True)) == 32
    assert len(base64.b64decode(private, validate=True)) == 32
    assert public != private


# --- nothing in clear in logs --------------------------------------------------------------------


def test_x_02_repr_of_a_sealed_secret_shows_only_that_it_is_sealed(
    keypair: tuple[str, str],
) -> None:
    sealed = seal("Tr0ub4dor&3", keypair[0])
    body = sealed.to_wire().removeprefix(SEALED_PREFIX)
    for shown in (repr(sealed), str(sealed), f"{sealed}", f"{sealed!r}", format(sealed)):
        assert "Tr0ub4dor&3" not in shown
        assert body[:16] not in shown
        assert shown == f"SealedSecret(<sealed, {len(sealed.ciphertext)} bytes>)"


@pytest.mark.parametrize(("type_name", "field"), SEALED_FIELDS)
def test_x_02_an_event_holding_a_secret_prints_no_secret(
    type_name: str, field: str, make_event: MakeEvent, plain_secrets: tuple[str, ...]
) -> None:
    event = make_event(type_name)
    printed = [
        repr(event),
        str(event),
        f"{event}",
        event.to_json().decode(),
        event.model_dump_json(),
        repr(event.model_dump()),
    ]
    for text in printed:
        for secret in plain_secrets:
            assert secret not in text
    assert "SealedSecret(<sealed," in repr(event)


def test_x_02_every_sample_event_prints_no_secret(
    make_event: MakeEvent, plain_secrets: tuple[str, ...]
) -> None:
    for type_name in EVENT_TYPES:
        text = repr(make_event(type_name)) + make_event(type_name).to_json().decode()
        assert not [s for s in plain_secrets if s in text], type_name


def test_x_02_sealed_secrets_are_immutable_and_survive_copying(keypair: tuple[str, str]) -> None:
    sealed = seal("Tr0ub4dor&3", keypair[0])
    with pytest.raises(AttributeError):
        sealed._ciphertext = b"x" * 64
    assert pickle.loads(pickle.dumps(sealed)) == sealed
    assert hash(sealed) == hash(SealedSecret(sealed.ciphertext))


@pytest.mark.parametrize(("type_name", "field"), SEALED_FIELDS)
def test_x_02_the_json_schema_marks_sealed_fields(type_name: str, field: str) -> None:
    schema = EVENT_TYPES[type_name].model_json_schema()
    prop = schema["properties"][field]
    variants = prop.get("anyOf", [prop])
    assert any(v.get("format") == "sealed-secret" for v in variants)
