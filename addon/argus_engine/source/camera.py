"""One camera's ingest worker: open the stream, decode, sample, reconnect.

Each camera runs in its own daemon thread, so a camera that hangs or fails never delays
another one. Every blocking FFmpeg call is bounded by PyAV's interrupt callback
(`av.open(..., timeout=(open, read))`), which makes a stuck open or read return after
`camera.timeout` seconds. The stall watchdog (see session.py) closes a stream that stays
open without delivering frames, and the worker reopens it after a capped exponential
backoff.

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
from ..errors import StreamError
from ..frames import SampledFrame
from ..stream_url import redact, validate_url
from .backoff import Backoff
from .sampling import FrameSampler
from .session import END_OF_STREAM, STOPPED, ReadContext, StreamSession
from .status import CameraStatus, SourceStats
from .timeline import Pacer, Timeline


class CameraSource:
    """Decode one camera's stream in a thread and hand on frames sampled at its detect fps.

    Callbacks run in the camera's thread and must return quickly. `on_frame` gets each
    sampled frame and `on_status` each status change. `on_packet` gets every compressed
    video packet before decoding, for the clip buffer. `on_stream` gets the video stream
    on each (re)open, as the template for clip writers.

    A network stream is retried until `stop()`. A file is read once (or, with `loop`,
    reopened at each end), and its thread exits on the first failure or at the end.
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
        self.is_file = "://" not in self._url or self._url.lower().startswith("file:")
        self._on_status = on_status
        self._on_stream = on_stream
        self._loop = loop
        self.backoff = Backoff(cap=backoff_cap)
        # Child of the package logger, e.g. `argus_engine.source.front_door`.
        self._log = logging.getLogger(__package__).getChild(camera.id)

        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._state: CameraStatus | None = None
        self._stats = SourceStats()
        # Failed attempts since the stream was last online.
        self._failures = 0
        self._context = ReadContext(
            camera=camera,
            safe_url=self.safe_url,
            is_file=self.is_file,
            input_size=input_size,
            motion_height=motion_height,
            on_frame=on_frame,
            on_packet=on_packet,
            on_first_frame=self._went_online,
            on_healthy=self.backoff.reset,
            stop=self._stop,
            stats=self._stats,
            timeline=Timeline(),
            sampler=FrameSampler(camera.detect_fps),
            pacer=Pacer(self._stop) if realtime else None,
            log=self._log,
        )

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
            self._log.warning(
                "worker did not stop within %.1f s because it is blocked in a stream call, "
                "which the read timeout ends within %g s of its start",
                timeout, self.camera.timeout,
            )
            return False
        return True

    @property
    def status(self) -> CameraStatus:
        """Current status with the latest frame time and measured fps."""
        with self._lock:
            state = self._state or CameraStatus("connecting")
        return CameraStatus(state.state, state.reason, self._stats.last_frame_time, self._stats.fps.fps)

    def stats(self) -> dict[str, float]:
        """Counters since start: packets, frames decoded and sampled, decode errors, reconnects, fps."""
        return self._stats.snapshot()

    # --- worker ------------------------------------------------------------------

    def _run(self) -> None:
        self._log.info("starting on %s", self.safe_url)
        self._publish("connecting", None)
        while not self._stop.is_set():
            reason, frames = self._session()
            if self._stop.is_set():
                break

            if self.is_file and reason == END_OF_STREAM and self._loop and frames:
                self._log.debug("end of file, looping")
                continue
            changed = self._lost(reason)
            if self.is_file:
                # A local file that failed or ended will not fix itself by retrying.
                return
            self._retry_wait(changed)
        self._publish("offline", STOPPED)
        self._log.info("stopped")

    def _session(self) -> tuple[str, int]:
        """Open the stream once and read it until it fails, ends or the source stops.

        Returns the reason it ended and how many frames it decoded.
        """
        opened = time.monotonic()
        try:
            container = self._open()
        except (av.FFmpegError, OSError, StreamError) as err:
            return self._describe("cannot open", err, time.monotonic() - opened), 0

        session = StreamSession(self._context, container.streams.video[0])
        try:
            if self._on_stream is not None:
                self._on_stream(session.video)
            return session.run(container), session.frames
        except (av.FFmpegError, OSError, StreamError) as err:
            return self._describe("read failed on", err, time.monotonic() - session.last_frame), session.frames
        except Exception:
            # A bug in a callback must not kill the camera, so it is logged and retried with backoff.
            self._log.exception("unexpected error while reading %s", self.safe_url)
            return "internal error, see the log", session.frames
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

    def _describe(self, action: str, err: Exception, waited: float) -> str:
        """Return the offline reason for `err`; `waited` is how long the failed call waited for data."""
        # NOTE: FFmpeg's own log line (often more specific, e.g. an RTSP status text) is
        # not captured. PyAV's log forwarding is process-wide and its lines bypass `redact`,
        # so the reason is built from the exception alone.
        if isinstance(err, StreamError):
            return redact(str(err))
        text = getattr(err, "strerror", None) or str(err) or type(err).__name__
        # FFmpeg reports its own RTSP socket timeout as invalid data or an I/O error, so
        # PyAV's interrupt (ExitError) and the time waited both count as a timeout.
        timed_out = not self.is_file and waited >= self.camera.timeout * 0.9
        if isinstance(err, (av.error.ExitError, TimeoutError)) or timed_out:
            text = f"timed out after {self.camera.timeout:g} s ({text})"
        return redact(f"{action} {self.safe_url}: {text}")

    # --- status ------------------------------------------------------------------

    def _went_online(self, frame: av.VideoFrame, video: av.video.stream.VideoStream) -> None:
        was_online = self.status.state == "online"
        self._publish("online", None)
        rate = video.average_rate or video.guessed_rate
        transport = "" if self.is_file else f" over {self.camera.transport}"
        retries = f" on retry {self._failures}" if self._failures else ""
        # A looped file reopens at every end, and only the first open is worth an INFO line.
        log = self._log.debug if was_online else self._log.info
        log(
            "connected to %s: %s %dx%d at %s fps%s%s",
            self.safe_url, video.codec_context.name, frame.width, frame.height,
            f"{float(rate):g}" if rate else "unknown", transport, retries,
        )
        self._failures = 0

    def _lost(self, reason: str) -> bool:
        """Publish offline with `reason`, log it once, and return True when state or reason changed."""
        previous = self.status
        self._stats.fps.reset()
        self._publish("offline", reason)
        changed = previous.state != "offline" or previous.reason != reason
        if reason == END_OF_STREAM:
            self._log.info("%s: end of stream", self.safe_url)
        elif changed:
            self._log.warning("lost %s: %s", self.safe_url, reason)
        else:
            self._log.debug("still offline: %s", reason)
        return changed

    def _retry_wait(self, changed: bool) -> None:
        """Wait out the next backoff delay; log it at INFO only right after a state or reason change."""
        delay = self.backoff.next_delay()
        self._stats.add("reconnects")
        self._failures += 1
        log = self._log.info if changed else self._log.debug
        log("retrying in %.1f s (attempt %d)", delay, self._failures)
        self._stop.wait(delay)

    def _publish(self, state: str, reason: str | None) -> None:
        """Record a state and call on_status, outside the lock, when state or reason changed."""
        with self._lock:
            previous = self._state
            self._state = CameraStatus(state, reason)  # type: ignore[arg-type]
            changed = previous is None or previous.state != state or previous.reason != reason
        if changed:
            self._on_status(self.status)
