"""Camera ingest: one decode thread per camera, sampling frames at the detect fps."""

from .camera import CameraSource
from .status import CameraStatus

__all__ = ["CameraSource", "CameraStatus"]
