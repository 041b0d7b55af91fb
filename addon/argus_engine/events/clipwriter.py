"""Clip writer thread: muxes buffered packets into MP4 files, without re-encoding.

Each clip's timestamps come from the ring buffer's repaired timeline, rebased so the
clip starts at 0. A file is written as `<name>.part` and renamed when complete, so a
crash leaves no half clip under the final name. `EventStore.close_open_events` removes
the `.part` files of events a crash left open.
"""

import io
import logging
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import av

from .model import PART_SUFFIX
from .ringbuffer import BufferedPacket

_LOGGER = logging.getLogger(__name__)

# Called on the writer thread with the event id and the finished file, or None on failure.
ClipDone = Callable[[str, Path | None], None]


class StreamTemplate:
    """A copy of an input stream's codec parameters that outlives the input container.

    The writer thread builds its output stream from this copy, never from the live
    input stream, whose container the source may close at any time.
    """

    def __init__(self, stream: av.video.stream.VideoStream) -> None:
        self._holder = av.open(io.BytesIO(), "w", format="mp4")
        # opaque=True copies the decoder's codec, so remuxing needs no encoder installed.
        self.stream = self._holder.add_stream_from_template(stream, opaque=True)
        self.time_base = stream.time_base


@dataclass(eq=False)
class ClipJob:
    """One event's clip while it is being recorded."""

    event_id: str
    path: Path
    template: StreamTemplate
    on_done: ClipDone
    # Repaired PTS of the clip's first keyframe, in stream ticks, so that frame plays at 0.
    # None until a keyframe came.
    base: int | None = None
    # Repaired DTS of the same keyframe, where the clip's length is counted from.
    first_dts: int = 0
    # Repaired time (seconds) after which no packet belongs to the clip; None while open.
    end_time: float | None = None
    packets: int = 0
    # Set by the writer thread when muxing failed; later packets are dropped.
    failed: bool = field(default=False)


class ClipWriter:
    """A thread that muxes clip packets into MP4 files, in the order they are queued."""

    def __init__(self, name: str) -> None:
        self._queue: queue.Queue[tuple[str, ClipJob, BufferedPacket | None]] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._outputs: dict[ClipJob, tuple[av.container.OutputContainer, av.video.stream.VideoStream]] = {}
        self._thread.start()

    def write(self, job: ClipJob, entry: BufferedPacket) -> None:
        """Queue one packet of a clip."""
        self._queue.put(("packet", job, entry))

    def finish(self, job: ClipJob) -> None:
        """Queue the end of a clip: the file is closed and `job.on_done` called."""
        self._queue.put(("finish", job, None))

    def close(self, timeout: float) -> bool:
        """Let the thread finish what is queued and stop; False if it did not within `timeout`."""
        self._queue.put(("stop", None, None))  # type: ignore[arg-type]
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            command, job, entry = self._queue.get()
            if command == "stop":
                return
            # The thread must outlive a failed clip, because without it the camera
            # thread would keep queueing packets that are never taken off the queue.
            try:
                if command == "packet":
                    assert entry is not None
                    self._write(job, entry)
                else:
                    self._finish(job)
            except Exception:
                _LOGGER.exception("Clip writer failed on event %s", job.event_id)
                job.failed = True

    def _write(self, job: ClipJob, entry: BufferedPacket) -> None:
        if job.failed:
            return
        try:
            container, stream = self._output(job)
            container.mux(_rebased_packet(entry, job, stream))
            job.packets += 1
        except (av.FFmpegError, ValueError, OSError) as err:
            _LOGGER.error("Clip of event %s failed: %s", job.event_id, err)
            job.failed = True

    def _output(self, job: ClipJob) -> tuple[av.container.OutputContainer, av.video.stream.VideoStream]:
        if job not in self._outputs:
            job.path.parent.mkdir(parents=True, exist_ok=True)
            container = av.open(str(_part_path(job.path)), "w", format="mp4")
            stream = container.add_stream_from_template(job.template.stream, opaque=True)
            self._outputs[job] = (container, stream)
        return self._outputs[job]

    def _finish(self, job: ClipJob) -> None:
        result = self._close_output(job)
        try:
            job.on_done(job.event_id, result)
        except Exception:
            _LOGGER.exception("Handling the finished clip of event %s failed", job.event_id)

    def _close_output(self, job: ClipJob) -> Path | None:
        """Close the clip's file and move it to its final name; None when there is no clip."""
        output = self._outputs.pop(job, None)
        part = _part_path(job.path)
        try:
            if output is not None:
                output[0].close()
                if not job.failed and job.packets:
                    os.replace(part, job.path)
                    return job.path
        except (av.FFmpegError, ValueError, OSError) as err:
            _LOGGER.error("Clip of event %s could not be finished: %s", job.event_id, err)
        try:
            part.unlink(missing_ok=True)
        except OSError as err:
            _LOGGER.warning("Could not remove the unfinished clip %s: %s", part, err)
        return None


def _part_path(path: Path) -> Path:
    return path.with_name(path.name + PART_SUFFIX)


def _rebased_packet(entry: BufferedPacket, job: ClipJob, stream: av.video.stream.VideoStream) -> av.Packet:
    # A copy, because muxing rescales the packet in place and the same buffered packet
    # may go into several clips. The first DTS may be negative with B-frames, which MP4
    # stores with an edit list.
    assert job.base is not None
    packet = av.Packet(memoryview(entry.packet))
    packet.time_base = job.template.time_base
    packet.dts = entry.dts - job.base
    packet.pts = entry.pts - job.base
    duration = entry.packet.duration
    packet.duration = duration if duration and duration > 0 else 0
    packet.is_keyframe = entry.keyframe
    packet.stream = stream
    return packet
