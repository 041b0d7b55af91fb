"""The detector shared by all cameras: one session, batch 1, a bounded queue, one worker.

Camera threads call `detect` and block until their frame is done. The queue is bounded
so that cameras faster than the model get a clear error instead of growing latency and
memory. Without `start()` the detector runs each call directly in the calling thread,
one at a time, which is what the command-line tools use.
"""

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..detection import Detection
from ..errors import ArgusError
from .decode import decode
from .letterbox import Letterbox, letterbox_for
from .model import OnnxModel
from .preprocess import TensorBuffer, resize_rgb

_LOGGER = logging.getLogger(__name__)

# p50 latency is taken over this many recent runs.
LATENCY_WINDOW = 1000


class DetectorBusyError(ArgusError, TimeoutError):
    """A frame could not be queued or was not detected within its timeout."""


class DetectorStoppedError(ArgusError, RuntimeError):
    """The detector stopped before it processed a queued frame."""


@dataclass(slots=True)
class _Job:
    rgb: np.ndarray
    letterbox: Letterbox
    frame_size: tuple[int, int]
    requested_labels: frozenset[str] | None
    min_score: float
    max_detections: int
    done: threading.Event = field(default_factory=threading.Event)
    result: list[Detection] | None = None
    error: BaseException | None = None
    # Set by a caller that gave up waiting, so the worker skips the frame.
    cancelled: bool = False


_STOP = object()


class Detector:
    """Runner of one model for every camera, with a thread-safe `detect`."""

    def __init__(self, model: OnnxModel, *, queue_size: int = 8) -> None:
        self.model = model
        self._queue: queue.Queue[_Job | object] = queue.Queue(maxsize=queue_size)
        self._queue_size = queue_size
        self._thread: threading.Thread | None = None
        # Reused for every frame, so guarded by `_run_lock`.
        self._input = TensorBuffer(model.input_dtype)
        # Serialises runs: direct calls and the worker's.
        self._run_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._latencies_ms: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._runs = 0
        self._total_ms = 0.0
        self._queue_depth = 0
        self._nonfinite = 0
        self._rejected = 0

    def __enter__(self) -> "Detector":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the worker thread. Calling it again does nothing."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._serve, name="argus-detector", daemon=True)
        self._thread.start()
        _LOGGER.info("Detector started: model %s, queue size %d", self.model.name, self._queue_size)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the queued frames, then stop the worker. Later calls run in the calling thread."""
        thread = self._thread
        if thread is None:
            return
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            _LOGGER.warning("Detector queue still full after %.1f s; stopping without draining it", timeout)
        thread.join(timeout)
        self._thread = None
        self._fail_pending()
        if thread.is_alive():
            # Draining removed any stop marker, so queue one for when the current run ends.
            self._queue.put_nowait(_STOP)
            _LOGGER.warning("Detector worker still running a frame after %.1f s; it exits when that frame is done", timeout)
        _LOGGER.info("Detector stopped after %d runs", self._runs)

    def detect(
        self,
        rgb: np.ndarray,
        letterbox: Letterbox,
        frame_size: tuple[int, int],
        *,
        labels: Iterable[str] | None = None,
        min_score: float = 0.25,
        max_detections: int = 100,
        timeout: float = 5.0,
    ) -> list[Detection]:
        """Detect objects in one frame, best first, boxes in frame pixels.

        `rgb` is uint8 H×W×3 already resized to the letterbox's inner size, and
        `frame_size` is the original (width, height). `labels` keeps only those labels.
        Raises DetectorBusyError when the queue stays full or no result comes within
        `timeout` seconds.
        """
        job = _Job(rgb, letterbox, frame_size, frozenset(labels) if labels is not None else None, min_score, max_detections)
        if self._thread is None:
            with self._run_lock:
                self._process(job)
        else:
            self._submit(job, timeout)
        if job.error is not None:
            raise job.error
        return job.result or []

    def detect_image(
        self,
        rgb_full: np.ndarray,
        *,
        labels: Iterable[str] | None = None,
        min_score: float = 0.25,
        max_detections: int = 100,
        timeout: float = 5.0,
    ) -> list[Detection]:
        """Detect objects in a full-size RGB uint8 picture, resizing it with PyAV's scaler first."""
        frame_height, frame_width = rgb_full.shape[:2]
        letterbox = letterbox_for(frame_width, frame_height, *self.model.input_size)
        resized = resize_rgb(rgb_full, letterbox.resized_width, letterbox.resized_height)
        return self.detect(
            resized,
            letterbox,
            (frame_width, frame_height),
            labels=labels,
            min_score=min_score,
            max_detections=max_detections,
            timeout=timeout,
        )

    def stats(self) -> dict[str, float | int]:
        """Return run count, mean and p50 latency of pre + run + post (ms), queue depth and counters."""
        with self._stats_lock:
            latencies = list(self._latencies_ms)
            return {
                "runs": self._runs,
                "mean_ms": self._total_ms / self._runs if self._runs else 0.0,
                "p50_ms": float(np.median(latencies)) if latencies else 0.0,
                "queue_depth": self._queue_depth,
                "dropped_nonfinite": self._nonfinite,
                "rejected": self._rejected,
            }

    def _submit(self, job: _Job, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        try:
            self._queue.put(job, timeout=timeout)
        except queue.Full:
            self._count_rejected()
            raise DetectorBusyError(
                f"detector queue full ({self._queue_size} frames waiting) for {timeout:.1f} s; "
                "the model is slower than the cameras' detect fps"
            ) from None

        with self._stats_lock:
            self._queue_depth = self._queue.qsize()
        if not job.done.wait(max(0.0, deadline - time.monotonic())):
            job.cancelled = True
            self._count_rejected()
            raise DetectorBusyError(f"no detection result within {timeout:.1f} s")

    def _count_rejected(self) -> None:
        with self._stats_lock:
            self._rejected += 1

    def _serve(self) -> None:
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            assert isinstance(job, _Job)
            if not job.cancelled:
                with self._run_lock:
                    self._process(job)

    def _process(self, job: _Job) -> None:
        """Run pre + model + post for one frame, storing the result or the error on the job."""
        started = time.perf_counter()
        try:
            tensor = self._input.fill(job.rgb, job.letterbox)
            output = self.model.run(tensor)
            decoded = decode(
                output,
                self.model.output_kind,
                job.letterbox,
                job.frame_size,
                self.model.labels,
                requested_labels=job.requested_labels,
                min_score=job.min_score,
                max_detections=job.max_detections,
            )
        # The error goes back to the calling camera thread, which re-raises it, so the
        # worker survives one bad frame.
        except Exception as err:  # noqa: BLE001
            job.error = err
            job.done.set()
            return

        job.result = decoded.detections
        job.done.set()
        self._record(time.perf_counter() - started, decoded.nonfinite)

    def _record(self, seconds: float, nonfinite: int) -> None:
        milliseconds = seconds * 1000.0
        with self._stats_lock:
            self._runs += 1
            self._total_ms += milliseconds
            self._latencies_ms.append(milliseconds)
            if nonfinite and not self._nonfinite:
                _LOGGER.warning("Model %s returned rows with NaN or infinity; dropping and counting them", self.model.name)
            self._nonfinite += nonfinite

    def _fail_pending(self) -> None:
        """Fail frames still queued after the worker stopped, so no caller waits for a result that never comes."""
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(job, _Job):
                job.error = DetectorStoppedError("detector stopped before this frame was processed")
                job.done.set()
