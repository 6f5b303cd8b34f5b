"""The compiled CPU loops of the membrane and decay scans (``scan.cpp``), built on first use.

On the CPU a scan written in tensor operations pays tens of microseconds of dispatch
for each of the handful of operations per time step; ``scan.cpp`` runs the same
arithmetic as one loop over time. It is plain C++ (no torch headers): the system's
C++ compiler (``$CXX``, else ``c++``) builds it once per machine, in about 15 seconds,
on the first fused CPU run, and it loads through :mod:`ctypes`. The library is cached
under ``$SNNX_CACHE_DIR`` (default ``~/.cache/snnx``), named by a hash of the source,
flags, compiler and CPU, so an edit, a new compiler or another CPU rebuilds it.

:func:`library` returns the loaded library or ``None``; :func:`status` says which and
why (``snnx info`` prints it). Without a compiler the scans run as tensor operations:
the same numbers, slower (a failed build also warns once). ``SNNX_NATIVE_KERNELS=0``
turns the compiled loops off.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

SOURCE = Path(__file__).with_name("scan.cpp")
FLAGS = (
    "-O3",
    "-march=native",
    "-ffp-contract=off",
    "-fno-math-errno",
    "-fno-trapping-math",
    "-std=c++17",
    "-shared",
    "-fPIC",
    "-fopenmp",
)
"""``-ffp-contract=off``: no fused multiply-add, so the forward pass rounds exactly as the step loop does.
``-fno-trapping-math`` lets comparisons vectorise (no floating-point exceptions are used). ``-march=native``:
the library is built and cached per CPU (its flags are part of the cache key). ``-fopenmp`` links the
OpenMP runtime torch has already loaded, so the loops share torch's intra-op threads."""

_DISABLE = ("0", "false", "no", "off")


def cache_dir() -> Path:
    """Where built libraries are kept: ``$SNNX_CACHE_DIR``, ``$XDG_CACHE_HOME/snnx`` or ``~/.cache/snnx``."""
    explicit = os.environ.get("SNNX_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "snnx"


def enabled() -> bool:
    """False when ``SNNX_NATIVE_KERNELS`` is ``0``/``false``/``no``/``off``."""
    value = os.environ.get("SNNX_NATIVE_KERNELS")
    return value is None or value.strip().lower() not in _DISABLE


def _compiler() -> str | None:
    name = os.environ.get("CXX") or "c++"
    return shutil.which(name)


def _compiler_version(compiler: str) -> str:
    result = subprocess.run([compiler, "--version"], capture_output=True, text=True, check=False)
    return result.stdout.splitlines()[0] if result.stdout else compiler


class BuildError(RuntimeError):
    """The C++ compiler failed on ``scan.cpp``; the message holds its output."""


def _cpu_fingerprint() -> str:
    """The CPU's model and instruction-set flags: ``-march=native`` code is reused only on a like CPU."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or platform.machine()
    wanted = ("model name", "flags", "Features", "CPU part")
    return "\n".join(sorted({line for line in lines if line.split(":")[0].strip() in wanted}))


def _target(compiler: str) -> Path:
    """Where the library for this source, these flags, this compiler and this CPU is cached."""
    identity = "\n".join((" ".join(FLAGS), _compiler_version(compiler), _cpu_fingerprint()))
    key = hashlib.sha256(SOURCE.read_bytes() + identity.encode()).hexdigest()
    return cache_dir() / f"snnx_scan_{key[:16]}.so"


def _build(compiler: str) -> Path:
    target = _target(compiler)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"snnx: compiling the CPU scan kernels into {target} (once, about 15 s)", file=sys.stderr)
    # build beside the target and rename: concurrent processes never load a half-written file
    handle, partial = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(handle)
    try:
        result = subprocess.run(
            [compiler, *FLAGS, str(SOURCE), "-o", partial], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise BuildError(f"{compiler} failed on {SOURCE}:\n{result.stderr.strip()}")
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target


_POINTER, _INT64, _INT = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int
_SIGNATURES = {  # each ends with the thread count and how the per-neuron inputs broadcast
    "snnx_membrane_forward": [_POINTER] * 9 + [_INT64, _INT64, _INT, _INT, _INT, _INT, _INT, _INT, _INT64],
    "snnx_membrane_backward": [_POINTER, _INT64, _INT64, _POINTER, _INT64, _INT64]  # incoming gradients
    + [_POINTER] * 8  # x, mem, pre, mem0, decay, theta, factor, bias
    + [_INT, _POINTER]  # surrogate kind and parameters
    + [_POINTER] * 6  # gradients of x, mem0, decay, theta, factor, bias
    + [_INT64, _INT64, _INT, _INT, _INT, _INT, _INT, _INT, _INT64],
    "snnx_decay_forward": [_POINTER] * 4 + [_INT64, _INT64, _INT, _INT],
    "snnx_decay_backward": [_POINTER, _INT64, _INT64] + [_POINTER] * 6 + [_INT64, _INT64, _INT, _INT],
}


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    for name, arguments in _SIGNATURES.items():
        for suffix in ("f32", "f64"):
            function = getattr(lib, f"{name}_{suffix}")
            function.argtypes = arguments
            function.restype = None
    for suffix in ("f32", "f64"):
        function = getattr(lib, f"snnx_all_zero_{suffix}")
        function.argtypes = [_POINTER, _INT64]
        function.restype = _INT
    return lib


@functools.cache
def _load() -> tuple[ctypes.CDLL | None, str]:
    compiler = _compiler()
    if compiler is None:
        return None, f"no C++ compiler ({os.environ.get('CXX') or 'c++'} not found; set CXX or install g++)"
    try:
        path = _build(compiler)
        return _declare(ctypes.CDLL(str(path))), f"compiled ({path})"
    except (BuildError, OSError, AttributeError) as error:
        warnings.warn(
            f"snnx: the compiled CPU scans are unavailable, so fused neurons run as tensor operations "
            f"(same results, slower): {error}",
            RuntimeWarning,
            stacklevel=2,
        )
        return None, f"the compiled scans failed to build or load: {error}"


def library() -> ctypes.CDLL | None:
    """The compiled scan library, building it on first use; ``None`` when disabled or unbuildable."""
    return _load()[0] if enabled() else None


def loaded() -> ctypes.CDLL | None:
    """The library :func:`library` returned (without reading ``SNNX_NATIVE_KERNELS`` again)."""
    return _load()[0]


def status() -> str:
    """One line: whether the compiled CPU scans are in use, will be built, or why not (builds nothing)."""
    if not enabled():
        return "CPU scans: tensor operations (SNNX_NATIVE_KERNELS=0)"
    if _load.cache_info().currsize:
        lib, reason = _load()
        return f"CPU scans: {reason}" if lib is not None else f"CPU scans: tensor operations; {reason}"
    compiler = _compiler()
    if compiler is None:
        return f"CPU scans: tensor operations; no C++ compiler ({os.environ.get('CXX') or 'c++'} not found)"
    target = _target(compiler)
    if target.exists():
        return f"CPU scans: compiled ({target})"
    return f"CPU scans: compiled on first use with {compiler} into {target.parent}"
