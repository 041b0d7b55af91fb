"""The add-on manifest, its translations, repository.yaml and hacs.json follow their readers' rules."""

import copy
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.helpers.addon_manifest import addon_config_problems, hacs_problems, translation_problems

REPO = Path(__file__).resolve().parents[2]
ADDON = REPO / "addon"


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((ADDON / "config.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def hacs() -> dict:
    return json.loads((REPO / "hacs.json").read_text(encoding="utf-8"))


def test_addon_config_valid(config):
    assert addon_config_problems(config) == []


def test_addon_config_values(config):
    assert config["slug"] == "argus"
    assert sorted(config["arch"]) == ["aarch64", "amd64"]
    assert config["discovery"] == ["argus"]
    assert config["init"] is False
    # Not published on the host unless the user sets a port; Home Assistant uses the internal network.
    assert config["ports"] == {"8765/tcp": None}
    assert config["watchdog"] == "tcp://[HOST]:[PORT:8765]"
    assert {"type": "addon_config", "read_only": False} in config["map"]
    assert "image" not in config or "{arch}" in config["image"]


def test_addon_version_matches_package(config):
    package = (ADDON / "argus_engine" / "__init__.py").read_text(encoding="utf-8")

    assert f'__version__ = "{config["version"]}"' in package
    assert f"## {config['version']}" in (ADDON / "CHANGELOG.md").read_text(encoding="utf-8")


def test_options_map_to_supervisor(config):
    from argus_engine.supervisor import AddonOptions

    options = AddonOptions.from_dict(config["options"])

    assert options.model == config["options"]["model"]
    assert options.retention_days == config["options"]["retention_days"]


BROKEN = [
    ("missing slug", lambda c: c.pop("slug"), "slug"),
    ("unknown arch", lambda c: c["arch"].append("x86_64"), "arch"),
    ("bad startup", lambda c: c.update(startup="later"), "startup"),
    ("init as string", lambda c: c.update(init="false"), "init"),
    ("port without protocol key", lambda c: c.update(ports={"tcp": 8765}), "port key"),
    ("port out of range", lambda c: c.update(ports={"8765/tcp": 70000}), "port"),
    ("watchdog without host", lambda c: c.update(watchdog="tcp://localhost:8765"), "watchdog"),
    ("watchdog on unmapped port", lambda c: c.update(watchdog="tcp://[HOST]:[PORT:9000]"), "watchdog"),
    ("discovery as string", lambda c: c.update(discovery="argus"), "discovery"),
    ("old map syntax", lambda c: c.update(map=["media:rw"]), "map entry"),
    ("unknown map type", lambda c: c.update(map=[{"type": "videos"}]), "map entry"),
    ("unknown schema type", lambda c: c["schema"].update(log_level="choice(debug|info)"), "schema"),
    ("option without schema", lambda c: c["options"].update(fps=5), "no schema"),
    ("default outside list", lambda c: c["options"].update(log_level="verbose"), "log_level"),
    ("default below minimum", lambda c: c["options"].update(retention_days=0), "retention_days"),
    ("required without default", lambda c: c["options"].pop("model"), "model"),
    ("typo key", lambda c: c.update(wathdog="tcp://[HOST]:[PORT:8765]"), "unknown key"),
    ("timeout too long", lambda c: c.update(timeout=600), "timeout"),
]


@pytest.mark.parametrize(("case", "breaks", "expected"), BROKEN, ids=[case for case, _, _ in BROKEN])
def test_broken_addon_config_fails(config, case, breaks, expected):
    broken = copy.deepcopy(config)
    breaks(broken)

    problems = addon_config_problems(broken)

    assert problems, f"{case}: no problem reported"
    assert any(expected in problem for problem in problems), problems


def test_translations_cover_options(config):
    translations = yaml.safe_load((ADDON / "translations" / "en.yaml").read_text(encoding="utf-8"))

    assert translation_problems(config, translations) == []


def test_translation_gap_fails(config):
    translations = yaml.safe_load((ADDON / "translations" / "en.yaml").read_text(encoding="utf-8"))
    del translations["configuration"]["model"]

    assert translation_problems(config, translations) == ["option 'model' has no translation"]


def test_repository_yaml_valid():
    repository = yaml.safe_load((REPO / "repository.yaml").read_text(encoding="utf-8"))

    assert isinstance(repository.get("name"), str)
    assert re.match(r"^https://", repository.get("url", ""))


def test_icons_are_real_pngs():
    from PIL import Image

    with Image.open(ADDON / "icon.png") as icon:
        assert icon.format == "PNG"
        assert icon.size == (128, 128)
    with Image.open(ADDON / "logo.png") as logo:
        assert logo.format == "PNG"
        assert 200 <= logo.size[0] <= 300
        assert 80 <= logo.size[1] <= 120


def test_hacs_json_valid(hacs):
    assert hacs_problems(hacs) == []


def test_hacs_version_matches_tested(hacs):
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    pins = dict(pin.split("==") for pin in pyproject["project"]["optional-dependencies"]["test"])

    assert hacs["homeassistant"] == pins["homeassistant"]


@pytest.mark.parametrize(
    ("breaks", "expected"),
    [
        (lambda h: h.pop("name"), "name"),
        (lambda h: h.update(domains=["argus"]), "not allowed"),
        (lambda h: h.update(render_readme="yes"), "wrong type"),
        (lambda h: h.update(homeassistant=2025.4), "wrong type"),
    ],
    ids=["no name", "removed key", "string bool", "number version"],
)
def test_broken_hacs_json_fails(hacs, breaks, expected):
    broken = copy.deepcopy(hacs)
    breaks(broken)

    problems = hacs_problems(broken)

    assert any(expected in problem for problem in problems), problems


def test_integration_manifest_has_hacs_keys():
    manifest = json.loads((REPO / "custom_components" / "argus" / "manifest.json").read_text(encoding="utf-8"))

    for key in ("domain", "name", "codeowners", "documentation", "issue_tracker", "version"):
        assert manifest.get(key), f"manifest.json lacks {key}"
