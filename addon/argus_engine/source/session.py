"""One open of a camera stream: decode its packets, sample frames and watch for stalls."""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import av

from ..config import CameraConfig
from ..errors import StreamTimeoutError
from ..frames import SampledFrame
from ..stream_url import redact
from .sampling import FrameSampler, convert
from .status import SourceStats
from .timeline import Pacer, Timeline

END_OF_STREAM = "end of stream"
STOPPED = "stopped"

# A stream that has delivered frames for this long counts as healthy, and the next
# failure starts the backoff from its initial delay again.
HEALTHY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class ReadContext:
    """Settings, callbacks and long-lived state shared by every session of one source."""

    camera: CameraConfig
    safe_url: str
    is_file: bool
    input_size: tuple[int, int]
    motion_height: int
    on_frame: Callable[[SampledFrame], None]
    on_packet: Callable[[av.Packet], None] | None
    # Called with the first frame and the stream of each session, then once it is healthy.
    on_first_frame: Callable[[av.VideoFrame, av.video.stream.VideoStream], None]
    on_healthy: Callable[[], None]
    stop: threading.Event
    stats: SourceStats
    timeline: Timeline
    sampler: FrameSampler
    # Set for files played in real time.
    pacer: Pacer | None
    log: logging.Logger


class StreamSession:
    """Reads one opened container until it ends, fails or the source stops.

    The stall watchdog lives here and runs after every packet: a stream that keeps sending
    packets but yields no decoded frame for `camera.timeout` seconds raises
    StreamTimeoutError. A stream that sends nothing at all blocks in the demuxer, where
    PyAV's read timeout ends the read after the same time.
    """

    def __init__(self, context: ReadContext, video: av.video.stream.VideoStream) -> None:
        self.context = context
        self.video = video
        self.opened = time.monotonic()
        self.last_frame = self.opened
        self.frames = 0
        self.online_since: float | None = None
        self.healthy = False

        rate = video.average_rate or video.guessed_rate
        # A PTS step larger than the stall timeout is a discontinuity, not a real gap,
        # because a real gap that long would have tripped the stall watchdog.
        context.timeline.begin_session(
            frame_interval=1.0 / float(rate) if rate else 0.04,
            max_jump=context.camera.timeout + 1.0,
        )
        context.sampler.reset()
        context.stats.fps.reset()

    def run(self, container: av.container.InputContainer) -> str:
        """Demux and decode until the stream ends or the source stops; return which one."""
        for packet in container.demux(self.video):
            if self.context.stop.is_set():
                return STOPPED
            self.handle_packet(packet)
            self.check_stall()
        return END_OF_STREAM if self.context.is_file else "stream ended by the server"

    def handle_packet(self, packet: av.Packet) -> None:
        context = self.context
        # The demuxer ends with empty packets that only flush the decoder.
        if packet.size:
            context.stats.add("packets")
            if context.on_packet is not None:
                context.on_packet(packet)

        try:
            frames = packet.decode()
        except av.InvalidDataError as err:
            # One damaged packet (lost data on UDP, a cut at reconnect) is normal. A stream
            # that never decodes again is caught by the stall watchdog.
            context.stats.add("decode_errors")
            context.log.debug("failed to decode a packet: %s", redact(str(err)))
            return
        for frame in frames:
            self.handle_frame(frame)

    def check_stall(self) -> None:
        timeout = self.context.camera.timeout
        if time.monotonic() - self.last_frame > timeout:
            raise StreamTimeoutError(f"no frames decoded from {self.context.safe_url} for {timeout:g} s")

    def handle_frame(self, frame: av.VideoFrame) -> None:
        context = self.context
        now = time.monotonic()
        pts_time = frame.time if frame.time is not None else now - self.opened
        stream_time = context.timeline.place(pts_time, now, continue_by_wall_clock=not context.is_file)
        self.last_frame = now
        self.frames += 1
        context.stats.frame_decoded(now)

        self.track_health(frame, now)
        if context.pacer is not None:
            context.pacer.wait_for(stream_time, now)
        if context.sampler.take(stream_time):
            context.on_frame(self.sample(frame, stream_time))

    def track_health(self, frame: av.VideoFrame, now: float) -> None:
        if self.online_since is None:
            self.online_since = now
            self.context.on_first_frame(frame, self.video)
        elif not self.healthy and now - self.online_since >= HEALTHY_SECONDS:
            self.healthy = True
            self.context.on_healthy()

    def sample(self, frame: av.VideoFrame, stream_time: float) -> SampledFrame:
        context = self.context
        return convert(
            frame,
            camera_id=context.camera.id,
            index=context.stats.add("frames_sampled"),
            time_seconds=stream_time,
            input_size=context.input_size,
            motion_height=context.motion_height,
        )
