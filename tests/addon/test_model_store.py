"""Model lookup order, the manifest, and the check of config labels against model classes."""

import hashlib
import json
from pathlib import Path

import pytest

from argus_engine.config import parse_engine
from argus_engine.errors import ConfigError, ModelNotFoundError
from argus_engine.model_check import check_labels, require_labels
from argus_engine.model_store import MANIFEST_PATH, find_model, known_models

REPO = Path(__file__).resolve().parents[2]
COCO_SUBSET = ["person", "bicycle", "car", "motorcycle", "bus", "truck", "bird", "cat", "dog"]


@pytest.fixture
def folders(tmp_path, monkeypatch):
    monkeypatch.delenv("ARGUS_MODEL_DIR", raising=False)
    config_dir, cache_dir = tmp_path / "config", tmp_path / "cache"
    config_dir.mkdir()
    cache_dir.mkdir()
    return config_dir, cache_dir


def test_config_dir_wins(folders):
    config_dir, cache_dir = folders
    (config_dir / "custom.onnx").write_bytes(b"user")
    (cache_dir / "custom.onnx").write_bytes(b"cache")

    assert find_model(name="custom", config_dir=config_dir, cache_dir=cache_dir) == config_dir / "custom.onnx"


def test_config_models_subfolder(folders):
    config_dir, cache_dir = folders
    (config_dir / "models").mkdir()
    (config_dir / "models" / "custom.onnx").write_bytes(b"user")
    (cache_dir / "custom.onnx").write_bytes(b"cache")

    assert find_model(name="custom", config_dir=config_dir, cache_dir=cache_dir) == config_dir / "models" / "custom.onnx"


def test_cache_before_env_dir(folders, tmp_path, monkeypatch):
    config_dir, cache_dir = folders
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    (env_dir / "custom.onnx").write_bytes(b"env")
    monkeypatch.setenv("ARGUS_MODEL_DIR", str(env_dir))

    assert find_model(name="custom", config_dir=config_dir, cache_dir=cache_dir) == env_dir / "custom.onnx"
    (cache_dir / "custom.onnx").write_bytes(b"cache")
    assert find_model(name="custom", config_dir=config_dir, cache_dir=cache_dir) == cache_dir / "custom.onnx"


def test_known_name_uses_manifest_file(folders):
    config_dir, cache_dir = folders
    (config_dir / "yolo26n-640-int8-qdq.onnx").write_bytes(b"model")

    found = find_model(explicit="yolo26n-640-int8-qdq", config_dir=config_dir, cache_dir=cache_dir)

    assert found == config_dir / "yolo26n-640-int8-qdq.onnx"


def test_explicit_relative_path_in_config_dir(folders, monkeypatch, tmp_path):
    config_dir, _ = folders
    (config_dir / "mine.onnx").write_bytes(b"model")
    monkeypatch.chdir(tmp_path)

    assert find_model(explicit="mine.onnx", config_dir=config_dir) == config_dir / "mine.onnx"


def test_missing_explicit_path_never_falls_back(folders):
    config_dir, cache_dir = folders
    (cache_dir / "yolo26n-640.onnx").write_bytes(b"default")

    with pytest.raises(ModelNotFoundError, match="model file not found") as caught:
        find_model(explicit="/nowhere/mine.onnx", config_dir=config_dir, cache_dir=cache_dir)

    assert "/nowhere/mine.onnx" in str(caught.value)


def test_not_found_lists_places(folders):
    config_dir, cache_dir = folders

    with pytest.raises(ModelNotFoundError) as caught:
        find_model(name="absent-model", config_dir=config_dir, cache_dir=cache_dir)

    message = str(caught.value)
    assert str(config_dir / "absent-model.onnx") in message
    assert str(config_dir / "models" / "absent-model.onnx") in message
    assert str(cache_dir / "absent-model.onnx") in message
    assert "model fetch absent-model --url URL --sha256 HEX" in message
    assert "models/README.md" in message
    assert isinstance(caught.value, FileNotFoundError)


def test_no_fetch_without_permission(folders):
    config_dir, cache_dir = folders

    with pytest.raises(ModelNotFoundError):
        find_model(name="absent-model", cache_dir=cache_dir, url="http://127.0.0.1:9/m.onnx", sha256="a" * 64)

    assert list(cache_dir.iterdir()) == []


def test_manifest_matches_published_checksums():
    models = known_models()
    data = json.loads((REPO / "models" / "manifest.json").read_text(encoding="utf-8"))

    assert (REPO / "models" / "manifest.json").resolve() == MANIFEST_PATH.resolve()
    assert data["default"] in models
    for info in models.values():
        assert info.licence == "AGPL-3.0"
        assert info.output_kind in ("end2end", "classic")
        assert len(info.sha256) == 64
        assert info.weights_url.startswith("https://github.com/ultralytics/")
        assert info.url is None, "the project hosts no weights; a URL here would be a promise"


@pytest.mark.parametrize("name", ["yolo26n-640", "yolo26n-320", "yolo26n-640-classic"])
def test_manifest_checksum_of_real_copy(name):
    info = known_models()[name]
    path = REPO / "models" / info.file
    if not path.is_file():
        pytest.skip(f"{info.file} not in {path.parent}; run scripts/dev setup")

    assert hashlib.sha256(path.read_bytes()).hexdigest() == info.sha256


def _config(cameras):
    return parse_engine({"cameras": cameras, "groups": {"pets": ["cat", "dog", "hamster"]}})


def test_labels_all_present():
    config = _config([{"id": "yard", "name": "Yard", "url": "rtsp://127.0.0.1/a", "objects": ["person", "vehicle", "pets"]}])

    report = check_labels(config, COCO_SUBSET)

    assert report.missing == {}
    assert report.partial_groups["pets"] == ["hamster"]
    assert "vehicle" not in report.partial_groups
    assert "animal" not in report.partial_groups, "a group no camera uses is not checked"


def test_labels_missing_named_with_places():
    config = _config([
        {
            "id": "yard",
            "name": "Yard",
            "url": "rtsp://127.0.0.1/a",
            "objects": ["person", "forklift"],
            "filters": {"forklift": {"min_score": 0.6}},
            "zones": [{"id": "dock", "name": "Dock", "points": [[0, 0], [1, 0], [1, 1]], "objects": ["pallet"]}],
        }
    ])

    report = check_labels(config, COCO_SUBSET)

    assert report.missing["forklift"] == ["camera 'yard' objects", "camera 'yard' filters"]
    assert report.missing["pallet"] == ["zone 'dock' of camera 'yard'"]
    assert "person" not in report.missing


def test_group_without_members_missing():
    config = _config([{"id": "yard", "name": "Yard", "url": "rtsp://127.0.0.1/a", "objects": ["animal"]}])

    report = check_labels(config, ["person", "car"])

    assert report.missing == {"animal": ["camera 'yard' objects"]}


def test_require_labels_message():
    config = _config([{"id": "yard", "name": "Yard", "url": "rtsp://127.0.0.1/a", "objects": ["forklift"]}])

    with pytest.raises(ConfigError) as caught:
        require_labels(config, COCO_SUBSET, model_name="model custom")

    assert "model custom has no class for 'forklift' (used by camera 'yard' objects)" in str(caught.value)
