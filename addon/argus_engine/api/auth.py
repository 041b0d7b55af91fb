"""Token check for every HTTP request and websocket upgrade, except the health check."""

import logging
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web

from ..token_store import TokenStore
from .errors import UNAUTHORIZED, error_response

_LOGGER = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset({"/api/health"})
WEBSOCKET_PATH = "/api/ws"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def bearer_token(request: web.Request) -> str | None:
    """Return the token of an `Authorization: Bearer` header, or None when there is none."""
    header = request.headers.get(hdrs.AUTHORIZATION)
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


def make_auth_middleware(tokens: TokenStore) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """Build middleware that rejects requests without the right token with 401.

    A websocket upgrade without any Authorization header is let through: it must then
    send an `auth` message first (see ws.py). A wrong header is rejected here for both.
    """

    @web.middleware
    async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in PUBLIC_PATHS:
            return await handler(request)
        token = bearer_token(request)
        if token is None and request.path == WEBSOCKET_PATH:
            request["authenticated"] = False
            return await handler(request)
        if token is None or not tokens.check(token):
            # DEBUG only: a client with a stale token retries often and would flood the log.
            _LOGGER.debug("Rejected %s %s from %s: %s token", request.method, request.path, request.remote, "no" if token is None else "wrong")
            response = error_response(401, UNAUTHORIZED, "missing or wrong token; send Authorization: Bearer <token>")
            response.headers[hdrs.WWW_AUTHENTICATE] = "Bearer"
            return response
        request["authenticated"] = True
        return await handler(request)

    return auth_middleware
