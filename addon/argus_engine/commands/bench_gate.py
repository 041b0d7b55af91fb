"""Motion-gated pipeline benchmark, run by `bench --gate` beside the detector modes.

Both modes decode every frame of the same clip and convert it as the camera source does
(grey motion copy and letterboxed RGB by PyAV's scaler), then run the motion detector and
the scene. `gated` runs the detector only when the motion gate calls for it; `ungated`
runs it on every frame. The ratio of their frames per CPU-second is the saving the gate
buys on that clip; a handheld or busy scene saves little, a still camera a lot.
"""

import time
from dataclasses import dataclass
from pathlib import Path

from ..config import FULL_FRAME, CameraConfig, MotionConfig, ZoneConfig
from ..detector.service import Detector
from ..labels import DEFAULT_GROUPS
from ..motion import MotionDetector, MotionGate
from ..scene import CameraScene
from ..source.sampling import convert
from .bench import ModeResult, _frames



@dataclass(slots=True)
class GateResult:
    """One gate mode's timing with its frame counts."""

    result: ModeResult
    frames_with_motion: int
    frames_detected: int


def bench_gate(detector: Detector, path: Path, frames: int, *, gated: bool) -> GateResult:
    """Time decode + convert + motion + (gated) detect + scene over `frames` frames of the clip."""
    motion_config = MotionConfig(enabled=gated)
    camera = CameraConfig(id="bench", name="Bench", url=str(path), motion=motion_config,
                          zones=(ZoneConfig(id="all", name="All", points=FULL_FRAME),))
    scene = CameraScene(camera, DEFAULT_GROUPS)
    motion = MotionDetector(motion_config)
    gate = MotionGate(motion_config)
    fps = 25.0
    with_motion = detected = 0

    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for index, frame in enumerate(_frames(path, frames)):
        now = index / fps
        sampled = convert(
            frame,
            camera_id="bench",
            index=index,
            time_seconds=now,
            input_size=detector.model.input_size,
            motion_height=motion_config.frame_height,
        )
        result = motion.update(sampled.gray, now)
        with_motion += result.motion
        size = (sampled.width, sampled.height)
        if gate.decide(result, now, moving_tracks=scene.moving_tracks()):
            detected += 1
            detections = detector.detect(sampled.rgb, sampled.letterbox, size, timeout=60)
            scene.update(detections, now, size)
        else:
            scene.advance(now)
    mode = "pipeline motion-gated" if gated else "pipeline ungated"
    timing = ModeResult(mode, index + 1, time.perf_counter() - wall_start, time.process_time() - cpu_start)
    return GateResult(timing, with_motion, detected)


def format_gate(gated: GateResult, ungated: GateResult) -> str:
    """Format the two gate modes and their ratio."""
    lines = [f"{'gate mode':<32}{'frames':>7}{'motion':>8}{'detected':>10}{'frames/CPU-s':>14}"]
    for item in (ungated, gated):
        result = item.result
        lines.append(
            f"{result.mode:<32}{result.frames:>7}{item.frames_with_motion:>8}{item.frames_detected:>10}"
            f"{result.frames_per_cpu_second:>14.1f}"
        )
    base = ungated.result.frames_per_cpu_second
    ratio = gated.result.frames_per_cpu_second / base if base else 0.0
    lines.append(f"motion-gated / ungated: {ratio:.2f}x frames per CPU-second")
    return "\n".join(lines)



