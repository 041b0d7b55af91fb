"""How many CPUs this process may use, for onnxruntime's intra-op thread pool.

`os.cpu_count()` is the host's count. Inside a container the process is limited by its
CPU affinity and by the cgroup CPU quota (v2 `cpu.max`, v1 `cpu.cfs_quota_us`), so a
thread pool sized to the host would oversubscribe and get throttled.
"""

import logging
import math
import os
from pathlib import Path

_LOGGER = logging.getLogger(__name__)

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def available_cpus(*, cgroup_root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> int:
    """Return the number of CPUs this process may use: affinity, capped by the cgroup quota, at least 1."""
    cpus = _affinity_count()
    quota = cgroup_cpu_quota(cgroup_root=cgroup_root, proc_cgroup=proc_cgroup)
    if quota is not None:
        # Floor, because a pool of ceil(1.5) = 2 busy threads on a 1.5-CPU quota gets throttled.
        cpus = min(cpus, max(1, math.floor(quota)))
    return max(1, cpus)


def _affinity_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        # sched_getaffinity is Linux-only.
        return os.cpu_count() or 1


def cgroup_cpu_quota(*, cgroup_root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> float | None:
    """Return the cgroup CPU limit in CPUs (quota / period), or None when there is no limit."""
    memberships = _read_memberships(proc_cgroup)
    v2_path = memberships.get("")
    if v2_path is not None:
        quota = _read_cpu_max([cgroup_root / v2_path.lstrip("/") / "cpu.max", cgroup_root / "cpu.max"])
        if quota is not None:
            return quota
    v1_path = memberships.get("cpu", "/")
    for directory in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        base = cgroup_root / directory
        quota = _read_cfs_quota([base / v1_path.lstrip("/"), base])
        if quota is not None:
            return quota
    return None


def _read_memberships(proc_cgroup: Path) -> dict[str, str]:
    """Map each cgroup controller to this process's cgroup path, with "" for the v2 unified tree."""
    try:
        text = proc_cgroup.read_text()
    except OSError:
        return {}
    memberships: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        controllers, path = parts[1], parts[2]
        if not controllers:
            memberships[""] = path
        for controller in controllers.split(","):
            if controller:
                memberships[controller] = path
    return memberships


def _read_cpu_max(candidates: list[Path]) -> float | None:
    """Read v2 `cpu.max` ("QUOTA PERIOD" or "max PERIOD") from the first file that exists."""
    for path in candidates:
        try:
            fields = path.read_text().split()
        except OSError:
            continue
        if len(fields) != 2 or fields[0] == "max":
            return None
        return _quota_ratio(fields[0], fields[1], path)
    return None


def _read_cfs_quota(directories: list[Path]) -> float | None:
    """Read v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`. A quota of -1 means no limit."""
    for directory in directories:
        try:
            quota = (directory / "cpu.cfs_quota_us").read_text().strip()
            period = (directory / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            continue
        if quota.startswith("-"):
            return None
        return _quota_ratio(quota, period, directory)
    return None


def _quota_ratio(quota: str, period: str, source: Path) -> float | None:
    try:
        ratio = int(quota) / int(period)
    except (ValueError, ZeroDivisionError):
        _LOGGER.warning("Ignoring unreadable CPU quota %r / %r in %s", quota, period, source)
        return None
    return ratio if ratio > 0 else None
