"""HTTP views that serve event media and zone previews through Home Assistant.

Both views need Home Assistant auth: a logged-in frontend, a bearer token, or a path
signed with `async_sign_path`. The engine's own token never leaves Home Assistant.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from aiohttp import ClientError, web

from homeassistant.components.http import HomeAssistantView
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .client import ArgusError, path_id
from .const import DOMAIN
from .coordinator import ArgusConfigEntry
from .events import MEDIA_KINDS

_LOGGER = logging.getLogger(__name__)

# Headers passed between the browser and the engine so clips can be seeked.
_REQUEST_HEADERS = ("Range", "If-Range")
_RESPONSE_HEADERS = ("Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "Last-Modified")
_CHUNK_SIZE = 64 * 1024


def _loaded_entry(hass: HomeAssistant, entry_id: str) -> ArgusConfigEntry:
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        raise web.HTTPNotFound
    return entry


class ArgusEventMediaView(HomeAssistantView):
    """Serve an event's snapshot, crop or clip from the engine."""

    url = "/api/argus/{entry_id}/events/{event_id}/{kind}"
    name = "api:argus:event_media"
    requires_auth = True

    async def get(self, request: web.Request, entry_id: str, event_id: str, kind: str) -> web.StreamResponse:
        """Proxy the engine's media file, passing range requests through."""
        if kind not in MEDIA_KINDS:
            raise web.HTTPNotFound
        hass: HomeAssistant = request.app["hass"]
        client = _loaded_entry(hass, entry_id).runtime_data.client
        headers = {name: request.headers[name] for name in _REQUEST_HEADERS if name in request.headers}
        try:
            upstream = await client.request_http("GET", f"/api/events/{path_id(event_id)}/{kind}", headers=headers)
        except ArgusError as err:
            _LOGGER.warning("Fetching %s of event %s from the engine failed: %s", kind, event_id, err)
            raise web.HTTPBadGateway from err
        async with upstream:
            if upstream.status == HTTPStatus.NOT_FOUND:
                raise web.HTTPNotFound
            if upstream.status not in (HTTPStatus.OK, HTTPStatus.PARTIAL_CONTENT):
                raise web.HTTPBadGateway
            response = web.StreamResponse(status=upstream.status)
            for name in _RESPONSE_HEADERS:
                if name in upstream.headers:
                    response.headers[name] = upstream.headers[name]
            await response.prepare(request)
            try:
                async for chunk in upstream.content.iter_chunked(_CHUNK_SIZE):
                    await response.write(chunk)
            except (ClientError, TimeoutError) as err:
                _LOGGER.debug("Engine stream for event %s ended early: %s", event_id, err)
            return response


class ArgusPreviewView(HomeAssistantView):
    """Serve a zone preview drawn during the zone flow."""

    url = "/api/argus/{entry_id}/preview/{preview_id}.jpg"
    name = "api:argus:zone_preview"
    requires_auth = True

    async def get(self, request: web.Request, entry_id: str, preview_id: str) -> web.Response:
        """Return the preview JPEG while it has not expired."""
        hass: HomeAssistant = request.app["hass"]
        previews = _loaded_entry(hass, entry_id).runtime_data.previews
        item = previews.get(preview_id)
        if item is None or item[1] < hass.loop.time():
            previews.pop(preview_id, None)
            raise web.HTTPNotFound
        return web.Response(body=item[0], content_type="image/jpeg", headers={"Cache-Control": "no-store"})


def register_views(hass: HomeAssistant) -> None:
    """Register the views once per Home Assistant instance."""
    hass.http.register_view(ArgusEventMediaView())
    hass.http.register_view(ArgusPreviewView())
