"""The dashboard example in addon/DOCS.md names only entities the demo set-up creates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from homeassistant.core import HomeAssistant

from tests.integration.demo_setup import demo_engine, demo_entry  # noqa: F401

DOCS = Path(__file__).resolve().parents[2] / "addon" / "DOCS.md"

# Cards that ship with Home Assistant and that the example may use.
CORE_CARDS = {"picture-entity", "tile", "grid", "logbook", "vertical-stack", "horizontal-stack", "entities", "glance"}


def dashboard_example() -> dict[str, Any]:
    """Return the YAML block of the Dashboard section of DOCS.md, parsed."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("### Dashboard", 1)[1]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    assert blocks, "the Dashboard section of addon/DOCS.md has no ```yaml block"
    return yaml.safe_load(blocks[0])


def cards_of(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every card of a dashboard, nested cards included."""
    if isinstance(node, dict):
        if "type" in node:
            yield node
        for value in node.values():
            yield from cards_of(value)
    elif isinstance(node, list):
        for item in node:
            yield from cards_of(item)


def entity_ids_of(card: dict[str, Any]) -> list[str]:
    """Return the entity ids one card names in `entity`, `entities` or `target`."""
    names: list[Any] = [card.get("entity"), card.get("camera_image")]
    for item in card.get("entities") or ():
        names.append(item.get("entity") if isinstance(item, dict) else item)
    targets = (card.get("target") or {}).get("entity_id") or []
    names += targets if isinstance(targets, list) else [targets]
    return [name for name in names if name]


def test_example_uses_core_cards() -> None:
    dashboard = dashboard_example()
    types = {card["type"] for card in cards_of(dashboard["views"])}
    assert types <= CORE_CARDS, f"cards outside Home Assistant's core set: {sorted(types - CORE_CARDS)}"
    assert {"picture-entity", "tile", "logbook"} <= types


async def test_example_entities_exist(hass: HomeAssistant, demo_entry) -> None:
    await hass.async_block_till_done()
    entity_ids = [entity_id for card in cards_of(dashboard_example()["views"]) for entity_id in entity_ids_of(card)]

    assert "camera.demo" in entity_ids
    assert "image.demo_last_event" in entity_ids
    missing = [entity_id for entity_id in entity_ids if hass.states.get(entity_id) is None]
    assert missing == [], f"entities named in the dashboard example but not created: {missing}"
