"""Will a job ever start on this SLURM cluster? Checked before any job is submitted, so that a
job asking more CPUs, memory, time or GPUs than any node of its partition has fails the run
with a message naming the rule and the setting, instead of pending forever
(``Reason=PartitionConfig``) while Snakemake waits.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

#: ``sinfo`` columns: partition (``*`` marks the default), CPUs per node, memory per node (MB),
#: generic resources, time limit. One line per partition and distinct node configuration.
SINFO_FORMAT = "%P|%c|%m|%G|%l"


class ClusterQueryError(RuntimeError):
    """``sinfo`` failed or printed something unexpected."""


@dataclass(frozen=True)
class NodeClass:
    """Nodes of one partition that share a configuration."""

    partition: str
    cpus: int
    memory_mb: int
    gpus: int
    time_limit_min: float  # inf when unlimited


@dataclass(frozen=True)
class Request:
    """What one job asks for (the slurm executor's sbatch options)."""

    name: str  # the rule, or "group <name>" for a group job
    cpus: int
    memory_mb: int = 0
    runtime_min: int = 0
    gpus: int = 0
    partition: str | None = None


def parse_time_limit(text: str) -> float:
    """Minutes of a SLURM time limit (``infinite``, ``MM``, ``MM:SS``, ``HH:MM:SS``,
    ``D-HH``, ``D-HH:MM``, ``D-HH:MM:SS``)."""
    text = text.strip()
    if text.lower() in ("infinite", "unlimited", "n/a", ""):
        return float("inf")
    days, _, clock = text.rpartition("-")
    parts = [int(p) for p in clock.split(":")]
    if days:  # D-HH[:MM[:SS]]
        parts += [0] * (3 - len(parts))
        hours, minutes, seconds = parts
    elif len(parts) == 3:
        hours, minutes, seconds = parts
    elif len(parts) == 2:
        hours, (minutes, seconds) = 0, parts
    else:
        hours, minutes, seconds = 0, parts[0], 0
    return int(days or 0) * 1440 + hours * 60 + minutes + seconds / 60


def _gpu_count(gres: str) -> int:
    """GPUs in a node's GRES string, e.g. ``gpu:a100:4(S:0-1),shard:8`` -> 4."""
    count = 0
    for item in gres.split(","):
        match = re.match(r"gpu(?::[^:(]+)?:(\d+)", item.strip())
        if match:
            count += int(match.group(1))
    return count


def parse_sinfo(text: str) -> list[NodeClass]:
    """Node classes from ``sinfo --noheader --format`` :data:`SINFO_FORMAT`."""
    nodes = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split("|")
        if len(fields) != 5:
            raise ClusterQueryError(f"unexpected sinfo line: {line!r}")
        partition, cpus, memory, gres, limit = (f.strip() for f in fields)
        nodes.append(
            NodeClass(
                partition=partition.rstrip("*"),
                cpus=int(cpus.rstrip("+")),
                memory_mb=int(memory.rstrip("+")),
                gpus=_gpu_count(gres),
                time_limit_min=parse_time_limit(limit),
            )
        )
    return nodes


def default_partition(sinfo_text: str) -> str | None:
    """The partition that ``sinfo`` marks with ``*`` (first column of each line)."""
    for line in sinfo_text.splitlines():
        name = line.split("|", 1)[0].strip()
        if name.endswith("*"):
            return name.rstrip("*")
    return None


def query_cluster() -> tuple[list[NodeClass], str | None]:
    """This cluster's node classes and default partition, from one ``sinfo`` call."""
    if shutil.which("sinfo") is None:
        raise ClusterQueryError("sinfo is not on PATH: is this a SLURM login node?")
    try:
        text = subprocess.run(
            ["sinfo", "--noheader", "--format", SINFO_FORMAT],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        detail = getattr(error, "stderr", "") or error
        raise ClusterQueryError(f"sinfo failed: {detail}") from error
    return parse_sinfo(text), default_partition(text)


def why_never_starts(request: Request, nodes: list[NodeClass],
                     default: str | None = None) -> str | None:
    """Why no node of the job's partition can ever run it, or None if one can."""
    partition = request.partition or default
    candidates = [n for n in nodes if partition is None or n.partition == partition]
    if not candidates:
        known = ", ".join(sorted({n.partition for n in nodes})) or "none"
        return f"partition {partition!r} does not exist (partitions: {known})"
    shortfalls = []
    for need, have, what, unit in (
        (request.cpus, max(n.cpus for n in candidates), "CPUs", ""),
        (request.memory_mb, max(n.memory_mb for n in candidates), "memory", " MB"),
        (request.runtime_min, max(n.time_limit_min for n in candidates), "time", " min"),
        (request.gpus, max(n.gpus for n in candidates), "GPUs", ""),
    ):
        if need > have:
            shortfalls.append(f"{need}{unit} of {what} (the largest node has {have:g}{unit})")
    # every need may fit on some node, but not all on the same one
    if not shortfalls and not any(
        request.cpus <= n.cpus
        and request.memory_mb <= n.memory_mb
        and request.runtime_min <= n.time_limit_min
        and request.gpus <= n.gpus
        for n in candidates
    ):
        shortfalls.append("its CPUs, memory, time and GPUs together (no node has all of them)")
    if not shortfalls:
        return None
    where = f"partition {partition!r}" if partition else "this cluster"
    return f"asks {', '.join(shortfalls)} in {where}"


def check_requests(requests: list[Request], nodes: list[NodeClass],
                   default: str | None = None) -> list[str]:
    """One message per distinct request that no node can ever run."""
    problems = []
    for request in dict.fromkeys(requests):
        reason = why_never_starts(request, nodes, default)
        if reason:
            problems.append(f"{request.name}: {reason}")
    return problems
