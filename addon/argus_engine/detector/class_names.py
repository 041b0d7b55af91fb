"""Class names of a detection model: from its metadata or from a labels file.

Ultralytics exports store `names` in the ONNX metadata as the repr of a Python dict,
e.g. "{0: 'person', 1: 'bicycle'}". A labels file is either one name per line (the line
number is the class id) or JSON (a list, or an object mapping ids to names). A class id
without a name is reported as `unknown_<id>`. No id is ever renumbered or given a
built-in COCO name, because a wrong name would trigger the wrong automations.
"""

import ast
import json
import logging
from collections.abc import Mapping
from pathlib import Path

from ..errors import ModelError

_LOGGER = logging.getLogger(__name__)

# Metadata larger than this is not a class map, so it is skipped unparsed.
MAX_NAMES_CHARS = 1_000_000


def label_for(class_id: int, names: Mapping[int, str]) -> str:
    """Return the name of a class id, or `unknown_<id>` when the model has none for it."""
    return names.get(class_id) or f"unknown_{class_id}"


def names_from_metadata(text: str | None) -> dict[int, str]:
    """Parse the `names` metadata string. An unreadable value gives an empty map and a warning."""
    if not text:
        return {}
    if len(text) > MAX_NAMES_CHARS:
        _LOGGER.warning("Ignoring model metadata 'names' of %d characters", len(text))
        return {}
    try:
        # literal_eval evaluates literals only, so metadata cannot run code.
        value = ast.literal_eval(text)
        return _to_name_map(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as err:
        _LOGGER.warning("Ignoring unreadable model metadata 'names': %s", err)
        return {}


def names_from_file(path: str | Path) -> dict[int, str]:
    """Read a labels file (one name per line, or a JSON list or object), raising ModelError if unreadable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(f"labels file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ModelError(f"cannot read labels file {path}: {err}") from None

    if text.lstrip().startswith(("[", "{")):
        try:
            return _to_name_map(json.loads(text))
        except (ValueError, TypeError) as err:
            raise ModelError(f"invalid JSON labels file {path}: {err}") from None
    return _names_from_lines(text)


def _names_from_lines(text: str) -> dict[int, str]:
    # A blank line keeps its id without a name, so later names are never shifted.
    names: dict[int, str] = {}
    for class_id, line in enumerate(text.splitlines()):
        name = line.strip()
        if name:
            names[class_id] = name
    return names


def _to_name_map(value: object) -> dict[int, str]:
    """Convert a list or an id → name mapping into dict[int, str], raising TypeError or ValueError otherwise."""
    if isinstance(value, list):
        items = enumerate(value)
    elif isinstance(value, dict):
        items = value.items()
    else:
        raise TypeError(f"expected a list or a mapping of class ids to names, got {type(value).__name__}")

    names: dict[int, str] = {}
    for key, name in items:
        class_id = int(key)
        if class_id < 0:
            raise ValueError(f"negative class id {class_id}")
        if not isinstance(name, str):
            raise TypeError(f"class {class_id}: expected a name string, got {name!r}")
        if name.strip():
            names[class_id] = name.strip()
    return names
