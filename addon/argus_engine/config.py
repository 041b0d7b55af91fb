"""Engine configuration: schemas for the config file and API commands, and the typed result.

One schema serves the YAML/JSON config file, the websocket commands that add or change
cameras and zones, and the persisted state in the data dir, so all three accept and
reject exactly the same input.

Zone and mask points are stored normalised to 0..1 of the frame. Points given in pixels
need `units: pixels` and the frame size they refer to, because the unit is never guessed.
"""

import json
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import voluptuous as vol
import yaml

from .errors import ConfigError
from .geometry import Point, polygon_problem
from .labels import DEFAULT_GROUPS
from .stream_url import build_url, redact, validate_url

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
ZONE_POSITIONS = ("bottom_center", "center", "overlap")
DEFAULT_OBJECTS = ("person", "vehicle", "animal")
# A zone covering the whole frame, for replays and the demo camera.
FULL_FRAME: tuple[Point, ...] = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))


@dataclass(frozen=True, slots=True)
class ObjectFilter:
    """Per-label rules a detection or track must pass to count."""

    # Detections below this score are dropped before tracking.
    min_score: float = 0.5
    # The median of a track's recent scores must reach this before it makes an event,
    # so a single lucky frame never does.
    threshold: float = 0.7
    # Box area as a fraction of the frame area.
    min_area: float = 0.0
    max_area: float = 1.0
    # Box width / height.
    min_ratio: float = 0.0
    max_ratio: float = math.inf


@dataclass(frozen=True, slots=True)
class ZoneConfig:
    """A polygon on one camera's frame, with the objects and rules it watches."""

    id: str
    name: str
    points: tuple[Point, ...]
    # Labels or group names; empty means the camera's objects.
    objects: tuple[str, ...] = ()
    min_score: float = 0.0
    # Consecutive detected frames inside before the object counts as entered.
    inertia: int = 3
    # Seconds an object stays inside before a loitering event; 0 disables it.
    loitering_seconds: float = 0.0
    # Which part of the box must be inside: bottom_center, center or overlap.
    position: str = "bottom_center"


@dataclass(frozen=True, slots=True)
class MotionConfig:
    """Motion gate settings; see motion.py for how each is used."""

    enabled: bool = True
    # Per-pixel difference from the background, 0..255, that counts as changed.
    threshold: int = 25
    # Changed area, as a fraction of the frame, that counts as motion.
    min_area: float = 0.002
    # Height in pixels of the grayscale copy the gate works on.
    frame_height: int = 120
    # Background running-average weight of each new frame.
    alpha: float = 0.05
    # Seconds between detector runs on frames without motion, to keep still objects confirmed.
    refresh_seconds: float = 5.0
    # Changed fraction of the frame above which the change is treated as a light switch
    # (IR on/off, lightning) and the background is reset instead.
    recalibrate_area: float = 0.6
    masks: tuple[tuple[Point, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class RecordConfig:
    """Event clip settings."""

    enabled: bool = True
    pre_roll: float = 5.0
    post_roll: float = 5.0
    # A clip longer than this is cut, so a stuck event cannot fill the disk.
    max_seconds: float = 300.0


@dataclass(frozen=True, slots=True)
class CameraConfig:
    """One camera: where its stream is and what to look for in it."""

    id: str
    name: str
    # Either `url` or `host` (with optional port, path, username, password, scheme).
    url: str | None = None
    host: str | None = None
    port: int | None = None
    path: str = ""
    username: str | None = None
    password: str | None = None
    scheme: str = "rtsp"
    transport: str = "tcp"
    detect_fps: float = 5.0
    enabled: bool = True
    # Seconds without a packet before the stream counts as stalled and is reopened.
    timeout: float = 10.0
    objects: tuple[str, ...] = DEFAULT_OBJECTS
    filters: Mapping[str, ObjectFilter] = field(default_factory=dict)
    masks: tuple[tuple[Point, ...], ...] = ()
    zones: tuple[ZoneConfig, ...] = ()
    motion: MotionConfig = MotionConfig()
    record: RecordConfig = RecordConfig()

    @property
    def stream_url(self) -> str:
        """Return the URL to open, credentials included; never log it, log `safe_url`."""
        if self.url:
            return self.url
        assert self.host is not None
        return build_url(
            host=self.host,
            port=self.port,
            path=self.path,
            username=self.username,
            password=self.password,
            scheme=self.scheme,
        )

    @property
    def safe_url(self) -> str:
        """Return the stream URL with its password replaced by ***."""
        return redact(self.stream_url)

    def filter_for(self, label: str) -> ObjectFilter:
        """Return the filter for a label, or the default one."""
        return self.filters.get(label, DEFAULT_FILTER)


DEFAULT_FILTER = ObjectFilter()


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """Detector settings: the model file, its labels and the thread count."""

    # Path to the ONNX file; None means the default lookup (see models/README.md).
    model: str | None = None
    # Optional labels file (one name per line, or JSON list/dict) overriding the model's names.
    labels: str | None = None
    # Intra-op threads; 0 means one per CPU this process may use.
    threads: int = 0


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Everything the engine runs with."""

    cameras: tuple[CameraConfig, ...] = ()
    detector: DetectorConfig = DetectorConfig()
    groups: Mapping[str, frozenset[str]] = field(default_factory=lambda: dict(DEFAULT_GROUPS))
    retention_days: float = 10.0

    def camera(self, camera_id: str) -> CameraConfig | None:
        """Return the camera with this id, if any."""
        return next((camera for camera in self.cameras if camera.id == camera_id), None)


# --- schemas -------------------------------------------------------------------------

_score = vol.All(vol.Coerce(float), vol.Range(min=0.0, max=1.0))
_fraction = vol.All(vol.Coerce(float), vol.Range(min=0.0, max=1.0))
_positive = vol.All(vol.Coerce(float), vol.Range(min=0.0, min_included=False))
_non_negative = vol.All(vol.Coerce(float), vol.Range(min=0.0))
_name = vol.All(str, vol.Length(min=1, max=100))
_id = vol.All(str, vol.Match(ID_PATTERN, msg="must be 1-64 of a-z, 0-9, _ and -, starting with a letter or digit"))
_point = vol.All(
    vol.ExactSequence([vol.Coerce(float), vol.Coerce(float)]),
    lambda point: (float(point[0]), float(point[1])),
)
_points = vol.All([_point], vol.Length(max=100))
_object_names = vol.All([vol.All(str, vol.Length(min=1, max=64))], vol.Length(max=100))

FILTER_SCHEMA = vol.Schema(
    {
        vol.Optional("min_score"): _score,
        vol.Optional("threshold"): _score,
        vol.Optional("min_area"): _fraction,
        vol.Optional("max_area"): _fraction,
        vol.Optional("min_ratio"): _non_negative,
        vol.Optional("max_ratio"): _positive,
    }
)

ZONE_SCHEMA = vol.Schema(
    {
        vol.Optional("id"): _id,
        vol.Required("name"): _name,
        vol.Required("points"): _points,
        vol.Optional("units", default="normalized"): vol.In(("normalized", "pixels")),
        vol.Optional("frame_size"): vol.ExactSequence([vol.All(int, vol.Range(min=1)), vol.All(int, vol.Range(min=1))]),
        vol.Optional("objects"): _object_names,
        vol.Optional("min_score"): _score,
        vol.Optional("inertia"): vol.All(int, vol.Range(min=1, max=1000)),
        vol.Optional("loitering_seconds"): vol.All(vol.Coerce(float), vol.Range(min=0, max=86400)),
        vol.Optional("position"): vol.In(ZONE_POSITIONS),
    }
)

MOTION_SCHEMA = vol.Schema(
    {
        vol.Optional("enabled"): bool,
        vol.Optional("threshold"): vol.All(int, vol.Range(min=1, max=255)),
        vol.Optional("min_area"): _fraction,
        vol.Optional("frame_height"): vol.All(int, vol.Range(min=32, max=1080)),
        vol.Optional("alpha"): vol.All(vol.Coerce(float), vol.Range(min=0.001, max=1.0)),
        vol.Optional("refresh_seconds"): vol.All(vol.Coerce(float), vol.Range(min=0.1, max=3600)),
        vol.Optional("recalibrate_area"): _fraction,
        vol.Optional("masks"): [_points],
    }
)

RECORD_SCHEMA = vol.Schema(
    {
        vol.Optional("enabled"): bool,
        vol.Optional("pre_roll"): vol.All(vol.Coerce(float), vol.Range(min=0, max=60)),
        vol.Optional("post_roll"): vol.All(vol.Coerce(float), vol.Range(min=0, max=60)),
        vol.Optional("max_seconds"): vol.All(vol.Coerce(float), vol.Range(min=1, max=3600)),
    }
)

_ONE_SOURCE = "give either url or host (with port, path, username, password), not both"

CAMERA_SCHEMA = vol.Schema(
    {
        vol.Optional("id"): _id,
        vol.Required("name"): _name,
        vol.Exclusive("url", "source", msg=_ONE_SOURCE): vol.All(str, vol.Length(min=1, max=2048)),
        vol.Exclusive("host", "source", msg=_ONE_SOURCE): vol.All(str, vol.Length(min=1, max=255)),
        vol.Optional("port"): vol.All(int, vol.Range(min=1, max=65535)),
        vol.Optional("path"): vol.All(str, vol.Length(max=1024)),
        vol.Optional("username"): vol.All(str, vol.Length(max=255)),
        vol.Optional("password"): vol.All(str, vol.Length(max=255)),
        vol.Optional("scheme"): vol.In(("rtsp", "rtsps", "http", "https", "rtmp")),
        vol.Optional("transport"): vol.In(("tcp", "udp")),
        vol.Optional("detect_fps"): vol.All(vol.Coerce(float), vol.Range(min=0.1, max=60)),
        vol.Optional("enabled"): bool,
        vol.Optional("timeout"): vol.All(vol.Coerce(float), vol.Range(min=1, max=300)),
        vol.Optional("objects"): _object_names,
        vol.Optional("filters"): {vol.All(str, vol.Length(min=1, max=64)): FILTER_SCHEMA},
        vol.Optional("masks"): [_points],
        vol.Optional("zones"): vol.All([ZONE_SCHEMA], vol.Length(max=100)),
        vol.Optional("motion"): MOTION_SCHEMA,
        vol.Optional("record"): RECORD_SCHEMA,
    }
)

ENGINE_SCHEMA = vol.Schema(
    {
        vol.Optional("cameras", default=[]): vol.All([CAMERA_SCHEMA], vol.Length(max=64)),
        vol.Optional("detector", default={}): {
            vol.Optional("model"): vol.Any(None, str),
            vol.Optional("labels"): vol.Any(None, str),
            vol.Optional("threads"): vol.All(int, vol.Range(min=0, max=256)),
        },
        vol.Optional("groups", default={}): {vol.All(str, vol.Length(min=1, max=64)): _object_names},
        vol.Optional("retention_days"): vol.All(vol.Coerce(float), vol.Range(min=0.01, max=3650)),
    }
)


# --- parsing -------------------------------------------------------------------------


def load_file(path: str | Path) -> EngineConfig:
    """Read a YAML or JSON config file; every problem becomes a ConfigError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read config file {path}: {err.strerror or err}") from err
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"config file {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {err}") from err
    try:
        return parse_engine(data or {})
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}", path=err.path) from err


def parse_engine(data: Any) -> EngineConfig:
    """Validate a whole engine config (already parsed from YAML/JSON)."""
    data = _validate(ENGINE_SCHEMA, data, ())
    groups = {name: frozenset(members) for name, members in DEFAULT_GROUPS.items()}
    groups.update({name: frozenset(members) for name, members in data["groups"].items()})

    cameras: list[CameraConfig] = []
    for index, camera_data in enumerate(data["cameras"]):
        taken = {camera.id for camera in cameras}
        cameras.append(_build_camera(camera_data, ("cameras", index), taken))

    extra: dict[str, Any] = {}
    if "retention_days" in data:
        extra["retention_days"] = data["retention_days"]
    return EngineConfig(
        cameras=tuple(cameras),
        detector=DetectorConfig(**data["detector"]),
        groups=groups,
        **extra,
    )


def parse_camera(data: Any, *, taken_ids: set[str] | frozenset[str] = frozenset()) -> CameraConfig:
    """Validate one camera as sent by an API command; `taken_ids` are ids already in use."""
    validated = _validate(CAMERA_SCHEMA, data, ("camera",))
    return _build_camera(validated, ("camera",), set(taken_ids))


def parse_zone(
    data: Any,
    *,
    taken_ids: set[str] | frozenset[str] = frozenset(),
    frame_size: tuple[int, int] | None = None,
) -> ZoneConfig:
    """Validate one zone as sent by an API command.

    `frame_size` is the camera's current stream size, used for pixel points that do not
    carry a `frame_size` of their own.
    """
    validated = _validate(ZONE_SCHEMA, data, ("zone",))
    return _build_zone(validated, ("zone",), set(taken_ids), frame_size)


def _validate(schema: vol.Schema, data: Any, path: tuple[str | int, ...]) -> Any:
    try:
        return schema(data)
    except vol.MultipleInvalid as err:
        first = err.errors[0]
        where = ".".join(str(part) for part in (*path, *first.path))
        raise ConfigError(f"invalid config at {where or 'top level'}: {redact(first.msg)}", path=(*path, *first.path)) from err
    except vol.Invalid as err:
        where = ".".join(str(part) for part in (*path, *err.path))
        raise ConfigError(f"invalid config at {where or 'top level'}: {redact(err.msg)}", path=(*path, *err.path)) from err


def _build_camera(data: dict[str, Any], path: tuple[str | int, ...], taken: set[str]) -> CameraConfig:
    name = data["name"]
    camera_id = data.get("id") or unique_id(slugify(name), taken)
    if camera_id in taken:
        raise ConfigError(f"camera id {camera_id!r} is used twice", path=(*path, "id"))
    if "url" not in data and "host" not in data:
        raise ConfigError(f"camera {name!r} needs either url or host", path=path)
    if "url" in data:
        try:
            validate_url(data["url"])
        except ConfigError as err:
            raise ConfigError(f"camera {name!r}: {err}", path=(*path, "url")) from err

    zones: list[ZoneConfig] = []
    for index, zone_data in enumerate(data.get("zones", [])):
        zone_taken = {zone.id for zone in zones}
        zones.append(_build_zone(zone_data, (*path, "zones", index), zone_taken, None, camera=name))

    fields = {key: data[key] for key in _CAMERA_SCALARS if key in data}
    if "objects" in data:
        fields["objects"] = tuple(data["objects"])
    filters = {label: ObjectFilter(**values) for label, values in data.get("filters", {}).items()}
    masks = tuple(_check_polygon(mask, f"camera {name!r} mask {i + 1}", (*path, "masks", i)) for i, mask in enumerate(data.get("masks", [])))
    motion = dict(data.get("motion", {}))
    if "masks" in motion:
        motion["masks"] = tuple(
            _check_polygon(mask, f"camera {name!r} motion mask {i + 1}", (*path, "motion", "masks", i))
            for i, mask in enumerate(motion["masks"])
        )
    camera = CameraConfig(
        id=camera_id,
        name=name,
        filters=filters,
        masks=masks,
        zones=tuple(zones),
        motion=MotionConfig(**motion),
        record=RecordConfig(**data.get("record", {})),
        **fields,
    )
    if camera.host is not None:
        try:
            camera.stream_url  # noqa: B018 - validates host and scheme
        except ConfigError as err:
            raise ConfigError(f"camera {name!r}: {err}", path=(*path, "host")) from err
    return camera


_CAMERA_SCALARS = (
    "url", "host", "port", "path", "username", "password", "scheme",
    "transport", "detect_fps", "enabled", "timeout",
)


def _build_zone(
    data: dict[str, Any],
    path: tuple[str | int, ...],
    taken: set[str],
    stream_size: tuple[int, int] | None,
    *,
    camera: str | None = None,
) -> ZoneConfig:
    name = data["name"]
    zone_id = data.get("id") or unique_id(slugify(name), taken)
    label = f"zone {name!r}" + (f" of camera {camera!r}" if camera else "")
    if zone_id in taken:
        raise ConfigError(f"{label}: zone id {zone_id!r} is used twice", path=(*path, "id"))

    points = list(data["points"])
    if data["units"] == "pixels":
        size = data.get("frame_size") or stream_size
        if size is None:
            raise ConfigError(
                f"{label}: points are in pixels but no frame_size is given and the stream size is not known yet",
                path=(*path, "frame_size"),
            )
        width, height = size
        points = [(x / width, y / height) for x, y in points]

    fields = {key: data[key] for key in ("min_score", "inertia", "loitering_seconds", "position") if key in data}
    if "objects" in data:
        fields["objects"] = tuple(data["objects"])
    return ZoneConfig(
        id=zone_id,
        name=name,
        points=_check_polygon(points, label, (*path, "points")),
        **fields,
    )


def _check_polygon(points: Sequence[Point], label: str, path: tuple[str | int, ...]) -> tuple[Point, ...]:
    for x, y in points:
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0) or math.isnan(x) or math.isnan(y):
            raise ConfigError(
                f"{label}: point ({x:g}, {y:g}) is outside the frame; normalised points must be within 0..1",
                path=path,
            )
    problem = polygon_problem(points)
    if problem:
        raise ConfigError(f"{label}: polygon {problem}", path=path)
    return tuple((float(x), float(y)) for x, y in points)


def slugify(name: str) -> str:
    """Return an id-safe form of a name ("Vår hage" -> "var_hage"); never used as a unique id alone."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    return slug[:48] or "item"


def unique_id(base: str, taken: set[str] | frozenset[str]) -> str:
    """Return `base`, or `base_2`, `base_3`, ... whichever is not taken."""
    if base not in taken:
        return base
    number = 2
    while f"{base}_{number}" in taken:
        number += 1
    return f"{base}_{number}"


# --- serialising ---------------------------------------------------------------------


def camera_to_dict(camera: CameraConfig, *, redact_secrets: bool = True) -> dict[str, Any]:
    """Return the camera as config-file data; with `redact_secrets` the password is ***."""
    data = asdict(camera)
    data["objects"] = list(camera.objects)
    data["filters"] = {label: _filter_to_dict(item) for label, item in camera.filters.items()}
    data["masks"] = [[list(point) for point in mask] for mask in camera.masks]
    data["motion"]["masks"] = [[list(point) for point in mask] for mask in camera.motion.masks]
    data["zones"] = [zone_to_dict(zone) for zone in camera.zones]
    data = {key: value for key, value in data.items() if value is not None}
    if redact_secrets:
        if camera.password:
            data["password"] = "***"
        if camera.url:
            data["url"] = redact(camera.url)
    return data


def zone_to_dict(zone: ZoneConfig) -> dict[str, Any]:
    """Return the zone as config-file data with normalised points."""
    data = asdict(zone)
    data["points"] = [list(point) for point in zone.points]
    data["objects"] = list(zone.objects)
    return data


def engine_to_dict(config: EngineConfig, *, redact_secrets: bool = False) -> dict[str, Any]:
    """Return the whole config as data that `parse_engine` reads back unchanged."""
    return {
        "cameras": [camera_to_dict(camera, redact_secrets=redact_secrets) for camera in config.cameras],
        "detector": {key: value for key, value in asdict(config.detector).items() if value is not None},
        "groups": {name: sorted(members) for name, members in config.groups.items()},
        "retention_days": config.retention_days,
    }


def _filter_to_dict(item: ObjectFilter) -> dict[str, float]:
    data = asdict(item)
    if math.isinf(data["max_ratio"]):
        del data["max_ratio"]
    return data


def with_zones(camera: CameraConfig, zones: Sequence[ZoneConfig]) -> CameraConfig:
    """Return a copy of the camera with its zones replaced."""
    return replace(camera, zones=tuple(zones))
