"""Stream time that only moves forward, and real-time pacing of files by that time.

A camera's PTS restart at every reconnect and can jump when its clock is reset, but the
tracker and the event recorder downstream need one monotonic clock per camera.
"""

import threading


class Timeline:
    """Maps each session's PTS onto one monotonic timeline in seconds, starting at 0."""

    def __init__(self) -> None:
        self.last_time: float | None = None
        # Monotonic clock of the last frame placed, for the wall-clock gap at a reconnect.
        self.last_frame_monotonic: float | None = None
        self._first_pts: float | None = None
        self._offset = 0.0
        self._frame_interval = 0.04
        self._max_jump = 11.0

    def begin_session(self, *, frame_interval: float, max_jump: float) -> None:
        """Start a new open of the stream, whose PTS may start anywhere.

        `max_jump` is the largest PTS step that counts as a real gap. A larger step is a
        discontinuity, so the timeline continues one frame interval after the last frame.
        """
        self._first_pts = None
        self._frame_interval = frame_interval
        self._max_jump = max_jump

    def place(self, pts_time: float, now: float, *, continue_by_wall_clock: bool) -> float:
        """Return the timeline time of a frame with `pts_time` decoded at monotonic `now`."""
        if self._first_pts is None:
            self._anchor(pts_time, now, continue_by_wall_clock)
            stream_time = self._offset
        else:
            stream_time = self._offset + pts_time - self._first_pts
            last = self.last_time
            if last is not None and not last < stream_time <= last + self._max_jump:
                # PTS went backwards or leapt ahead (a camera clock reset or wrap), so the
                # timeline continues from the last frame instead of following the jump.
                self._first_pts, self._offset = pts_time, last + self._frame_interval
                stream_time = self._offset

        self.last_time = stream_time
        self.last_frame_monotonic = now
        return stream_time

    def _anchor(self, pts_time: float, now: float, continue_by_wall_clock: bool) -> None:
        """Place a session's first frame: at 0 for the very first, else after the last frame.

        A camera continues by the wall-clock gap, so an outage shows as the gap it was. A
        looped file continues one frame interval later.
        """
        self._first_pts = pts_time
        if self.last_time is None:
            self._offset = 0.0
        elif continue_by_wall_clock and self.last_frame_monotonic is not None:
            self._offset = self.last_time + max(self._frame_interval, now - self.last_frame_monotonic)
        else:
            self._offset = self.last_time + self._frame_interval


class Pacer:
    """Sleeps so that frames of a file come out at the pace of their timestamps."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._anchor: tuple[float, float] | None = None

    def wait_for(self, stream_time: float, now: float) -> None:
        """Sleep until `stream_time` comes round on the monotonic clock; return early on stop."""
        if self._anchor is None or stream_time < self._anchor[1]:
            self._anchor = (now, stream_time)
        wall_start, time_start = self._anchor
        delay = wall_start + (stream_time - time_start) - now
        if delay < -1.0:
            # Far behind (a slow machine): pace again from here instead of bursting.
            self._anchor = (now, stream_time)
        elif delay > 0:
            self._stop.wait(delay)
