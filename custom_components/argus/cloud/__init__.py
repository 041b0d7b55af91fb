"""Optional cloud features of Argus: Workers AI verification and signed alerts to a Worker.

Nothing here runs unless the user enables it in the integration options; with the
default settings no request leaves the house. The package imports nothing from
Home Assistant, so it is tested on its own; `CloudManager` is the entry point.
"""

from .errors import CloudError
from .manager import CloudCallbacks, CloudManager, EventNotFoundError
from .notify import NotifyResult
from .settings import CameraCloudSettings, CloudSettings, VerifyMode, redact, settings_from_mapping
from .verifier import Verification

__all__ = [
    "CameraCloudSettings",
    "CloudCallbacks",
    "CloudError",
    "CloudManager",
    "CloudSettings",
    "EventNotFoundError",
    "NotifyResult",
    "Verification",
    "VerifyMode",
    "redact",
    "settings_from_mapping",
]
