"""Helpers for the cloud tests: a fake clock, engine event messages, test images and callback recorders."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import aiohttp
from PIL import Image

from custom_components.argus.cloud import CameraCloudSettings, CloudCallbacks, CloudManager, CloudSettings, VerifyMode
from custom_components.argus.cloud.clock import Clock
from tests.helpers.workers_ai import FakeWorkersAI

START = 1_764_849_600.0  # 2025-12-04 12:00 UTC


class FakeClock:
    """Time that moves only when a test or a sleep moves it."""

    def __init__(self, start: float = START) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.now += seconds

    @property
    def clock(self) -> Clock:
        return Clock(time=self.time, sleep=self.sleep)


def jpeg_with_metadata(width: int = 640, height: int = 480) -> bytes:
    """Return a JPEG photo-like gradient carrying EXIF (with GPS and a camera serial) and a comment."""
    image = Image.radial_gradient("L").resize((width, height)).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam Inc."  # Make
    exif[0xA431] = "SERIAL-0042"  # BodySerialNumber
    exif[0x0112] = 1  # Orientation
    gps = {1: "N", 2: (59.0, 20.0, 0.0), 3: "E", 4: (18.0, 4.0, 0.0)}
    exif[0x8825] = gps
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif, comment=b"home of J. Doe", quality=90)
    return buffer.getvalue()


def event_message(event_id: str, *, kind: str = "start", camera: str = "front", label: str = "person",
                  zones: tuple[str, ...] = (), score: float = 0.9, stationary: bool = False,
                  entered: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return an engine websocket event message as documented in addon/API.md."""
    groups = ["vehicle"] if label in ("car", "truck", "bus", "motorcycle") else [label]
    return {
        "type": "event",
        "cursor": 1,
        "data": {
            "type": kind,
            "zone_changes": [{"zone": zone, "change": "entered"} for zone in entered],
            "event": {
                "id": event_id, "camera": camera, "label": label, "groups": groups, "zones": list(zones),
                "start": START, "end": None, "top_score": score, "stationary": stationary,
                "snapshot_url": f"/api/events/{event_id}/snapshot.jpg",
                "crop_url": f"/api/events/{event_id}/crop.jpg", "clip_url": None,
            },
        },
    }


class ImageSource:
    """The engine side of `fetch_image`: serves one JPEG and records every path asked for."""

    def __init__(self, image: bytes | None = None) -> None:
        self.image = image or jpeg_with_metadata()
        self.paths: list[str] = []

    async def __call__(self, path: str) -> bytes:
        self.paths.append(path)
        return self.image


def verify_settings(fake: FakeWorkersAI, **changes: Any) -> CloudSettings:
    """Return settings with verification on for camera `front`, pointed at the fake server."""
    settings = CloudSettings(
        account_id=fake.account,
        api_token=fake.token,
        api_base=fake.base_url,
        verify_mode=VerifyMode.AMBIGUOUS,
        cameras={"front": CameraCloudSettings(verify=True)},
    )
    return settings.with_changes(**changes)


class Recorder:
    """Collects what the manager reports through its callbacks."""

    def __init__(self) -> None:
        self.stored: list[Any] = []
        self.fired: list[Any] = []
        self.repairs: list[tuple[str, Any]] = []
        self.reauths = 0

    async def store(self, result: Any) -> None:
        self.stored.append(result)

    def fire(self, result: Any) -> None:
        self.fired.append(result)

    def repair(self, issue: str, placeholders: Any) -> None:
        self.repairs.append((issue, placeholders))

    def reauth(self) -> None:
        self.reauths += 1


def make_manager(settings: CloudSettings, session: aiohttp.ClientSession, images: ImageSource,
                 recorder: Recorder, clock: Clock | None = None, **kwargs: Any) -> CloudManager:
    callbacks = CloudCallbacks(
        fetch_image=images,
        store_verification=recorder.store,
        fire_verified=recorder.fire,
        create_repair=recorder.repair,
        start_reauth=recorder.reauth,
    )
    if clock is not None:
        kwargs["clock"] = clock
    return CloudManager(settings, session, callbacks, **kwargs)
