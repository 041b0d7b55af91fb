"""Process CPU and memory figures for `/api/stats`, from /proc and `os.times`."""

import os
import resource
import time


class ProcessStats:
    """CPU % since the previous sample, and the current resident set size."""

    def __init__(self) -> None:
        self._last_cpu = _cpu_seconds()
        self._last_wall = time.monotonic()

    def sample(self) -> dict[str, float | int]:
        """Return `cpu_percent` (100 = one core busy) and `rss_bytes`."""
        cpu = _cpu_seconds()
        wall = time.monotonic()
        elapsed = wall - self._last_wall
        percent = 100.0 * (cpu - self._last_cpu) / elapsed if elapsed > 0 else 0.0
        self._last_cpu, self._last_wall = cpu, wall
        return {"cpu_percent": round(percent, 1), "rss_bytes": rss_bytes(), "threads": _thread_count()}


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def rss_bytes() -> int:
    """Return the current resident set size; the peak from getrusage where /proc is missing."""
    try:
        with open("/proc/self/statm", encoding="ascii") as file:
            resident_pages = int(file.read().split()[1])
        return resident_pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        # ru_maxrss is in KiB on Linux.
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0
