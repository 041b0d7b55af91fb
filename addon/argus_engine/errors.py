"""Argus error hierarchy.

Each error also inherits the builtin a caller would naturally catch, so code unaware of
Argus can still handle it: a missing model is a FileNotFoundError, and a stream that
stops responding is a TimeoutError.
"""


class ArgusError(Exception):
    """Base of every error the engine raises on purpose."""


class ConfigError(ArgusError, ValueError):
    """Invalid configuration; the message names the camera, zone or field."""

    def __init__(self, message: str, *, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        # Location of the bad value, e.g. ("cameras", 0, "zones", "door", "points").
        self.path = path


class ModelError(ArgusError, ValueError):
    """A model file that cannot be used: not ONNX, or an input or output we cannot read."""


class ModelNotFoundError(ModelError, FileNotFoundError):
    """No model file where the engine looked."""


class StreamError(ArgusError, ConnectionError):
    """A camera stream could not be opened or read."""


class StreamTimeoutError(StreamError, TimeoutError):
    """A camera stream that sent nothing within its timeout."""


class InputError(ArgusError, ValueError):
    """Input that is not an image or video the engine can decode."""
