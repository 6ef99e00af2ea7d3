"""Sealed secrets: how a secret crosses the bus without being readable there (SPEC X-02).

Some events must hand a secret to the notify service so that it can put it into a mail: an
initial or temporary password, a login link, an OTP code, a sign-up activation link. X-02 says
such a secret never appears in clear in an event, a log line or an audit record. So the
producer *seals* it to the notify service's X25519 public key with libsodium's sealed box
(``crypto_box_seal``: an ephemeral key pair per message, so the producer itself cannot open what
it sealed); only the holder of notify's private key can open it.

On the wire a sealed secret is the text ``sealed:v1:`` followed by the base64url (no padding)
ciphertext. The field type :class:`SealedSecret` refuses anything else, and in particular a
ciphertext shorter than the 48 bytes of sealed-box overhead (32-byte ephemeral public key plus
16-byte MAC), so a plain password can never be put into a field meant for a sealed one, not
even by mistake in a test. Its ``repr`` and ``str`` show only that it is sealed and how long
the ciphertext is, so printing an event in a log line reveals nothing either.

The ``v1`` prefix leaves room for another scheme (HPKE, say) without guessing at the format.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Final

from nacl.bindings import crypto_box_SEALBYTES
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

__all__ = [
    "MAX_CIPHERTEXT_BYTES",
    "SEALED_PREFIX",
    "SEAL_OVERHEAD",
    "SealedSecret",
    "UnsealError",
    "generate_keypair",
    "open_sealed",
    "seal",
]

SEALED_PREFIX: Final = "sealed:v1:"
"""Marks the text form of a sealed secret and names the scheme (v1 = libsodium sealed box)."""

SEAL_OVERHEAD: Final[int] = crypto_box_SEALBYTES
"""Bytes a sealed box adds to the plaintext (48): anything shorter cannot be a sealed box."""

MAX_CIPHERTEXT_BYTES: Final = 4096
"""Upper bound on a ciphertext: the secrets we seal are short; a huge one is a bug or abuse."""

_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]+")
_KEY_BYTES: Final = 32


class UnsealError(ValueError):
    """A sealed secret could not be opened: wrong private key, or the ciphertext was altered.

    Raised instead of PyNaCl's own exception so that callers need not import ``nacl``.
    """


class SealedSecret:
    """A secret sealed to the notify service's public key; opaque to everyone else.

    Use it as a pydantic field type. It validates from a :class:`SealedSecret` or from its text
    form ``sealed:v1:<base64url>`` and serialises (both JSON and ``model_dump``) to that text.
    Every other input is refused, so an event can never carry a plain secret in such a field.

    Instances are immutable, compare by ciphertext and never show the ciphertext in ``repr``
    or ``str``: a log line that prints an event shows ``SealedSecret(<sealed, 80 bytes>)``.
    """

    __slots__ = ("_ciphertext",)

    _ciphertext: bytes

    def __init__(self, ciphertext: bytes) -> None:
        if not isinstance(ciphertext, bytes):
            raise TypeError("a SealedSecret is built from ciphertext bytes; use seal() for text")
        if len(ciphertext) < SEAL_OVERHEAD:
            raise ValueError(f"not a sealed secret: a sealed box is at least {SEAL_OVERHEAD} bytes")
        if len(ciphertext) > MAX_CIPHERTEXT_BYTES:
            raise ValueError(f"sealed secret too large (more than {MAX_CIPHERTEXT_BYTES} bytes)")
        object.__setattr__(self, "_ciphertext", ciphertext)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("SealedSecret is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("SealedSecret is immutable")

    @classmethod
    def from_wire(cls, text: str) -> SealedSecret:
        """Parse the text form ``sealed:v1:<base64url>``; raise ``ValueError`` otherwise.

        The error message never repeats the input: a rejected value may be a plain password.
        """
        if not isinstance(text, str) or not text.startswith(SEALED_PREFIX):
            raise ValueError(f"not a sealed secret: expected text starting with {SEALED_PREFIX!r}")
        body = text[len(SEALED_PREFIX) :]
        if not _BASE64URL.fullmatch(body):
            raise ValueError("not a sealed secret: the ciphertext is not unpadded base64url")
        try:
            ciphertext = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise ValueError("not a sealed secret: the ciphertext is not valid base64url") from None
        return cls(ciphertext)

    def to_wire(self) -> str:
        """The text form carried in events: ``sealed:v1:`` + unpadded base64url ciphertext."""
        return SEALED_PREFIX + base64.urlsafe_b64encode(self._ciphertext).rstrip(b"=").decode()

    @property
    def ciphertext(self) -> bytes:
        """The raw sealed-box bytes (ephemeral public key, MAC, encrypted secret)."""
        return self._ciphertext

    def __repr__(self) -> str:
        return f"SealedSecret(<sealed, {len(self._ciphertext)} bytes>)"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return format(repr(self), format_spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SealedSecret):
            return NotImplemented
        return self._ciphertext == other._ciphertext

    def __hash__(self) -> int:
        return hash((SealedSecret, self._ciphertext))

    def __reduce__(self) -> tuple[type[SealedSecret], tuple[bytes]]:
        return (SealedSecret, (self._ciphertext,))

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Accept an instance or the text form; always serialise to the text form.

        A refused value is swapped for a stand-in *before* the failing step, so that neither
        ``str(error)`` nor ``error.errors()`` can echo it: it may be a plain password.
        """
        return core_schema.no_info_before_validator_function(
            _screen,
            core_schema.no_info_plain_validator_function(_accept),
            serialization=core_schema.plain_serializer_function_ser_schema(
                cls.to_wire, when_used="always"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Describe the text form, so AsyncAPI readers see that the field is sealed."""
        min_chars = -(-SEAL_OVERHEAD * 4 // 3)  # unpadded base64 length of 48 bytes: 64
        return {
            "type": "string",
            "format": "sealed-secret",
            "pattern": f"^{re.escape(SEALED_PREFIX)}[A-Za-z0-9_-]{{{min_chars},}}$",
            "description": (
                "A secret sealed (libsodium sealed box, X25519) to the notify service's public "
                "key: 'sealed:v1:' + base64url ciphertext. Only notify can open it (SPEC X-02)."
            ),
        }


class _Refused:
    """Stands in for a value refused as a sealed secret, in validation errors and logs."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return "<refused: not a sealed secret>"


def _screen(value: object) -> SealedSecret | _Refused:
    """Parse a candidate; replace anything that is not a sealed secret by a :class:`_Refused`."""
    if isinstance(value, SealedSecret):
        return value
    if not isinstance(value, str):
        return _Refused(f"a sealed secret is text starting with {SEALED_PREFIX!r}")
    try:
        return SealedSecret.from_wire(value)
    except ValueError as exc:  # the message never repeats the value
        return _Refused(str(exc))


def _accept(value: SealedSecret | _Refused) -> SealedSecret:
    if isinstance(value, SealedSecret):
        return value
    raise PydanticCustomError(
        "sealed_secret",
        "{reason}; seal secrets with contracts.seal(), plain ones are refused (SPEC X-02)",
        {"reason": value.reason},
    )


def _decode_key(key_b64: str, what: str) -> bytes:
    """Decode a standard-base64 X25519 key; refuse anything that is not exactly 32 bytes."""
    try:
        raw = base64.b64decode(key_b64, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the {what} key is not valid base64") from None
    if len(raw) != _KEY_BYTES:
        raise ValueError(f"the {what} key must be {_KEY_BYTES} bytes, got {len(raw)}")
    return raw


def generate_keypair() -> tuple[str, str]:
    """Make a new X25519 key pair for the notify service: ``(public_b64, private_b64)``.

    Standard base64 so that both fit in environment variables (X-09). The public key goes to
    every producer of mail-bearing events; the private key only to notify.
    """
    private = PrivateKey.generate()
    return (
        base64.b64encode(bytes(private.public_key)).decode("ascii"),
        base64.b64encode(bytes(private)).decode("ascii"),
    )


def seal(plaintext: str, public_key_b64: str) -> SealedSecret:
    """Seal ``plaintext`` (UTF-8) to the holder of the private key matching ``public_key_b64``.

    An empty secret is refused: sealing nothing is always a bug upstream.
    """
    if not isinstance(plaintext, str):
        raise TypeError("seal() takes the secret as text")
    if not plaintext:
        raise ValueError("refusing to seal an empty secret")
    box = SealedBox(PublicKey(_decode_key(public_key_b64, "public")))
    return SealedSecret(box.encrypt(plaintext.encode("utf-8")))


def open_sealed(secret: SealedSecret, private_key_b64: str) -> str:
    """Open a sealed secret with the notify service's private key and return the plaintext.

    Raises :class:`UnsealError` when the key does not match or the ciphertext was altered.
    The plaintext must go straight into the mail and never into a log (SPEC NT-05).
    """
    box = SealedBox(PrivateKey(_decode_key(private_key_b64, "private")))
    try:
        plaintext = box.decrypt(secret.ciphertext)
    except CryptoError:
        raise UnsealError("cannot open the sealed secret: wrong key or altered data") from None
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsealError("the sealed secret is not UTF-8 text") from None
