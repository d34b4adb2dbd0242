# What each job asks of a cluster. Every rule declares `threads` (sbatch --cpus-per-task),
# `mem_mb` and `runtime` from the peaks measured in the benchmark files, scaled by the
# dataset's size (deepclust/workflow/resources.py), and a GPU when its encoder says `gpu: true`.
# Before submitting, a SLURM run checks that every job fits some node (see `onstart` below).

import os
import sys

from deepclust.workflow.resources import dense_mb, memory_mb, runtime_min
from deepclust.workflow.slurm import (
    ClusterQueryError,
    Request,
    check_requests,
    query_cluster,
)

# Partition and account for every SLURM job, when set in the environment (or pass
# `--default-resources slurm_partition=... slurm_account=...` on the command line).
PLACEMENT_VARIABLES = {
    "slurm_partition": "DEEPCLUST_SLURM_PARTITION",
    "slurm_account": "DEEPCLUST_SLURM_ACCOUNT",
}


def placement():
    return {
        resource: os.environ[variable]
        for resource, variable in PLACEMENT_VARIABLES.items()
        if os.environ.get(variable)
    }


def data_mb(wildcards, input):
    """The size that a job's needs grow with: its dataset's vectorized features as a dense
    float32 matrix once they exist (resources are evaluated again just before a job is
    submitted), else the size of the job's input files."""
    dataset = getattr(wildcards, "dataset", None)
    if dataset in config["datasets"]:
        features = f"{PATHS['vectorized']}/features.npz".format(dataset=dataset)
        if os.path.isfile(features):
            return dense_mb(features)
    return input.size_mb


def job_resources(rule_name, **extra):
    """`resources:` of a rule: measured memory and time (a retry after a failure, e.g. an
    out-of-memory kill, asks that much more memory again), partition and account."""
    return dict(
        mem_mb=lambda wildcards, input, attempt: attempt
        * memory_mb(rule_name, data_mb(wildcards, input)),
        runtime=lambda wildcards, input, attempt: attempt
        * runtime_min(rule_name, data_mb(wildcards, input)),
        **placement(),
        **extra,
    )


def encoder_gpus(wildcards):
    """1 when the encoder's config says `gpu: true` (sbatch --gpus=1), else 0."""
    return int(bool(config["encoders"][wildcards.encoder].get("gpu", False)))


# A training job runs in envs/tensorflow-gpu.yaml (TensorFlow with CUDA) when its encoder says
# `gpu: true`, and asks SLURM for one GPU (job_resources' gpu=encoder_gpus).
TENSORFLOW_ENVS = {
    False: "../envs/tensorflow.yaml",
    True: "../envs/tensorflow-gpu.yaml",
}


def tensorflow_env(wildcards):
    return TENSORFLOW_ENVS[bool(encoder_gpus(wildcards))]


#: every env tensorflow_env can return (tests/test_envs.py checks each of them)
tensorflow_env.choices = list(TENSORFLOW_ENVS.values())


def _job_request(job):
    """The sbatch request of one job, as far as it is known before its inputs exist."""

    def number(name):
        value = job.resources.get(name, 0)
        return value if isinstance(value, int) else 0  # not yet known (input sizes)

    if job.is_group():
        rules = sorted({member.rule.name for member in job.jobs})
        name = f"group {job.groupid} ({', '.join(rules)})"
    else:
        name = f"rule {job.rule.name}"
    cpus = job.resources.get("cpus_per_task") or job.resources.get("_cores") or 1
    return Request(
        name=name,
        cpus=cpus if isinstance(cpus, int) else 1,
        memory_mb=number("mem_mb"),
        runtime_min=number("runtime"),
        gpus=number("gpu"),
        partition=job.resources.get("slurm_partition") or None,
    )


def check_jobs_fit_the_cluster():
    """On SLURM: fail now, naming the rule and what it asks, if some job can never start on
    any node of its partition (SLURM would keep it pending forever)."""
    plugin = workflow.executor_plugin
    if plugin is None or plugin.name != "slurm":
        return
    try:
        nodes, default = query_cluster()
    except ClusterQueryError as error:
        raise WorkflowError(
            f"cannot check the jobs against the cluster: {error}"
        ) from error
    # a grouped job is submitted as part of its group job
    submissions = {
        workflow.dag.get_job_group(job) or job for job in workflow.dag.needrun_jobs()
    }
    requests = [_job_request(job) for job in submissions if not job.is_local]
    problems = check_requests(requests, nodes, default)
    if problems:
        raise WorkflowError(
            "these jobs can never start on this SLURM cluster, so nothing was submitted:\n  "
            + "\n  ".join(problems)
            + "\nLower the rule's threads (config `threads`, --set-threads) or resources "
            "(--set-resources RULE:mem_mb=..., RULE:runtime=...), or choose another "
            "partition (DEEPCLUST_SLURM_PARTITION)."
        )


def _plain(setting):
    """A Snakemake resource setting as a plain value (a `Resource` holds it in `.value`)."""
    return getattr(setting, "value", setting)


def limit_group_width():
    """On a cluster, Snakemake sums the threads of a group's jobs that could run side by side
    (a run's evaluate and plot jobs: 4-5 one-thread jobs) into the group's CPU request; the
    documented bound is --cores, which also caps each rule's threads. Unless the user gave
    --cores, bound it by the most threads any rule asks (config `threads`, --set-threads), so
    a group asks no more CPUs than the largest single job and runs its jobs in turn."""
    if workflow.local_exec:
        return
    cores = workflow.resource_settings.cores
    if cores is not None and cores < sys.maxsize:
        return
    overrides = [
        _plain(t) for t in workflow.resource_settings.overwrite_threads.values()
    ]
    widest = max([config["threads"], *(t for t in overrides if isinstance(t, int))])
    workflow.global_resources["_cores"] = widest


def limit_cores_to_the_slurm_allocation():
    """Inside a submitted job (Snakemake's remote mode, started with `--cores all`), count only
    the CPUs SLURM gave the job as cores. `all` is every CPU of the node where the job step
    does not confine the job to its CPUs, and a group of one-thread jobs would then ask srun for
    more CPUs than the allocation, which fails ("More processors requested than permitted"):
    the group was submitted with the CPUs of limit_group_width."""
    allocated = os.environ.get("SLURM_CPUS_PER_TASK", "")
    if workflow.remote_exec and allocated.isdigit() and int(allocated) > 0:
        cores = _plain(workflow.global_resources.get("_cores"))
        if not isinstance(cores, int) or cores > int(allocated):
            workflow.global_resources["_cores"] = int(allocated)


limit_cores_to_the_slurm_allocation()


# Runs once the DAG is built and the executor is known (not in a dry run), before any job is
# submitted.
onstart:
    limit_group_width()
    check_jobs_fit_the_cluster()
