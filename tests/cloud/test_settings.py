"""Cloud settings: defaults are off, stored options validate with clear errors."""

from __future__ import annotations

import pytest
import voluptuous as vol

from custom_components.argus.cloud import CloudSettings, VerifyMode, settings_from_mapping
from custom_components.argus.cloud.models import DEFAULT_MODEL, MODELS


def test_defaults_send_nothing() -> None:
    settings = settings_from_mapping({})

    assert settings == CloudSettings()
    assert settings.verify_mode is VerifyMode.OFF
    assert not settings.verify_enabled
    assert not settings.notify_enabled
    assert (settings.score_min, settings.score_max) == (0.35, 0.60)
    assert settings.max_image_side == 1024
    assert settings.timeout == 30.0
    assert settings.model == DEFAULT_MODEL


def test_full_options_parse() -> None:
    settings = settings_from_mapping({
        "account_id": " acc ", "api_token": "tok", "verify_mode": "ambiguous", "model": sorted(MODELS)[0],
        "cameras": {"front": {"verify": True, "zones": ["door"]}, "back": {"notify": True}},
        "worker_url": "https://alerts.example/", "worker_secret": "s",
    })

    assert settings.account_id == "acc"
    assert settings.verify_enabled
    assert settings.notify_enabled
    assert settings.worker_url == "https://alerts.example"
    assert settings.camera("front").zones == frozenset({"door"})
    assert not settings.camera("back").verify
    assert not settings.camera("unknown").verify


def test_verify_needs_an_opted_in_camera() -> None:
    settings = settings_from_mapping({"account_id": "acc", "api_token": "tok", "verify_mode": "every_person"})

    assert not settings.verify_enabled


@pytest.mark.parametrize(("options", "message"), [
    ({"score_min": 0.7, "score_max": 0.5}, "score_min 0.7 is above score_max 0.5"),
    ({"model": "@cf/unknown/model"}, "value must be one of"),
    ({"verify_mode": "sometimes"}, "expected VerifyMode"),
    ({"max_image_side": 10}, "value must be at least 64"),
    ({"worker_url": "ftp://x"}, "Worker URL must start with https://"),
    ({"score_min": 1.5}, "value must be at most 1"),
])
def test_invalid_options_rejected(options, message) -> None:
    with pytest.raises(vol.Invalid, match=message):
        settings_from_mapping(options)
