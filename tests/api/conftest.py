"""Fixtures for API tests: sockets on 127.0.0.1 and a running engine with its API."""

import pytest

from tests.helpers.engine_api import StillWorker, running_api


@pytest.fixture(autouse=True)
def _local_sockets(socket_enabled):
    """Allow sockets: the Home Assistant test plugin disables them for every test.

    Its pytest-socket setup still limits connections to 127.0.0.1.
    """


@pytest.fixture
async def api(tmp_path):
    """A started engine with one camera (`front`, zone `door`) and its API."""
    StillWorker.instances.clear()
    async with running_api(tmp_path) as running:
        yield running
