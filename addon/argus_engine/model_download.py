"""Download a model file with resume, a progress bar and a checksum check.

The file is written to `<dest>.part` and renamed to `dest` only after its SHA-256
matches, so the engine never loads a partial or corrupted model. A failed checksum
deletes the part file. An interrupted transfer keeps the part file, and both the
automatic retries and the next run continue from it with an HTTP Range request. A
server that ignores Range makes the download restart from the first byte.
"""

import hashlib
import logging
import os
import re
import sys
import time
import urllib.error
import urllib.request
from http.client import HTTPException, HTTPResponse
from pathlib import Path
from typing import TextIO

from .errors import ModelError
from .stream_url import redact

_LOGGER = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
ATTEMPTS = 3
RETRY_DELAY = 1.0
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


class _Interrupted(Exception):
    """The connection ended before the whole file arrived; the part file is kept."""


def download_model(
    url: str,
    dest: str | Path,
    sha256: str,
    *,
    progress: bool = True,
    timeout: float = 30.0,
    attempts: int = ATTEMPTS,
    stream: TextIO | None = None,
) -> Path:
    """Download `url` to `dest`, verify its SHA-256 and return `dest`.

    Raises ModelError on a bad URL or checksum, an HTTP error, or when every attempt was
    interrupted (the part file then stays for the next run to resume).
    """
    dest = Path(dest)
    sha256 = sha256.lower()
    if not SHA256_PATTERN.match(sha256):
        raise ModelError(f"invalid sha256 {sha256!r}: expected 64 hexadecimal digits")
    if not url.startswith(("http://", "https://")):
        raise ModelError(f"invalid model URL {redact(url)!r}: only http:// and https:// are supported")
    if dest.is_file() and file_sha256(dest) == sha256:
        _LOGGER.info("Model %s is already downloaded and verified", dest)
        return dest

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    bar = _ProgressBar(dest.name, stream or sys.stderr) if progress else None
    for attempt in range(1, attempts + 1):
        try:
            _transfer(url, part, timeout, bar)
            break
        except _Interrupted as err:
            _LOGGER.warning("Download of %s interrupted (attempt %d of %d): %s", dest.name, attempt, attempts, err)
            if attempt == attempts:
                raise ModelError(
                    f"download of {redact(url)} was interrupted {attempts} times; "
                    f"{part.stat().st_size if part.exists() else 0} bytes are kept in {part}, run the fetch again to resume"
                ) from None
            time.sleep(RETRY_DELAY)

    _verify(part, sha256, url)
    os.replace(part, dest)
    _LOGGER.info("Model saved to %s (sha256 verified)", dest)
    return dest


def file_sha256(path: str | Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _verify(part: Path, sha256: str, url: str) -> None:
    actual = file_sha256(part)
    if actual != sha256:
        part.unlink(missing_ok=True)
        raise ModelError(
            f"checksum mismatch for {redact(url)}: expected sha256 {sha256}, got {actual}; "
            "the download was deleted. Check the URL and the checksum"
        )


def _transfer(url: str, part: Path, timeout: float, bar: "_ProgressBar | None") -> None:
    """Fetch the rest of the file into `part`, resuming from its current size."""
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "argus-engine model fetch"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")

    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - scheme checked by the caller
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:
            # The part file is at least as long as the file on the server: start over.
            _LOGGER.info("Server rejected resuming %s at byte %d; restarting the download", part.name, offset)
            part.unlink()
            return _transfer(url, part, timeout, bar)
        raise ModelError(f"download of {redact(url)} failed: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise _Interrupted(f"cannot connect: {getattr(err, 'reason', err)}") from None

    with response:
        start, total = _resume_point(response, offset)
        if start == 0 and offset:
            _LOGGER.info("Server does not support resuming; restarting the download of %s", part.name)
        _copy_body(response, part, start, total, bar)


def _resume_point(response: HTTPResponse, offset: int) -> tuple[int, int | None]:
    """Return (first byte of this response, total file size if known)."""
    length = response.headers.get("Content-Length")
    if response.status == 206:
        match = CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if not match or int(match.group(1)) != offset:
            raise ModelError(f"server returned an unexpected range for a resume request: {response.headers.get('Content-Range')!r}")
        total = match.group(3)
        return offset, int(total) if total != "*" else None
    return 0, int(length) if length and length.isdigit() else None


def _copy_body(response: HTTPResponse, part: Path, start: int, total: int | None, bar: "_ProgressBar | None") -> None:
    done = start
    with open(part, "r+b" if start else "wb") as file:
        file.seek(start)
        file.truncate()
        try:
            while chunk := response.read(CHUNK_SIZE):
                file.write(chunk)
                done += len(chunk)
                if bar:
                    bar.update(done, total)
        except (HTTPException, TimeoutError, OSError) as err:
            raise _Interrupted(f"connection lost after {done} bytes: {err!r}") from None
        finally:
            file.flush()
            os.fsync(file.fileno())

    if total is not None and done < total:
        raise _Interrupted(f"connection closed after {done} of {total} bytes")
    if bar:
        bar.finish(done)


class _ProgressBar:
    """A one-line progress bar on a terminal; on a pipe or log, a line every 10 %."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self._label = label
        self._stream = stream
        self._tty = stream.isatty()
        self._started = time.monotonic()
        self._last_step = -1

    def update(self, done: int, total: int | None) -> None:
        if total:
            percent = min(100, done * 100 // total)
            step = percent // 10
            if not self._tty and step == self._last_step:
                return
            self._last_step = step
            text = f"{self._label} {percent:3d}% {done / 1e6:.1f}/{total / 1e6:.1f} MB {self._rate(done)}"
        else:
            text = f"{self._label} {done / 1e6:.1f} MB {self._rate(done)}"
            if not self._tty:
                return
        self._stream.write(f"\r{text}" if self._tty else f"{text}\n")
        self._stream.flush()

    def finish(self, done: int) -> None:
        suffix = "\n" if self._tty else ""
        self._stream.write(f"{suffix}{self._label} done: {done / 1e6:.1f} MB\n")
        self._stream.flush()

    def _rate(self, done: int) -> str:
        elapsed = max(time.monotonic() - self._started, 1e-3)
        return f"{done / elapsed / 1e6:.1f} MB/s"
