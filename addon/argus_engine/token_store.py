"""The API token: from ARGUS_TOKEN, or generated once and kept in `<data>/token`.

The file is created with mode 0600 because the token grants full control of the
engine, including the camera passwords it stores.
"""

import hmac
import logging
import os
import secrets
from pathlib import Path

from .errors import ConfigError
from .persist import write_atomic

_LOGGER = logging.getLogger(__name__)

TOKEN_FILE = "token"
TOKEN_ENV = "ARGUS_TOKEN"
# 32 random bytes, URL-safe base64: 43 characters.
TOKEN_BYTES = 32
MIN_TOKEN_LENGTH = 16


class TokenFixedError(ConfigError):
    """The token comes from the environment, so the engine may not replace it."""


class TokenStore:
    """Holds the current token and compares candidates in constant time.

    `ARGUS_TOKEN` wins and cannot be rotated. Otherwise `token`, when given, replaces
    the stored token, and without it the stored one is used or a new one generated.
    """

    def __init__(self, data_dir: Path, *, token: str | None = None) -> None:
        self._path = data_dir / TOKEN_FILE
        from_env = os.environ.get(TOKEN_ENV) or None
        self.fixed = from_env is not None
        for candidate in (from_env, token):
            if candidate is not None and len(candidate) < MIN_TOKEN_LENGTH:
                raise ConfigError(f"the API token must be at least {MIN_TOKEN_LENGTH} characters long")
        if from_env is not None:
            self._token = from_env
        elif token is not None:
            write_atomic(self._path, token.encode("utf-8") + b"\n")
            self._token = token
        else:
            self._token = self._load_or_create()

    @property
    def value(self) -> str:
        """The current token."""
        return self._token

    def check(self, candidate: object) -> bool:
        """Return True when `candidate` is the current token."""
        if not isinstance(candidate, str):
            return False
        return hmac.compare_digest(candidate.encode("utf-8", "surrogatepass"), self._token.encode("utf-8"))

    def rotate(self) -> str:
        """Replace the token with a new random one, store it and return it."""
        if self.fixed:
            raise TokenFixedError(f"the token is set by {TOKEN_ENV}; change that variable to replace it")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        write_atomic(self._path, token.encode("ascii") + b"\n")
        self._token = token
        _LOGGER.info("API token rotated")
        return token

    def _load_or_create(self) -> str:
        try:
            token = self._path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            token = ""
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"cannot read the token file {self._path}: {err}; delete it to make a new one") from err
        if len(token) >= MIN_TOKEN_LENGTH:
            return token
        token = secrets.token_urlsafe(TOKEN_BYTES)
        write_atomic(self._path, token.encode("ascii") + b"\n")
        _LOGGER.info("Generated a new API token in %s", self._path)
        return token
