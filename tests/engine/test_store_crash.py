"""Event store after a crash: an engine killed with SIGKILL during an event loses nothing.

A child process runs the real recorder on bikes.mp4: event A starts and ends (its clip
is written), event B starts, and the child is killed while B is still open.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from argus_engine.events.model import REASON_RESTART
from argus_engine.events.store import EventStore

REPO_ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys, threading, time
from pathlib import Path
from argus_engine.config import RecordConfig
from argus_engine.events.recorder import EventRecorder
from argus_engine.events.store import EventStore
from argus_engine.labels import DEFAULT_GROUPS
from tests.helpers.packets import bikes_steps, change, sampled_frame, tracked

data_dir = Path(sys.argv[1])
store = EventStore(data_dir / "events.db")
clip_done = threading.Event()
def publish(message):
    if "clip" in message["data"]["reasons"]:
        clip_done.set()
recorder = EventRecorder("front", store=store, media_dir=data_dir / "media",
    record=RecordConfig(pre_roll=1.0, post_roll=1.0), groups=DEFAULT_GROUPS, publish=publish)
streams = []
for stream, step in bikes_steps():
    if not streams:
        recorder.on_stream(stream)
        streams.append(stream)
    recorder.on_packet(step.packet)
    for frame in step.frames:
        t = float(frame.pts * frame.time_base)
        sampled = sampled_frame(frame, t, 1_700_000_000.0 + t)
        a, b = tracked("a", time=t), tracked("b", label="bicycle", time=t, box=(300.0, 80.0, 420.0, 260.0))
        if abs(t - 2.0) < 0.01:
            recorder.handle([change("start", a, t)], [a], sampled)
        elif abs(t - 3.0) < 0.01:
            recorder.handle([change("end", a, t)], [], sampled)
        elif abs(t - 4.0) < 0.01:
            recorder.handle([change("start", b, t)], [b], sampled)
if not clip_done.wait(30):
    sys.exit("clip of event A was not written")
print(json.dumps({"ready": True}), flush=True)
time.sleep(600)
"""


def run_until_ready(data_dir: Path) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_dir)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = child.stdout.readline()
    if json.loads(line or "{}").get("ready") is not True:
        child.kill()
        raise AssertionError(f"child did not get ready: {line!r} {child.stderr.read()}")
    return child


def test_killed_engine_loses_no_event(tmp_path: Path) -> None:
    child = run_until_ready(tmp_path)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    assert child.returncode == -signal.SIGKILL

    unfinished = list((tmp_path / "media").rglob("*-clip.mp4.part"))
    assert len(unfinished) == 1

    restart = time.time()
    store = EventStore(tmp_path / "events.db")
    try:
        before = store.last_cursor()
        closed = store.close_open_events(restart)
        events, _ = store.query_events()
        replay = store.messages_after(0)
    finally:
        store.close()

    by_label = {row["label"]: row for row in events}
    assert sorted(by_label) == ["bicycle", "person"]
    ended, stopped = by_label["person"], by_label["bicycle"]

    assert ended["end"] == 1_700_000_003.0
    assert ended["clip_path"] is not None
    assert stopped["end"] == restart
    assert [message["data"]["event"]["id"] for _, message in closed] == [stopped["id"]]
    assert closed[0][1]["data"]["reasons"] == [REASON_RESTART]

    kinds = [(message["data"]["event"]["label"], message["data"]["type"]) for _, message in replay]
    assert kinds == [
        ("person", "start"),
        ("person", "end"),
        ("person", "update"),
        ("bicycle", "start"),
        ("bicycle", "end"),
    ]
    assert [cursor for cursor, _ in replay] == sorted({cursor for cursor, _ in replay})
    assert replay[-1][0] == before + 1

    media = tmp_path / "media"
    for row in (ended, stopped):
        for column in ("snapshot_path", "crop_path"):
            with Image.open(media / row[column]) as image:
                image.verify()
    assert (media / ended["clip_path"]).stat().st_size > 0
    assert unfinished[0].name == f"{stopped['id']}-clip.mp4.part"
    assert not unfinished[0].exists()
