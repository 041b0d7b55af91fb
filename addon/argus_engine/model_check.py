"""Check that the labels a config uses exist in the model's classes.

A config names labels (`car`) and groups (`vehicle`) in camera objects, zone objects
and filters. With a custom model, a name may not be one of its classes, and the engine
then never reports that object. The check runs at start and names every missing label
with the places that use it. A group counts as usable when at least one of its members is
a class of the model; members the model lacks only produce a warning, because a group
like `animal` is meant to cover whatever animals a model knows.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .config import EngineConfig
from .errors import ConfigError

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class LabelReport:
    """The result of checking a config's labels against a model's classes."""

    # Label or group with no class in the model -> places that use it.
    missing: dict[str, list[str]] = field(default_factory=dict)
    # Group -> its members that the model lacks (the group still has other members).
    partial_groups: dict[str, list[str]] = field(default_factory=dict)


def check_labels(config: EngineConfig, model_labels: Iterable[str]) -> LabelReport:
    """Compare every label and group the cameras use with the model's classes."""
    classes = frozenset(model_labels)
    report = LabelReport()
    for name, places in _used_names(config).items():
        members = config.groups.get(name)
        if members is None:
            if name not in classes:
                report.missing[name] = places
            continue
        present = members & classes
        if not present:
            report.missing[name] = places
        elif members - present:
            report.partial_groups[name] = sorted(members - present)
    return report


def require_labels(config: EngineConfig, model_labels: Iterable[str], model_name: str = "the model") -> LabelReport:
    """Raise ConfigError naming each missing label; log groups the model covers only in part."""
    report = check_labels(config, model_labels)
    for group, absent in report.partial_groups.items():
        _LOGGER.info("Group %r: %s has no class for %s", group, model_name, ", ".join(absent))
    if report.missing:
        details = "; ".join(f"{name!r} (used by {', '.join(places)})" for name, places in report.missing.items())
        raise ConfigError(
            f"{model_name} has no class for {details}. "
            "Fix the names in the config, add a labels file for a custom model, or use a model that detects them"
        )
    return report


def _used_names(config: EngineConfig) -> Mapping[str, list[str]]:
    """Return each label or group name the cameras use, with where it is used."""
    used: dict[str, list[str]] = {}

    def add(names: Iterable[str], place: str) -> None:
        for name in names:
            used.setdefault(name, []).append(place)

    for camera in config.cameras:
        add(camera.objects, f"camera {camera.id!r} objects")
        add(camera.filters, f"camera {camera.id!r} filters")
        for zone in camera.zones:
            add(zone.objects, f"zone {zone.id!r} of camera {camera.id!r}")
    return used
