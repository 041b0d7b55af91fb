"""Camera source on real video files: sampling, conversions, packets, end of stream, looping."""

import shutil
import subprocess
import threading
import time

import numpy as np
import pytest
from PIL import Image

from argus_engine.config import CameraConfig, parse_camera
from argus_engine.errors import ConfigError
from argus_engine.frames import SampledFrame
from argus_engine.source import CameraSource, CameraStatus
from argus_engine.source.backoff import Backoff
from argus_engine.source.sampling import FrameSampler, gray_size
from tests.helpers.media import bikes_path, shared_media

# bikes.mp4: 10 s, 640×272, 25 fps, 250 frames.
BIKES_FRAMES = 250


class Recorder:
    """Collects what a source hands on, and can wait for it."""

    def __init__(self) -> None:
        self.frames: list[SampledFrame] = []
        self.statuses: list[CameraStatus] = []
        self.packets = 0
        self.streams = 0
        self.changed = threading.Condition()

    def on_frame(self, frame: SampledFrame) -> None:
        with self.changed:
            self.frames.append(frame)
            self.changed.notify_all()

    def on_status(self, status: CameraStatus) -> None:
        with self.changed:
            self.statuses.append(status)
            self.changed.notify_all()

    def on_packet(self, packet: object) -> None:
        self.packets += 1

    def on_stream(self, stream: object) -> None:
        self.streams += 1

    def wait_for(self, predicate, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, timeout)


def make_source(url: str, recorder: Recorder, *, detect_fps: float = 5.0, **options) -> CameraSource:
    camera = CameraConfig(id="test_cam", name="Test", url=url, detect_fps=detect_fps)
    return CameraSource(
        camera,
        input_size=(640, 640),
        motion_height=120,
        on_frame=recorder.on_frame,
        on_status=recorder.on_status,
        on_packet=recorder.on_packet,
        on_stream=recorder.on_stream,
        **options,
    )


def run_to_end(source: CameraSource, timeout: float = 60.0) -> None:
    source.start()
    assert source._thread is not None
    source._thread.join(timeout)
    assert not source._thread.is_alive(), "source thread did not exit at the end of the file"


def test_file_sampled_at_detect_fps() -> None:
    recorder = Recorder()
    source = make_source(str(bikes_path()), recorder, detect_fps=5.0)
    run_to_end(source)

    times = [frame.time for frame in recorder.frames]
    assert len(times) == 50
    assert times[0] == 0.0
    assert np.allclose(np.diff(times), 0.2, atol=0.005)
    assert [frame.index for frame in recorder.frames] == list(range(50))
    stats = source.stats()
    assert stats["frames_decoded"] == BIKES_FRAMES
    assert stats["frames_sampled"] == 50


def test_file_every_packet_handed_on() -> None:
    recorder = Recorder()
    source = make_source(str(bikes_path()), recorder)
    run_to_end(source)

    assert recorder.packets == BIKES_FRAMES
    assert source.stats()["packets"] == BIKES_FRAMES
    assert recorder.streams == 1


def test_file_end_of_stream_status() -> None:
    recorder = Recorder()
    source = make_source(str(bikes_path()), recorder)
    run_to_end(source)

    states = [status.state for status in recorder.statuses]
    assert states == ["connecting", "online", "offline"]
    assert recorder.statuses[-1].reason == "end of stream"
    assert source.status.state == "offline"
    assert source.status.last_frame_time is not None
    assert source.stop() is True


def test_sampled_frame_conversions() -> None:
    recorder = Recorder()
    source = make_source(str(bikes_path()), recorder)
    run_to_end(source)
    frame = recorder.frames[10]

    assert (frame.width, frame.height) == (640, 272)
    assert frame.gray.dtype == np.uint8
    assert frame.gray.shape == (120, 282)
    assert frame.rgb.dtype == np.uint8
    assert frame.rgb.shape == (272, 640, 3)
    assert frame.letterbox.pad_top == 184
    assert frame.letterbox.pad_left == 0
    # At scale 1 the scaler only converts colour, so the result matches PyAV's full RGB.
    assert np.abs(frame.rgb.astype(int) - frame.full_rgb().astype(int)).mean() < 2.0


def test_rgb_downscaled_by_scaler() -> None:
    recorder = Recorder()
    source = make_source(str(shared_media("car-detection.mp4")), recorder, detect_fps=1.0)
    run_to_end(source)
    frame = recorder.frames[3]

    assert (frame.width, frame.height) == (768, 432)
    assert frame.rgb.shape == (frame.letterbox.resized_height, frame.letterbox.resized_width, 3)
    assert frame.rgb.shape == (360, 640, 3)
    reference = np.asarray(Image.fromarray(frame.full_rgb()).resize((640, 360), Image.BILINEAR))
    assert np.abs(frame.rgb.astype(int) - reference.astype(int)).mean() < 6.0

    gray_reference = np.asarray(Image.fromarray(frame.full_rgb()).convert("L").resize(frame.gray.shape[::-1], Image.BILINEAR))
    assert np.abs(frame.gray.astype(int) - gray_reference.astype(int)).mean() < 12.0


@pytest.mark.slow
def test_file_realtime_paced() -> None:
    recorder = Recorder()
    source = make_source(str(bikes_path()), recorder, realtime=True)
    started = time.monotonic()
    run_to_end(source)
    elapsed = time.monotonic() - started

    # The clip is 10 s long; paced playback cannot finish much earlier.
    assert elapsed >= 9.0
    assert len(recorder.frames) == 50


@pytest.mark.slow
def test_file_loop_keeps_time_monotonic() -> None:
    recorder = Recorder()
    source = make_source(str(bikes_path()), recorder, detect_fps=25.0, loop=True)
    source.start()
    try:
        assert recorder.wait_for(lambda: len(recorder.frames) >= 2 * BIKES_FRAMES + 10, timeout=120)
    finally:
        assert source.stop(timeout=10)

    times = np.array([frame.time for frame in recorder.frames])
    assert np.all(np.diff(times) > 0)
    assert times[BIKES_FRAMES + 5] > 10.0
    assert recorder.streams >= 3
    assert source.status.state == "offline"
    assert source.status.reason == "stopped"


def test_missing_file_goes_offline() -> None:
    recorder = Recorder()
    source = make_source("/nonexistent/clip.mp4", recorder)
    run_to_end(source)

    assert recorder.statuses[-1].state == "offline"
    assert "No such file" in recorder.statuses[-1].reason
    assert recorder.frames == []


def test_non_video_file_goes_offline(tmp_path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 100)
    recorder = Recorder()
    source = make_source(str(path), recorder)
    run_to_end(source)

    assert recorder.statuses[-1].state == "offline"
    assert "Invalid data" in recorder.statuses[-1].reason


def test_bad_url_scheme_config_error() -> None:
    camera = CameraConfig(id="bad", name="Bad", url="ftp://user:hunter2@127.0.0.1/cam")
    with pytest.raises(ConfigError) as caught:
        CameraSource(camera, input_size=(640, 640), motion_height=120, on_frame=print, on_status=print)

    assert "unsupported stream URL scheme 'ftp'" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_bad_url_scheme_rejected_in_config() -> None:
    with pytest.raises(ConfigError, match="unsupported stream URL scheme"):
        parse_camera({"name": "Bad", "url": "ftp://127.0.0.1/cam"})


def test_started_twice_raises() -> None:
    recorder = Recorder()
    source = make_source(str(bikes_path()), recorder)
    run_to_end(source)
    with pytest.raises(RuntimeError, match="already started"):
        source.start()


def test_sampler_uses_timestamps() -> None:
    sampler = FrameSampler(5.0)
    # 25 fps for 1 s, then a burst of late frames that arrive together: only PTS count.
    times = [i / 25 for i in range(25)]
    sampled_times = [t for t in times if sampler.take(t)]
    assert sampled_times == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])


def test_sampler_gap_does_not_burst() -> None:
    sampler = FrameSampler(5.0)
    assert sampler.take(0.0)
    # After a 3 s gap the next frame is taken, and the rate continues from there.
    assert sampler.take(3.0)
    assert not sampler.take(3.04)
    assert sampler.take(3.2)


def test_sampler_faster_than_stream() -> None:
    sampler = FrameSampler(30.0)
    times = [i / 10 for i in range(20)]
    assert all(sampler.take(t) for t in times)


def test_sampler_restarts_when_time_goes_back() -> None:
    sampler = FrameSampler(5.0)
    assert sampler.take(100.0)
    assert sampler.take(0.0)
    assert not sampler.take(0.1)


def test_gray_size_keeps_aspect() -> None:
    assert gray_size(1920, 1080, 120) == (214, 120)
    assert gray_size(640, 272, 120) == (282, 120)
    # Never upscaled.
    assert gray_size(160, 90, 120) == (160, 90)


def test_backoff_doubles_to_cap() -> None:
    backoff = Backoff(cap=30.0, jitter=0.0)
    delays = [backoff.next_delay() for _ in range(8)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_backoff_jitter_stays_under_cap() -> None:
    backoff = Backoff(cap=5.0, jitter=0.2)
    delays = [backoff.next_delay() for _ in range(50)]
    assert max(delays) <= 5.0
    assert min(delays[5:]) >= 4.0


def test_backoff_reset() -> None:
    backoff = Backoff(cap=30.0, jitter=0.0)
    for _ in range(4):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() == 1.0


def test_backoff_invalid_cap() -> None:
    with pytest.raises(ValueError, match="invalid backoff"):
        Backoff(initial=2.0, cap=1.0)


def test_status_to_json() -> None:
    status = CameraStatus("offline", "cannot open rtsp://u:***@127.0.0.1/x: Connection refused", 1700000000.5, 24.987)
    assert status.to_json() == {
        "state": "offline",
        "reason": "cannot open rtsp://u:***@127.0.0.1/x: Connection refused",
        "last_frame_time": 1700000000.5,
        "fps": 24.99,
    }


def test_timestamp_jumps_keep_time_monotonic(tmp_path) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not on PATH; it builds the clip with timestamp jumps")
    # Raw-concatenated MPEG-TS keeps each part's timestamps: the second part leaps
    # 1000 s ahead and the third goes back to the start, like a camera clock reset.
    parts = []
    for name, offset in (("a", 0), ("b", 1000)):
        part = tmp_path / f"{name}.ts"
        command = [ffmpeg, "-v", "error", "-t", "3", "-i", str(bikes_path()), "-c", "copy", "-output_ts_offset", str(offset), str(part)]
        subprocess.run(command, check=True, timeout=120)
        parts.append(part.read_bytes())
    clip = tmp_path / "jumps.ts"
    clip.write_bytes(parts[0] + parts[1] + parts[0])

    recorder = Recorder()
    source = make_source(str(clip), recorder, detect_fps=25.0)
    run_to_end(source)
    times = np.array([frame.time for frame in recorder.frames])
    steps = np.diff(times)

    assert source.stats()["frames_decoded"] >= 200
    assert np.all(steps > 0)
    assert steps.max() < 0.5
    assert times[-1] < 15.0
