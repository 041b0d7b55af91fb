"""Model loading: input size, output kind, class names, errors and the CPU thread count."""

import json
import logging

import numpy as np
import pytest

from argus_engine.detector.cpu import available_cpus, cgroup_cpu_quota
from argus_engine.detector.model import load_model
from argus_engine.errors import ModelError, ModelNotFoundError
from tests.helpers.models import build_constant_model, classic_output, end2end_output

ONE_ROW = end2end_output([[10, 10, 50, 50, 0.9, 0]])
SYMBOLIC_INPUT = ["batch", 3, "height", "width"]


def test_fixed_input_size(tmp_path):
    path = build_constant_model(tmp_path / "m.onnx", ONE_ROW, input_shape=[1, 3, 384, 512])

    model = load_model(path, threads=1)

    assert model.input_size == (512, 384)
    assert model.name == "m"
    assert model.path == path


def test_symbolic_input_uses_imgsz(tmp_path):
    path = build_constant_model(
        tmp_path / "m.onnx",
        ONE_ROW,
        input_shape=SYMBOLIC_INPUT,
        output_shape=["batch", "rows", 6],
        metadata={"imgsz": "[320, 480]"},
    )

    model = load_model(path, threads=1)

    # Ultralytics writes imgsz as [height, width].
    assert model.input_size == (480, 320)
    assert model.output_kind == "end2end"
    assert model.output_shape == (1, 300, 6)


def test_symbolic_input_without_imgsz(tmp_path):
    output = classic_output([(30, 30, 10, 10, 0, 0.9)], classes=3)
    path = build_constant_model(tmp_path / "m.onnx", output, input_shape=SYMBOLIC_INPUT, output_shape=["batch", "rows", "anchors"])

    model = load_model(path, threads=1)

    assert model.input_size == (640, 640)
    assert model.output_kind == "classic"


def test_output_kind_ignores_metadata(tmp_path):
    classic = build_constant_model(
        tmp_path / "classic.onnx", classic_output([], classes=80, count=8400), metadata={"end2end": "True"}
    )
    end2end = build_constant_model(tmp_path / "end2end.onnx", ONE_ROW, metadata={"end2end": "False"})

    assert load_model(classic, threads=1).output_kind == "classic"
    assert load_model(end2end, threads=1).output_kind == "end2end"


@pytest.mark.parametrize("shape", [(1, 300, 5), (1, 300, 7), (1, 10), (2, 300, 6), (1, 4, 8400), (1, 84, 3)])
def test_unexpected_output_shape(tmp_path, shape):
    path = build_constant_model(tmp_path / "m.onnx", np.zeros(shape, dtype=np.float32))

    with pytest.raises(ModelError) as caught:
        load_model(path, threads=1)

    assert "unexpected output shape" in str(caught.value)
    assert str(list(shape)) in str(caught.value)


def test_not_onnx_file(tmp_path):
    path = tmp_path / "notes.onnx"
    path.write_text("this is not a model\n")

    with pytest.raises(ModelError) as caught:
        load_model(path)

    assert not isinstance(caught.value, ModelNotFoundError)
    assert str(path) in str(caught.value)


def test_wrong_input_shape(tmp_path):
    path = build_constant_model(tmp_path / "m.onnx", ONE_ROW, input_shape=[1, 1, 640, 640])

    with pytest.raises(ModelError, match=r"not \[batch, 3, height, width\]"):
        load_model(path, threads=1)


def test_missing_model_says_where(tmp_path):
    with pytest.raises(ModelNotFoundError) as caught:
        load_model(tmp_path / "absent.onnx")

    message = str(caught.value)
    assert "absent.onnx" in message
    assert "models/" in message
    assert "--model" in message
    assert "python -m argus_engine model fetch" in message
    assert isinstance(caught.value, FileNotFoundError)


def test_names_from_metadata(tmp_path):
    path = build_constant_model(tmp_path / "m.onnx", ONE_ROW, metadata={"names": "{0: 'person', 5: 'bus', 7: 'x'}"})

    assert load_model(path, threads=1).labels == {0: "person", 5: "bus", 7: "x"}


@pytest.mark.parametrize("names", ["__import__('os').system('false')", "{0: 'person'", "['a', 3]", "42"])
def test_bad_metadata_names_ignored(tmp_path, caplog, names):
    path = build_constant_model(tmp_path / "m.onnx", ONE_ROW, metadata={"names": names})

    with caplog.at_level(logging.WARNING):
        model = load_model(path, threads=1)

    assert model.labels == {}
    assert "names" in caplog.text


def test_labels_file_wins(tmp_path):
    path = build_constant_model(tmp_path / "m.onnx", ONE_ROW, metadata={"names": "{0: 'person'}"})
    labels = tmp_path / "labels.txt"
    labels.write_text("intruder\ncat\n\ndog\n")

    model = load_model(path, labels_path=labels, threads=1)

    # The blank line keeps id 2 unnamed instead of shifting "dog" to 2.
    assert model.labels == {0: "intruder", 1: "cat", 3: "dog"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (["person", "car"], {0: "person", 1: "car"}),
        ({"0": "person", "7": "truck"}, {0: "person", 7: "truck"}),
    ],
)
def test_labels_file_json(tmp_path, content, expected):
    path = build_constant_model(tmp_path / "m.onnx", ONE_ROW)
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps(content))

    assert load_model(path, labels_path=labels, threads=1).labels == expected


@pytest.mark.parametrize("content", ['{"0": "person",', '{"person": "x"}', '[1, 2]'])
def test_labels_file_invalid_json(tmp_path, content):
    path = build_constant_model(tmp_path / "m.onnx", ONE_ROW)
    labels = tmp_path / "labels.json"
    labels.write_text(content)

    with pytest.raises(ModelError, match="labels file"):
        load_model(path, labels_path=labels, threads=1)


def test_labels_file_missing(tmp_path):
    path = build_constant_model(tmp_path / "m.onnx", ONE_ROW)

    with pytest.raises(ModelError, match="labels file not found"):
        load_model(path, labels_path=tmp_path / "absent.txt", threads=1)


def test_thread_count_set_explicitly(tmp_path):
    path = build_constant_model(tmp_path / "m.onnx", ONE_ROW)

    one = load_model(path, threads=1)
    default = load_model(path)

    assert one.threads == 1
    assert one.session.get_session_options().intra_op_num_threads == 1
    assert default.threads == available_cpus()
    assert default.session.get_session_options().intra_op_num_threads == available_cpus()
    assert default.session.get_session_options().inter_op_num_threads == 1


def test_load_logs_once(tmp_path, caplog):
    path = build_constant_model(tmp_path / "m.onnx", ONE_ROW, metadata={"names": "{0: 'person'}"})

    with caplog.at_level(logging.INFO, logger="argus_engine.detector.model"):
        load_model(path, threads=1)

    records = [record.getMessage() for record in caplog.records]
    assert len(records) == 1
    assert "m, input 640x640, output end2end [1, 300, 6], 1 classes, 1 threads" in records[0]


def _cgroup(tmp_path, proc_line: str, files: dict[str, str]):
    proc = tmp_path / "proc_cgroup"
    proc.write_text(proc_line)
    for relative, text in files.items():
        target = tmp_path / "cg" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return {"cgroup_root": tmp_path / "cg", "proc_cgroup": proc}


def test_cgroup_v2_quota(tmp_path):
    paths = _cgroup(tmp_path, "0::/docker/abc\n", {"docker/abc/cpu.max": "150000 100000\n"})

    assert cgroup_cpu_quota(**paths) == pytest.approx(1.5)
    assert available_cpus(**paths) == 1


def test_cgroup_v2_unlimited(tmp_path):
    paths = _cgroup(tmp_path, "0::/\n", {"cpu.max": "max 100000\n"})

    assert cgroup_cpu_quota(**paths) is None
    assert available_cpus(**paths) == len(__import__("os").sched_getaffinity(0))


def test_cgroup_v1_quota(tmp_path):
    paths = _cgroup(
        tmp_path,
        "12:cpu,cpuacct:/kubepods/pod1\n11:memory:/kubepods/pod1\n",
        {"cpu,cpuacct/kubepods/pod1/cpu.cfs_quota_us": "100000\n", "cpu,cpuacct/kubepods/pod1/cpu.cfs_period_us": "100000\n"},
    )

    assert cgroup_cpu_quota(**paths) == pytest.approx(1.0)
    assert available_cpus(**paths) == 1


def test_cgroup_v1_no_quota(tmp_path):
    paths = _cgroup(
        tmp_path, "4:cpu,cpuacct:/\n", {"cpu,cpuacct/cpu.cfs_quota_us": "-1\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"}
    )

    assert cgroup_cpu_quota(**paths) is None


def test_no_cgroup_files(tmp_path):
    paths = {"cgroup_root": tmp_path / "absent", "proc_cgroup": tmp_path / "absent_proc"}

    assert cgroup_cpu_quota(**paths) is None
    assert available_cpus(**paths) >= 1
