"""One camera's ingest worker: open the stream, decode, sample, reconnect.

Each camera runs in its own daemon thread, so a camera that hangs or fails never delays
another one. Every blocking FFmpeg call is bounded by PyAV's interrupt callback
(`av.open(..., timeout=(open, read))`), which makes a stuck open or read return after
`camera.timeout` seconds. The stall watchdog runs in the same thread, after every packet:
a stream that keeps sending packets but yields no decoded frame for `camera.timeout`
seconds is closed and reopened.

NOTE: the watchdog deliberately never closes the container from another thread, because
an FFmpeg format context is not thread-safe and closing it during a read is a
use-after-free. The interrupt callback is the supported way to abort that read.
"""

import logging
import threading
import time
from collections.abc import Callable

import av

from ..config import CameraConfig
from ..errors import StreamError, StreamTimeoutError
from ..frames import SampledFrame
from ..stream_url import redact, validate_url
from .backoff import Backoff
from .sampling import FrameSampler, convert
from .status import CameraStatus, FpsMeter

# A stream that has delivered frames for this long counts as healthy, and the next
# failure starts the backoff from 1 s again.
HEALTHY_SECONDS = 5.0

END_OF_STREAM = "end of stream"
STOPPED = "stopped"


class CameraSource:
    """Decode one camera's stream in a thread and hand on frames sampled at its detect fps.

    Callbacks run in the camera's thread and must return quickly. `on_frame` gets each
    sampled frame and `on_status` each status change. `on_packet` gets every compressed
    video packet before decoding, for the clip buffer. `on_stream` gets the video stream
    on each (re)open, as the template for clip writers.
    """

    def __init__(
        self,
        camera: CameraConfig,
        *,
        input_size: tuple[int, int],
        motion_height: int,
        on_frame: Callable[[SampledFrame], None],
        on_status: Callable[[CameraStatus], None],
        on_packet: Callable[[av.Packet], None] | None = None,
        on_stream: Callable[[av.video.stream.VideoStream], None] | None = None,
        realtime: bool = False,
        loop: bool = False,
        backoff_cap: float = 30.0,
    ) -> None:
        self.camera = camera
        self._url = validate_url(camera.stream_url)
        self.safe_url = redact(self._url)
        self.is_file = "://" not in self._url or self._url.startswith("file:")
        self._input_size = input_size
        self._motion_height = motion_height
        self._on_frame = on_frame
        self._on_status = on_status
        self._on_packet = on_packet
        self._on_stream = on_stream
        self._realtime = realtime
        self._loop = loop
        self.backoff = Backoff(cap=backoff_cap)
        # Child of the package logger, e.g. `argus_engine.source.front_door`.
        self._log = logging.getLogger(__package__).getChild(camera.id)

        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._state: CameraStatus | None = None
        self._fps = FpsMeter()
        self._sampler = FrameSampler(camera.detect_fps)
        self._counts = {"packets": 0, "frames_decoded": 0, "frames_sampled": 0, "decode_errors": 0, "reconnects": 0}

        # Stream time stays monotonic across reopens: each session's PTS are shifted to
        # continue after the last frame handed on.
        self._last_time: float | None = None
        self._last_frame_monotonic: float | None = None
        self._session_frames = 0
        # Failed attempts since the stream was last online.
        self._failures = 0

    # --- public API --------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread; a source can be started once."""
        if self._thread is not None:
            raise RuntimeError(f"camera {self.camera.id!r} source was already started")
        self._thread = threading.Thread(target=self._run, name=f"argus-source-{self.camera.id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the worker to stop and wait up to `timeout` seconds; return True once it has exited.

        A worker blocked inside FFmpeg exits when that call returns, which PyAV's interrupt
        callback bounds to `camera.timeout` seconds.
        """
        self._stop.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._log.warning("still blocked in a stream call after %.1f s; it exits within %g s", timeout, self.camera.timeout)
            return False
        return True

    @property
    def status(self) -> CameraStatus:
        """Current status with the latest measured fps."""
        with self._lock:
            state = self._state or CameraStatus("connecting")
        return CameraStatus(state.state, state.reason, state.last_frame_time, self._fps.fps)

    def stats(self) -> dict[str, float]:
        """Counters since start: packets, frames decoded and sampled, decode errors, reconnects, fps."""
        with self._lock:
            counts: dict[str, float] = dict(self._counts)
        counts["fps"] = self._fps.fps
        return counts

    # --- worker ------------------------------------------------------------------

    def _run(self) -> None:
        self._log.info("starting on %s", self.safe_url)
        self._publish("connecting", None)
        while not self._stop.is_set():
            self._session_frames = 0
            reason = self._session()
            if self._stop.is_set():
                break

            if self.is_file and reason == END_OF_STREAM and self._loop and self._session_frames:
                self._log.debug("end of file, looping")
                continue
            changed = self._lost(reason)
            if self.is_file:
                # A local file that failed or ended will not fix itself by retrying.
                return
            self._retry_wait(changed)
        self._publish("offline", STOPPED)
        self._log.info("stopped")

    def _retry_wait(self, changed: bool) -> None:
        """Wait out the next backoff delay; log it at INFO only right after a state or reason change."""
        delay = self.backoff.next_delay()
        with self._lock:
            self._counts["reconnects"] += 1
            self._failures += 1
        log = self._log.info if changed else self._log.debug
        log("retrying in %.1f s (attempt %d)", delay, self._failures)
        self._stop.wait(delay)

    def _lost(self, reason: str) -> bool:
        """Publish offline with `reason`, log it once, and return True when state or reason changed."""
        previous = self.status
        self._fps.reset()
        self._publish("offline", reason)
        changed = previous.state != "offline" or previous.reason != reason
        if reason == END_OF_STREAM:
            self._log.info("%s: end of stream", self.safe_url)
        elif changed:
            self._log.warning("lost %s: %s", self.safe_url, reason)
        else:
            self._log.debug("still offline: %s", reason)
        return changed

    def _session(self) -> str:
        """Open the stream once and read it until it fails, ends or the source stops; return why."""
        opened = time.monotonic()
        try:
            container = self._open()
        except (av.FFmpegError, OSError, StreamError) as err:
            return self._describe("cannot open", err, time.monotonic() - opened)

        try:
            return self._read(container)
        except (av.FFmpegError, OSError, StreamError) as err:
            return self._describe("read failed on", err, None)
        except Exception:
            # A bug in a callback must not kill the camera, so it is logged and retried with backoff.
            self._log.exception("unexpected error while reading %s", self.safe_url)
            return "internal error, see the log"
        finally:
            self._close(container)

    def _open(self) -> av.container.InputContainer:
        if self.is_file:
            container = av.open(self._url)
        else:
            timeout = self.camera.timeout
            container = av.open(self._url, options=self._network_options(), timeout=(timeout, timeout))
        if not container.streams.video:
            self._close(container)
            raise StreamError(f"{self.safe_url} has no video stream")
        return container

    def _network_options(self) -> dict[str, str]:
        microseconds = str(int(self.camera.timeout * 1_000_000))
        if self._url.lower().startswith(("rtsp://", "rtsps://")):
            # FFmpeg 5 and later call the RTSP socket timeout `timeout` (µs). Older versions called it `stimeout`.
            return {"rtsp_transport": self.camera.transport, "timeout": microseconds}
        return {"rw_timeout": microseconds}

    def _close(self, container: av.container.InputContainer) -> None:
        try:
            container.close()
        except (av.FFmpegError, OSError) as err:
            self._log.debug("error while closing %s: %s", self.safe_url, redact(str(err)))

    def _read(self, container: av.container.InputContainer) -> str:
        video = container.streams.video[0]
        if self._on_stream is not None:
            self._on_stream(video)
        session = _Session(self, video)

        for packet in container.demux(video):
            if self._stop.is_set():
                return STOPPED
            session.handle_packet(packet)
            session.check_stall()
        return END_OF_STREAM if self.is_file else "stream ended by the server"

    def _describe(self, action: str, err: Exception, elapsed: float | None) -> str:
        # NOTE: FFmpeg's own log line (often more specific, e.g. an RTSP status text) is
        # not captured. PyAV's log forwarding is process-wide and its lines bypass `redact`,
        # so the reason is built from the exception alone.
        if isinstance(err, StreamError):
            return redact(str(err))
        text = getattr(err, "strerror", None) or str(err) or type(err).__name__
        timed_out = elapsed is not None and elapsed >= self.camera.timeout * 0.9 and not self.is_file
        if isinstance(err, av.error.ExitError) or timed_out:
            text = f"timed out after {self.camera.timeout:g} s ({text})"
        return redact(f"{action} {self.safe_url}: {text}")

    def _publish(self, state: str, reason: str | None, last_frame_time: float | None = None) -> None:
        """Record a status and call on_status outside the lock when state or reason changed."""
        with self._lock:
            previous = self._state
            if last_frame_time is None and previous is not None:
                last_frame_time = previous.last_frame_time
            self._state = CameraStatus(state, reason, last_frame_time, self._fps.fps)  # type: ignore[arg-type]
            changed = previous is None or previous.state != state or previous.reason != reason
            current = self._state
        if changed:
            self._on_status(current)

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1


class _Session:
    """Per-open state of the read loop: decoding, timeline, pacing and the stall watchdog."""

    def __init__(self, source: CameraSource, video: av.video.stream.VideoStream) -> None:
        self.source = source
        self.video = video
        self.opened = time.monotonic()
        self.last_frame = self.opened
        self.first_time: float | None = None
        self.offset = 0.0
        self.online_since: float | None = None
        self.pace_anchor: tuple[float, float] | None = None
        rate = video.average_rate or video.guessed_rate
        self.frame_interval = 1.0 / float(rate) if rate else 0.04
        # A PTS step larger than this within one session is a discontinuity, not a real gap,
        # because a real gap that long would have tripped the stall watchdog.
        self.max_jump = source.camera.timeout + 1.0
        source._sampler.reset()
        source._fps.reset()

    def handle_packet(self, packet: av.Packet) -> None:
        source = self.source
        if packet.size:
            source._count("packets")
            if source._on_packet is not None:
                source._on_packet(packet)
        try:
            frames = packet.decode()
        except av.InvalidDataError as err:
            # One damaged packet (lost data on UDP, a cut at reconnect) is normal. A stream
            # that never decodes again is caught by the stall watchdog.
            source._count("decode_errors")
            source._log.debug("failed to decode a packet: %s", redact(str(err)))
            return
        for frame in frames:
            self.handle_frame(frame)

    def check_stall(self) -> None:
        timeout = self.source.camera.timeout
        if time.monotonic() - self.last_frame > timeout:
            raise StreamTimeoutError(f"no frames from {self.source.safe_url} for {timeout:g} s")

    def handle_frame(self, frame: av.VideoFrame) -> None:
        source = self.source
        now = time.monotonic()
        stream_time = self.timeline(frame, now)
        self.last_frame = now
        source._last_frame_monotonic = now
        source._last_time = stream_time
        source._session_frames += 1
        source._fps.tick(now)
        source._count("frames_decoded")

        if self.online_since is None:
            self.go_online(frame, now)
        else:
            source._publish("online", None, time.time())
            if now - self.online_since >= HEALTHY_SECONDS:
                source.backoff.reset()
        if source._realtime:
            self.pace(stream_time, now)

        if source._sampler.take(stream_time):
            source._on_frame(self.sample(frame, stream_time))

    def timeline(self, frame: av.VideoFrame, now: float) -> float:
        """Return the frame's time on the source's timeline, from PTS when the frame has one.

        The first session starts at 0. A reopened stream continues after the last frame:
        one frame interval later for a looped file, the wall-clock gap later for a camera.
        """
        source = self.source
        pts_time = frame.time if frame.time is not None else now - self.opened
        if self.first_time is None:
            self.anchor(pts_time, now)
            return self.offset
        stream_time = self.offset + pts_time - self.first_time

        last = source._last_time
        if last is not None and not last < stream_time <= last + self.max_jump:
            # PTS went backwards or leapt ahead (a camera clock reset or wrap): continue
            # the timeline from the last frame instead of following the jump.
            source._log.debug("timestamp discontinuity at %.3f s after %.3f s", stream_time, last)
            self.first_time, self.offset = pts_time, last + self.frame_interval
            stream_time = self.offset
        return stream_time

    def anchor(self, pts_time: float, now: float) -> None:
        """Place the session's first frame: at 0 for the very first, else after the last frame handed on."""
        source = self.source
        self.first_time = pts_time
        if source._last_time is None:
            self.offset = 0.0
        elif source.is_file or source._last_frame_monotonic is None:
            self.offset = source._last_time + self.frame_interval
        else:
            self.offset = source._last_time + max(self.frame_interval, now - source._last_frame_monotonic)

    def go_online(self, frame: av.VideoFrame, now: float) -> None:
        source = self.source
        self.online_since = now
        codec = self.video.codec_context.name
        rate = self.video.average_rate or self.video.guessed_rate
        transport = "" if source.is_file else f" over {source.camera.transport}"
        # A looped file reopens at every end; only the first open is worth an INFO line.
        log = source._log.info if source.status.state != "online" else source._log.debug
        attempts = f" on retry {source._failures}" if source._failures else ""
        log(
            "connected to %s: %s %dx%d at %s fps%s%s",
            source.safe_url, codec, frame.width, frame.height, f"{float(rate):g}" if rate else "unknown", transport, attempts,
        )
        source._failures = 0
        source._publish("online", None, time.time())

    def pace(self, stream_time: float, now: float) -> None:
        """Sleep until the frame's time comes round on the wall clock, for files played as live."""
        if self.pace_anchor is None or stream_time < self.pace_anchor[1]:
            self.pace_anchor = (now, stream_time)
        wall_start, time_start = self.pace_anchor
        delay = wall_start + (stream_time - time_start) - now
        if delay < -1.0:
            # Far behind (a slow machine): start pacing again from here instead of bursting.
            self.pace_anchor = (now, stream_time)
        elif delay > 0:
            self.source._stop.wait(delay)

    def sample(self, frame: av.VideoFrame, stream_time: float) -> SampledFrame:
        source = self.source
        with source._lock:
            index = source._counts["frames_sampled"]
            source._counts["frames_sampled"] += 1
        return convert(
            frame,
            camera_id=source.camera.id,
            index=index,
            time_seconds=stream_time,
            input_size=source._input_size,
            motion_height=source._motion_height,
        )
