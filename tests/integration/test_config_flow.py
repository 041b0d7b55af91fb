"""Config flow against a real engine: user, add-on discovery, duplicates, reauth, reconfigure."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.argus.const import CONF_ANNOTATE_STILLS, DOMAIN
from homeassistant.config_entries import SOURCE_HASSIO, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from argus_engine.config import parse_engine
from tests.helpers.rtsp import free_port
from tests.integration.conftest import make_entry
from tests.integration.engine_server import EngineServer


def discovery(server: EngineServer, **overrides) -> HassioServiceInfo:
    """Return the discovery payload the add-on posts to the Supervisor."""
    config = {"host": "127.0.0.1", "port": server.port, "token": server.token, **overrides}
    return HassioServiceInfo(config=config, name="Argus", slug="argus", uuid="1234")


async def start_user_flow(hass: HomeAssistant, data: dict) -> dict:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return await hass.config_entries.flow.async_configure(result["flow_id"], data)


async def test_user_creates_entry(hass: HomeAssistant, engine_server: EngineServer) -> None:
    result = await start_user_flow(hass, engine_server.entry_data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == engine_server.entry_data
    assert result["result"].unique_id == engine_server.engine.engine_id


async def test_user_wrong_token(hass: HomeAssistant, engine_server: EngineServer) -> None:
    result = await start_user_flow(hass, {**engine_server.entry_data, "token": "wrong"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    # The user fixes the token in the same flow.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], engine_server.entry_data)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_nothing_listening(hass: HomeAssistant, socket_enabled: None) -> None:
    result = await start_user_flow(hass, {"host": "127.0.0.1", "port": free_port(), "token": "x"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_newer_protocol(hass: HomeAssistant, engine_server: EngineServer, monkeypatch) -> None:
    monkeypatch.setattr("argus_engine.engine.PROTOCOL_VERSION", "2.0")
    result = await start_user_flow(hass, engine_server.entry_data)
    assert result["errors"] == {"base": "unsupported_protocol"}


async def test_user_hello_without_engine_id(hass: HomeAssistant, engine_server: EngineServer, monkeypatch) -> None:
    hello = engine_server.engine.hello()
    del hello["engine_id"]
    monkeypatch.setattr(engine_server.engine, "hello", lambda: hello)
    result = await start_user_flow(hass, engine_server.entry_data)
    assert result["errors"] == {"base": "unknown"}


async def test_user_duplicate_updates_address(hass: HomeAssistant, engine_server: EngineServer) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, data={"host": "old-host", "port": 1, "token": "old"}, unique_id=engine_server.engine.engine_id
    )
    entry.add_to_hass(hass)
    result = await start_user_flow(hass, engine_server.entry_data)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data["host"] == "127.0.0.1"
    assert entry.data["port"] == engine_server.port
    assert entry.data["token"] == engine_server.token


async def test_hassio_discovery_confirm(hass: HomeAssistant, engine_server: EngineServer) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(engine_server))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "hassio_confirm"
    assert result["description_placeholders"] == {"host": "127.0.0.1"}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == engine_server.entry_data
    assert result["result"].unique_id == engine_server.engine.engine_id


async def test_hassio_discovery_known_engine(hass: HomeAssistant, engine_server: EngineServer) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={"host": "old", "port": 1, "token": "old"}, unique_id=engine_server.engine.engine_id)
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery(engine_server))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data == engine_server.entry_data


@pytest.mark.parametrize(("override", "reason"), [({"token": "wrong"}, "invalid_auth"), ({"port": None}, "cannot_connect")])
async def test_hassio_discovery_fails(hass: HomeAssistant, engine_server: EngineServer, override, reason) -> None:
    if override.get("port", 0) is None:
        override = {"port": free_port()}
    data = discovery(engine_server, **override)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_HASSIO}, data=data)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


async def test_reauth_new_token(hass: HomeAssistant, engine_server: EngineServer) -> None:
    entry = make_entry(engine_server)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, "token": "revoked"})
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"token": "still-wrong"})
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"token": engine_server.token})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["token"] == engine_server.token


async def test_reauth_other_engine(hass: HomeAssistant, engine_server: EngineServer) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data=engine_server.entry_data, unique_id="another-engine")
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"token": engine_server.token})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_engine"


async def test_reconfigure_moves_engine(hass: HomeAssistant, engine_server: EngineServer) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, data={**engine_server.entry_data, "port": 1}, unique_id=engine_server.engine.engine_id
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"host": "127.0.0.1", "port": free_port()})
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"host": "127.0.0.1", "port": engine_server.port})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["port"] == engine_server.port


async def test_reconfigure_other_engine(hass: HomeAssistant, engine_server: EngineServer, tmp_path) -> None:
    other = EngineServer(tmp_path / "other", parse_engine({}))
    await other.start()
    try:
        entry = make_entry(engine_server)
        entry.add_to_hass(hass)
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {"host": "127.0.0.1", "port": other.port})
    finally:
        await other.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_engine"
    assert entry.data["port"] == engine_server.port


async def test_options_annotate(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(result["flow_id"], {CONF_ANNOTATE_STILLS: False})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options[CONF_ANNOTATE_STILLS] is False


async def test_options_lead_to_cloud_settings(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ANNOTATE_STILLS: False, "configure_cloud": True}
    )
    # The cloud settings are a further step, and the local option is kept for its end.
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "cloud"
