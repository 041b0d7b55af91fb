"""Live counts of the watched objects present now, per label and per group."""

from collections.abc import Iterable, Mapping

from .labels import expand, groups_of
from .objects import TrackedObject


def count_keys(names: Iterable[str], groups: Mapping[str, Iterable[str]]) -> list[str]:
    """Return the keys a count always shows: the names given, their labels, and groups of those labels.

    Stable keys let Home Assistant show 0 instead of an entity that comes and goes.
    """
    names = list(names)
    labels = expand(names, groups)
    keys = dict.fromkeys(names)
    keys.update(dict.fromkeys(sorted(labels)))
    keys.update(dict.fromkeys(name for name, members in groups.items() if labels & set(members)))
    return list(keys)


def count_objects(objects: Iterable[TrackedObject], keys: Iterable[str], groups: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Count objects per label and per group.

    An object counts once per key, also when a group has its label's name (`person`).
    """
    counts = dict.fromkeys(keys, 0)
    for item in objects:
        for key in {item.label, *groups_of(item.label, groups)}:
            counts[key] = counts.get(key, 0) + 1
    return counts
