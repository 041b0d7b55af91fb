"""addon/DOCS.md stays true to the code: its examples parse and its tables cover every option."""

import re
from pathlib import Path

import yaml

from argus_engine.config import parse_engine

ADDON = Path(__file__).resolve().parents[2] / "addon"


def _docs() -> str:
    return (ADDON / "DOCS.md").read_text(encoding="utf-8")


def _yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)


def test_config_example_parses():
    examples = [yaml.safe_load(block) for block in _yaml_blocks(_docs())]
    engine_examples = [example for example in examples if "cameras" in example]

    assert len(engine_examples) == 1
    config = parse_engine(engine_examples[0])
    camera = config.cameras[0]
    assert camera.id == "front"
    assert [zone.id for zone in camera.zones] == ["door"]
    assert "delivery" in config.groups


def test_automation_example_parses():
    examples = [yaml.safe_load(block) for block in _yaml_blocks(_docs())]
    automations = [example for example in examples if "triggers" in example]

    assert len(automations) == 1
    trigger = automations[0]["triggers"][0]
    assert trigger["event_type"] == "argus_event"
    assert trigger["event_data"] == {"camera": "front", "label": "person"}


def test_automation_condition_matches_zone_entry():
    """The example fires for a person who starts in `door` or walks in, not for other changes."""
    import jinja2

    examples = [yaml.safe_load(block) for block in _yaml_blocks(_docs())]
    (automation,) = [example for example in examples if "triggers" in example]
    template = jinja2.Environment().from_string(automation["conditions"][0]["value_template"])

    def fires(zone_changes: list[dict]) -> bool:
        event = {"event": {"data": {"zone_changes": zone_changes}}}
        return template.render(trigger=event).strip() == "True"

    assert fires([{"zone": "door", "change": "entered"}])
    assert fires([{"zone": "drive", "change": "left"}, {"zone": "door", "change": "entered"}])
    assert not fires([{"zone": "door", "change": "left"}])
    assert not fires([{"zone": "drive", "change": "entered"}])
    assert not fires([])


def test_every_option_documented():
    config = yaml.safe_load((ADDON / "config.yaml").read_text(encoding="utf-8"))
    docs = _docs()

    for option in config["schema"]:
        assert f"| `{option}` |" in docs, f"option {option} missing from the options table"


def test_config_reference_covers_schema():
    from argus_engine.config import CAMERA_SCHEMA, FILTER_SCHEMA, MOTION_SCHEMA, RECORD_SCHEMA, ZONE_SCHEMA

    docs = _docs()
    for schema in (CAMERA_SCHEMA, FILTER_SCHEMA, MOTION_SCHEMA, RECORD_SCHEMA, ZONE_SCHEMA):
        for key in schema.schema:
            assert f"`{key}`" in docs, f"config key {key} missing from the config reference"
