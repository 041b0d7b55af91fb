"""Stream URL helpers: build a URL from separate fields and hide its password.

The engine has the same rules in `argus_engine.stream_url`. The integration is
installed on its own through HACS, so it cannot import the engine package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

REDACTED = "**REDACTED**"

# The userinfo part of any URL-looking text, so redaction also works inside messages.
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:@/\s]*):(?P<password>[^@/\s]*)@")

# Schemes HA's stream component can open. A local file path has none and gets no stream.
STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://")


def build_stream_url(data: Mapping[str, Any]) -> str | None:
    """Return the camera's stream URL with credentials from subentry data.

    Credentials are percent-encoded, so passwords such as `S3cr3t@x` keep the URL valid.
    """
    if data.get("url"):
        return str(data["url"])
    host = data.get("host")
    if not host:
        return None
    userinfo = ""
    if data.get("username"):
        userinfo = quote(str(data["username"]), safe="")
        if data.get("password"):
            userinfo += ":" + quote(str(data["password"]), safe="")
        userinfo += "@"
    port = f":{int(data['port'])}" if data.get("port") else ""
    path = str(data.get("path") or "")
    if path and not path.startswith("/"):
        path = "/" + path
    return f"rtsp://{userinfo}{host}{port}{path}"


def redact_url(text: str) -> str:
    """Replace every password in URL userinfo within `text`, keeping the user name."""
    return _USERINFO.sub(lambda match: f"{match['scheme']}{match['user']}:{REDACTED}@", text)


def redact_urls(data: Any) -> Any:
    """Return `data` with `redact_url` applied to every string inside it."""
    if isinstance(data, str):
        return redact_url(data)
    if isinstance(data, Mapping):
        return {key: redact_urls(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [redact_urls(value) for value in data]
    return data
