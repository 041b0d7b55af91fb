"""Add-on tests run real servers on 127.0.0.1, so they need sockets.

pytest-homeassistant-custom-component installs pytest-socket and blocks sockets for
every test in the session; taking its `socket_enabled` fixture lifts that per test.
"""

import pytest


@pytest.fixture(autouse=True)
def _allow_local_sockets(socket_enabled: None) -> None:
    """Let every add-on test open sockets (only 127.0.0.1 servers are used)."""
