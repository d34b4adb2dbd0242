"""A real single-node SLURM cluster for the tests: Debian's slurmctld, slurmd and munge,
installed with apt when missing, configured from ``slurmd -C``, started by hand (no systemd)
and stopped by PID afterwards.

Facts this relies on: without an accounting database ``sacct`` cannot answer, so Snakemake
must query ``squeue`` (``--slurm-status-command squeue``); the job step drops SLURM_CONF, so
the config has to be at the default path ``/etc/slurm/slurm.conf``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge"]
CONF = Path("/etc/slurm/slurm.conf")
MARKER = "# written by deepclust's tests/slurm_cluster.py"
STATE = Path("/var/spool/deepclust-slurm")
PIDS = {
    "munged": Path("/run/munge/munged.pid"),
    "slurmctld": STATE / "slurmctld.pid",
    "slurmd": STATE / "slurmd.pid",
}


class Unavailable(RuntimeError):
    """This machine cannot host the test cluster (the reason says why)."""


def _run(*command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def install() -> None:
    """Install the SLURM and munge packages with apt-get if a daemon is missing."""
    if all(shutil.which(d) for d in ("slurmctld", "slurmd", "munged", "sbatch")):
        return
    if shutil.which("apt-get") is None:
        raise Unavailable("SLURM is not installed and there is no apt-get to install it")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if sudo and shutil.which("sudo") is None:
        raise Unavailable("SLURM is not installed and apt-get needs root (no sudo)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", *PACKAGES]):
        done = _run(*sudo, *command, env=env)
        if done.returncode != 0:
            raise Unavailable(f"{' '.join(command)} failed: {done.stderr.strip()[-500:]}")


def node_line() -> str:
    """This machine as a SLURM node (``slurmd -C``: CPUs, sockets, cores, memory)."""
    done = _run("slurmd", "-C", check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("NodeName="))
    return line.strip()


def write_config() -> str:
    """Write /etc/slurm/slurm.conf for one node, one partition, no accounting. Returns the
    node's name. An existing slurm.conf that this module did not write is left alone."""
    if CONF.exists() and MARKER not in CONF.read_text():
        raise Unavailable(f"{CONF} exists and was not written by this test: not touching a "
                          "real cluster's config")
    node = node_line()
    name = node.split()[0].split("=", 1)[1]
    host = socket.gethostname().split(".")[0]
    for folder in (STATE / "ctld", STATE / "d", Path("/run/munge")):
        folder.mkdir(parents=True, exist_ok=True)
    CONF.parent.mkdir(parents=True, exist_ok=True)
    CONF.write_text("\n".join([
        MARKER,
        "ClusterName=deepclust-test",
        f"SlurmctldHost={host}",
        "AuthType=auth/munge",
        "SlurmUser=root",
        "SlurmdUser=root",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SchedulerType=sched/backfill",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        "MpiDefault=none",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        "ReturnToService=2",
        "MinJobAge=600",  # finished jobs stay visible to squeue long enough
        f"SlurmctldPidFile={PIDS['slurmctld']}",
        f"SlurmdPidFile={PIDS['slurmd']}",
        f"StateSaveLocation={STATE / 'ctld'}",
        f"SlurmdSpoolDir={STATE / 'd'}",
        f"SlurmctldLogFile={STATE / 'slurmctld.log'}",
        f"SlurmdLogFile={STATE / 'slurmd.log'}",
        f"{node} State=UNKNOWN",
        f"PartitionName=debug Nodes={name} Default=YES MaxTime=INFINITE State=UP",
        "",
    ]))
    return name


def remove_config() -> None:
    """Remove the slurm.conf this module wrote, unless its controller is running.

    A slurm.conf naming a controller that is down costs every later Snakemake start 9 s:
    Snakemake loads the installed slurm executor plugin, which runs ``scontrol show config``
    at import, and scontrol waits for the controller before giving up. Without a slurm.conf
    it fails at once."""
    if CONF.exists() and MARKER in CONF.read_text() and _alive(PIDS["slurmctld"]) is None:
        CONF.unlink()


def _alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().split()[0])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, IndexError):
        return None


class SlurmCluster:
    """``with SlurmCluster() as cluster:`` runs the daemons for the block's duration."""

    def __init__(self):
        self.started: list[str] = []
        self.node = None

    def __enter__(self):
        install()
        self.node = write_config()
        try:
            self._start()
            self._wait_idle()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _start(self):
        key = Path("/etc/munge/munge.key")
        if not key.exists():
            _run("mungekey", "--create", check=True)
            shutil.chown(key, "munge", "munge")
        shutil.chown("/run/munge", "munge", "munge")
        commands = {
            "munged": ["runuser", "-u", "munge", "--", "munged"],
            "slurmctld": ["slurmctld"],
            "slurmd": ["slurmd"],
        }
        for daemon, command in commands.items():
            if _alive(PIDS[daemon]):
                continue  # already running (left by someone else): not ours to stop
            done = _run(*command)
            if done.returncode != 0:
                raise RuntimeError(f"{daemon} did not start: {done.stderr.strip()}")
            self.started.append(daemon)
            time.sleep(1)

    def _wait_idle(self, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = _run("sinfo", "--noheader", "--format", "%T").stdout.strip()
            if state in ("idle", "mixed", "allocated"):
                return
            if state.startswith(("down", "drain")):
                _run("scontrol", "update", f"nodename={self.node}", "state=resume")
            time.sleep(1)
        raise RuntimeError(f"the SLURM node did not become idle in {timeout:.0f} s "
                           f"(sinfo: {state!r}; logs in {STATE})")

    def stop(self):
        """Stop the daemons this object started, by PID, newest first."""
        for daemon in reversed(self.started):
            pid = _alive(PIDS[daemon])
            if pid is None:
                continue
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if _alive(PIDS[daemon]) is None:
                    break
                time.sleep(0.1)
        self.started = []
        remove_config()
