"""Media browser for Argus events: Argus → camera → day → events, newest first.

Every listing is read from the engine's event log with a bounded number of requests,
so a camera with tens of thousands of events browses as fast as one with ten:

- a camera lists at most `DAYS_PER_PAGE` days, one `limit=1` request per day, each
  asking for the newest event before the previous day began (a skip scan over days);
- a day lists one page of `EVENTS_PER_PAGE` events, one request, and an "Older
  events" folder carrying the engine's page cursor.

Snapshots and clips resolve to this integration's authenticated views, which Home
Assistant signs for the player; the engine's token never reaches the browser.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from homeassistant.components.media_player import BrowseError, MediaClass, MediaType
from homeassistant.components.media_source import BrowseMediaSource, MediaSource, MediaSourceItem, PlayMedia, Unresolvable
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .client import ArgusError
from .const import DOMAIN
from .coordinator import ArgusConfigEntry
from .describe import camera_name, label_text, place_name, zone_ids_of
from .events import media_path

_LOGGER = logging.getLogger(__name__)

DAYS_PER_PAGE = 14
EVENTS_PER_PAGE = 100

# Media kinds an event item can resolve to, with their MIME types.
PLAYABLE = {"clip.mp4": "video/mp4", "snapshot.jpg": "image/jpeg"}

# First part of every identifier below `media-source://argus/`.
NODE_CAMERA = "camera"
NODE_OLDER_DAYS = "days"
NODE_EVENT = "event"


async def async_get_media_source(hass: HomeAssistant) -> ArgusMediaSource:
    """Return the Argus media source."""
    return ArgusMediaSource(hass)


@dataclass(frozen=True, slots=True)
class Node:
    """A parsed identifier: what to list or resolve, with its parts unquoted."""

    kind: str
    parts: tuple[str, ...]

    @classmethod
    def parse(cls, identifier: str) -> Node:
        """Split `kind/part/part...`; an empty identifier is the root."""
        if not identifier:
            return cls("", ())
        kind, *parts = identifier.split("/")
        return cls(kind, tuple(unquote(part) for part in parts))


def identifier(kind: str, *parts: str) -> str:
    """Join a node kind and its parts, quoting each part so ids may contain `/`."""
    return "/".join([kind, *(quote(part, safe="") for part in parts)])


class ArgusMediaSource(MediaSource):
    """Browse events stored by every loaded Argus engine and play their clips."""

    name = "Argus"

    def __init__(self, hass: HomeAssistant) -> None:
        """Serve the events of every loaded Argus entry."""
        super().__init__(DOMAIN)
        self.hass = hass

    async def async_resolve_media(self, item: MediaSourceItem) -> PlayMedia:
        """Return the Home Assistant path of an event's clip or snapshot."""
        node = Node.parse(item.identifier)
        if node.kind != NODE_EVENT or len(node.parts) != 3 or node.parts[2] not in PLAYABLE:
            raise Unresolvable(f"not an Argus event item: {item.identifier!r}")
        entry_id, event_id, kind = node.parts
        if self._entry(entry_id) is None:
            raise Unresolvable(f"the Argus entry {entry_id} is not loaded")
        return PlayMedia(media_path(entry_id, event_id, kind), PLAYABLE[kind])

    async def async_browse_media(self, item: MediaSourceItem) -> BrowseMediaSource:
        """List cameras, the days of a camera, or the events of a day."""
        node = Node.parse(item.identifier)
        if node.kind == "":
            return self._browse_root()
        if node.kind in (NODE_CAMERA, NODE_OLDER_DAYS) and len(node.parts) >= 2:
            entry = self._entry(node.parts[0])
            if entry is None:
                raise BrowseError(f"the Argus entry {node.parts[0]} is not loaded")
            try:
                return await self._browse_camera(entry, node)
            except ArgusError as err:
                _LOGGER.warning("Listing events of camera %s failed: %s", node.parts[1], err)
                raise BrowseError(f"the Argus engine did not return the event list: {err}") from err
        raise BrowseError(f"unknown Argus media item: {item.identifier!r}")

    async def _browse_camera(self, entry: ArgusConfigEntry, node: Node) -> BrowseMediaSource:
        entry_id, camera_id, *rest = node.parts
        if node.kind == NODE_OLDER_DAYS and len(rest) == 1:
            return await self._browse_days(entry, camera_id, before=_parse_day(rest[0]))
        if node.kind == NODE_CAMERA and not rest:
            return await self._browse_days(entry, camera_id, before=None)
        if node.kind == NODE_CAMERA and len(rest) in (1, 2):
            cursor = rest[1] if len(rest) == 2 else None
            return await self._browse_day(entry, camera_id, _parse_day(rest[0]), cursor)
        raise BrowseError(f"unknown Argus media item: {'/'.join(node.parts)!r}")

    def _entry(self, entry_id: str) -> ArgusConfigEntry | None:
        entry: ArgusConfigEntry | None = self.hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
            return None
        return entry

    def _loaded_entries(self) -> list[ArgusConfigEntry]:
        return self.hass.config_entries.async_loaded_entries(DOMAIN)

    # --- listings -------------------------------------------------------------------

    def _browse_root(self) -> BrowseMediaSource:
        entries = self._loaded_entries()
        children = []
        for entry in entries:
            for camera in entry.runtime_data.coordinator.cameras.values():
                # With several engines the entry title distinguishes cameras of the same name.
                title = camera.name if len(entries) == 1 else f"{camera.name} ({entry.title})"
                children.append(_folder(identifier(NODE_CAMERA, entry.entry_id, camera.id), title))
        children.sort(key=lambda child: child.title.casefold())
        return _folder("", "Argus", children=children, children_class=MediaClass.DIRECTORY)

    async def _browse_days(self, entry: ArgusConfigEntry, camera_id: str, *, before: date | None) -> BrowseMediaSource:
        coordinator = entry.runtime_data.coordinator
        days = await self._newest_days(entry, camera_id, before)
        children = [
            _folder(
                identifier(NODE_CAMERA, entry.entry_id, camera_id, day.isoformat()),
                day.isoformat(),
                thumbnail=_thumbnail(entry.entry_id, newest),
            )
            for day, newest in days[:DAYS_PER_PAGE]
        ]
        if len(days) > DAYS_PER_PAGE:
            oldest_shown = days[DAYS_PER_PAGE - 1][0]
            children.append(_folder(identifier(NODE_OLDER_DAYS, entry.entry_id, camera_id, oldest_shown.isoformat()), "Older days"))
        node_id = identifier(NODE_CAMERA, entry.entry_id, camera_id) if before is None else (
            identifier(NODE_OLDER_DAYS, entry.entry_id, camera_id, before.isoformat())
        )
        return _folder(node_id, camera_name(coordinator, camera_id), children=children, children_class=MediaClass.DIRECTORY)

    async def _newest_days(
        self, entry: ArgusConfigEntry, camera_id: str, before: date | None
    ) -> list[tuple[date, dict[str, Any]]]:
        """Return up to DAYS_PER_PAGE + 1 local days with events, each with its newest event.

        One more day than shown is looked up, so the listing can decide whether it needs
        an "Older days" folder.
        """
        client = entry.runtime_data.client
        bound = _day_start(before) if before is not None else None
        days: list[tuple[date, dict[str, Any]]] = []
        while len(days) <= DAYS_PER_PAGE:
            params = {"camera": camera_id, "limit": "1"}
            if bound is not None:
                params["before"] = repr(bound.timestamp())
            events = _events_of(await client.fetch_json("/api/events", params))
            if not events:
                break
            day = _local_day(events[0]["start"])
            days.append((day, events[0]))
            bound = _day_start(day)
        return days

    async def _browse_day(self, entry: ArgusConfigEntry, camera_id: str, day: date, cursor: str | None) -> BrowseMediaSource:
        coordinator = entry.runtime_data.coordinator
        params = {
            "camera": camera_id,
            "after": repr(_day_start(day).timestamp()),
            "before": repr(_day_start(day + timedelta(days=1)).timestamp()),
            "limit": str(EVENTS_PER_PAGE),
        }
        if cursor is not None:
            params["cursor"] = cursor
        result = await entry.runtime_data.client.fetch_json("/api/events", params)
        children = [self._event_item(entry, event) for event in _events_of(result)]
        next_cursor = result.get("next") if isinstance(result, dict) else None
        if next_cursor:
            older = identifier(NODE_CAMERA, entry.entry_id, camera_id, day.isoformat(), str(next_cursor))
            children.append(_folder(older, "Older events"))
        node_parts = [entry.entry_id, camera_id, day.isoformat(), *([cursor] if cursor else [])]
        title = f"{camera_name(coordinator, camera_id)} · {day.isoformat()}"
        return _folder(identifier(NODE_CAMERA, *node_parts), title, children=children, children_class=MediaClass.VIDEO)

    def _event_item(self, entry: ArgusConfigEntry, event: dict[str, Any]) -> BrowseMediaSource:
        kind = "clip.mp4" if event.get("clip_url") else "snapshot.jpg"
        return BrowseMediaSource(
            domain=DOMAIN,
            identifier=identifier(NODE_EVENT, entry.entry_id, str(event["id"]), kind),
            media_class=MediaClass.VIDEO if kind == "clip.mp4" else MediaClass.IMAGE,
            media_content_type=PLAYABLE[kind],
            title=event_title(entry, event),
            can_play=True,
            can_expand=False,
            thumbnail=_thumbnail(entry.entry_id, event),
        )


def event_title(entry: ArgusConfigEntry, event: dict[str, Any]) -> str:
    """Return a list title such as `Person · Driveway · 21:14` (local time of the start).

    NOTE: titles are not translated. Labels are the detector's English class names, and
    camera and zone names are the user's own.
    """
    coordinator = entry.runtime_data.coordinator
    camera_id = str(event.get("camera", ""))
    started = dt_util.as_local(dt_util.utc_from_timestamp(float(event["start"])))
    return f"{label_text(event.get('label'))} · {place_name(coordinator, camera_id, zone_ids_of(event))} · {started:%H:%M}"


def _folder(
    node_id: str, title: str, *, children: list[BrowseMediaSource] | None = None,
    children_class: MediaClass | None = None, thumbnail: str | None = None,
) -> BrowseMediaSource:
    return BrowseMediaSource(
        domain=DOMAIN,
        identifier=node_id or None,
        media_class=MediaClass.DIRECTORY,
        media_content_type=MediaType.VIDEO,
        title=title,
        can_play=False,
        can_expand=True,
        children=children,
        children_media_class=children_class,
        thumbnail=thumbnail,
    )


def _thumbnail(entry_id: str, event: dict[str, Any]) -> str | None:
    # An authenticated relative path: Home Assistant's frontend (ha-media-player-browse)
    # fetches or signs thumbnails that start with "/" with the user's login.
    return media_path(entry_id, str(event["id"]), "snapshot.jpg") if event.get("snapshot_url") else None


def _events_of(result: Any) -> list[dict[str, Any]]:
    events = result.get("events") if isinstance(result, dict) else None
    return [event for event in events or () if isinstance(event, dict) and "id" in event and "start" in event]


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise BrowseError(f"invalid day {text!r} in an Argus media item; expected YYYY-MM-DD") from err


def _local_day(timestamp: Any) -> date:
    return dt_util.as_local(dt_util.utc_from_timestamp(float(timestamp))).date()


def _day_start(day: date) -> datetime:
    """Return local midnight at the start of `day`, honouring daylight saving changes."""
    return dt_util.start_of_local_day(day)
