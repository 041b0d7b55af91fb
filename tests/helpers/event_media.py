"""Events written straight into an engine's event log, with real snapshot JPEGs and MP4 clips.

The media browser and the notification tests read what the engine has stored, so they
need no detector run. A real JPEG from Pillow and a real MP4 remuxed from the first
seconds of bikes.mp4 let the engine serve `image/jpeg` and `video/mp4`.
"""

from __future__ import annotations

import io
from pathlib import Path

import av
from PIL import Image

from argus_engine.events.model import Event, new_event_id
from argus_engine.events.store import EventStore
from tests.helpers.media import bikes_path


def jpeg_bytes(size: tuple[int, int] = (160, 68), color: tuple[int, int, int] = (40, 90, 160)) -> bytes:
    """Return a real baseline JPEG of one colour."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def write_clip(path: Path, seconds: float = 2.0) -> Path:
    """Remux the first `seconds` of bikes.mp4 into an MP4 at `path`, without re-encoding."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(bikes_path())) as source, av.open(str(path), "w", format="mp4") as target:
        video = source.streams.video[0]
        stream = target.add_stream_from_template(video)
        for packet in source.demux(video):
            # The demuxer ends with an empty flush packet, which has no timestamps.
            if packet.dts is None:
                continue
            if packet.dts * video.time_base > seconds:
                break
            packet.stream = stream
            target.mux(packet)
    return path


class EventWriter:
    """Store events of the given cameras in an engine's event log, with media files."""

    def __init__(self, store: EventStore, media_dir: Path) -> None:
        self.store = store
        self.media_dir = media_dir
        self._snapshot = "test/snapshot.jpg"
        self._clip: str | None = None
        (media_dir / "test").mkdir(parents=True, exist_ok=True)
        (media_dir / self._snapshot).write_bytes(jpeg_bytes())

    def clip(self) -> str:
        """Return the relative path of the shared test clip, writing it on first use."""
        if self._clip is None:
            self._clip = "test/clip.mp4"
            write_clip(self.media_dir / self._clip)
        return self._clip

    def add(
        self,
        camera: str,
        start: float,
        *,
        label: str = "person",
        zones: tuple[str, ...] = (),
        score: float = 0.91,
        clip: bool = False,
        snapshot: bool = True,
    ) -> Event:
        """Store one ended event that started at Unix time `start`, and journal its end."""
        event = Event(
            id=new_event_id(start),
            camera=camera,
            label=label,
            groups=[label],
            start=start,
            stream_start=0.0,
            top_score=score,
            score=score,
            zones=list(zones),
            end=start + 5.0,
        )
        event.snapshot_path = self._snapshot if snapshot else None
        event.clip_path = self.clip() if clip else None
        self.store.record(event, {"type": "end", "reasons": [], "zone_changes": [], "event": event.to_json()})
        return event
