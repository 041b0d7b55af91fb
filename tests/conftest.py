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


# Figures that tests print (latencies, frame counts, memory growth) are the evidence for
# speed and memory goals, which are never asserted on timing. pytest hides the output of
# passing tests, so it is collected here and repeated in the closing summary.
_FIGURES: list[tuple[str, str]] = []


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed and report.capstdout.strip():
        _FIGURES.append((report.nodeid, report.capstdout.strip()))


def pytest_terminal_summary(terminalreporter):
    if not _FIGURES:
        return
    terminalreporter.section("figures printed by tests")
    for nodeid, text in _FIGURES:
        terminalreporter.write_line(nodeid)
        for line in text.splitlines():
            terminalreporter.write_line(f"    {line}")
