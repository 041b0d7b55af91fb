"""Websocket request handlers, one per message type.

Each handler takes the connection and the parsed request and returns the `result`
object of the reply, or `REPLIED` when it has sent the reply itself (`subscribe`, whose
reply must go out before the snapshot and the replay).
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..config import camera_to_dict, zone_to_dict
from ..hub import TooManySubscribersError, Subscriber
from ..token_store import TokenFixedError
from .errors import INVALID_MESSAGE, NOT_FOUND, NOT_SUPPORTED, TOO_MANY_SUBSCRIBERS, UNAVAILABLE, ApiError
from .ws import CLOSE_UNAUTHORIZED, MAX_SAFE_INTEGER, Connection, close_all

REPLIED = object()
REPLAY_PAGE = 500

_MISSING = object()

Handler = Callable[[Connection, dict[str, Any]], Awaitable[Any]]


def _field(message: dict[str, Any], name: str, kind: type, *, required: bool = True) -> Any:
    """Return a request field after checking its JSON type; raise `invalid_message` if wrong."""
    value = message.get(name, _MISSING)
    if value is _MISSING or (value is None and not required):
        if required:
            raise ApiError(INVALID_MESSAGE, f"missing field {name!r}", field=name)
        return None
    wrong_int = kind is int and (isinstance(value, bool) or not isinstance(value, int))
    if wrong_int or not isinstance(value, kind):
        raise ApiError(INVALID_MESSAGE, f"field {name!r} must be {_TYPE_NAMES[kind]}", field=name)
    return value


_TYPE_NAMES = {int: "an integer", str: "a string", bool: "true or false", dict: "an object"}


# --- session -------------------------------------------------------------------------


async def hello(connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
    return connection.engine.hello()


async def ping(connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
    return {}


async def subscribe(connection: Connection, message: dict[str, Any]) -> object:
    """Reply with the cursor, then send the snapshot, the replay after `since`, then live pushes."""
    since = _field(message, "since", int, required=False)
    if since is not None and not 0 <= since <= MAX_SAFE_INTEGER:
        raise ApiError(INVALID_MESSAGE, "since must be a cursor of 0 or more", field="since")
    if connection.subscriber is not None:
        raise ApiError(INVALID_MESSAGE, "already subscribed; send unsubscribe first", field="type")

    engine = connection.engine
    subscriber = Subscriber(connection.send_text, connection.close, name=connection.name)
    try:
        cursor, snapshot = await engine.subscribe(subscriber)
    except TooManySubscribersError as err:
        raise ApiError(TOO_MANY_SUBSCRIBERS, str(err)) from err
    connection.subscriber = subscriber

    await connection.send({"id": message["id"], "type": "result", "success": True, "result": {"cursor": cursor}})
    await connection.send({"type": "snapshot", "cursor": cursor, "data": snapshot})
    if since is not None:
        await _replay(connection, since, cursor)
    subscriber.start(replayed_up_to=cursor)
    return REPLIED


async def _replay(connection: Connection, since: int, up_to: int) -> None:
    # NOTE: retention deletes the journal messages of expired events, so a client that
    # was away for longer than retention_days gets no word of those.
    store = connection.engine.store
    position = since
    while store is not None and position < up_to:
        rows = await asyncio.to_thread(store.messages_after, position, REPLAY_PAGE)
        for cursor, push in rows:
            if cursor > up_to:
                return
            await connection.send(push)
            position = cursor
        if len(rows) < REPLAY_PAGE:
            return


async def unsubscribe(connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
    await connection.unsubscribe()
    return {}


async def rotate_token(connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
    """Replace the token and close every other connection, which used the old one."""
    try:
        token = await asyncio.to_thread(connection.engine.tokens.rotate)
    except TokenFixedError as err:
        raise ApiError(NOT_SUPPORTED, str(err)) from err
    await close_all(connection.connections, CLOSE_UNAUTHORIZED, "token rotated", keep=connection)
    return {"token": token}


# --- cameras ---------------------------------------------------------------------------


async def camera_add(connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
    data = _field(message, "camera", dict)
    camera = await connection.engine.cameras.add_camera(data)
    connection.engine.cameras_changed(camera.id)
    return {"camera": camera_to_dict(camera)}


async def camera_update(connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
    camera_id = _field(message, "camera_id", str)
    data = _field(message, "camera", dict)
    camera = await connection.engine.cameras.update_camera(camera_id, data)
    connection.engine.cameras_changed(camera.id)
    return {"camera": camera_to_dict(camera)}


async def camera_remove(connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
    camera_id = _field(message, "camera_id", str)
    await connection.engine.cameras.remove_camera(camera_id)
    connection.engine.cameras_changed(camera_id)
    return {}


async def camera_detection(connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
    camera_id = _field(message, "camera_id", str)
    enabled = _field(message, "enabled", bool)
    await connection.engine.cameras.set_detection(camera_id, enabled)
    connection.engine.cameras_changed(camera_id)
    return {"camera_id": camera_id, "enabled": enabled}


# --- zones -----------------------------------------------------------------------------


async def zone_add(connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
    camera_id = _field(message, "camera_id", str)
    data = _field(message, "zone", dict)
    zone = await connection.engine.cameras.add_zone(camera_id, data)
    connection.engine.cameras_changed(camera_id)
    return {"zone": zone_to_dict(zone)}


async def zone_update(connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
    camera_id = _field(message, "camera_id", str)
    zone_id = _field(message, "zone_id", str)
    data = _field(message, "zone", dict)
    zone = await connection.engine.cameras.update_zone(camera_id, zone_id, data)
    connection.engine.cameras_changed(camera_id)
    return {"zone": zone_to_dict(zone)}


async def zone_remove(connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
    camera_id = _field(message, "camera_id", str)
    zone_id = _field(message, "zone_id", str)
    await connection.engine.cameras.remove_zone(camera_id, zone_id)
    connection.engine.cameras_changed(camera_id)
    return {}


# --- events ------------------------------------------------------------------------------

VERDICTS = ("confirmed", "rejected", "uncertain")
MAX_TEXT = 500


async def event_verification(connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
    """Store a second opinion (e.g. a vision model's verdict) on an event and push the update."""
    event_id = _field(message, "event_id", str)
    verdict = _field(message, "verdict", str)
    if verdict not in VERDICTS:
        raise ApiError(INVALID_MESSAGE, f"verdict must be one of {', '.join(VERDICTS)}", field="verdict")
    description = _field(message, "description", str, required=False)
    model = _field(message, "model", str, required=False)
    for name, text in (("description", description), ("model", model)):
        if text is not None and len(text) > MAX_TEXT:
            raise ApiError(INVALID_MESSAGE, f"{name} is longer than {MAX_TEXT} characters", field=name)

    store = connection.engine.store
    if store is None:
        raise ApiError(UNAVAILABLE, "the event log is not open")
    try:
        _, pushed = await asyncio.to_thread(
            store.set_verification, event_id, verdict=verdict, description=description, model=model, at=time.time()
        )
    except KeyError as err:
        raise ApiError(NOT_FOUND, f"event {event_id!r} not found", field="event_id") from err
    # The journal has the update now; publishing wakes the pump that sends it to subscribers.
    connection.engine.publish(pushed)
    return {"event": pushed["data"]["event"]}


HANDLERS: dict[str, Handler] = {
    "hello": hello,
    "ping": ping,
    "subscribe": subscribe,
    "unsubscribe": unsubscribe,
    "token/rotate": rotate_token,
    "camera/add": camera_add,
    "camera/update": camera_update,
    "camera/remove": camera_remove,
    "camera/detection": camera_detection,
    "zone/add": zone_add,
    "zone/update": zone_update,
    "zone/remove": zone_remove,
    "event/verification": event_verification,
}
