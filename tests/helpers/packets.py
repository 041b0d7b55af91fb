"""Real video packets and frames for event tests, from bikes.mp4.

bikes.mp4 is 10 s of 640×272 H.264 at 25 fps, with B-frames and keyframes at 0, 1.2,
3.04, 5.48, 7.48 and 9.68 s.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import av
import numpy as np

from argus_engine.detector.letterbox import letterbox_for
from argus_engine.frames import SampledFrame
from argus_engine.objects import ObjectChange, TrackedObject, ZoneChange

from .media import bikes_path

FPS = 25


@dataclass
class PacketStep:
    """One demuxed packet and the frames its decoding produced."""

    packet: av.Packet
    frames: list[av.VideoFrame]


def bikes_steps(
    retime: Callable[[int, av.Packet], None] | None = None, loops: int = 1
) -> Iterator[tuple[av.video.stream.VideoStream, PacketStep]]:
    """Demux and decode bikes.mp4 `loops` times, yielding (stream, step) per packet.

    `retime(index, packet)` may rewrite a packet's timestamps before it is yielded
    (index counts packets over all loops). The frames are decoded from the original
    timestamps and given the packet's rewritten PTS, as a source would see them.
    """
    index = 0
    # Original PTS to rewritten PTS, so each frame gets the PTS of its own packet.
    new_pts: dict[int, int] = {}
    for _ in range(loops):
        with av.open(str(bikes_path())) as container:
            stream = container.streams.video[0]
            decoder = av.CodecContext.create(stream.codec_context.name, "r")
            decoder.extradata = stream.codec_context.extradata
            for packet in container.demux(stream):
                if packet.dts is None:
                    continue
                original_pts = packet.pts
                frames = list(decoder.decode(packet))
                if retime is not None:
                    retime(index, packet)
                if original_pts is not None and packet.pts is not None:
                    new_pts[original_pts] = packet.pts
                for frame in frames:
                    frame.pts = new_pts.get(frame.pts, frame.pts) if frame.pts is not None else None
                yield stream, PacketStep(packet, frames)
                index += 1


def sampled_frame(video_frame: av.VideoFrame, time: float, wall_time: float, camera_id: str = "front") -> SampledFrame:
    """Build the SampledFrame a source would hand on for this decoded frame."""
    letterbox = letterbox_for(video_frame.width, video_frame.height, 320, 320)
    rgb = video_frame.to_ndarray(format="rgb24")
    return SampledFrame(
        camera_id=camera_id,
        index=0,
        time=time,
        wall_time=wall_time,
        width=video_frame.width,
        height=video_frame.height,
        gray=np.zeros((8, 8), np.uint8),
        rgb=rgb,
        letterbox=letterbox,
        video_frame=video_frame,
    )


def tracked(
    track_id: str = "t1",
    *,
    label: str = "person",
    score: float = 0.8,
    box: tuple[float, float, float, float] = (200.0, 60.0, 300.0, 250.0),
    time: float = 0.0,
    zones: frozenset[str] = frozenset(),
    stationary: bool = False,
) -> TrackedObject:
    """Return a tracked object detected at `time`."""
    return TrackedObject(
        track_id=track_id,
        label=label,
        score=score,
        top_score=score,
        box=box,
        stationary=stationary,
        zones=zones,
        first_seen=time,
        last_seen=time,
    )


def change(kind: str, obj: TrackedObject, time: float, *zones: ZoneChange, reasons: tuple[str, ...] = ()) -> ObjectChange:
    """Return an ObjectChange of `kind` for `obj` at stream time `time`."""
    return ObjectChange(kind=kind, object=obj, time=time, zone_changes=tuple(zones), reasons=reasons)  # type: ignore[arg-type]
