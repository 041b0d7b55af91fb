"""Signing and attachment encryption against the vectors shared with the Worker's tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from custom_components.argus.cloud import crypto, signing

VECTORS = json.loads((Path(__file__).parent / "vectors.json").read_text())


def test_signature_matches_vector() -> None:
    vector = VECTORS["signature"]

    headers = signing.signed_headers(vector["secret"], vector["timestamp"], vector["body"].encode())

    assert headers[signing.SIGNATURE_HEADER] == vector["header"]
    assert headers[signing.TIMESTAMP_HEADER] == str(vector["timestamp"])
    # The scheme spelled out with the standard library, independent of the module.
    message = f"{vector['timestamp']}.{vector['body']}".encode()
    assert hmac.new(vector["secret"].encode(), message, hashlib.sha256).hexdigest() == vector["signature"]


def test_link_signature_matches_vector() -> None:
    vector = VECTORS["link"]

    assert signing.link_signature(vector["secret"], vector["key"], vector["expires"]) == vector["signature"]


@pytest.mark.parametrize(("change", "valid"), [
    ({}, True),
    ({"now_offset": signing.MAX_SKEW + 1}, False),
    ({"now_offset": -(signing.MAX_SKEW + 1)}, False),
    ({"body": b'{"camera":"back"}'}, False),
    ({"secret": "another secret"}, False),
])
def test_verify_rejects_changes(change, valid) -> None:
    vector = VECTORS["signature"]
    body = change.get("body", vector["body"].encode())
    now = vector["timestamp"] + change.get("now_offset", 10)

    result = signing.verify(change.get("secret", vector["secret"]), vector["timestamp"], body, vector["header"], now)

    assert result is valid


def test_decrypt_vector() -> None:
    vector = VECTORS["attachment"]

    plaintext = crypto.decrypt(vector["key"], base64.b64decode(vector["ciphertext_b64"]))

    assert plaintext == base64.b64decode(vector["plaintext_b64"])


def test_encrypt_with_pinned_nonce_matches_vector() -> None:
    vector = VECTORS["attachment"]

    blob = crypto.encrypt(vector["key"], base64.b64decode(vector["plaintext_b64"]), bytes.fromhex(vector["nonce"]))

    assert base64.b64encode(blob).decode() == vector["ciphertext_b64"]


def test_random_nonce_round_trip() -> None:
    key = crypto.generate_key()
    first = crypto.encrypt(key, b"snapshot bytes")
    second = crypto.encrypt(key, b"snapshot bytes")

    assert first != second
    assert crypto.decrypt(key, first) == b"snapshot bytes"


def test_wrong_key_or_tampering_fails() -> None:
    vector = VECTORS["attachment"]
    blob = bytearray(base64.b64decode(vector["ciphertext_b64"]))

    with pytest.raises(crypto.DecryptError, match="wrong key or modified data"):
        crypto.decrypt(crypto.generate_key(), bytes(blob))
    blob[-1] ^= 1
    with pytest.raises(crypto.DecryptError, match="wrong key or modified data"):
        crypto.decrypt(vector["key"], bytes(blob))
    with pytest.raises(crypto.DecryptError, match="not an Argus attachment"):
        crypto.decrypt(vector["key"], b"\x02" + bytes(40))


@pytest.mark.parametrize("key", ["", "short", base64.urlsafe_b64encode(bytes(16)).decode()])
def test_invalid_key_rejected(key) -> None:
    with pytest.raises(crypto.AttachmentKeyError):
        crypto.encrypt(key, b"x")
