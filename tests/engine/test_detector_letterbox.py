"""Letterbox geometry and the mapping of boxes back to frame pixels."""

import numpy as np
import pytest

from argus_engine.detector.letterbox import PAD_VALUE, boxes_to_frame, letterbox_for, pad_to_input
from argus_engine.detector.model import load_model
from argus_engine.detector.preprocess import TensorBuffer, resize_rgb, to_tensor
from argus_engine.detector.service import Detector
from tests.helpers.models import build_constant_model, end2end_output

FULL_HD = np.zeros((1080, 1920, 3), dtype=np.uint8)


@pytest.mark.parametrize(
    ("input_size", "model_box"),
    [(640, [100, 240, 200, 400]), (320, [50, 120, 100, 200])],
)
def test_full_hd_box_maps_back(tmp_path, input_size, model_box):
    path = build_constant_model(
        tmp_path / f"fake{input_size}.onnx",
        end2end_output([[*model_box, 0.9, 0]]),
        input_shape=[1, 3, input_size, input_size],
        metadata={"names": "{0: 'person'}"},
    )
    detector = Detector(load_model(path, threads=1))

    (detection,) = detector.detect_image(FULL_HD)

    assert detection.label == "person"
    assert detection.box == pytest.approx((300, 300, 600, 780), abs=1)


@pytest.mark.parametrize(
    ("frame", "input_size", "expected"),
    [
        # (resized width, resized height, pad left, pad top) as Ultralytics' LetterBox computes them.
        ((1920, 1080), (640, 640), (640, 360, 0, 140)),
        ((810, 1080), (640, 640), (480, 640, 80, 0)),
        ((640, 272), (640, 640), (640, 272, 0, 184)),
        # 427 rows of padding: 213 above, 214 below.
        ((1000, 333), (640, 640), (640, 213, 0, 213)),
        ((1920, 1080), (320, 320), (320, 180, 0, 70)),
        ((768, 432), (640, 384), (640, 360, 0, 12)),
    ],
)
def test_letterbox_geometry(frame, input_size, expected):
    letterbox = letterbox_for(*frame, *input_size)

    assert (letterbox.resized_width, letterbox.resized_height, letterbox.pad_left, letterbox.pad_top) == expected
    assert letterbox.scale == pytest.approx(min(input_size[0] / frame[0], input_size[1] / frame[1]))


def test_pad_to_input_centres_picture():
    letterbox = letterbox_for(1000, 333, 640, 640)
    resized = np.full((letterbox.resized_height, letterbox.resized_width, 3), 7, dtype=np.uint8)

    padded = pad_to_input(resized, letterbox)

    assert padded.shape == (640, 640, 3)
    assert (padded[:213] == PAD_VALUE).all()
    assert (padded[213:426] == 7).all()
    assert (padded[426:] == PAD_VALUE).all()


def test_to_tensor_layout_and_scale():
    letterbox = letterbox_for(4, 2, 8, 8)
    resized = np.zeros((letterbox.resized_height, letterbox.resized_width, 3), dtype=np.uint8)
    resized[..., 0] = 255

    tensor = to_tensor(resized, letterbox)

    assert tensor.shape == (1, 3, 8, 8)
    assert tensor.dtype == np.float32
    assert tensor.flags.c_contiguous
    assert tensor[0, 0, 4, 0] == 1.0
    assert tensor[0, 1, 4, 0] == 0.0
    assert tensor[0, 0, 0, 0] == pytest.approx(PAD_VALUE / 255)


def test_to_tensor_rejects_wrong_size():
    letterbox = letterbox_for(1920, 1080, 640, 640)

    with pytest.raises(ValueError, match="expected uint8 RGB of shape"):
        to_tensor(np.zeros((640, 640, 3), dtype=np.uint8), letterbox)


def test_resize_rgb_keeps_colour():
    picture = np.zeros((1080, 1920, 3), dtype=np.uint8)
    picture[:, :, 2] = 200

    resized = resize_rgb(picture, 640, 360)

    assert resized.shape == (360, 640, 3)
    assert abs(int(resized[180, 320, 2]) - 200) <= 2
    assert int(resized[180, 320, 0]) <= 2


def test_boxes_to_frame_clips():
    letterbox = letterbox_for(1920, 1080, 640, 640)
    boxes = np.array([[-10.0, 100.0, 700.0, 600.0]])

    mapped = boxes_to_frame(boxes, letterbox, 1920, 1080)

    assert mapped.tolist() == [[0.0, 0.0, 1920.0, 1080.0]]


def test_tensor_buffer_equals_to_tensor():
    buffer = TensorBuffer()
    rng = np.random.default_rng(7)

    # Alternating frame sizes, as when cameras of different sizes share one detector.
    for frame in [(1920, 1080), (810, 1080), (1920, 1080), (640, 272)]:
        letterbox = letterbox_for(*frame, 640, 640)
        resized = rng.integers(0, 256, (letterbox.resized_height, letterbox.resized_width, 3), dtype=np.uint8)

        filled = buffer.fill(resized, letterbox)

        np.testing.assert_array_equal(filled, to_tensor(resized, letterbox))
