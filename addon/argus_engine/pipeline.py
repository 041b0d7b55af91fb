"""Per-camera pipeline: source → motion gate → detector → scene → event recorder.

A `CameraWorker` owns one camera. Its source thread decodes the stream and hands sampled
frames to a mailbox, and the worker thread takes them one at a time and runs the steps.
For a live stream the mailbox keeps only the newest frame, so a slow detector drops
frames instead of building latency. For a recorded file (replay) nothing is dropped.
"""

import io
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import av
from PIL import Image, ImageDraw

from .config import CameraConfig
from .detection import Detection
from .detector.service import Detector
from .events.recorder import EventRecorder
from .events.store import EventStore
from .filters import ObjectFilters
from .frames import SampledFrame
from .labels import expand
from .motion import MotionDetector, MotionGate
from .objects import TrackedObject
from .scene import CameraScene
from .source.camera import CameraSource
from .source.status import CameraStatus

_LOGGER = logging.getLogger(__name__)

Publish = Callable[[dict[str, Any]], None]
DetectionsCallback = Callable[[SampledFrame, list[Detection]], None]

# Stream fields whose change needs the stream reopened; anything else applies live.
_STREAM_FIELDS = ("url", "host", "port", "path", "username", "password", "scheme", "transport", "detect_fps", "timeout")

# Seconds the worker waits for a frame before checking whether it should stop.
_MAILBOX_POLL = 0.5


@dataclass(slots=True)
class WorkerCounters:
    """Frame counts since the worker started, for stats and the motion-gate benchmark."""

    frames_sampled: int = 0
    frames_dropped: int = 0
    frames_with_motion: int = 0
    frames_detected: int = 0


class CameraWorker:
    """Run one camera from stream to events, in its own threads."""

    def __init__(
        self,
        camera: CameraConfig,
        *,
        detector: Detector,
        store: EventStore,
        media_dir: Path,
        groups: Mapping[str, frozenset[str]],
        publish: Publish,
        on_detections: DetectionsCallback | None = None,
        replay: bool = False,
        realtime: bool = False,
        loop: bool = False,
    ) -> None:
        self._camera = camera
        self._detector = detector
        self._groups = groups
        self._publish = publish
        self._on_detections = on_detections
        self._replay = replay
        self._realtime = realtime
        self._loop = loop
        self._logger = _LOGGER.getChild(camera.id)

        self._scene = CameraScene(camera, groups)
        # Worked out once per config, not per frame.
        self._labels, self._min_score = detector_query(camera, groups)
        self._motion = MotionDetector(camera.motion)
        self._gate = MotionGate(camera.motion)
        self._recorder = EventRecorder(
            camera.id,
            store=store,
            media_dir=media_dir,
            record=camera.record,
            groups=groups,
            publish=publish,
        )
        # Packets arrive on the source thread and changes on the worker thread; the
        # recorder's ring buffer and event state are guarded by this lock.
        self._recorder_lock = threading.Lock()

        self._mailbox: queue.Queue[SampledFrame] = queue.Queue(maxsize=1 if not replay else 4)
        self._stop = threading.Event()
        # Frames handed to the mailbox and frames fully processed: `wait` compares them to
        # tell when a replayed file is done. `_source_finished` is set when a file source ends.
        self._frames_in = 0
        self._frames_done = 0
        self._source_finished = threading.Event()
        self._thread: threading.Thread | None = None
        self._source: CameraSource | None = None
        self._detect_enabled = camera.enabled
        self._status = CameraStatus(state="connecting", reason=None, last_frame_time=None, fps=0.0)
        self._motion_now = False
        self._last_state: dict[str, Any] | None = None
        self._latest: tuple[SampledFrame, list[TrackedObject]] | None = None
        self._detect_ms: list[float] = []
        self.counters = WorkerCounters()

    # --- lifecycle ------------------------------------------------------------------

    @property
    def camera(self) -> CameraConfig:
        """Return the configuration the worker runs with."""
        return self._camera

    def start(self) -> None:
        """Open the stream and start processing frames."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"argus-worker-{self._camera.id}", daemon=True)
        self._thread.start()
        self._start_source()
        self._logger.info("Camera %s started (%s)", self._camera.id, self._camera.safe_url)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the stream and the worker; blocks up to about `timeout` seconds."""
        self._stop.set()
        if self._source is not None:
            self._source.stop(timeout)
            self._source = None
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        with self._recorder_lock:
            changes = self._scene.finish(self._last_frame_time())
            frame = self._latest[0] if self._latest else None
            if changes and frame is not None:
                self._recorder.handle(changes, [], frame)
        self._recorder.close()
        self._logger.info("Camera %s stopped", self._camera.id)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until a non-looping file source has been fully processed; True when done."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stop.is_set():
            if self._source_finished.is_set() and self._frames_done == self._frames_in:
                return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def update(self, camera: CameraConfig) -> None:
        """Apply a changed configuration; the stream is reopened only when its fields changed."""
        old = self._camera
        self._camera = camera
        self._labels, self._min_score = detector_query(camera, self._groups)
        with self._recorder_lock:
            self._scene.update_config(camera)
        if old.motion != camera.motion:
            self._motion = MotionDetector(camera.motion)
            self._gate = MotionGate(camera.motion)
        if any(getattr(old, name) != getattr(camera, name) for name in _STREAM_FIELDS):
            self._logger.info("Camera %s stream settings changed, reopening", camera.id)
            if self._source is not None:
                self._source.stop()
            self._start_source()
        self._publish_state(force=True)

    def set_detection(self, enabled: bool) -> None:
        """Turn detection on or off; the stream and live view keep running."""
        self._detect_enabled = enabled
        self._camera = replace(self._camera, enabled=enabled)
        if not enabled:
            # Without detections no track is ever missed, so end the live events now.
            with self._recorder_lock:
                changes = self._scene.finish(None)
                if changes and self._latest is not None:
                    self._recorder.handle(changes, [], self._latest[0])
        self._logger.info("Detection %s for camera %s", "enabled" if enabled else "disabled", self._camera.id)
        self._publish_state(force=True)

    # --- what the API reads ---------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Return the camera's live state in the API's snapshot shape."""
        scene_state = self._scene.state()
        return {
            "status": self._status.state,
            "motion": self._motion_now,
            "detect_enabled": self._detect_enabled,
            "counts": scene_state["counts"],
            "zones": scene_state["zones"],
        }

    def status(self) -> dict[str, Any]:
        """Return the stream status (connecting, online, offline with reason) and the frame size once known."""
        status = self._status.to_json()
        latest = self._latest
        # Zones given in pixels are converted with this size when they carry none of their own.
        status["frame_size"] = [latest[0].width, latest[0].height] if latest else None
        return status

    def stats(self) -> dict[str, Any]:
        """Return frame counts and rates for `/api/stats`."""
        counters = self.counters
        sampled = max(counters.frames_sampled, 1)
        recent = self._detect_ms[-50:]
        source_stats = self._source.stats() if self._source is not None else {}
        return {
            # The source measures fps continuously; the status kept here is only refreshed on changes.
            "fps": round(self._source.status.fps if self._source is not None else 0.0, 2),
            "detect_fps": self._camera.detect_fps,
            "frames_sampled": counters.frames_sampled,
            "frames_dropped": counters.frames_dropped,
            "frames_with_motion": counters.frames_with_motion,
            "frames_detected": counters.frames_detected,
            "motion_percent": round(100.0 * counters.frames_with_motion / sampled, 1),
            "detector_ms": round(sum(recent) / len(recent), 2) if recent else None,
            "source": source_stats,
        }

    def latest_jpeg(self, *, annotate: bool = False, height: int | None = None) -> bytes | None:
        """Return the newest frame as JPEG, optionally with boxes drawn and scaled to `height`."""
        latest = self._latest
        if latest is None:
            return None
        frame, objects = latest
        image = Image.fromarray(frame.full_rgb())
        if annotate:
            _draw_objects(image, objects)
        if height and height < image.height:
            width = max(1, round(image.width * height / image.height))
            image = image.resize((width, height), Image.Resampling.BILINEAR)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=80)
        return buffer.getvalue()

    # --- the frame loop -------------------------------------------------------------

    def _start_source(self) -> None:
        # A file configured as a live camera (not a replay) plays like one: paced in real
        # time and looped, so it does not end before anyone has looked at it.
        live_file = not self._replay and _is_file(self._camera.stream_url)
        self._source = CameraSource(
            self._camera,
            input_size=self._detector.model.input_size,
            motion_height=self._camera.motion.frame_height,
            on_frame=self._on_frame,
            on_status=self._on_status,
            on_packet=self._on_packet,
            on_stream=self._on_stream,
            realtime=self._realtime or live_file,
            loop=self._loop or live_file,
        )
        self._source.start()

    def _on_frame(self, frame: SampledFrame) -> None:
        self._frames_in += 1
        if self._replay:
            while not self._stop.is_set():
                try:
                    self._mailbox.put(frame, timeout=_MAILBOX_POLL)
                    return
                except queue.Full:
                    continue
            return
        try:
            self._mailbox.put_nowait(frame)
        except queue.Full:
            # Keep the newest frame: a live view and events want now, not a backlog.
            try:
                self._mailbox.get_nowait()
                self.counters.frames_dropped += 1
                self._frames_done += 1
            except queue.Empty:
                pass
            self._mailbox.put_nowait(frame)

    def _on_packet(self, packet: av.Packet) -> None:
        with self._recorder_lock:
            self._recorder.on_packet(packet)

    def _on_stream(self, stream: av.video.stream.VideoStream) -> None:
        with self._recorder_lock:
            self._recorder.on_stream(stream)

    def _on_status(self, status: CameraStatus) -> None:
        changed = status.state != self._status.state
        self._status = status
        source = self._source
        if status.state == "offline" and source is not None and source.is_file and self._replay:
            # A file source does not retry: offline means it has read its last frame.
            self._source_finished.set()
        if changed:
            self._publish({"type": "camera_status", "camera": self._camera.id, "data": status.to_json()})
            self._publish_state(force=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame = self._mailbox.get(timeout=_MAILBOX_POLL)
            except queue.Empty:
                continue
            try:
                self._process(frame)
            except Exception:
                # One bad frame must not take the camera down; the traceback is for a bug report.
                self._logger.exception("Processing a frame of camera %s failed", self._camera.id)
            finally:
                self._frames_done += 1

    def _process(self, frame: SampledFrame) -> None:
        self.counters.frames_sampled += 1
        motion = self._motion.update(frame.gray, frame.time)
        self._motion_now = motion.motion
        if motion.motion:
            self.counters.frames_with_motion += 1

        detect = self._detect_enabled and self._gate.decide(
            motion, frame.time, moving_tracks=self._scene.moving_tracks()
        )
        if detect:
            detections = self._detect(frame)
            changes = self._scene.update(detections, frame.time, (frame.width, frame.height))
        else:
            detections = []
            changes = self._scene.advance(frame.time)

        objects = self._scene.objects()
        with self._recorder_lock:
            self._recorder.handle(changes, objects, frame)
        self._latest = (frame, objects)
        if detect and self._on_detections is not None:
            self._on_detections(frame, detections)
        self._publish_state()

    def _detect(self, frame: SampledFrame) -> list[Detection]:
        self.counters.frames_detected += 1
        started = time.perf_counter()
        detections = self._detector.detect(
            frame.rgb,
            frame.letterbox,
            (frame.width, frame.height),
            labels=self._labels,
            min_score=self._min_score,
        )
        self._detect_ms.append((time.perf_counter() - started) * 1000)
        del self._detect_ms[:-200]
        return detections

    def _publish_state(self, *, force: bool = False) -> None:
        state = self.state()
        if not force and state == self._last_state:
            return
        self._last_state = state
        self._publish({"type": "state", "camera": self._camera.id, "data": state})

    def _last_frame_time(self) -> float:
        return self._latest[0].time if self._latest else 0.0


def detector_query(camera: CameraConfig, groups: Mapping[str, frozenset[str]]) -> tuple[frozenset[str], float]:
    """Return the labels to ask the detector for and the lowest min_score among them."""
    names: set[str] = set(camera.objects)
    for zone in camera.zones:
        names.update(zone.objects)
    labels = expand(names, groups)

    # The scene applies each label's own min_score; the detector only needs the lowest.
    filters = ObjectFilters(camera, groups)
    min_score = min((filters.rules_for(label).min_score for label in labels), default=0.5)
    return labels, min_score


def _is_file(url: str) -> bool:
    return "://" not in url or url.startswith("file:")


def _draw_objects(image: Image.Image, objects: list[TrackedObject]) -> None:
    draw = ImageDraw.Draw(image)
    width = max(2, image.width // 400)
    for item in objects:
        draw.rectangle(item.box, outline=(255, 64, 64), width=width)
        draw.text((item.box[0] + 3, item.box[1] + 2), f"{item.label} {item.score:.2f}", fill=(255, 255, 0))

