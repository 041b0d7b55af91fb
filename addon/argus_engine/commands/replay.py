"""`replay`: run the whole pipeline on a recorded clip and print its events.

Users try a zone set-up on a recording before going live. Without `--config` the replay
watches person, vehicle and animal in one full-frame zone named `all`.
"""

import argparse
import json
import logging
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..config import FULL_FRAME, CameraConfig, EngineConfig, ZoneConfig, load_file
from ..errors import ConfigError, InputError
from ..startup import open_detector
from ..events.store import EventStore
from ..pipeline import CameraWorker, WorkerCounters
from ..source.session import END_OF_STREAM

_LOGGER = logging.getLogger(__name__)



def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `replay` command."""
    parser = subparsers.add_parser("replay", help="run the pipeline on a recorded clip and print events as JSON lines")
    parser.add_argument("video", help="video file to replay")
    parser.add_argument("--config", help="engine config file (YAML/JSON); its first camera's rules are used")
    parser.add_argument("--camera", help="id of the camera in --config whose rules to use")
    parser.add_argument("--model", help="ONNX model file (default: the standard model lookup)")
    parser.add_argument(
        "--data",
        help="folder for the event log, snapshots and clips (default: a new temporary folder, kept so the printed paths stay valid)",
    )
    parser.add_argument("--realtime", action="store_true", help="pace the clip in real time instead of as fast as possible")
    parser.add_argument("--no-gate", action="store_true", help="run the detector on every sampled frame (motion gate off)")
    return parser


def run(args: argparse.Namespace) -> int:
    """Replay the clip and print one JSON line per event message."""
    video = Path(args.video)
    if not video.is_file():
        raise InputError(f"video file not found: {video}")

    config = load_file(args.config) if args.config else EngineConfig()
    camera = replay_camera(config, video, args.camera)
    if args.no_gate:
        camera = replace(camera, motion=replace(camera.motion, enabled=False))

    data_dir = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="argus-replay-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    _LOGGER.info("Replaying %s; events, snapshots and clips go to %s", video, data_dir)
    result = replay(camera, config, data_dir, model=args.model or config.detector.model, realtime=args.realtime)
    for line in result.events:
        print(json.dumps(line), flush=True)
    if result.failure:
        raise InputError(f"cannot replay {video}: {result.failure}")
    return 0


def replay(
    camera: CameraConfig,
    config: EngineConfig,
    data_dir: Path,
    *,
    model: str | None = None,
    realtime: bool = False,
    threads: int = 0,
) -> "ReplayResult":
    """Run one camera's pipeline over its file to the end; return the event lines and frame counts."""
    store = EventStore(data_dir / "events.db")
    lines: list[dict[str, Any]] = []
    media_dir = data_dir / "media"

    def on_message(message: dict[str, Any]) -> None:
        if message.get("type") == "event":
            lines.append(event_line(message, store, media_dir))

    detector = open_detector(model, labels=config.detector.labels, threads=threads or config.detector.threads)
    try:
        worker = CameraWorker(
            camera,
            detector=detector,
            store=store,
            media_dir=media_dir,
            groups=config.groups,
            publish=on_message,
            replay=True,
            realtime=realtime,
        )
        cpu_start = time.process_time()
        worker.start()
        worker.wait()
        cpu_seconds = time.process_time() - cpu_start
        status = worker.status()
        frames_decoded = int(worker.stats()["source"].get("frames_decoded", 0))
        worker.stop()
    finally:
        detector.stop()
        store.close()
    # A file that could not be opened, or broke off mid-way, ends with a reason other than
    # the end of the stream. That is an error for the caller, not an empty replay.
    reason = status.get("reason")
    failure = reason if status.get("state") == "offline" and reason != END_OF_STREAM else None
    return ReplayResult(lines, worker.counters, failure, frames_decoded, cpu_seconds)


@dataclass(slots=True)
class ReplayResult:
    """Replay output: one line per event message, the frame counts and the CPU time used."""

    events: list[dict[str, Any]]
    counters: WorkerCounters
    # Why the source stopped early (unreadable or broken file), or None when it was read to the end.
    failure: str | None = None
    frames_decoded: int = 0
    # CPU time of the whole process (every thread) while the clip was processed.
    cpu_seconds: float = 0.0


def replay_camera(config: EngineConfig, video: Path, camera_id: str | None) -> CameraConfig:
    """Return the camera whose rules the replay uses, reading from the video file."""
    if camera_id is not None:
        camera = config.camera(camera_id)
        if camera is None:
            raise ConfigError(f"camera {camera_id!r} not found in the config")
    elif config.cameras:
        camera = config.cameras[0]
    else:
        camera = CameraConfig(
            id="replay",
            name=video.stem,
            zones=(ZoneConfig(id="all", name="All", points=FULL_FRAME),),
        )
    return replace(camera, url=str(video), host=None, enabled=True)


def event_line(message: dict[str, Any], store: EventStore, media_dir: Path) -> dict[str, Any]:
    """Return the replay's JSON line for one event message."""
    data = message["data"]
    event = data["event"]
    row = store.get_event(event["id"]) or {}
    snapshot = row.get("snapshot_path")
    return {
        "id": event["id"],
        "type": data["type"],
        "label": event["label"],
        "zones": event["zones"],
        "start": _rounded(event.get("stream_start")),
        "end": _rounded(event.get("stream_end")),
        "score": event["top_score"],
        "snapshot": str(media_dir / snapshot) if snapshot else None,
        "reasons": data.get("reasons", []),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)

