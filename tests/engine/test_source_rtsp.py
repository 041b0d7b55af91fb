"""Camera source against a real GStreamer RTSP server and a hung TCP listener.

These run in real time on a shared machine, so every wait is generous. The faults
checked here (a hung camera, a crashing server) show up as delays of 10 s or more.
"""

import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from argus_engine.config import CameraConfig
from argus_engine.detector.model import load_model
from argus_engine.detector.service import Detector
from argus_engine.frames import SampledFrame
from argus_engine.source import CameraSource, CameraStatus
from tests.helpers.models import real_model
from tests.helpers.rtsp import allow_local_sockets, free_port

pytestmark = [pytest.mark.rtsp, pytest.mark.slow]

EXPECTED_LABELS = {"person", "bicycle", "motorcycle"}
MIN_SCORE = 0.5


class Watcher:
    """Collects a source's frames and statuses from its thread, and waits on them."""

    def __init__(self) -> None:
        self.frames: queue.Queue[SampledFrame] = queue.Queue()
        self.frame_times: list[float] = []
        self.statuses: list[tuple[float, CameraStatus]] = []
        self.changed = threading.Condition()

    def on_frame(self, frame: SampledFrame) -> None:
        self.frames.put(frame)
        with self.changed:
            self.frame_times.append(time.monotonic())
            self.changed.notify_all()

    def on_status(self, status: CameraStatus) -> None:
        with self.changed:
            self.statuses.append((time.monotonic(), status))
            self.changed.notify_all()

    def wait_for_state(self, state: str, timeout: float, *, after: float = 0.0) -> float | None:
        """Return the monotonic time the source entered `state` after `after`, or None on timeout."""

        def entered() -> float | None:
            return next((at for at, status in self.statuses if status.state == state and at >= after), None)

        with self.changed:
            self.changed.wait_for(lambda: entered() is not None, timeout)
            return entered()

    def wait_for_frame(self, timeout: float, *, after: float) -> float | None:
        """Return the monotonic time of the first frame after `after`, or None on timeout."""

        def first() -> float | None:
            return next((at for at in self.frame_times if at > after), None)

        with self.changed:
            self.changed.wait_for(lambda: first() is not None, timeout)
            return first()

    def first_offline_reason(self) -> str | None:
        return next((status.reason for _, status in self.statuses if status.state == "offline"), None)

    def drain(self) -> list[SampledFrame]:
        frames = []
        while not self.frames.empty():
            frames.append(self.frames.get_nowait())
        return frames


def make_source(url: str, watcher: Watcher, **options) -> CameraSource:
    camera_options = {key: options.pop(key) for key in ("timeout", "transport", "detect_fps") if key in options}
    camera = CameraConfig(id=options.pop("camera_id", "rtsp_cam"), name="RTSP", url=url, **camera_options)
    return CameraSource(
        camera,
        input_size=(640, 640),
        motion_height=120,
        on_frame=watcher.on_frame,
        on_status=watcher.on_status,
        **options,
    )


@pytest.fixture(scope="module")
def detector() -> Iterator[Detector]:
    model = load_model(real_model("yolo26n-640.onnx"))
    yield Detector(model)


def labels_in(detector: Detector, frames: list[SampledFrame]) -> set[str]:
    labels: set[str] = set()
    for frame in frames:
        detections = detector.detect(frame.rgb, frame.letterbox, (frame.width, frame.height), min_score=MIN_SCORE)
        labels.update(detection.label for detection in detections)
    return labels


def detect_until(detector: Detector, watcher: Watcher, expected: set[str], timeout: float) -> set[str]:
    """Run the detector on arriving frames until every expected label was seen or time runs out."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while not expected <= seen and time.monotonic() < deadline:
        try:
            frame = watcher.frames.get(timeout=1.0)
        except queue.Empty:
            continue
        seen |= labels_in(detector, [frame])
    return seen


def test_rtsp_online_with_detections(rtsp_server, detector: Detector) -> None:
    watcher = Watcher()
    source = make_source(rtsp_server.url("bikes"), watcher)
    started = time.monotonic()
    source.start()
    try:
        online = watcher.wait_for_state("online", timeout=10.0)
        assert online is not None, f"not online within 10 s; status {source.status}"
        assert watcher.wait_for_frame(10.0, after=started) is not None
        seen = detect_until(detector, watcher, EXPECTED_LABELS, timeout=30.0)
    finally:
        assert source.stop(timeout=15.0)

    assert "person" in seen
    assert "bicycle" in seen
    assert "motorcycle" in seen
    assert [status.state for _, status in watcher.statuses][:2] == ["connecting", "online"]
    assert source.stats()["packets"] > 0


def test_rtsp_udp_transport(rtsp_server) -> None:
    watcher = Watcher()
    source = make_source(rtsp_server.url("bikes"), watcher, transport="udp")
    started = time.monotonic()
    source.start()
    try:
        assert watcher.wait_for_frame(20.0, after=started) is not None, f"no frame over UDP; status {source.status}"
    finally:
        assert source.stop(timeout=15.0)


def test_rtsp_unknown_path_offline(rtsp_server) -> None:
    watcher = Watcher()
    source = make_source(rtsp_server.url("no_such_mount"), watcher)
    source.start()
    try:
        assert watcher.wait_for_state("offline", timeout=20.0) is not None
    finally:
        assert source.stop(timeout=15.0)

    assert "404" in watcher.first_offline_reason()


def test_black_hole_offline_within_timeout(black_hole) -> None:
    threads_before = threading.active_count()
    watcher = Watcher()
    source = make_source(black_hole.url(), watcher)
    assert source.camera.timeout == 10.0
    started = time.monotonic()
    source.start()
    try:
        offline = watcher.wait_for_state("offline", timeout=30.0)
    finally:
        stopped = source.stop(timeout=15.0)

    assert offline is not None, f"still {source.status.state} after 30 s"
    # The configured 10 s plus slack for a loaded machine.
    assert offline - started < 20.0
    assert "timed out after 10 s" in watcher.first_offline_reason()
    assert stopped
    assert threading.active_count() == threads_before


def test_stop_while_blocked_in_open(black_hole) -> None:
    threads_before = threading.active_count()
    watcher = Watcher()
    source = make_source(black_hole.url(), watcher, timeout=4.0)
    source.start()
    time.sleep(1.0)
    assert source.status.state == "connecting"

    # The open is bounded by the camera timeout, so the thread exits within it.
    assert source.stop(timeout=15.0)
    assert threading.active_count() == threads_before


def test_stalled_stream_reconnects(rtsp_server) -> None:
    watcher = Watcher()
    source = make_source(rtsp_server.url("bikes"), watcher, timeout=3.0)
    source.start()
    try:
        assert watcher.wait_for_state("online", timeout=15.0) is not None
        # A frozen server keeps its TCP connection open but sends nothing, like a hung camera.
        os.kill(rtsp_server.process.pid, signal.SIGSTOP)
        frozen = time.monotonic()
        offline = watcher.wait_for_state("offline", timeout=20.0, after=frozen)
        os.kill(rtsp_server.process.pid, signal.SIGCONT)
        resumed = time.monotonic()
        assert offline is not None, f"stall not noticed; status {source.status}"
        assert offline - frozen < 13.0
        assert watcher.wait_for_frame(30.0, after=resumed) is not None, f"no frames after the stall; status {source.status}"
    finally:
        os.kill(rtsp_server.process.pid, signal.SIGCONT)
        assert source.stop(timeout=15.0)

    assert source.stats()["reconnects"] >= 1
    assert "timed out after 3 s" in watcher.first_offline_reason()


def test_unreachable_camera_no_delay(rtsp_server, black_hole) -> None:
    healthy_watcher, hung_watcher = Watcher(), Watcher()
    healthy = make_source(rtsp_server.url("bikes"), healthy_watcher, camera_id="healthy")
    hung = make_source(black_hole.url(), hung_watcher, camera_id="hung", timeout=5.0)
    healthy.start()
    try:
        assert healthy_watcher.wait_for_state("online", timeout=15.0) is not None
        hung.start()
        measuring_from = time.monotonic()
        # Long enough for the hung camera's first timeout and two retries.
        time.sleep(15.0)
    finally:
        assert hung.stop(timeout=15.0)
        assert healthy.stop(timeout=15.0)

    assert hung_watcher.wait_for_state("offline", timeout=0.0) is not None
    times = [at for at in healthy_watcher.frame_times if at >= measuring_from]
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    print(f"healthy camera: {len(times)} frames, max gap {max(gaps):.2f} s while the other camera hung")
    # Sampled at 5 fps the gap is 0.2 s; a camera blocked by the other would show 5 s.
    assert len(times) >= 40
    assert max(gaps) < 2.5


def test_credentials_never_shown(request, caplog) -> None:
    allow_local_sockets(request)
    closed_port = free_port()
    password = "S3cr3t@pass"
    camera = CameraConfig(
        id="secret_cam", name="Secret", host="127.0.0.1", port=closed_port, path="/stream",
        username="admin", password=password, timeout=3.0,
    )
    watcher = Watcher()
    caplog.set_level(logging.DEBUG, logger="argus_engine")
    source = CameraSource(camera, input_size=(640, 640), motion_height=120, on_frame=watcher.on_frame, on_status=watcher.on_status)
    source.start()
    try:
        assert watcher.wait_for_state("offline", timeout=20.0) is not None
    finally:
        assert source.stop(timeout=15.0)

    reason = watcher.first_offline_reason()
    encoded = "S3cr3t%40pass"
    assert "admin:***@127.0.0.1" in reason
    assert password not in reason
    assert encoded not in reason
    assert "admin:***@127.0.0.1" in caplog.text
    assert password not in caplog.text
    assert encoded not in caplog.text


@pytest.mark.timeout(900)
def test_rtsp_server_restarts_five_times(rtsp_server, detector: Detector) -> None:
    cap = 8.0
    threads_before = threading.active_count()
    watcher = Watcher()
    source = make_source(rtsp_server.url("bikes"), watcher, backoff_cap=cap)
    source.start()
    try:
        assert watcher.wait_for_state("online", timeout=15.0) is not None
        threads_running = threading.active_count()
        resume_seconds = []
        for cycle in range(5):
            time.sleep(10.0)
            history_before = len(source.backoff.history)
            rtsp_server.kill()
            killed = time.monotonic()
            assert watcher.wait_for_state("offline", timeout=15.0, after=killed) is not None, f"cycle {cycle}: not offline"
            time.sleep(max(0.0, 20.0 - (time.monotonic() - killed)))

            watcher.drain()
            rtsp_server.restart()
            restarted = time.monotonic()
            resumed = watcher.wait_for_frame(30.0, after=restarted)
            assert resumed is not None, f"cycle {cycle}: no frames within 30 s of the restart; status {source.status}"
            resume_seconds.append(round(resumed - restarted, 1))
            seen = detect_until(detector, watcher, {"person"}, timeout=30.0 - (time.monotonic() - restarted))
            assert "person" in seen, f"cycle {cycle}: no person detected within 30 s of the restart"

            delays = list(source.backoff.history)[history_before:]
            assert delays, f"cycle {cycle}: no retry recorded"
            # The stream was healthy before the kill, so the backoff starts again from 1 s.
            assert delays[0] <= 1.0
            assert max(delays) <= cap
            assert threading.active_count() == threads_running
    finally:
        assert source.stop(timeout=15.0)

    print(f"resume after restart (s): {resume_seconds}; backoff delays: {[round(d, 1) for d in source.backoff.history]}")
    # The 20 s outages are long enough for the backoff to reach its cap.
    assert max(source.backoff.history) > cap * 0.75
    assert max(source.backoff.history) <= cap
    assert threading.active_count() == threads_before
