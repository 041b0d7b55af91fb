"""Camera entity per engine camera: stills and MJPEG from the engine, stream from the source.

Stills and the MJPEG live view come from the engine (with boxes and zones drawn when
the annotate option is on). `stream_source` is the camera's own RTSP URL with
credentials, so HA's stream and WebRTC work without going through the engine. It is
known only for cameras added in Home Assistant, because the engine reports passwords
as ***.
"""

from __future__ import annotations

from aiohttp import web

from homeassistant.components.camera import Camera, CameraEntityFeature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_aiohttp_proxy_web
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .client import ArgusError, path_id
from .const import CONF_ANNOTATE_STILLS, CONF_CAMERA_ID, SUBENTRY_CAMERA
from .coordinator import ArgusConfigEntry, ArgusCoordinator
from .entity import ArgusEntity, ArgusEntityDescription, Scope, add_entities, build_entities
from .util import STREAM_SCHEMES, build_stream_url

PARALLEL_UPDATES = 0


CAMERAS: tuple[ArgusEntityDescription, ...] = (
    ArgusEntityDescription(key="camera", name=None, scope=Scope.CAMERA, requires_online=False),
)


async def async_setup_entry(hass: HomeAssistant, entry: ArgusConfigEntry, async_add_entities: AddEntitiesCallback) -> None:
    """Create a camera entity per engine camera."""
    coordinator = entry.runtime_data.coordinator
    add_entities(entry, async_add_entities, build_entities(coordinator, CAMERAS, ArgusCamera))


class ArgusCamera(ArgusEntity, Camera):
    """One engine camera."""

    def __init__(
        self, coordinator: ArgusCoordinator, description: ArgusEntityDescription, camera_id: str | None, zone_id: str | None
    ) -> None:
        """Find the camera's source URL in its subentry, if it was added in Home Assistant."""
        ArgusEntity.__init__(self, coordinator, description, camera_id, zone_id)
        Camera.__init__(self)
        self._source = _stream_source(coordinator.config_entry, camera_id)
        if self._source:
            self._attr_supported_features = CameraEntityFeature.STREAM

    async def stream_source(self) -> str | None:
        """Return the camera's own stream URL, credentials included."""
        return self._source

    async def async_camera_image(self, width: int | None = None, height: int | None = None) -> bytes | None:
        """Return the engine's latest frame, annotated when the option is on."""
        params = {"annotate": "1" if self.coordinator.config_entry.options.get(CONF_ANNOTATE_STILLS, True) else "0"}
        if height:
            params["height"] = str(height)
        try:
            return await self.coordinator.client.fetch_bytes(f"/api/cameras/{path_id(self.camera_id or '')}/latest.jpg", params)
        except ArgusError:
            return None

    async def handle_async_mjpeg_stream(self, request: web.Request) -> web.StreamResponse | None:
        """Proxy the engine's annotated MJPEG view."""
        client = self.coordinator.client
        path = f"/api/cameras/{path_id(self.camera_id or '')}/mjpeg"
        return await async_aiohttp_proxy_web(
            self.hass, request, client.session.get(client.base_url + path, headers=client.auth_header), timeout=None
        )


def _stream_source(entry: ArgusConfigEntry, camera_id: str | None) -> str | None:
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_CAMERA and subentry.data.get(CONF_CAMERA_ID) == camera_id:
            url = build_stream_url(subentry.data)
            return url if url and url.startswith(STREAM_SCHEMES) else None
    return None
