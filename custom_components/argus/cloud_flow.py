"""Options-flow steps for the cloud features, mixed into the integration's options flow.

Step `cloud` takes the account, model, verify policy and Worker settings; step
`cloud_cameras` takes the per-camera opt-in and the zones that must contain the
object. Everything is validated with the cloud package's own schema before it is
stored under the entry's `cloud` option.
"""

from __future__ import annotations

from typing import Any

import voluptuous as vol

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers import selector

from .cloud import VerifyMode, settings_from_mapping
from .cloud.crypto import generate_key
from .cloud.models import MODELS
from .cloud.settings import Attachment, ImageSource
from .cloud_setup import CONF_CLOUD

# Field of the options flow's first step that leads on to the cloud steps.
CONF_CONFIGURE_CLOUD = "configure_cloud"

_PASSWORD = selector.TextSelector(selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD))
_URL = selector.TextSelector(selector.TextSelectorConfig(type=selector.TextSelectorType.URL))
_SCORE = selector.NumberSelector(selector.NumberSelectorConfig(min=0, max=1, step=0.01, mode=selector.NumberSelectorMode.BOX))


def _select(options: list[str], translation_key: str) -> selector.SelectSelector:
    return selector.SelectSelector(
        selector.SelectSelectorConfig(options=options, translation_key=translation_key,
                                      mode=selector.SelectSelectorMode.DROPDOWN)
    )


def _number(minimum: float, maximum: float, unit: str | None = None) -> selector.NumberSelector:
    config = selector.NumberSelectorConfig(min=minimum, max=maximum, mode=selector.NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return selector.NumberSelector(config)


def cloud_schema(current: dict[str, Any]) -> vol.Schema:
    """Return the form of the `cloud` step, prefilled from the stored options."""
    defaults = {**_DEFAULTS, **current}
    fields: dict[Any, Any] = {
        vol.Optional("account_id", default=defaults["account_id"]): str,
        vol.Optional("api_token", default=defaults["api_token"]): _PASSWORD,
        vol.Required("model", default=defaults["model"]): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=[selector.SelectOptionDict(value=model.model_id, label=model.name) for model in MODELS.values()]
            )
        ),
        vol.Required("verify_mode", default=defaults["verify_mode"]): _select([mode.value for mode in VerifyMode], "verify_mode"),
        vol.Required("score_min", default=defaults["score_min"]): _SCORE,
        vol.Required("score_max", default=defaults["score_max"]): _SCORE,
        vol.Required("daily_cap", default=defaults["daily_cap"]): _number(0, 100_000),
        vol.Required("image_source", default=defaults["image_source"]): _select([source.value for source in ImageSource], "image_source"),
        vol.Required("max_image_side", default=defaults["max_image_side"]): _number(64, 4096, "px"),
        vol.Required("timeout", default=defaults["timeout"]): _number(1, 300, "s"),
        vol.Optional("worker_url", default=defaults["worker_url"]): _URL,
        vol.Optional("worker_secret", default=defaults["worker_secret"]): _PASSWORD,
        vol.Required("notify_auto", default=defaults["notify_auto"]): bool,
        vol.Required("attachment", default=defaults["attachment"]): _select([kind.value for kind in Attachment], "attachment"),
    }
    return vol.Schema(fields)


_DEFAULTS: dict[str, Any] = {
    "account_id": "",
    "api_token": "",
    "model": next(iter(MODELS)),
    "verify_mode": VerifyMode.OFF.value,
    "score_min": 0.35,
    "score_max": 0.60,
    "daily_cap": 100,
    "image_source": ImageSource.CROP.value,
    "max_image_side": 1024,
    "timeout": 30,
    "worker_url": "",
    "worker_secret": "",
    "notify_auto": False,
    "attachment": Attachment.NONE.value,
}


class CloudOptionsMixin(OptionsFlow):
    """Adds the `cloud` and `cloud_cameras` steps; `finish_options` is the shared exit."""

    _pending_options: dict[str, Any]
    _cloud_draft: dict[str, Any]

    def start_cloud(self, pending_options: dict[str, Any]) -> None:
        """Remember the options of the earlier step, stored together with the cloud settings."""
        self._pending_options = pending_options

    async def async_step_cloud(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Edit the account, model, verify policy and Worker settings."""
        current = dict(self.config_entry.options.get(CONF_CLOUD) or {})
        errors: dict[str, str] = {}
        if user_input is not None:
            draft = {**current, **_integers(user_input)}
            try:
                settings_from_mapping(draft)
            except vol.Invalid as err:
                errors[str(err.path[0]) if err.path else "base"] = "invalid_cloud_option"
            else:
                self._cloud_draft = draft
                return await self.async_step_cloud_cameras()
        return self.async_show_form(step_id="cloud", data_schema=cloud_schema(user_input or current), errors=errors)

    async def async_step_cloud_cameras(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose which cameras may send images or alerts, and the zones an object must be in."""
        cameras, zones = self._camera_choices()
        if user_input is not None:
            draft = {**self._cloud_draft, "cameras": _cameras_option(cameras, user_input)}
            if draft.get("worker_url") and not draft.get("attachment_key"):
                # The key is made here once and never shown or sent anywhere.
                draft["attachment_key"] = generate_key()
            settings_from_mapping(draft)
            options = {**self.config_entry.options, **getattr(self, "_pending_options", {}), CONF_CLOUD: draft}
            return self.async_create_entry(data=options)
        stored = self._cloud_draft.get("cameras") or {}
        schema = vol.Schema(
            {
                vol.Optional("verify_cameras", default=[c for c in cameras if stored.get(c, {}).get("verify")]):
                    cv_multi(cameras),
                vol.Optional("notify_cameras", default=[c for c in cameras if stored.get(c, {}).get("notify")]):
                    cv_multi(cameras),
                vol.Optional("required_zones", default=[
                    f"{c}:{z}" for c, camera in stored.items() for z in camera.get("zones", ()) if f"{c}:{z}" in zones
                ]): cv_multi(zones),
            }
        )
        return self.async_show_form(step_id="cloud_cameras", data_schema=schema)

    def _camera_choices(self) -> tuple[dict[str, str], dict[str, str]]:
        coordinator = self.config_entry.runtime_data.coordinator
        cameras = {camera.id: camera.name for camera in coordinator.cameras.values()}
        zones = {
            f"{camera.id}:{zone_id}": f"{camera.name}: {zone.name}"
            for camera in coordinator.cameras.values()
            for zone_id, zone in camera.zones.items()
        }
        return cameras, zones


def cv_multi(options: dict[str, str]) -> selector.SelectSelector:
    """Return a multi-select of the given value → label pairs."""
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=[selector.SelectOptionDict(value=value, label=label) for value, label in options.items()],
            multiple=True,
        )
    )


def _integers(user_input: dict[str, Any]) -> dict[str, Any]:
    # Number selectors return floats; these options are whole numbers.
    return {key: int(value) if key in ("daily_cap", "max_image_side") else value for key, value in user_input.items()}


def _cameras_option(cameras: dict[str, str], user_input: dict[str, Any]) -> dict[str, dict[str, Any]]:
    verify = set(user_input.get("verify_cameras") or ())
    notify = set(user_input.get("notify_cameras") or ())
    zones = [value.split(":", 1) for value in user_input.get("required_zones") or ()]
    return {
        camera_id: {
            "verify": camera_id in verify,
            "notify": camera_id in notify,
            "zones": [zone_id for zone_camera, zone_id in zones if zone_camera == camera_id],
        }
        for camera_id in cameras
    }
