"""Constants shared by the Argus integration's modules."""

from datetime import timedelta
from typing import Final

DOMAIN: Final = "argus"

DEFAULT_PORT: Final = 8765

# Config entry options.
CONF_ANNOTATE_STILLS: Final = "annotate_stills"

# Subentry types: cameras and zones added from the Home Assistant UI.
SUBENTRY_CAMERA: Final = "camera"
SUBENTRY_ZONE: Final = "zone"

# Subentry data keys that are not engine config fields.
CONF_CAMERA_ID: Final = "camera_id"
CONF_ZONE_ID: Final = "zone_id"

# Object groups the engine reports by default. Entities exist for every group `hello` lists.
DEFAULT_GROUPS: Final = ("person", "vehicle", "animal")

# Bus event fired for every engine event message (start, update, end).
EVENT_ARGUS: Final = "argus_event"

# Signed snapshot URLs in `argus_event` stay valid this long, so a notification opened
# the next morning still shows its image.
SIGNED_URL_LIFETIME: Final = timedelta(days=1)

# Zone previews in the zone flow are short-lived.
PREVIEW_LIFETIME: Final = timedelta(minutes=10)

# A repair issue is raised once the engine has been unreachable this long.
UNREACHABLE_REPAIR_DELAY: Final = timedelta(minutes=5)

# How long setup waits for the first state snapshot after connecting.
SNAPSHOT_TIMEOUT: Final = 15.0
