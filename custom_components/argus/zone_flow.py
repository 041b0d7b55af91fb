"""Subentry flow that adds or edits one zone, with a preview before it is saved.

Points are typed as normalised `x,y` pairs (0..1 of the frame width and height), for
example `0.1,0.2; 0.5,0.2; 0.5,0.9`. Before anything is sent to the engine, a confirm
step shows the camera's current frame with the polygon drawn on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
)

from .client import ArgusError
from .const import CONF_CAMERA_ID, CONF_ZONE_ID, DEFAULT_GROUPS
from .coordinator import ArgusCoordinator
from .preview import async_zone_preview, format_points, parse_points
from .subentries import engine_errors, loaded_coordinator

FORM_FIELDS = ("camera_id", "name", "points", "objects", "min_score", "inertia", "loitering_seconds")
ZONE_SETTINGS = ("min_score", "inertia", "loitering_seconds")


def zone_schema(coordinator: ArgusCoordinator, *, with_camera: bool) -> vol.Schema:
    """Return the zone form. The camera is chosen only when the zone is new."""
    fields: dict[Any, Any] = {}
    if with_camera:
        cameras = [SelectOptionDict(value=camera.id, label=camera.name) for camera in coordinator.cameras.values()]
        fields[vol.Required(CONF_CAMERA_ID)] = SelectSelector(SelectSelectorConfig(options=cameras))
    groups = sorted(coordinator.info.groups or DEFAULT_GROUPS)
    fields.update(
        {
            vol.Required("name"): str,
            vol.Required("points"): TextSelector(TextSelectorConfig(multiline=True)),
            vol.Optional("objects"): SelectSelector(SelectSelectorConfig(options=groups, multiple=True, custom_value=True)),
            vol.Required("min_score", default=0.0): NumberSelector(
                NumberSelectorConfig(min=0, max=1, step=0.01, mode=NumberSelectorMode.BOX)
            ),
            vol.Required("inertia", default=3): NumberSelector(
                NumberSelectorConfig(min=1, max=1000, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="frames")
            ),
            vol.Required("loitering_seconds", default=0): NumberSelector(
                NumberSelectorConfig(min=0, max=86400, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="s")
            ),
        }
    )
    return vol.Schema(fields)


def zone_payload(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the engine's config-file form of the zone fields from the form."""
    payload: dict[str, Any] = {
        "name": data["name"],
        "points": [list(point) for point in parse_points(data["points"])],
        "min_score": float(data["min_score"]),
        "inertia": int(data["inertia"]),
        "loitering_seconds": float(data["loitering_seconds"]),
    }
    if data.get("objects"):
        payload["objects"] = list(data["objects"])
    return payload


class ZoneSubentryFlow(ConfigSubentryFlow):
    """Add a zone to a camera, or edit one added here before."""

    def __init__(self) -> None:
        """Start with no pending zone."""
        self._pending: dict[str, Any] = {}

    @property
    def _editing(self) -> bool:
        return self.source == "reconfigure"

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the camera, name, points and rules of a new zone."""
        if (coordinator := loaded_coordinator(self)) is None:
            return self.async_abort(reason="not_connected")
        if not coordinator.cameras:
            return self.async_abort(reason="no_cameras")
        return await self._async_form(coordinator, user_input)

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Edit a zone. Its camera stays the same."""
        if (coordinator := loaded_coordinator(self)) is None:
            return self.async_abort(reason="not_connected")
        if not self._pending:
            self._pending = dict(self._get_reconfigure_subentry().data)
        return await self._async_form(coordinator, user_input)

    async def _async_form(
        self, coordinator: ArgusCoordinator, user_input: dict[str, Any] | None, errors: dict[str, str] | None = None,
        placeholders: dict[str, str] | None = None,
    ) -> SubentryFlowResult:
        errors = dict(errors or {})
        if user_input is not None:
            self._pending.update(user_input)
            try:
                parse_points(user_input["points"])
            except ValueError as err:
                errors["points"] = "invalid_points"
                placeholders = {"error": str(err)}
            else:
                return await self.async_step_confirm()
        step_id = "reconfigure" if self._editing else "user"
        schema = zone_schema(coordinator, with_camera=not self._editing)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, self._pending),
            errors=errors,
            description_placeholders=placeholders or {},
        )

    async def async_step_confirm(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Show the zone on the camera's current frame, then save it or edit it again."""
        points = parse_points(self._pending["points"])
        try:
            url = await async_zone_preview(self.hass, self._get_entry(), self._pending[CONF_CAMERA_ID], points)
        except ArgusError:
            url = None
        preview = f"![Zone preview]({url})" if url else "No frame from this camera yet."
        return self.async_show_menu(
            step_id="confirm",
            menu_options=["save", "edit"],
            description_placeholders={"preview": preview, "points": format_points(points)},
        )

    async def async_step_edit(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Go back to the form with the values entered so far."""
        if (coordinator := loaded_coordinator(self)) is None:
            return self.async_abort(reason="not_connected")
        return await self._async_form(coordinator, None)

    async def async_step_save(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Send the zone to the engine and store the subentry once it is accepted."""
        if (coordinator := loaded_coordinator(self)) is None:
            return self.async_abort(reason="not_connected")
        data = self._pending
        camera_id = data[CONF_CAMERA_ID]
        try:
            if self._editing:
                result = await coordinator.async_command(
                    "zone/update", camera_id=camera_id, zone_id=data[CONF_ZONE_ID], zone=self._merged(coordinator, data)
                )
            else:
                result = await coordinator.async_command("zone/add", camera_id=camera_id, zone=zone_payload(data))
        except ArgusError as err:
            errors, placeholders = engine_errors(err, FORM_FIELDS)
            return await self._async_form(coordinator, None, errors, placeholders)

        data[CONF_ZONE_ID] = str(result["zone"]["id"])
        if self._editing:
            return self.async_update_and_abort(self._get_entry(), self._get_reconfigure_subentry(), title=data["name"], data=data)
        return self.async_create_entry(title=data["name"], data=data, unique_id=f"{camera_id}/{data[CONF_ZONE_ID]}")

    @staticmethod
    def _merged(coordinator: ArgusCoordinator, data: Mapping[str, Any]) -> dict[str, Any]:
        """Overlay the form on the engine's current zone, so settings made elsewhere stay."""
        camera = coordinator.cameras.get(data[CONF_CAMERA_ID])
        zones = camera.config.get("zones", []) if camera is not None else []
        current = next((dict(zone) for zone in zones if zone.get("id") == data[CONF_ZONE_ID]), {})
        current.pop("id", None)
        current.pop("objects", None)
        return {**current, **zone_payload(data)}
