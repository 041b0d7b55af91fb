"""Engine-side fixtures shared by every test folder; no Home Assistant imports here.

The fixtures themselves live in small modules under tests/helpers so that several
people can add to them without editing one file.
"""

import sys
from pathlib import Path

# Tests import `tests.helpers...`, which needs the repository root on sys.path even
# when pytest is started as `pytest` rather than `python -m pytest`.
_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.helpers.rtsp import black_hole, rtsp_server  # noqa: E402, F401
