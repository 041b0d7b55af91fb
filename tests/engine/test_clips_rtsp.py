"""Event clip and snapshot from a live RTSP stream (bikes.mp4 served by GStreamer).

RTSP packets differ from file packets: a 1/90000 time base, no DTS on the first packets,
and a stream joined at whatever point the shared server has reached.
"""

from pathlib import Path

import av
import pytest
from PIL import Image

from argus_engine.config import RecordConfig
from argus_engine.events.recorder import EventRecorder
from argus_engine.events.store import EventStore
from argus_engine.labels import DEFAULT_GROUPS
from argus_engine.objects import REASON_CLIP
from tests.helpers.packets import change, sampled_frame, tracked
from tests.helpers.rtsp import rtsp_server  # noqa: F401  (fixture)

pytestmark = [pytest.mark.rtsp, pytest.mark.slow]

PRE_ROLL, POST_ROLL, EVENT_SECONDS = 2.0, 1.5, 3.0
WALL = 1_700_000_000.0


def test_rtsp_event_clip(rtsp_server, tmp_path: Path) -> None:  # noqa: F811
    messages: list[dict] = []
    snapshot_ready: list[bool] = []
    store = EventStore(tmp_path / "events.db")

    def publish(message: dict) -> None:
        if message["data"]["type"] == "start":
            row = store.get_event(message["data"]["event"]["id"])
            with Image.open(tmp_path / "media" / row["snapshot_path"]) as image:
                image.verify()
            snapshot_ready.append(True)
        messages.append(message)

    recorder = EventRecorder(
        "gate",
        store=store,
        media_dir=tmp_path / "media",
        record=RecordConfig(pre_roll=PRE_ROLL, post_roll=POST_ROLL),
        groups=DEFAULT_GROUPS,
        publish=publish,
    )
    container = av.open(rtsp_server.url("bikes"), options={"rtsp_transport": "tcp"}, timeout=10)
    try:
        stream = container.streams.video[0]
        recorder.on_stream(stream)
        start, end = run_event(container, stream, recorder)
    finally:
        container.close()
        recorder.close(30)
        store.close()

    assert snapshot_ready == [True]
    kinds = [(message["data"]["type"], message["data"]["reasons"]) for message in messages]
    assert kinds == [("start", []), ("end", []), ("update", [REASON_CLIP])]
    event = messages[-1]["data"]["event"]
    assert event["stream_start"] == pytest.approx(start)
    assert event["stream_end"] == pytest.approx(end)

    clip = next((tmp_path / "media").rglob("*-clip.mp4"))
    with av.open(str(clip)) as output:
        times = [float(frame.pts * frame.time_base) for frame in output.decode(video=0)]
    duration = times[-1] - times[0] + 1 / 25
    assert times[0] == pytest.approx(0.0, abs=0.001)
    assert times == sorted(times)
    assert abs(duration - (EVENT_SECONDS + PRE_ROLL + POST_ROLL)) < 1.0


def run_event(container: av.container.InputContainer, stream: av.video.stream.VideoStream, recorder: EventRecorder) -> tuple[float, float]:
    """Read the stream through one event; return its start and end in stream seconds.

    The event starts 0.2 s after (a keyframe + pre-roll). The clip must then begin at
    that keyframe, wherever in the shared stream the client joined.
    """
    first_pts: int | None = None
    planned: float | None = None
    start: float | None = None
    end: float | None = None
    for packet in container.demux(stream):
        recorder.on_packet(packet)
        for frame in packet.decode():
            if frame.pts is None:
                # The first packets of an RTSP session may come without timestamps.
                continue
            first_pts = frame.pts if first_pts is None else first_pts
            time = float((frame.pts - first_pts) * frame.time_base)
            sampled = sampled_frame(frame, time, WALL + time, camera_id="gate")
            person = tracked(time=time)

            if planned is None and frame.key_frame and time >= 0.5:
                planned = time + PRE_ROLL + 0.2
            elif planned is not None and start is None and time >= planned:
                start = time
                recorder.handle([change("start", person, time)], [person], sampled)
            elif start is not None and end is None and time >= start + EVENT_SECONDS:
                end = time
                recorder.handle([change("end", person, time)], [], sampled)
            elif end is not None and time >= end + POST_ROLL + 1.0:
                return start, end
    raise AssertionError("the RTSP stream ended before the event was over")
