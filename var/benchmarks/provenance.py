"""Which machine and code a number came from: the CPU, its vector extensions, torch's CPU kernels, git.

float32 results differ in their last digits between CPUs: oneDNN and MKL pick
other convolution and matrix kernels on AVX-512 or AMX than on AVX2, and ATen's
own vectorised loops follow the CPU capability. VAR's keep mask and the
benchmarks' binarisation are step functions, so such a difference can switch a
pixel. Reference runs record :func:`describe` in their provenance, and CI prints
it first (``python -m var.bench machine``), so every table and every red run says
where it was computed.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from ..core.checks import CliParser

__all__ = ["describe", "cpu_model", "vector_extensions", "git", "environment", "main", "CHECKOUT"]

#: The checkout var runs from (git provenance; ``data/`` and ``results/`` below it, ``../shared`` beside it).
CHECKOUT = Path(__file__).resolve().parents[2]

#: The CPU flags that decide which float kernels run (the rest of /proc/cpuinfo's flags do not).
_VECTOR_FLAG = re.compile(r"^(sse4_[12]|avx\w*|fma\w*|f16c|amx\w*)$")


def _cpuinfo() -> dict[str, str]:
    """The first processor's entry of /proc/cpuinfo (empty where there is none, e.g. macOS)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    first = text.split("\n\n", 1)[0]
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in first.splitlines())}


def cpu_model() -> str:
    """The CPU's marketing name ('AMD EPYC', 'Intel(R) Xeon(R) Platinum 8480+', ...)."""
    return _cpuinfo().get("model name") or platform.processor() or platform.machine()


def vector_extensions() -> list[str]:
    """The CPU's SIMD extensions that float kernels dispatch on (``avx2``, ``avx512f``, ``amx_tile``, ...)."""
    return sorted(f for f in _cpuinfo().get("flags", "").split() if _VECTOR_FLAG.match(f))


def _build_version(library: str) -> str | None:
    """A library's version from torch's build summary (oneDNN is listed as MKL-DNN)."""
    import torch

    patterns = {"onednn": r"MKL-DNN v([\d.]+)", "mkl": r"Math Kernel Library Version ([\w.]+)"}
    found = re.search(patterns[library], torch.__config__.show())
    return found.group(1) if found else None


def describe() -> dict:
    """The CPU and torch's CPU configuration: what decides float32 rounding here."""
    import torch

    return {"cpu": cpu_model(), "cores": os.cpu_count(), "vector_extensions": vector_extensions(),
            "torch": torch.__version__, "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "onednn": _build_version("onednn") if torch.backends.mkldnn.is_available() else None,
            "onednn_enabled": torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
            "mkl": _build_version("mkl") if torch.backends.mkl.is_available() else None,
            "torch_threads": torch.get_num_threads(), "platform": platform.platform()}


def git(*args: str) -> str:
    """Output of a git command in this repository ("unknown" outside a checkout)."""
    try:
        return subprocess.run(["git", *args], cwd=CHECKOUT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def environment() -> dict:
    """Where and when this runs: date, machine, python and torch versions, the command, and ``cpu``:
    the CPU model, its vector extensions and torch's CPU kernels (:func:`describe`).
    """
    import torch

    return {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
            "python": platform.python_version(), "torch": torch.__version__,
            "command": " ".join(["python", *sys.orig_argv[1:]]), "cpu": describe()}


def main(argv=None) -> int:
    """``python -m var.bench machine``: print :func:`describe`, one ``key: value`` per line."""
    CliParser(prog="var-bench machine", description=__doc__).parse_args(argv)  # --help; refuses stray arguments
    for key, value in describe().items():
        print(f"{key}: {' '.join(value) if isinstance(value, list) else value}")
    return 0
