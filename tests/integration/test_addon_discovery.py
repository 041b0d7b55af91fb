"""Add-on discovery end to end: the real entry point announces itself, the integration accepts it.

The add-on runs as a separate process (`python -m argus_engine addon`) with the real
model, posting to a mock Supervisor on 127.0.0.1 that first returns 503. The message
it finally posts is handed to the integration's config flow exactly as Home Assistant's
hassio component does (the config plus the add-on's name under `addon`), and the flow
connects to the running engine with it.
"""

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_HASSIO
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

import custom_components.argus  # noqa: F401 - loaded before `hass`, so HA finds this integration
from custom_components.argus.const import DOMAIN
from tests.helpers.addon_runtime import SUPERVISOR_TOKEN, MockSupervisor, free_port, write_options
from tests.helpers.models import real_model

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def supervisor():
    mock = await MockSupervisor(statuses=[503, 200]).start()
    yield mock
    await mock.stop()


@pytest.fixture
async def addon_process(tmp_path, supervisor):
    """Start the add-on entry point in its own process; stop it with SIGTERM."""
    real_model("yolo26n-640.onnx")
    options = write_options(tmp_path / "options.json", detector_threads=1)
    (tmp_path / "config").mkdir()
    port = free_port()
    log = tmp_path / "addon.log"
    env = {**os.environ, "SUPERVISOR_TOKEN": SUPERVISOR_TOKEN, "ARGUS_DISCOVERY_HOST": "127.0.0.1"}
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "argus_engine", "addon",
            "--options", str(options), "--data", str(tmp_path / "data"), "--config-dir", str(tmp_path / "config"),
            "--host", "127.0.0.1", "--port", str(port), "--supervisor-url", supervisor.url,
            cwd=REPO, env=env, stdout=output, stderr=asyncio.subprocess.STDOUT,
        )
    try:
        yield process, port, log
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=60)
            except TimeoutError:
                process.kill()
                await process.wait()


async def test_addon_discovery_sets_up_integration(
    hass: HomeAssistant, enable_custom_integrations, socket_enabled, supervisor, addon_process
):
    process, port, log = addon_process

    await asyncio.wait_for(supervisor.accepted.wait(), timeout=180)

    assert len(supervisor.requests) == 2, "the add-on did not retry after the 503"
    posted = supervisor.requests[-1]
    assert posted["headers"]["Authorization"] == f"Bearer {SUPERVISOR_TOKEN}"
    assert posted["json"]["service"] == "argus"
    config = posted["json"]["config"]
    assert config == {"host": "127.0.0.1", "port": port, "token": config["token"]}
    assert len(config["token"]) >= 16

    discovery = HassioServiceInfo(config={**config, "addon": "Argus"}, name="Argus", slug="local_argus", uuid=supervisor.uuid)
    with patch("custom_components.argus.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery)
        assert result["type"] is FlowResultType.FORM, result
        assert result["step_id"] == "hassio_confirm"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["data"] == {CONF_HOST: "127.0.0.1", CONF_PORT: port, CONF_TOKEN: config["token"]}
    engine_id = (Path(log).parent / "data" / "engine_id").read_text().strip()
    assert result["result"].unique_id == engine_id

    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), timeout=60) == 0
    output = log.read_text()
    assert "Discovery attempt 1 failed (HTTP 503" in output
    assert "Supervisor accepted the discovery message" in output
    assert json.dumps(supervisor.requests[0]["json"]) == json.dumps(posted["json"])
