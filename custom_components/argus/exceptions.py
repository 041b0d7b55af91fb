"""Errors of the engine client, each also inheriting the matching builtin where there is one."""

from __future__ import annotations


class ArgusError(Exception):
    """Base class of the client's errors."""


class CannotConnect(ArgusError, ConnectionError):
    """The engine could not be reached or the connection was lost."""


class InvalidAuth(ArgusError, PermissionError):
    """The engine rejected the token."""


class UnsupportedProtocol(ArgusError):
    """The engine speaks a protocol major version this client does not know."""


class CommandError(ArgusError):
    """The engine replied to a request with an error."""

    def __init__(self, code: str, message: str, field_name: str | None = None) -> None:
        """Store the engine's error code, message and the config field it refers to."""
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field_name
