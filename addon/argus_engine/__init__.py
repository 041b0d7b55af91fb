"""Argus engine: camera streams in, detections, tracks, zone events and a local API out."""

__version__ = "0.1.0"

# Bumped in its major part only for changes that break existing clients; see API.md.
PROTOCOL_VERSION = "1.0"
