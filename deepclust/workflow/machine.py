"""What machine a result was computed on: the CPU, its vector instruction set, the oneDNN
settings that choose TensorFlow's kernels, and the versions of the numerical libraries.

Results are bit-identical for the same seed, CPU instruction set, oneDNN settings and build;
a different instruction set (another CPU, or ``ONEDNN_MAX_CPU_ISA``) changes float rounding
in training. :func:`machine_info` records what decides that, and nothing that differs between
two runs on the same machine (no host name, no time), so records of such runs stay
byte-identical.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata

#: vector instruction sets, best first, as /proc/cpuinfo names them
SIMD_LEVELS = ("avx512_bf16", "avx512_vnni", "avx512f", "avx2", "avx", "sse4_2", "sse4_1")

#: environment variables that choose TensorFlow's CPU kernels (oneDNN's instruction-set cap;
#: oneDNN's older name for it; oneDNN on or off in TensorFlow)
ONEDNN_VARIABLES = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS")


def cpu_model_and_flags(cpuinfo: str = "/proc/cpuinfo") -> tuple[str, set[str]]:
    """The CPU's model name and feature flags from ``cpuinfo`` (first processor); where it
    cannot be read, :func:`platform.processor` (or the architecture) and no flags."""
    model, flags = "", set()
    try:
        with open(cpuinfo) as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and not model:
                    model = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model or platform.processor() or platform.machine(), flags


def best_simd(flags) -> str | None:
    """The best of :data:`SIMD_LEVELS` among the CPU's ``flags`` (None: none of them)."""
    return next((level for level in SIMD_LEVELS if level in flags), None)


def package_version(name: str) -> str | None:
    """An installed distribution's version, without importing it (None: not installed)."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def machine_info(cpuinfo: str = "/proc/cpuinfo", environ=None) -> dict:
    """A JSON-able record of what decides a run's float rounding: CPU model, its best vector
    instruction set, the oneDNN cap (``ONEDNN_MAX_CPU_ISA``, "default" when unset), whichever
    other :data:`ONEDNN_VARIABLES` are set, and the numpy and TensorFlow versions (TensorFlow's
    from the package metadata, None where it is not installed; it is never imported)."""
    environ = os.environ if environ is None else environ
    model, flags = cpu_model_and_flags(cpuinfo)
    info = {"cpu": model, "cpu_simd": best_simd(flags),
            "onednn_max_cpu_isa": environ.get("ONEDNN_MAX_CPU_ISA", "default")}
    info.update({name.lower(): environ[name] for name in ONEDNN_VARIABLES[1:] if name in environ})
    info["numpy"] = package_version("numpy")
    info["tensorflow"] = package_version("tensorflow") or package_version("tensorflow-cpu")
    return info
