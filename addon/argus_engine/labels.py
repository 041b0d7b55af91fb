"""Label groups: how detector class names roll up into what Home Assistant shows.

A group is a name (`person`, `vehicle`, `animal`) for a set of model labels. Users can
override or add groups in the config; a label may belong to several groups.
"""

from collections.abc import Iterable, Mapping

# COCO names as YOLO models export them.
DEFAULT_GROUPS: dict[str, frozenset[str]] = {
    "person": frozenset({"person"}),
    "vehicle": frozenset({"car", "truck", "bus", "motorcycle", "bicycle"}),
    "animal": frozenset(
        {
            "bird",
            "cat",
            "dog",
            "horse",
            "sheep",
            "cow",
            "elephant",
            "bear",
            "zebra",
            "giraffe",
        }
    ),
}


def groups_of(label: str, groups: Mapping[str, Iterable[str]] = DEFAULT_GROUPS) -> list[str]:
    """Return the names of the groups that contain `label`, in the groups' order."""
    return [name for name, members in groups.items() if label in members]


def expand(names: Iterable[str], groups: Mapping[str, Iterable[str]] = DEFAULT_GROUPS) -> frozenset[str]:
    """Turn a mix of group names and labels into the set of labels they cover."""
    labels: set[str] = set()
    for name in names:
        if name in groups:
            labels.update(groups[name])
        else:
            labels.add(name)
    return frozenset(labels)
