"""The shared detector: worker thread, bounded queue, errors and statistics."""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from argus_engine.detector.letterbox import letterbox_for
from argus_engine.detector.model import load_model
from argus_engine.detector.service import Detector, DetectorBusyError, DetectorStoppedError
from argus_engine.errors import ArgusError
from tests.helpers.models import build_constant_model, end2end_output

BLANK = np.zeros((640, 640, 3), dtype=np.uint8)
LETTERBOX = letterbox_for(640, 640, 640, 640)


@pytest.fixture
def model(tmp_path):
    rows = [[10, 10, 50, 50, 0.9, 0], [60, 60, 90, 90, 0.8, 1]]
    path = build_constant_model(tmp_path / "m.onnx", end2end_output(rows), metadata={"names": "{0: 'person', 1: 'car'}"})
    return load_model(path, threads=1)


def _detect(detector: Detector, **kwargs):
    return detector.detect(BLANK, LETTERBOX, (640, 640), **kwargs)


def test_many_camera_threads_share_one_session(model):
    with Detector(model, queue_size=4) as detector:
        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(lambda _: _detect(detector, timeout=60), range(60)))

    assert all([d.label for d in result] == ["person", "car"] for result in results)
    assert detector.stats()["runs"] == 60
    assert detector.stats()["p50_ms"] > 0
    assert detector.stats()["mean_ms"] > 0


def test_full_queue_raises_timeout(model):
    release = threading.Event()
    entered = threading.Event()
    real_run = model.run

    def slow_run(tensor):
        entered.set()
        release.wait(30)
        return real_run(tensor)

    model.run = slow_run
    detector = Detector(model, queue_size=1)
    detector.start()
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            running = pool.submit(_detect, detector, timeout=60)
            assert entered.wait(30)
            queued = pool.submit(_detect, detector, timeout=60)
            # Wait until the second frame sits in the queue.
            for _ in range(3000):
                if detector.stats()["queue_depth"] == 1:
                    break
                threading.Event().wait(0.01)
            assert detector.stats()["queue_depth"] == 1

            with pytest.raises(DetectorBusyError, match="queue full") as caught:
                _detect(detector, timeout=0.2)

            release.set()
            assert len(running.result(30)) == 2
            assert len(queued.result(30)) == 2
    finally:
        release.set()
        detector.stop()

    assert isinstance(caught.value, TimeoutError)
    assert isinstance(caught.value, ArgusError)
    assert detector.stats()["rejected"] == 1


def test_result_timeout_raises(model):
    release = threading.Event()
    real_run = model.run

    def slow_run(tensor):
        release.wait(30)
        return real_run(tensor)

    model.run = slow_run
    detector = Detector(model)
    detector.start()
    try:
        with pytest.raises(DetectorBusyError, match="no detection result within"):
            _detect(detector, timeout=0.2)
    finally:
        release.set()
        detector.stop()


def test_worker_survives_bad_frame(model):
    with Detector(model) as detector:
        with pytest.raises(ValueError, match="expected uint8 RGB"):
            detector.detect(np.zeros((10, 10, 3), dtype=np.uint8), LETTERBOX, (640, 640))

        assert len(_detect(detector)) == 2


def test_direct_calls_without_start(model):
    detector = Detector(model)

    assert [d.label for d in _detect(detector)] == ["person", "car"]
    assert not any(thread.name == "argus-detector" for thread in threading.enumerate())
    assert detector.stats()["runs"] == 1


def test_stop_then_direct(model):
    detector = Detector(model)
    detector.start()
    _detect(detector)
    detector.stop()

    assert len(_detect(detector)) == 2
    assert detector.stats()["runs"] == 2
    assert not any(thread.name == "argus-detector" for thread in threading.enumerate())


def test_stop_fails_queued_frames(model):
    release = threading.Event()
    entered = threading.Event()
    real_run = model.run

    def slow_run(tensor):
        entered.set()
        release.wait(30)
        return real_run(tensor)

    model.run = slow_run
    detector = Detector(model, queue_size=1)
    detector.start()
    with ThreadPoolExecutor(max_workers=2) as pool:
        running = pool.submit(_detect, detector, timeout=60)
        assert entered.wait(30)
        queued = pool.submit(_detect, detector, timeout=60)
        for _ in range(3000):
            if detector.stats()["queue_depth"] == 1:
                break
            threading.Event().wait(0.01)

        detector.stop(timeout=0.2)
        with pytest.raises(DetectorStoppedError):
            queued.result(30)

        release.set()
        assert len(running.result(30)) == 2

    # The worker leaves once its last frame is done, so no thread is left behind.
    for _ in range(3000):
        if not any(thread.name == "argus-detector" for thread in threading.enumerate()):
            break
        threading.Event().wait(0.01)
    assert not any(thread.name == "argus-detector" for thread in threading.enumerate())
