"""Opening the shared detector the way every command and the engine do it."""

import logging

from .detector.model import load_model
from .detector.service import Detector

_LOGGER = logging.getLogger(__name__)


def open_detector(model: str | None, *, labels: str | None = None, threads: int = 0) -> Detector:
    """Find the model (explicit path, else the standard lookup), load it and start the detector."""
    from .model_store import find_model

    path = find_model(explicit=model)
    detector = Detector(load_model(path, labels_path=labels, threads=threads))
    detector.start()
    return detector
