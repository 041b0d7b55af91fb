"""Camera stream URLs: build them from separate fields and hide their passwords.

A password never leaves this module in clear text except inside the URL handed to
PyAV. Everything meant for logs, errors, the API or diagnostics uses `redact`.
"""

import re
from urllib.parse import quote, urlsplit

from .errors import ConfigError

SUPPORTED_SCHEMES = ("rtsp", "rtsps", "http", "https", "rtmp", "file")
REDACTED = "***"

# Matches the userinfo part of any URL-looking text, so redaction also works inside
# free text such as an FFmpeg error message.
# The password part runs to the LAST `@` before the host, as FFmpeg splits it, so a raw
# `@` inside a password is hidden too.
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:@/\s]*):(?P<password>[^/\s]*)@")


def build_url(
    *,
    host: str,
    path: str = "",
    port: int | None = None,
    username: str | None = None,
    password: str | None = None,
    scheme: str = "rtsp",
) -> str:
    """Build a stream URL from fields, percent-encoding the credentials.

    Users type passwords such as `S3cr3t@x` or `p:w/d` as they are; encoding them here
    keeps the `@`, `:` and `/` from breaking the URL.
    """
    if scheme not in SUPPORTED_SCHEMES or scheme == "file":
        raise ConfigError(f"unsupported stream scheme {scheme!r}; use one of rtsp, rtsps, http, https, rtmp")
    if not host or any(char in host for char in "/@ "):
        raise ConfigError(f"invalid camera host {host!r}")

    userinfo = ""
    if username:
        userinfo = quote(username, safe="")
        if password:
            userinfo += ":" + quote(password, safe="")
        userinfo += "@"
    netloc = f"{userinfo}{host}" + (f":{port}" if port else "")
    path = path if not path or path.startswith("/") else "/" + path
    return f"{scheme}://{netloc}{path}"


def validate_url(url: str) -> str:
    """Return the URL when its scheme is one the engine can open, else raise ConfigError."""
    if "://" not in url:
        # A plain path is a local file, which PyAV opens as it is.
        return url
    scheme = urlsplit(url).scheme.lower()
    if scheme not in SUPPORTED_SCHEMES:
        raise ConfigError(
            f"unsupported stream URL scheme {scheme!r} in {redact(url)}; "
            "use rtsp://, rtsps://, http(s)://, rtmp:// or a file path"
        )
    return url


def redact(text: str) -> str:
    """Replace every password in URL userinfo within `text` by ***, keeping the user name."""
    return _USERINFO.sub(lambda match: f"{match['scheme']}{match['user']}:{REDACTED}@", text)
