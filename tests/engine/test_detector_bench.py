"""`bench` runs every mode on a real clip and prints one table."""

import re

from argus_engine.__main__ import main
from argus_engine.commands.bench import ModeResult
from tests.helpers.models import build_constant_model, end2end_output


def test_bench_prints_every_mode(tmp_path, capsys):
    model = build_constant_model(tmp_path / "fake.onnx", end2end_output([[10, 10, 50, 50, 0.9, 0]]))

    exit_code = main(["--log-level", "warning", "bench", "--model", str(model), "--frames", "6"])

    table = capsys.readouterr().out
    assert exit_code == 0
    assert "clip bikes.mp4 640x272" in table
    for mode in ("raw session.run", "engine detect, direct", "engine detect, queued", "pipeline decode+resize+detect"):
        assert re.search(rf"^{re.escape(mode)}\s+6\s", table, re.MULTILINE), table
    assert re.search(r"^engine detect, direct / raw throughput: \d+\.\d\dx", table, re.MULTILINE)
    assert re.search(r"^engine detect, queued / raw throughput: \d+\.\d\dx", table, re.MULTILINE)
    assert re.search(r"^peak RSS: \d+ MiB", table, re.MULTILINE)


def test_mode_result_figures():
    result = ModeResult("raw session.run", 4, wall_seconds=2.0, cpu_seconds=1.0, latencies_ms=[400, 500, 600, 500])

    assert result.mean_ms == 500
    assert result.p50_ms == 500
    assert result.fps == 2.0
    assert result.frames_per_cpu_second == 4.0


def test_bench_rejects_missing_video(tmp_path, capsys):
    exit_code = main(["bench", "--video", str(tmp_path / "absent.mp4")])

    assert exit_code == 2
    assert "video file not found" in capsys.readouterr().err


def test_bench_gate_prints_both_modes(tmp_path, capsys):
    model = build_constant_model(tmp_path / "fake.onnx", end2end_output([[10, 10, 50, 50, 0.9, 0]]))

    exit_code = main(["--log-level", "warning", "bench", "--model", str(model), "--frames", "12", "--gate"])

    table = capsys.readouterr().out
    assert exit_code == 0
    ungated = re.search(r"^pipeline ungated\s+12\s+(\d+)\s+(\d+)\s+\d+\.\d", table, re.MULTILINE)
    gated = re.search(r"^pipeline motion-gated\s+12\s+(\d+)\s+(\d+)\s+\d+\.\d", table, re.MULTILINE)
    assert ungated, table
    assert gated, table
    assert int(ungated.group(2)) == 12
    assert int(gated.group(2)) <= 12
    assert re.search(r"^motion-gated / ungated: \d+\.\d\dx frames per CPU-second", table, re.MULTILINE)
