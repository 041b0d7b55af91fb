"""Subentry flow that adds or edits one camera on the engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .client import ArgusError
from .const import CONF_CAMERA_ID, DEFAULT_GROUPS
from .subentries import engine_errors, loaded_coordinator

SOURCE_FIELDS = ("url", "host", "port", "path", "username", "password")
FORM_FIELDS = ("name", *SOURCE_FIELDS, "detect_fps", "objects")


def camera_schema(*, objects: list[str]) -> vol.Schema:
    """Return the camera form, in which either `url` or `host` with the fields after it is used."""
    return vol.Schema(
        {
            vol.Required("name"): str,
            vol.Optional("url"): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
            vol.Optional("host"): str,
            vol.Optional("port"): NumberSelector(NumberSelectorConfig(min=1, max=65535, mode=NumberSelectorMode.BOX)),
            vol.Optional("path"): str,
            vol.Optional("username"): str,
            vol.Optional("password"): TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD)),
            vol.Required("detect_fps", default=5.0): NumberSelector(
                NumberSelectorConfig(min=0.1, max=60, step=0.1, mode=NumberSelectorMode.BOX, unit_of_measurement="fps")
            ),
            vol.Required("objects", default=list(DEFAULT_GROUPS)): SelectSelector(
                SelectSelectorConfig(options=objects, multiple=True, custom_value=True)
            ),
        }
    )


def camera_payload(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the engine's config-file form of the camera fields from the form."""
    payload: dict[str, Any] = {
        "name": data["name"],
        "detect_fps": float(data["detect_fps"]),
        "objects": list(data["objects"]),
    }
    if data.get("url"):
        payload["url"] = data["url"]
        return payload
    payload["host"] = data.get("host", "")
    if data.get("port"):
        payload["port"] = int(data["port"])
    for key in ("path", "username", "password"):
        if data.get(key):
            payload[key] = data[key]
    return payload


def _normalised(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the form input with the port as an integer, because number selectors return floats."""
    data = dict(user_input)
    if data.get("port"):
        data["port"] = int(data["port"])
    return data


def _source_error(data: Mapping[str, Any]) -> dict[str, str]:
    if bool(data.get("url")) == bool(data.get("host")):
        return {"url": "url_or_host"}
    return {}


class CameraSubentryFlow(ConfigSubentryFlow):
    """Add a camera, or edit one added here before."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the camera's stream and what to detect, then add it to the engine."""
        if (coordinator := loaded_coordinator(self)) is None:
            return self.async_abort(reason="not_connected")
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None and not (errors := _source_error(user_input)):
            user_input = _normalised(user_input)
            try:
                result = await coordinator.async_command("camera/add", camera=camera_payload(user_input))
            except ArgusError as err:
                errors, placeholders = engine_errors(err, FORM_FIELDS)
            else:
                camera_id = str(result["camera"]["id"])
                return self.async_create_entry(
                    title=user_input["name"], data={**user_input, CONF_CAMERA_ID: camera_id}, unique_id=camera_id
                )
        schema = camera_schema(objects=sorted(coordinator.info.groups or DEFAULT_GROUPS))
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Edit the camera. An empty password keeps the stored one."""
        if (coordinator := loaded_coordinator(self)) is None:
            return self.async_abort(reason="not_connected")
        subentry = self._get_reconfigure_subentry()
        camera_id = subentry.data[CONF_CAMERA_ID]
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            data = {**_normalised(user_input), CONF_CAMERA_ID: camera_id}
            if not data.get("password") and data.get("host") and subentry.data.get("password"):
                data["password"] = subentry.data["password"]
            if not (errors := _source_error(data)):
                try:
                    await coordinator.async_command("camera/update", camera_id=camera_id, camera=self._merged(coordinator, data))
                except ArgusError as err:
                    errors, placeholders = engine_errors(err, FORM_FIELDS)
                else:
                    return self.async_update_and_abort(self._get_entry(), subentry, title=data["name"], data=data)
        suggested = {key: value for key, value in (user_input or subentry.data).items() if key != "password"}
        schema = camera_schema(objects=sorted(coordinator.info.groups or DEFAULT_GROUPS))
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders=placeholders,
        )

    @staticmethod
    def _merged(coordinator: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        """Overlay the form on the engine's current config, so settings made elsewhere stay.

        `camera/update` replaces the whole camera, and the engine reports passwords as ***,
        so the source fields always come from the form, never from the engine.
        """
        current = coordinator.cameras.get(data[CONF_CAMERA_ID])
        base = dict(current.config) if current is not None else {}
        for key in ("id", "zones", *SOURCE_FIELDS):
            base.pop(key, None)
        return {**base, **camera_payload(data)}
