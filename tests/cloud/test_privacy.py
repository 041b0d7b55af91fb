"""What leaves the house: nothing by default, one clean image per qualifying track when verify is on."""

from __future__ import annotations

import io

from PIL import Image

from custom_components.argus.cloud import CameraCloudSettings, CloudSettings, VerifyMode
from custom_components.argus.cloud.images import prepare_image
from tests.helpers.cloud import ImageSource, Recorder, event_message, jpeg_with_metadata, make_manager, verify_settings

JPEG_COMMENT_MARKER = b"\xff\xfe"
APP1_MARKER = b"\xff\xe1"


def _many_events() -> list[dict]:
    messages = []
    for index in range(20):
        for kind in ("start", "update", "end"):
            messages.append(event_message(f"ev{index}", kind=kind, score=0.35 + index * 0.03, zones=("door",),
                                          entered=("door",) if kind == "update" else ()))
    return messages


async def test_default_settings_send_nothing(session, socket_guard) -> None:
    images = ImageSource()
    recorder = Recorder()
    manager = make_manager(CloudSettings(), session, images, recorder)

    tasks = [manager.handle_event(message) for message in _many_events()]
    verification = await manager.verify("ev3")
    alert = await manager.notify(event_id="ev3", message="test")
    await manager.drain()

    assert tasks == [None] * len(tasks)
    assert verification.verdict == "unverified"
    assert verification.error == "not_configured"
    assert alert.status == "rejected"
    assert images.paths == []
    assert socket_guard == []


async def test_verify_sends_one_clean_image_per_track(fake_ai, session, socket_guard) -> None:
    source = jpeg_with_metadata(1920, 1080)
    assert Image.open(io.BytesIO(source)).getexif()  # the source really carries EXIF
    settings = verify_settings(fake_ai, verify_mode=VerifyMode.EVERY_PERSON, image_source="frame",
                               cameras={"front": CameraCloudSettings(verify=True)})
    images = ImageSource(source)
    manager = make_manager(settings, session, images, Recorder())

    for index in range(5):
        for kind in ("start", "update", "update", "update", "end"):
            manager.handle_event(event_message(f"person{index}", kind=kind, score=0.3 + index * 0.15))
    manager.handle_event(event_message("car0", label="car", score=0.5))
    manager.handle_event(event_message("other_camera", camera="back", score=0.5))
    await manager.drain()

    assert len(fake_ai.requests) == 5
    assert sorted(images.paths) == [f"/api/events/person{index}/snapshot.jpg" for index in range(5)]
    for request in fake_ai.requests:
        image = Image.open(io.BytesIO(request.image))
        assert max(image.size) <= 1024
        assert not image.getexif()
        assert "comment" not in image.info
        assert APP1_MARKER not in request.image
        assert JPEG_COMMENT_MARKER not in request.image
        assert b"SecretCam" not in request.body
        assert b"SERIAL-0042" not in request.body
    assert socket_guard
    assert all(address[0] == "127.0.0.1" for address in socket_guard)


def test_prepare_image_applies_orientation() -> None:
    # A 200x100 image tagged "rotate 90°" must arrive upright as 100x200, without its EXIF.
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), "red").save(buffer, format="JPEG", exif=exif)

    prepared = prepare_image(buffer.getvalue(), max_side=1024, quality=80)

    assert (prepared.width, prepared.height) == (100, 200)
    assert not Image.open(io.BytesIO(prepared.jpeg)).getexif()
