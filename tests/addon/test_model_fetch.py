"""Model download against a real HTTP server on 127.0.0.1: progress, checksum, resume."""

import hashlib
import io

import pytest

from argus_engine.errors import ModelError, ModelNotFoundError
from argus_engine.model_download import download_model
from argus_engine.model_store import find_model
from tests.helpers.model_server import model_server as server  # noqa: F401 - fixture

FILE_NAME = "fetch-test.onnx"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_fetch_shows_progress_and_verifies(server, tmp_path):
    url, state = server
    progress = io.StringIO()

    path = download_model(url, tmp_path / FILE_NAME, _sha(state.body), stream=progress)

    assert path == tmp_path / FILE_NAME
    assert path.read_bytes() == state.body
    assert not (tmp_path / f"{FILE_NAME}.part").exists()
    assert "100%" in progress.getvalue()
    assert f"{FILE_NAME} done" in progress.getvalue()


def test_fetch_skips_verified_file(server, tmp_path):
    url, state = server
    download_model(url, tmp_path / FILE_NAME, _sha(state.body), progress=False)
    requests_before = len(state.requests)

    download_model(url, tmp_path / FILE_NAME, _sha(state.body), progress=False)

    assert len(state.requests) == requests_before


def test_wrong_checksum_leaves_no_file(server, tmp_path):
    url, state = server

    with pytest.raises(ModelError, match="checksum mismatch") as caught:
        download_model(url, tmp_path / FILE_NAME, "0" * 64, progress=False)

    assert "0" * 64 in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_corrupted_download_not_loadable(server, tmp_path):
    url, state = server
    state.corrupt = True
    cache = tmp_path / "cache"

    with pytest.raises(ModelError, match="checksum mismatch"):
        find_model(name="fetch-test", cache_dir=cache, allow_fetch=True, url=url, sha256=_sha(state.body))

    assert not any(cache.iterdir())
    with pytest.raises(ModelNotFoundError, match="fetch-test.onnx"):
        find_model(name="fetch-test", cache_dir=cache)


def test_interrupted_fetch_resumes(server, tmp_path):
    url, state = server
    state.cut_after = len(state.body) // 3
    state.cuts_left = 1
    dest = tmp_path / FILE_NAME

    with pytest.raises(ModelError, match="interrupted"):
        download_model(url, dest, _sha(state.body), progress=False, attempts=1)
    part = tmp_path / f"{FILE_NAME}.part"
    assert part.stat().st_size == state.cut_after
    assert not dest.exists()

    download_model(url, dest, _sha(state.body), progress=False)

    assert dest.read_bytes() == state.body
    assert state.requests[-1].get("Range") == f"bytes={state.cut_after}-"
    assert not part.exists()


def test_retry_resumes_within_one_fetch(server, tmp_path):
    url, state = server
    state.cut_after = 100_000
    state.cuts_left = 2

    path = download_model(url, tmp_path / FILE_NAME, _sha(state.body), progress=False, attempts=3)

    assert path.read_bytes() == state.body
    assert len(state.requests) == 3
    assert state.requests[1].get("Range") == "bytes=100000-"
    assert state.requests[2].get("Range") == "bytes=200000-"


def test_no_range_support_restarts(server, tmp_path):
    url, state = server
    state.honour_range = False
    state.cut_after = len(state.body) // 2
    state.cuts_left = 1
    dest = tmp_path / FILE_NAME

    with pytest.raises(ModelError, match="interrupted"):
        download_model(url, dest, _sha(state.body), progress=False, attempts=1)
    download_model(url, dest, _sha(state.body), progress=False)

    assert state.requests[-1].get("Range") == f"bytes={state.cut_after}-"
    assert dest.read_bytes() == state.body


def test_stale_longer_part_restarts(server, tmp_path):
    url, state = server
    (tmp_path / f"{FILE_NAME}.part").write_bytes(b"x" * (len(state.body) + 10))

    path = download_model(url, tmp_path / FILE_NAME, _sha(state.body), progress=False)

    assert path.read_bytes() == state.body


def test_http_error_is_clear(server, tmp_path):
    url, _ = server

    with pytest.raises(ModelError, match="HTTP 404"):
        download_model(url.replace("model.onnx", "missing.onnx"), tmp_path / FILE_NAME, "a" * 64, progress=False)


@pytest.mark.parametrize(
    ("url", "sha256", "message"),
    [
        ("file:///etc/passwd", "a" * 64, "only http"),
        ("http://127.0.0.1:1/model.onnx", "not-a-checksum", "invalid sha256"),
    ],
)
def test_bad_arguments_rejected(tmp_path, url, sha256, message):
    with pytest.raises(ModelError, match=message):
        download_model(url, tmp_path / FILE_NAME, sha256, progress=False)


def test_find_model_fetches_once(server, tmp_path):
    url, state = server
    cache = tmp_path / "cache"

    first = find_model(name="fetch-test", cache_dir=cache, allow_fetch=True, url=url, sha256=_sha(state.body))
    requests_after_fetch = len(state.requests)
    second = find_model(name="fetch-test", cache_dir=cache, allow_fetch=True, url=url, sha256=_sha(state.body))

    assert first == second == cache / FILE_NAME
    assert len(state.requests) == requests_after_fetch


def test_fetch_command_downloads(server, tmp_path, capsys):
    from argus_engine.__main__ import main

    url, state = server

    code = main(["model", "fetch", "fetch-test", "--url", url, "--sha256", _sha(state.body), "--dest", str(tmp_path)])

    assert code == 0
    assert (tmp_path / FILE_NAME).read_bytes() == state.body
    assert "100%" in capsys.readouterr().err


def test_fetch_command_without_url_explains(capsys):
    from argus_engine.__main__ import main

    code = main(["model", "fetch", "yolo26n-640"])

    assert code == 2
    error = capsys.readouterr().err
    assert "no download URL is known for yolo26n-640" in error
    assert "yolo26n.pt" in error
