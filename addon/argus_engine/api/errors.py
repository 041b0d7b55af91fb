"""API error codes and the JSON shape every error has, on the websocket and over HTTP."""

from typing import Any

from aiohttp import web

INVALID_JSON = "invalid_json"
INVALID_MESSAGE = "invalid_message"
UNKNOWN_TYPE = "unknown_type"
INVALID_CONFIG = "invalid_config"
NOT_FOUND = "not_found"
DUPLICATE = "duplicate"
UNAUTHORIZED = "unauthorized"
TOO_MANY_SUBSCRIBERS = "too_many_subscribers"
NOT_SUPPORTED = "not_supported"
UNAVAILABLE = "unavailable"
INTERNAL_ERROR = "internal_error"


class ApiError(Exception):
    """An error to send to the client as `{"code", "message", "field"?}`."""

    def __init__(self, code: str, message: str, *, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status

    def to_json(self) -> dict[str, Any]:
        """Return the `error` object of a reply."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return error


def error_response(status: int, code: str, message: str) -> web.Response:
    """Return an HTTP error with the standard JSON body."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def not_found(what: str) -> web.Response:
    """Return the 404 every unknown camera, event or file gets."""
    return error_response(404, NOT_FOUND, f"{what} not found")
