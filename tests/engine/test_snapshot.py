"""Snapshots: edge detection, ranking, crop region, JPEG output and atomic writes."""

from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from argus_engine.events.snapshot import (
    MIN_CROP_SIDE,
    crop_box,
    is_cut_by_edge,
    render_crop,
    render_snapshot,
    snapshot_rank,
    write_atomic,
    write_snapshot,
)
from tests.helpers.packets import bikes_steps

FRAME = (640, 480)


@pytest.mark.parametrize(
    ("box", "cut"),
    [
        ((100, 100, 200, 200), False),
        ((0, 100, 200, 200), True),
        ((100, 2, 200, 200), True),
        ((100, 100, 638, 200), True),
        ((100, 100, 200, 480), True),
        ((5, 5, 635, 475), False),
    ],
)
def test_is_cut_by_edge(box: tuple, cut: bool) -> None:
    assert is_cut_by_edge(box, FRAME, margin_px=4) is cut


def test_rank_prefers_whole_over_higher_score() -> None:
    whole = snapshot_rank(0.6, (100, 100, 200, 200), FRAME)
    cut = snapshot_rank(0.95, (0, 100, 200, 200), FRAME)
    better_whole = snapshot_rank(0.7, (100, 100, 200, 200), FRAME)

    assert whole > cut
    assert better_whole > whole


def test_crop_box_adds_margin_inside_frame() -> None:
    left, top, right, bottom = crop_box((200, 100, 300, 300), FRAME)

    assert left < 200
    assert right > 300
    assert top < 100
    assert bottom > 300
    assert (right - left) == pytest.approx(130, abs=1)
    assert (bottom - top) == pytest.approx(260, abs=1)


def test_crop_box_minimum_side() -> None:
    left, top, right, bottom = crop_box((300, 200, 310, 205), FRAME)

    assert right - left == MIN_CROP_SIDE
    assert bottom - top == MIN_CROP_SIDE
    assert left <= 300
    assert right >= 310
    assert top <= 200
    assert bottom >= 205


def test_crop_box_clamped_at_edges() -> None:
    left, top, right, bottom = crop_box((-20, -10, 30, 20), FRAME)

    assert (left, top) == (0, 0)
    assert right >= 30
    assert bottom >= 20
    assert crop_box((600, 440, 660, 500), FRAME)[2:] == (640, 480)


def test_crop_box_frame_smaller_than_minimum() -> None:
    assert crop_box((5, 5, 20, 20), (40, 30)) == (0, 0, 40, 30)


def gradient_frame() -> np.ndarray:
    """A frame whose pixels encode their own position, so a crop shows where it came from."""
    height, width = FRAME[1], FRAME[0]
    ys, xs = np.mgrid[0:height, 0:width]
    return np.stack([xs * 255 // width, ys * 255 // height, np.full_like(xs, 128)], axis=-1).astype(np.uint8)


def test_crop_matches_box_region() -> None:
    rgb = gradient_frame()
    box = (200, 100, 300, 300)
    left, top, right, bottom = crop_box(box, FRAME)

    with Image.open(BytesIO(render_crop(rgb, box))) as image:
        assert image.format == "JPEG"
        assert image.size == (right - left, bottom - top)
        crop = np.asarray(image.convert("RGB")).astype(int)

    expected = rgb[top:bottom, left:right].astype(int)
    elsewhere = rgb[0 : bottom - top, 0 : right - left].astype(int)
    assert np.abs(crop - expected).mean() < 3
    assert np.abs(crop - elsewhere).mean() > 30


def test_snapshot_is_full_frame_with_box() -> None:
    rgb = np.full((FRAME[1], FRAME[0], 3), 40, np.uint8)
    box = (200, 100, 300, 300)

    with Image.open(BytesIO(render_snapshot(rgb, box, "person 91%"))) as image:
        assert image.format == "JPEG"
        assert image.size == FRAME
        pixels = np.asarray(image.convert("RGB")).astype(int)

    # The box outline is drawn in a warm colour, the rest stays grey.
    assert pixels[200, 200, 0] > 200
    assert pixels[200, 250, 0] < 60
    assert pixels[400, 500, 0] < 60


def test_snapshot_of_real_frame(tmp_path: Path) -> None:
    _, step = next((item for item in bikes_steps() if item[1].frames))
    rgb = step.frames[0].to_ndarray(format="rgb24")
    box = (250.0, 40.0, 330.0, 250.0)

    write_snapshot(rgb, box, "bicycle", 0.77, tmp_path / "a" / "snap.jpg", tmp_path / "a" / "crop.jpg")

    with Image.open(tmp_path / "a" / "snap.jpg") as image:
        image.verify()
        assert image.size == (rgb.shape[1], rgb.shape[0])
    with Image.open(tmp_path / "a" / "crop.jpg") as image:
        image.verify()
        assert min(image.size) >= MIN_CROP_SIDE
    assert sorted(path.name for path in (tmp_path / "a").iterdir()) == ["crop.jpg", "snap.jpg"]


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.jpg"
    write_atomic(target, b"first")
    write_atomic(target, b"second")

    assert target.read_bytes() == b"second"
    assert [path.name for path in target.parent.iterdir()] == ["file.jpg"]


def test_write_atomic_failure_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "file.jpg"
    write_atomic(target, b"old")

    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]

    assert target.read_bytes() == b"old"
    assert [path.name for path in tmp_path.iterdir()] == ["file.jpg"]
