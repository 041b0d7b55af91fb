"""Model lookup for the engine, and the manifest of known models.

Lookup order for a model name (first hit wins):

1. the add-on config dir (`/config` inside the add-on container, shown in Home
   Assistant as `addon_configs/<slug>/`), and its `models/` subfolder: models the user
   put there, including custom ones;
2. the cache dir (`/data/models` in the add-on): models fetched earlier;
3. `ARGUS_MODEL_DIR` and `<repo>/models/`: development and test copies;
4. a download into the cache dir, only when fetching is allowed and a URL is known.

An explicit path is used as given and never replaced by another model, because a user
who names a file expects that file or an error.
"""

import json
import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import ModelError, ModelNotFoundError
from .model_download import download_model

_LOGGER = logging.getLogger(__name__)

MANIFEST_PATH = Path(__file__).with_name("model_manifest.json")
REPO_MODEL_DIR = Path(__file__).resolve().parents[2] / "models"
DEFAULT_MODEL = "yolo26n-640"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelInfo:
    """One known model from the manifest."""

    name: str
    file: str
    # (width, height), or None for a model with a dynamic input size.
    input_size: tuple[int, int] | None
    # "end2end": [1,300,6] boxes after the model's own NMS-free head; "classic": [1,84,8400], needs NMS.
    output_kind: str
    # Checksum of the export described here; a user's own export has different bytes.
    sha256: str
    licence: str
    # URL of the original weights (a .pt file to export from).
    weights_url: str | None
    # Download URL of this exact ONNX file, if one exists.
    url: str | None
    # Ultralytics command that produces an equivalent export, if one is known.
    export: str | None


@cache
def known_models() -> dict[str, ModelInfo]:
    """Read the manifest shipped with the package, keyed by model name."""
    try:
        data = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read the model manifest {MANIFEST_PATH}: {err}") from err

    models = {}
    for entry in data["models"]:
        size = entry.get("input_size")
        models[entry["name"]] = ModelInfo(
            name=entry["name"],
            file=entry["file"],
            input_size=tuple(size) if size else None,
            output_kind=entry["output_kind"],
            sha256=entry["sha256"],
            licence=entry["licence"],
            weights_url=entry.get("weights_url"),
            url=entry.get("url"),
            export=entry.get("export"),
        )
    return models


def find_model(
    *,
    explicit: str | Path | None = None,
    config_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    name: str = DEFAULT_MODEL,
    allow_fetch: bool = False,
    url: str | None = None,
    sha256: str | None = None,
) -> Path:
    """Return the path of the model to load, fetching it into `cache_dir` if allowed.

    `explicit` is either a path (it contains a slash or ends in `.onnx`) or a model
    name that replaces `name`. `url` and `sha256` override the manifest's download
    source. Raises ModelNotFoundError naming every place searched.
    """
    if explicit is not None and _is_path(str(explicit)):
        return _find_explicit(Path(explicit), config_dir)
    if explicit is not None:
        name = str(explicit)

    file_name = _file_name(name)
    candidates = _candidates(file_name, config_dir, cache_dir)
    for candidate in candidates:
        if candidate.is_file():
            _LOGGER.debug("Using model %s", candidate)
            return candidate

    info = known_models().get(name)
    url = url or (info.url if info else None)
    sha256 = sha256 or (info.sha256 if info else None)
    if allow_fetch and url and sha256 and cache_dir is not None:
        _LOGGER.info("Model %s not found locally; downloading it into %s", name, cache_dir)
        return download_model(url, Path(cache_dir) / file_name, sha256)

    raise ModelNotFoundError(_not_found_message(name, file_name, candidates, config_dir, allow_fetch, url, sha256))


def _is_path(value: str) -> bool:
    return "/" in value or os.sep in value or value.endswith(".onnx")


def _file_name(name: str) -> str:
    info = known_models().get(name)
    return info.file if info else f"{name}.onnx"


def _find_explicit(path: Path, config_dir: str | Path | None) -> Path:
    tried = [path]
    if not path.is_absolute() and config_dir is not None:
        # Add-on users write a file name relative to their add-on config folder.
        tried.insert(0, Path(config_dir) / path)
    for candidate in tried:
        if candidate.is_file():
            _LOGGER.debug("Using model %s", candidate)
            return candidate
    places = ", ".join(str(candidate) for candidate in tried)
    raise ModelNotFoundError(f"model file not found: {places}; check the path, or leave the model unset to use {DEFAULT_MODEL}")


def _candidates(file_name: str, config_dir: str | Path | None, cache_dir: str | Path | None) -> list[Path]:
    folders: list[Path] = []
    if config_dir is not None:
        folders += [Path(config_dir), Path(config_dir) / "models"]
    if cache_dir is not None:
        folders.append(Path(cache_dir))
    if os.environ.get("ARGUS_MODEL_DIR"):
        folders.append(Path(os.environ["ARGUS_MODEL_DIR"]))
    if REPO_MODEL_DIR.is_dir():
        folders.append(REPO_MODEL_DIR)

    unique = dict.fromkeys(folder / file_name for folder in folders)
    return list(unique)


def _not_found_message(
    name: str,
    file_name: str,
    candidates: list[Path],
    config_dir: str | Path | None,
    allow_fetch: bool,
    url: str | None,
    sha256: str | None,
) -> str:
    looked = ", ".join(str(candidate) for candidate in candidates) or "nowhere (no folder given)"
    target = config_dir if config_dir is not None else "models/"
    if allow_fetch and url and not sha256:
        fetch = f"a download URL is set for {name} but no sha256, so it was not fetched; set model_sha256 as well"
    elif name in known_models():
        fetch = f"or download it with `python -m argus_engine model fetch {name} --url URL`"
    else:
        fetch = f"or download it with `python -m argus_engine model fetch {name} --url URL --sha256 HEX`"
    return (
        f"model {name!r} not found; looked in: {looked}. "
        f"Put {file_name} into {target}, {fetch}; "
        "to export it yourself from the Ultralytics weights see models/README.md"
    )
