"""Config schema: what the config file, API commands and persisted state accept."""

import json
from pathlib import Path

import pytest

from argus_engine.config import engine_to_dict, load_file, parse_camera, parse_engine, parse_zone
from argus_engine.errors import ConfigError
from argus_engine.stream_url import build_url, redact, validate_url

SQUARE = [[0.4, 0.2], [0.6, 0.2], [0.6, 0.6], [0.4, 0.6]]


def test_build_url_encodes_credentials() -> None:
    url = build_url(host="127.0.0.1", port=8554, path="cam", username="ad min", password="S3cr3t@x:/%")

    assert url == "rtsp://ad%20min:S3cr3t%40x%3A%2F%25@127.0.0.1:8554/cam"


def test_redact_hides_password_everywhere() -> None:
    text = "failed to open rtsp://admin:S3cr3t%40x@10.0.0.2/cam and http://u:p@h/x"

    redacted = redact(text)

    assert "S3cr3t" not in redacted
    assert ":p@" not in redacted
    assert "rtsp://admin:***@10.0.0.2/cam" in redacted


def test_redact_raw_at_in_password() -> None:
    # FFmpeg splits user info at the last `@`, so the whole of "S3cr3t@x" is the password.
    assert redact("rtsp://admin:S3cr3t@x@127.0.0.1:1/cam") == "rtsp://admin:***@127.0.0.1:1/cam"


def test_bad_scheme_rejected_without_password() -> None:
    with pytest.raises(ConfigError) as caught:
        validate_url("ftp://user:hunter2@host/x")

    assert "ftp" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_camera_password_redacted_in_output() -> None:
    camera = parse_camera({"name": "Gate", "host": "127.0.0.1", "username": "admin", "password": "S3cr3t@x"})

    assert camera.stream_url == "rtsp://admin:S3cr3t%40x@127.0.0.1"
    assert camera.safe_url == "rtsp://admin:***@127.0.0.1"
    assert "S3cr3t" not in json.dumps(engine_to_dict(parse_engine({"cameras": [{"name": "Gate", "url": camera.stream_url}]}), redact_secrets=True))


def test_ids_from_similar_names_differ() -> None:
    config = parse_engine(
        {
            "cameras": [
                {"name": "Garage", "url": "rtsp://h/1"},
                {"name": "Garage+", "url": "rtsp://h/2"},
                {"name": "Yard", "url": "rtsp://h/3", "zones": [{"name": "Vår hage", "points": SQUARE}, {"name": "Var hage", "points": SQUARE}]},
            ]
        }
    )

    assert [camera.id for camera in config.cameras] == ["garage", "garage_2", "yard"]
    assert [zone.id for zone in config.cameras[2].zones] == ["var_hage", "var_hage_2"]


def test_round_trip_keeps_config() -> None:
    data = {
        "cameras": [
            {
                "name": "Front",
                "host": "127.0.0.1",
                "password": "x",
                "username": "u",
                "filters": {"person": {"min_score": 0.4}},
                "masks": [SQUARE],
                "zones": [{"name": "Door", "points": SQUARE, "objects": ["person"], "loitering_seconds": 30}],
            }
        ]
    }
    config = parse_engine(data)

    assert parse_engine(engine_to_dict(config)) == config


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([[0, 0], [1, 1], [1, 0], [0, 1]], "intersects itself"),
        ([[0, 0], [1.5, 0], [1, 1]], "outside the frame"),
        ([[0, 0], [1, 0]], "needs at least 3"),
        ([[0, 0], [0.5, 0.5], [1, 1]], "no area"),
    ],
)
def test_bad_zone_named_in_error(points: list, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_engine({"cameras": [{"name": "Front", "url": "rtsp://h/x", "zones": [{"name": "Porch", "points": points}]}]})

    assert "zone 'Porch'" in str(caught.value)
    assert "camera 'Front'" in str(caught.value)
    assert expected in str(caught.value)


def test_pixel_zone_stored_normalised() -> None:
    zone = parse_zone(
        {"name": "Door", "units": "pixels", "frame_size": [1920, 1080], "points": [[768, 216], [1152, 216], [1152, 648], [768, 648]]}
    )

    assert zone.points == ((0.4, 0.2), (0.6, 0.2), (0.6, 0.6), (0.4, 0.6))


def test_pixel_zone_needs_size() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_zone({"name": "Door", "units": "pixels", "points": [[10, 10], [20, 10], [20, 20]]})

    assert "frame_size" in str(caught.value)


def test_pixel_zone_uses_stream_size() -> None:
    zone = parse_zone({"name": "Door", "units": "pixels", "points": [[0, 0], [640, 0], [640, 360]]}, frame_size=(1280, 720))

    assert zone.points == ((0.0, 0.0), (0.5, 0.0), (0.5, 0.5))


@pytest.mark.parametrize(
    ("camera", "field"),
    [
        ({"name": "A"}, "needs either url or host"),
        ({"name": "A", "url": "rtsp://h/x", "host": "h"}, "either url or host"),
        ({"name": "A", "url": "rtsp://h/x", "detect_fps": "fast"}, "detect_fps"),
        ({"name": "", "url": "rtsp://h/x"}, "name"),
        ({"name": "A", "url": "rtsp://h/x", "id": "Bad Id"}, "id"),
    ],
)
def test_bad_camera_rejected(camera: dict, field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_camera(camera)

    assert field in str(caught.value)


def test_duplicate_camera_id_rejected() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_camera({"name": "A", "id": "front", "url": "rtsp://h/x"}, taken_ids={"front"})

    assert "used twice" in str(caught.value)


def test_load_file_reports_bad_yaml(tmp_path: Path) -> None:
    path = tmp_path / "cameras.yaml"
    path.write_text("cameras: [\n", encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_file(path)

    assert str(path) in str(caught.value)
    assert "not valid YAML" in str(caught.value)


def test_load_file_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_file(tmp_path / "missing.yaml")

    assert "cannot read config file" in str(caught.value)
