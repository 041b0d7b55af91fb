"""Image preparation: downscaling, shrinking and bad input."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from custom_components.argus.cloud.errors import ImageError
from custom_components.argus.cloud.images import prepare_image, shrink
from tests.helpers.cloud import jpeg_with_metadata


@pytest.mark.parametrize(("size", "max_side", "expected"), [
    ((3840, 2160), 1024, (1024, 576)),
    ((1080, 1920), 1024, (576, 1024)),
    ((640, 480), 1024, (640, 480)),
    ((640, 480), 320, (320, 240)),
])
def test_prepare_image_sizes(size, max_side, expected) -> None:
    prepared = prepare_image(jpeg_with_metadata(*size), max_side=max_side, quality=80)

    assert (prepared.width, prepared.height) == expected
    assert Image.open(io.BytesIO(prepared.jpeg)).size == expected


def test_png_source_becomes_jpeg() -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 128, 255, 128)).save(buffer, format="PNG")

    prepared = prepare_image(buffer.getvalue(), max_side=1024, quality=80)

    assert Image.open(io.BytesIO(prepared.jpeg)).format == "JPEG"


def test_shrink_gives_smaller_image() -> None:
    prepared = prepare_image(jpeg_with_metadata(1600, 900), max_side=1024, quality=80)

    smaller = shrink(prepared, quality=80)

    assert smaller.long_side < prepared.long_side
    assert len(smaller.jpeg) < len(prepared.jpeg)


def test_shrink_stops_at_minimum() -> None:
    prepared = prepare_image(jpeg_with_metadata(64, 48), max_side=1024, quality=80)

    with pytest.raises(ImageError, match="cannot shrink further"):
        shrink(prepared, quality=80)


@pytest.mark.parametrize("source", [b"", b"not an image", b"\xff\xd8\xff\xe0truncated"])
def test_bad_source_raises(source) -> None:
    with pytest.raises(ImageError, match="not a readable image"):
        prepare_image(source, max_side=1024, quality=80)
