"""Pre-roll ring buffer of compressed video packets, on a repaired, monotonic timeline.

Cameras send timestamps that jump: back by hours when their clock resyncs, forward by
2^31 ticks when a counter wraps, to 0 when the stream restarts. `Timeline` gives every
packet a decode timestamp that always moves forward by a sane step, so clips cut from
the buffer can be muxed with timestamps rebased to 0 and their length is the real length.
"""

import logging
from collections import deque
from dataclasses import dataclass
from fractions import Fraction

import av

_LOGGER = logging.getLogger(__name__)

# A decode timestamp step larger than this (or not positive) is treated as a jump. A real
# gap that long, such as a stalled stream, is shortened to one frame in clips.
MAX_STEP_SECONDS = 2.0
DEFAULT_FRAME_RATE = 25
# Leading packets without a DTS skipped before the buffer accepts a keyframe without
# one, so a stream that never sends a DTS still gets clips.
MAX_LEADING_WITHOUT_DTS = 50


@dataclass(frozen=True, slots=True)
class BufferedPacket:
    """A packet with its repaired timestamps, in ticks of the stream's time base."""

    packet: av.Packet
    dts: int
    pts: int
    keyframe: bool
    # The packet's own PTS, to find the packet a decoded frame came from.
    raw_pts: int | None


class Timeline:
    """Repair a stream's timestamps into strictly increasing decode times.

    A step from one decode timestamp to the next is kept when it is positive and at
    most MAX_STEP_SECONDS; otherwise the packet's duration is used, or else the
    stream's frame interval. The composition offset (PTS - DTS, non-zero with
    B-frames) is kept when it is in the same range, and dropped otherwise.

    NOTE: packets without a DTS are placed in arrival order, so with B-frames they may
    play out of order in a clip. `PacketRingBuffer` skips the leading ones.
    """

    def __init__(self, time_base: Fraction, frame_rate: Fraction | None) -> None:
        self.time_base = time_base
        self.max_step = max(1, int(MAX_STEP_SECONDS / time_base))
        rate = frame_rate if frame_rate and frame_rate > 0 else Fraction(DEFAULT_FRAME_RATE)
        self.frame_step = max(1, round(1 / (rate * time_base)))
        self.jumps = 0
        self._last_raw: int | None = None
        self._last_dts: int | None = None

    def place(self, packet: av.Packet) -> tuple[int, int]:
        """Return the repaired (dts, pts) of the next packet in decode order."""
        raw_dts = packet.dts if packet.dts is not None else packet.pts
        offset = self._composition_offset(packet, raw_dts)
        if self._last_dts is None:
            # The first packet is presented at 0.
            dts = -offset
        elif self._last_raw is None or raw_dts is None:
            dts = self._last_dts + self._fallback_step(packet)
        else:
            step = raw_dts - self._last_raw
            if not 0 < step <= self.max_step:
                self._log_jump(raw_dts - self._last_raw)
                step = self._fallback_step(packet)
            dts = self._last_dts + step
        if raw_dts is not None:
            self._last_raw = raw_dts
        self._last_dts = dts
        return dts, dts + offset

    def _log_jump(self, ticks: int) -> None:
        self.jumps += 1
        seconds = float(ticks * self.time_base)
        if self.jumps == 1:
            _LOGGER.info("Stream timestamp jumped by %.3f s and was repaired; later jumps are logged at DEBUG", seconds)
        else:
            _LOGGER.debug("Stream timestamp jump %d of %.3f s repaired", self.jumps, seconds)

    def _fallback_step(self, packet: av.Packet) -> int:
        duration = packet.duration
        if duration is not None and 0 < duration <= self.max_step:
            return duration
        return self.frame_step

    def _composition_offset(self, packet: av.Packet, raw_dts: int | None) -> int:
        if packet.pts is None or raw_dts is None:
            return 0
        offset = packet.pts - raw_dts
        return offset if 0 <= offset <= self.max_step else 0


class PacketRingBuffer:
    """The last `seconds` of one video stream's packets, always starting at a keyframe.

    Whole groups of pictures are dropped from the front, and only while what remains
    still covers `seconds`, so memory is about `seconds` plus one keyframe interval.
    Packets before the stream's first keyframe with a DTS are dropped because they cannot
    be decoded, or not in a known order.
    """

    def __init__(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"pre-roll must be zero or more seconds, got {seconds}")
        self.seconds = seconds
        self.stream_index: int | None = None
        self.timeline: Timeline | None = None
        # Each group of pictures is a list of packets starting with a keyframe.
        self._groups: deque[list[BufferedPacket]] = deque()
        self._skipped_without_dts = 0

    def reset(self, stream: av.video.stream.VideoStream) -> None:
        """Start over for a newly opened stream: empty the buffer, new timeline."""
        self.stream_index = stream.index
        rate = stream.average_rate or stream.guessed_rate
        self.timeline = Timeline(stream.time_base or Fraction(1, 90000), rate)
        self._groups.clear()
        self._skipped_without_dts = 0

    def append(self, packet: av.Packet) -> BufferedPacket | None:
        """Add a packet of the video stream; return it with its timestamps, or None if skipped.

        Skipped are packets of other streams, empty packets, and packets before the first
        keyframe that has a DTS.
        """
        if self.timeline is None or packet.stream_index != self.stream_index or packet.size == 0:
            return None
        keyframe = bool(packet.is_keyframe)
        if not self._groups and not self._can_start(packet, keyframe):
            return None
        dts, pts = self.timeline.place(packet)
        entry = BufferedPacket(packet, dts, pts, keyframe, packet.pts)
        if keyframe:
            self._groups.append([entry])
        else:
            self._groups[-1].append(entry)
        self._trim(dts)
        return entry

    def _can_start(self, packet: av.Packet, keyframe: bool) -> bool:
        # The first packets of an RTSP session with B-frames come without a DTS. Their
        # decode order is unknown, so a clip starting there would play out of order.
        if packet.dts is None and self._skipped_without_dts < MAX_LEADING_WITHOUT_DTS:
            self._skipped_without_dts += 1
            return False
        return keyframe

    def _trim(self, newest: int) -> None:
        assert self.timeline is not None
        keep = self.seconds / self.timeline.time_base
        while len(self._groups) > 1 and newest - self._groups[1][0].dts >= keep:
            self._groups.popleft()

    def seconds_of(self, ticks: int) -> float:
        """Return a repaired timestamp in seconds."""
        assert self.timeline is not None
        return float(ticks * self.timeline.time_base)

    def latest_time(self) -> float | None:
        """Return the repaired decode time of the newest packet, in seconds."""
        if not self._groups:
            return None
        return self.seconds_of(self._groups[-1][-1].dts)

    def time_of_pts(self, raw_pts: int | None) -> float | None:
        """Return the repaired time of the newest packet with this original PTS.

        This maps a decoded frame back onto the repaired timeline. Returns None when no
        buffered packet has that PTS.
        """
        if raw_pts is None:
            return None
        for group in reversed(self._groups):
            for entry in reversed(group):
                if entry.raw_pts == raw_pts:
                    return self.seconds_of(entry.pts)
        return None

    def packets_from(self, time: float) -> list[BufferedPacket]:
        """Return the buffered packets from the last keyframe at or before `time` seconds.

        When the buffer does not reach back that far, it starts at the oldest keyframe.
        """
        if not self._groups:
            return []
        start = 0
        for index, group in enumerate(self._groups):
            if self.seconds_of(group[0].pts) <= time:
                start = index
        return [entry for group in list(self._groups)[start:] for entry in group]

    def __len__(self) -> int:
        return sum(len(group) for group in self._groups)
