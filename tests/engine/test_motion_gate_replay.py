"""Motion gate on a real clip: how much detector work it saves, and that it loses no event.

Runs the replay pipeline on car-detection.mp4 (a still camera over a parking lot) twice,
with the gate on and off, and prints the frame counts.
"""

from dataclasses import replace
from pathlib import Path

import pytest

from argus_engine.commands.replay import replay, replay_camera
from argus_engine.config import EngineConfig, ObjectFilter
from tests.helpers.media import shared_media
from tests.helpers.models import real_model

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_gate_saves_detections_keeps_events(tmp_path: Path) -> None:
    model = real_model("yolo26n-640.onnx")
    video = shared_media("car-detection.mp4")
    config = EngineConfig()
    # Seen from above, cars score 0.3-0.75 with YOLO26n, so the vehicle filter is tuned as a user would.
    camera = replace(
        replay_camera(config, video, None),
        objects=("vehicle",),
        filters={"vehicle": ObjectFilter(min_score=0.3, threshold=0.4)},
    )
    gated_camera = camera
    ungated_camera = replace(camera, motion=replace(camera.motion, enabled=False))

    gated = replay(gated_camera, config, tmp_path / "gated", model=str(model))
    ungated = replay(ungated_camera, config, tmp_path / "ungated", model=str(model))

    for name, result in (("gated", gated), ("ungated", ungated)):
        counters = result.counters
        print(
            f"{name}: frames decoded {result.frames_decoded}, sampled {counters.frames_sampled}, "
            f"with motion {counters.frames_with_motion}, detected {counters.frames_detected}, "
            f"events {_starts(result.events)}, CPU {result.cpu_seconds:.1f} s"
        )
    saved = 1 - gated.counters.frames_detected / ungated.counters.frames_detected
    cpu_saved = 1 - gated.cpu_seconds / ungated.cpu_seconds
    print(f"detector runs saved by the gate: {saved:.0%}; process CPU saved: {cpu_saved:.0%}")

    assert gated.frames_decoded >= gated.counters.frames_sampled > 0
    assert gated.counters.frames_sampled == ungated.counters.frames_sampled
    assert ungated.counters.frames_detected == ungated.counters.frames_sampled
    assert gated.counters.frames_detected < ungated.counters.frames_detected
    assert _starts(ungated.events) >= 1
    assert abs(_starts(gated.events) - _starts(ungated.events)) <= 1


def _starts(events: list[dict]) -> int:
    return sum(1 for event in events if event["type"] == "start")
