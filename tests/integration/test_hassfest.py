"""Checks in the spirit of HA's hassfest and HACS validation that can run here.

hassfest itself lives in HA's source tree (script/hassfest) and is not part of the
homeassistant package, so these tests check the same rules on this integration. They
cover manifest and hacs.json keys, and strings for every flow step, error, abort
reason, entity translation key, exception and repair issue. They also resolve
`[%key:...]` references, compare services with services.yaml and icons with strings,
and check that translations/en.json equals strings.json.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from awesomeversion import AwesomeVersion

import homeassistant
from custom_components.argus import binary_sensor, camera, event, image, sensor, switch
from custom_components.argus.camera_flow import camera_schema
from custom_components.argus.config_flow import USER_SCHEMA
from custom_components.argus.const import DEFAULT_GROUPS, DOMAIN
from custom_components.argus.zone_flow import zone_schema
from homeassistant.core import HomeAssistant

REPO = Path(__file__).resolve().parents[2]
INTEGRATION = REPO / "custom_components" / "argus"
STRINGS = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
HA_STRINGS = json.loads((Path(homeassistant.__file__).parent / "strings.json").read_text(encoding="utf-8"))

IOT_CLASSES = {"assumed_state", "cloud_polling", "cloud_push", "local_polling", "local_push", "calculated"}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system", "virtual"}
# Keys HACS accepts in hacs.json (https://hacs.xyz/docs/publish/start#hacsjson).
HACS_KEYS = {"name", "content_in_root", "zip_release", "filename", "hide_default_branch", "country",
             "homeassistant", "render_readme", "hacs", "persistent_directory"}

# Abort reasons and errors that HA's helpers produce without a literal in our source.
IMPLICIT_ABORTS = {"already_configured", "reauth_successful", "reconfigure_successful"}
ENGINE_ERRORS = {"engine_rejected", "cannot_connect"}


def source(name: str) -> ast.Module:
    return ast.parse((INTEGRATION / name).read_text(encoding="utf-8"))


def keyword_literals(tree: ast.Module, keyword: str) -> set[str]:
    """Return every string literal passed as `keyword=` anywhere in the module."""
    return {
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.keyword) and node.arg == keyword and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def error_literals(tree: ast.Module, fields: set[str]) -> set[str]:
    """Return the values of dict literals that map a form field or `base` to an error key."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and node.keys and all(
            isinstance(key, ast.Constant) and key.value in fields | {"base"} for key in node.keys
        ):
            found |= {value.value for value in node.values if isinstance(value, ast.Constant) and isinstance(value.value, str)}
    return found


def step_names(tree: ast.Module) -> set[str]:
    return {node.name.removeprefix("async_step_") for node in ast.walk(tree)
            if isinstance(node, ast.AsyncFunctionDef) and node.name.startswith("async_step_")}


def schema_keys(schema: Any) -> set[str]:
    return {str(key) for key in schema.schema}


def test_manifest_keys() -> None:
    manifest = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["domain"] == DOMAIN == INTEGRATION.name
    for key in ("name", "codeowners", "documentation", "issue_tracker", "requirements", "version", "dependencies"):
        assert key in manifest, f"manifest.json lacks {key}"
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest["integration_type"] in INTEGRATION_TYPES
    assert AwesomeVersion(manifest["version"]).valid
    assert "http" in manifest["dependencies"]
    # hassfest wants domain and name first, then the other keys sorted.
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_hacs_json() -> None:
    hacs = json.loads((REPO / "hacs.json").read_text(encoding="utf-8"))
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"]
    pinned = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]["test"]
    assert f"homeassistant=={hacs['homeassistant']}" in pinned


def test_translations_match_strings() -> None:
    english = json.loads((INTEGRATION / "translations" / "en.json").read_text(encoding="utf-8"))
    assert english == STRINGS


def test_config_flow_strings() -> None:
    tree = source("config_flow.py")
    config = STRINGS["config"]
    shown = keyword_literals(tree, "step_id") - {"init"}
    assert shown <= set(config["step"]), shown - set(config["step"])
    errors = error_literals(tree, {"base"})
    assert errors <= set(config["error"])
    # Discovery aborts with the same keys the form shows as errors.
    aborts = keyword_literals(tree, "reason") | IMPLICIT_ABORTS | errors
    assert aborts <= set(config["abort"]), aborts - set(config["abort"])
    assert schema_keys(USER_SCHEMA) <= set(config["step"]["user"]["data"])
    assert {"token"} <= set(config["step"]["reauth_confirm"]["data"])
    assert {"host", "port"} <= set(config["step"]["reconfigure"]["data"])
    assert set(STRINGS["options"]["step"]) == {"init", "cloud", "cloud_cameras"}


@pytest.mark.parametrize("kind", ["camera", "zone"])
def test_subentry_flow_strings(kind: str) -> None:
    tree = source(f"{kind}_flow.py")
    strings = STRINGS["config_subentries"][kind]
    # The zone flow's menu step passes its step_id like a form does.
    form_steps = keyword_literals(tree, "step_id")
    assert form_steps <= set(strings["step"]), form_steps - set(strings["step"])
    assert set(strings["initiate_flow"]) == {"user", "reconfigure"} & step_names(tree) | {"user"}
    fields = {"url", "name", "points", "camera_id"}
    assert error_literals(tree, fields) | ENGINE_ERRORS <= set(strings["error"])
    assert keyword_literals(tree, "reason") | {"reconfigure_successful"} <= set(strings["abort"])

    coordinator = SimpleNamespace(cameras={}, info=SimpleNamespace(groups={}))
    schema = camera_schema(objects=list(DEFAULT_GROUPS)) if kind == "camera" else zone_schema(coordinator, with_camera=True)
    assert schema_keys(schema) <= set(strings["step"]["user"]["data"])
    assert schema_keys(schema) <= set(strings["step"]["user"]["data_description"])
    assert schema_keys(schema) - {"camera_id"} <= set(strings["step"]["reconfigure"]["data"])


def test_zone_menu_strings() -> None:
    tree = source("zone_flow.py")
    menus = [node for node in ast.walk(tree) if isinstance(node, ast.keyword) and node.arg == "menu_options"]
    options = {element.value for menu in menus for element in menu.value.elts}
    assert options == set(STRINGS["config_subentries"]["zone"]["step"]["confirm"]["menu_options"])
    assert options <= step_names(tree)


def entity_descriptions() -> dict[str, tuple]:
    groups = (*DEFAULT_GROUPS, "bird_feeder")
    return {
        "binary_sensor": binary_sensor.CAMERA_BINARY_SENSORS + binary_sensor.occupancy_descriptions(groups),
        "sensor": sensor.DIAGNOSTIC_SENSORS + sensor.count_descriptions(groups),
        "switch": switch.SWITCHES,
        "event": event.EVENTS,
        "image": image.IMAGES,
        "camera": camera.CAMERAS,
    }


def test_entity_translation_keys() -> None:
    for platform, descriptions in entity_descriptions().items():
        for description in descriptions:
            if description.translation_key is None:
                continue
            entry = STRINGS["entity"][platform].get(description.translation_key)
            assert entry is not None, f"{platform}.{description.translation_key} has no strings"
            given = set(description.translation_placeholders or {}) | ({"zone"} if description.scope == "zone" else set())
            assert set(re.findall(r"{(\w+)}", entry["name"])) == given, f"placeholders of {description.translation_key}"


def test_event_types_have_strings() -> None:
    states = STRINGS["entity"]["event"]["zone_event"]["state_attributes"]["event_type"]["state"]
    assert set(event.EVENT_TYPES) == set(states)


def test_icons_match_strings() -> None:
    icons = json.loads((INTEGRATION / "icons.json").read_text(encoding="utf-8"))
    for platform, keys in icons["entity"].items():
        assert set(keys) <= set(STRINGS["entity"][platform]), f"icons for unknown {platform} keys"
    assert set(icons["services"]) == set(STRINGS["services"])


def translated_calls(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Return the translation keys of raised exceptions and of created repair issues."""
    exceptions: set[str] = set()
    issues: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        key = keywords.get("translation_key")
        if not isinstance(key, ast.Constant):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name == "async_create_issue":
            issues.add(key.value)
        elif "translation_domain" in keywords:
            exceptions.add(key.value)
    return exceptions, issues


def test_exception_and_issue_keys() -> None:
    exceptions: set[str] = set()
    issues: set[str] = set()
    for path in INTEGRATION.rglob("*.py"):
        found = translated_calls(ast.parse(path.read_text(encoding="utf-8")))
        exceptions |= found[0]
        issues |= found[1]
    assert exceptions <= set(STRINGS["exceptions"]), exceptions - set(STRINGS["exceptions"])
    assert issues <= set(STRINGS["issues"]), issues - set(STRINGS["issues"])
    assert {"engine_unreachable", "model_missing"} <= issues


def test_key_references_resolve() -> None:
    text = json.dumps(STRINGS)
    for reference in re.findall(r"\[%key:([^%]+)%\]", text):
        node: Any = {"common": HA_STRINGS["common"], "component": {DOMAIN: STRINGS}}
        for part in reference.split("::"):
            assert isinstance(node, dict) and part in node, f"[%key:{reference}%] does not resolve"
            node = node[part]
        assert isinstance(node, str)


async def test_services_match_yaml(hass: HomeAssistant, loaded_entry) -> None:
    described = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    registered = set(hass.services.async_services_for_domain(DOMAIN))
    assert set(described) == registered
    assert set(STRINGS["services"]) == registered
    for service, spec in described.items():
        fields = STRINGS["services"][service]["fields"]
        assert set(spec["fields"]) == set(fields)
        for field in fields.values():
            assert field["name"]
            assert field["description"]
