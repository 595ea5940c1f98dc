"""A real single-node SLURM cluster for tests: munged, slurmctld, slurmd, partitions debug and gpu.

Started by the test suite itself (as root, from Debian's slurm-wlm and munge)
and stopped by PID afterwards.  The node advertises two fake GPUs backed by
character devices, so SLURM's gres/gpu plugin allocates them and sets
CUDA_VISIBLE_DEVICES in GPU jobs exactly as on a real GPU node.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

SLURM_CONF = Path("/etc/slurm/slurm.conf")  # the plugin's job step drops SLURM_CONF: must be the default path
GRES_CONF = Path("/etc/slurm/gres.conf")
PID_FILES = {"slurmd": Path("/run/slurmd.pid"), "slurmctld": Path("/run/slurmctld.pid"),
             "munged": Path("/run/munge/munged.pid")}
MARKER = "# written by hepclust tests"


def unavailable_reason() -> str | None:
    """Why a SLURM cluster cannot be started here, or None."""
    if os.geteuid() != 0:
        return "SLURM test cluster needs root (it writes /etc/slurm and starts daemons)"
    missing = [b for b in ("slurmctld", "slurmd", "munged", "sbatch", "squeue", "sinfo") if not shutil.which(b)]
    if missing:
        return f"SLURM/munge not installed (missing {', '.join(missing)}; apt-get install slurm-wlm munge)"
    if SLURM_CONF.exists() and MARKER not in SLURM_CONF.read_text():
        return f"{SLURM_CONF} belongs to a real SLURM installation; not overwriting it"
    return None


def _memory_mb() -> int:
    with open("/proc/meminfo") as f:
        total_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    return int(total_kb / 1024 * 0.85)


def write_config() -> None:
    SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
    for d in ("/var/spool/slurmctld", "/var/spool/slurmd", "/var/log/slurm"):
        Path(d).mkdir(parents=True, exist_ok=True)
    for i in range(2):
        dev = Path(f"/dev/fakegpu{i}")
        if not dev.exists():
            os.mknod(dev, 0o666 | 0o020000, os.makedev(1, 3))  # a character device like /dev/null
    # Twice the machine's cores as CPU slots (config_overrides lets slurmd accept more than it finds), and
    # memory not scheduled: most of a tiny job's wall time is Python start-up and the executor's status
    # polling, so two jobs per core finish the whole-DAG test much sooner without changing what it proves
    # (every rule is still its own SLURM job with the CPUs, GPU and partition it asks for).
    cpus = 2 * (os.cpu_count() or 1)
    SLURM_CONF.write_text(f"""{MARKER}
ClusterName=hepclust-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=600
GresTypes=gpu
ReturnToService=2
DefMemPerCPU=1000
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile={PID_FILES['slurmctld']}
SlurmdPidFile={PID_FILES['slurmd']}
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=localhost CPUs={cpus} RealMemory={_memory_mb()} Gres=gpu:fakegpu:2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=localhost Default=NO MaxTime=INFINITE State=UP
""")
    GRES_CONF.write_text(f"""{MARKER}
AutoDetect=off
NodeName=localhost Name=gpu Type=fakegpu File=/dev/fakegpu[0-1]
""")


def _read_pid(name: str) -> int | None:
    try:
        return int(PID_FILES[name].read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def start(timeout: float = 60.0) -> dict[str, int]:
    """Start munged, slurmctld and slurmd; wait until the node is idle.  Returns the daemons' PIDs."""
    write_config()
    Path("/run/munge").mkdir(parents=True, exist_ok=True)
    shutil.chown("/run/munge", "munge", "munge")
    if not Path("/etc/munge/munge.key").exists():
        subprocess.run(["mungekey", "--create"], check=True)
        shutil.chown("/etc/munge/munge.key", "munge", "munge")
    subprocess.run(["runuser", "-u", "munge", "--", "munged", "--force"], check=True)
    # -c: a throwaway cluster starts without job state saved by an earlier (possibly killed) test run
    subprocess.run(["slurmctld", "-c"], check=True)
    subprocess.run(["slurmd", "-c", "-N", "localhost"], check=True)
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = subprocess.run(["sinfo", "-h", "-N", "-o", "%t"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip().startswith("idle"):
            break
        time.sleep(1)
    else:
        stop()
        log = Path("/var/log/slurm/slurmctld.log")
        raise RuntimeError(f"SLURM node did not become idle: {out.stdout} {out.stderr}\n"
                           f"{log.read_text()[-3000:] if log.exists() else ''}")
    return {name: pid for name in PID_FILES if (pid := _read_pid(name))}


def remove_config() -> list[Path]:
    """Delete the slurm.conf and gres.conf this module wrote (those with its marker; a real installation's are
    never touched); returns the paths deleted.

    Why: left behind, a slurm.conf naming a controller that no longer runs makes every later ``scontrol`` on the
    machine retry for ~9 s, and the SLURM executor plugin runs ``scontrol show config`` whenever Snakemake starts,
    a local run included: 9 s added to every ``snakemake`` command after the test suite, until the file goes.
    Without the file, the plugin's query fails at once, as on a machine that never had the test cluster."""
    removed = []
    for path in (SLURM_CONF, GRES_CONF):
        if path.exists() and MARKER in path.read_text():
            path.unlink()
            removed.append(path)
    return removed


def stop(pids: dict[str, int] | None = None, timeout: float = 30.0) -> list[str]:
    """SIGTERM every daemon by PID (slurmd first), wait for it to exit, remove the config this module wrote
    (:func:`remove_config`); returns the names still alive."""
    pids = pids or {name: pid for name in PID_FILES if (pid := _read_pid(name))}
    for name in ("slurmd", "slurmctld", "munged"):
        if name in pids and _alive(pids[name]):
            os.kill(pids[name], signal.SIGTERM)
    deadline = time.time() + timeout
    while time.time() < deadline and any(_alive(p) for p in pids.values()):
        time.sleep(0.5)
    for name, pid in pids.items():
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    remove_config()
    return [name for name, pid in pids.items() if _alive(pid)]
