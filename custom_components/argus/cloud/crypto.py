"""AES-256-GCM encryption of alert attachments; the key never leaves Home Assistant.

Format (version 1), decrypted again only by Argus:

    0x01 | nonce (12 bytes) | ciphertext with the 16-byte GCM tag appended

The associated data is `b"argus-attachment-v1"`, so a blob made for another
purpose with the same key does not decrypt as an attachment.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import CloudError

FORMAT_VERSION = 1
NONCE_BYTES = 12
ASSOCIATED_DATA = b"argus-attachment-v1"


class AttachmentKeyError(CloudError):
    """The attachment key is missing or not 32 bytes of URL-safe base64."""

    code = "invalid_attachment_key"


class DecryptError(CloudError):
    """A blob is not an Argus attachment or was made with another key."""

    code = "decrypt_failed"


def generate_key() -> str:
    """Return a new random 256-bit key as URL-safe base64 text, as stored in the config entry."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode("ascii")


def _key_bytes(key: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as err:
        raise AttachmentKeyError("attachment key is not URL-safe base64") from err
    if len(raw) != 32:
        raise AttachmentKeyError(f"attachment key must be 32 bytes, got {len(raw)}")
    return raw


def encrypt(key: str, plaintext: bytes, nonce: bytes | None = None) -> bytes:
    """Encrypt `plaintext`; `nonce` is random unless a test pins it."""
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    if len(nonce) != NONCE_BYTES:
        raise ValueError(f"nonce must be {NONCE_BYTES} bytes, got {len(nonce)}")
    sealed = AESGCM(_key_bytes(key)).encrypt(nonce, plaintext, ASSOCIATED_DATA)
    return bytes([FORMAT_VERSION]) + nonce + sealed


def decrypt(key: str, blob: bytes) -> bytes:
    """Decrypt a blob made by `encrypt`.

    Raises `DecryptError` for a wrong key, a changed byte or an unknown format.
    """
    if len(blob) < 1 + NONCE_BYTES + 16 or blob[0] != FORMAT_VERSION:
        raise DecryptError(f"not an Argus attachment ({len(blob)} bytes, format byte {blob[:1].hex() or 'none'})")
    nonce = blob[1 : 1 + NONCE_BYTES]
    try:
        return AESGCM(_key_bytes(key)).decrypt(nonce, blob[1 + NONCE_BYTES :], ASSOCIATED_DATA)
    except InvalidTag as err:
        raise DecryptError("attachment failed authentication: wrong key or modified data") from err
