"""Event clips: the packets of an event, with pre- and post-roll, remuxed to MP4.

`ClipRecorder` runs on the camera's threads (the caller serialises its calls). It keeps
the pre-roll `PacketRingBuffer` and, per event, sends the packets from the keyframe
before (event start - pre-roll) to (event end + post-roll) to a `ClipWriter` thread.
A clip is cut at `RecordConfig.max_seconds` even while its event goes on.
"""

import logging
from pathlib import Path

import av

from ..config import RecordConfig
from .clipwriter import ClipDone, ClipJob, ClipWriter, StreamTemplate
from .ringbuffer import BufferedPacket, PacketRingBuffer

__all__ = ["ClipRecorder", "PacketRingBuffer"]

_LOGGER = logging.getLogger(__name__)

# The event recorder may date a start or end back from the frame it handles by at most
# this many seconds. A larger difference comes from a timestamp jump and is ignored.
MAX_BACKDATE_SECONDS = 60.0


class ClipRecorder:
    """Record clips of one camera's events from its compressed video packets."""

    def __init__(self, camera_id: str, record: RecordConfig) -> None:
        self._camera_id = camera_id
        self._record = record
        self.buffer = PacketRingBuffer(record.pre_roll if record.enabled else 0.0)
        self._template: StreamTemplate | None = None
        self._jobs: dict[str, ClipJob] = {}
        self._writer: ClipWriter | None = None
        self._closed = False

    def on_stream(self, stream: av.video.stream.VideoStream) -> None:
        """Start over on a newly opened stream; clips still recording end here."""
        self._complete_all()
        self.buffer.reset(stream)
        self._template = None
        if not self._record.enabled:
            return
        try:
            self._template = StreamTemplate(stream)
        except (av.FFmpegError, ValueError) as err:
            _LOGGER.warning("Camera %s: no clips, the stream cannot be stored as MP4: %s", self._camera_id, err)

    def on_packet(self, packet: av.Packet) -> None:
        """Buffer one demuxed packet and pass it to the clips being recorded."""
        if self._template is None:
            # Clips are off, or the stream cannot be stored as MP4: nothing to buffer for.
            return
        entry = self.buffer.append(packet)
        if entry is None:
            return
        for job in list(self._jobs.values()):
            self._feed(job, entry)

    def begin(self, event_id: str, path: Path, frame_pts: int | None, backdate: float, on_done: ClipDone) -> bool:
        """Start the clip of an event; False when clips are off or there is no stream.

        `frame_pts` is the PTS of the frame being handled and `backdate` how many
        seconds before that frame the event started.
        """
        if self._closed or self._template is None or event_id in self._jobs:
            return False
        job = ClipJob(event_id, path, self._template, on_done)
        self._jobs[event_id] = job
        if self._writer is None:
            self._writer = ClipWriter(f"argus-clips-{self._camera_id}")

        anchor = self._anchor(frame_pts)
        if anchor is not None:
            start = anchor - _clamp_backdate(backdate) - self._record.pre_roll
            for entry in self.buffer.packets_from(start):
                self._feed(job, entry)
        return True

    def end(self, event_id: str, frame_pts: int | None, backdate: float) -> None:
        """Set the end of an event's clip; it completes after the post-roll."""
        job = self._jobs.get(event_id)
        if job is None:
            return
        anchor = self._anchor(frame_pts)
        if anchor is None:
            self._complete(job)
            return
        job.end_time = anchor - _clamp_backdate(backdate) + self._record.post_roll

    def close(self) -> None:
        """Complete every clip with the packets it has; no clip starts after this."""
        self._closed = True
        self._complete_all()

    def wait(self, timeout: float = 10.0) -> bool:
        """Wait up to `timeout` seconds for the writer to finish every file; False on timeout.

        Call `close` first; this call takes no lock the writer's callbacks need.
        """
        if self._writer is None:
            return True
        done = self._writer.close(timeout)
        if not done:
            _LOGGER.warning("Camera %s: clips still being written after %.0f s", self._camera_id, timeout)
        return done

    @property
    def recording(self) -> list[str]:
        """Return the ids of events whose clips are still being recorded."""
        return list(self._jobs)

    def _anchor(self, frame_pts: int | None) -> float | None:
        # The frame's own packet gives its place on the repaired timeline. When that
        # packet is no longer buffered, the newest packet is used instead.
        anchor = self.buffer.time_of_pts(frame_pts)
        return anchor if anchor is not None else self.buffer.latest_time()

    def _feed(self, job: ClipJob, entry: BufferedPacket) -> None:
        if job.base is None:
            if not entry.keyframe:
                return
            job.base = entry.pts
            job.first_dts = entry.dts
        past_end = job.end_time is not None and self.buffer.seconds_of(entry.pts) >= job.end_time
        too_long = self.buffer.seconds_of(entry.dts - job.first_dts) >= self._record.max_seconds
        if past_end or too_long:
            if too_long and not past_end:
                _LOGGER.info("Clip of event %s cut at %.0f s", job.event_id, self._record.max_seconds)
            self._complete(job)
            return
        assert self._writer is not None
        self._writer.write(job, entry)

    def _complete(self, job: ClipJob) -> None:
        self._jobs.pop(job.event_id, None)
        assert self._writer is not None
        self._writer.finish(job)

    def _complete_all(self) -> None:
        for job in list(self._jobs.values()):
            self._complete(job)


def _clamp_backdate(seconds: float) -> float:
    return seconds if 0.0 <= seconds <= MAX_BACKDATE_SECONDS else 0.0
