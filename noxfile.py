"""Sessions for the snnx monorepo: `nox -s tests`, `nox -s lint`, `nox -s parity`, `nox -s demo`,
`nox -s interop`, `nox -s gallery` (renders docs/spikeplot.md's images into docs/_static/gallery/).

Every session installs the packages editable from this checkout, with torch
pinned by constraints.txt (the CPU build 2.13.0 available on our machines).
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "parity"]
nox.options.default_venv_backend = "venv"

CONSTRAINTS = ("-c", "constraints.txt")
CORE = ("-e", "packages/snnx")
TORCH_BACKEND = ("-e", "plugins/snnx-torch[demo]")
TOY_PLUGIN = ("-e", "tests/plugins/snnx-toy")
NIR = ("-e", "packages/snnx-nir[torch]")
SPIKEPLOT = ("-e", "packages/snnx-spikeplot")
IPU = ("-e", "plugins/snnx-ipu")  # poptorch is not installed: its tests run without it


@nox.session
def tests(session: nox.Session) -> None:
    """Every package's tests and the cross-package tests, in one environment."""
    session.install(*CONSTRAINTS, "torch==2.13.0")
    session.install(*CONSTRAINTS, *CORE, *TORCH_BACKEND, *TOY_PLUGIN, *NIR, *SPIKEPLOT, *IPU, "pytest>=8")
    session.run("snnx", "info")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole repository."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def parity(session: nox.Session) -> None:
    """Outputs, states and gradients against snntorch==1.0.0, installed here as a test-only oracle."""
    session.install(*CONSTRAINTS, "torch==2.13.0")
    session.install(*CONSTRAINTS, *CORE, "-e", "plugins/snnx-torch", "snntorch==1.0.0", "pytest>=8")
    session.run("pytest", "parity", *session.posargs)


@nox.session
def interop(session: nox.Session) -> None:
    """NIR files written by snnx read by snnTorch 1.0 and Norse 1.1, and theirs read by snnx."""
    session.install(*CONSTRAINTS, "torch==2.13.0")
    session.install(
        *CONSTRAINTS,
        *CORE,
        "-e",
        "plugins/snnx-torch",
        "-e",
        "packages/snnx-nir[torch]",
        "snntorch==1.0.0",
        "norse==1.1.0",
        "pytest>=8",
    )
    session.run("pytest", "interop", "-q", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: train a conv SNN on real digits and report held-out accuracy."""
    session.install(*CONSTRAINTS, "torch==2.13.0")
    session.install(*CONSTRAINTS, *CORE, *TORCH_BACKEND)
    session.run("snnx", "train", *session.posargs)


@nox.session
def triton(session: nox.Session) -> None:
    """The Triton Leaky/Synaptic kernels against the step loop, on CPU through triton's interpreter."""
    session.install(*CONSTRAINTS, "torch==2.13.0", "triton==3.9.0")
    session.install(*CONSTRAINTS, *CORE, "-e", "plugins/snnx-torch", "pytest>=8")
    path = "plugins/snnx-torch/tests/test_triton_kernels.py"
    session.run("pytest", path, *session.posargs, env={"TRITON_INTERPRET": "1"})


@nox.session
def bench(session: nox.Session) -> None:
    """Speed and saved-for-backward memory against the floor and peers (`nox -s bench -- --help`)."""
    session.install(*CONSTRAINTS, "torch==2.13.0")
    peers = ("snntorch==1.0.0", "spikingjelly==2.0.0", "norse==1.1.0")
    session.install(*CONSTRAINTS, *CORE, "-e", "plugins/snnx-torch", *peers)
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def gallery(session: nox.Session) -> None:
    """Every spikeplot figure from a small simulation, into docs/_static/gallery/ (or the folder given)."""
    session.install(*CONSTRAINTS, "torch==2.13.0")
    session.install(
        *CONSTRAINTS,
        *CORE,
        "-e",
        "plugins/snnx-torch",
        "-e",
        "packages/snnx-spikeplot",
        "scikit-learn",
    )
    session.run("python", "packages/snnx-spikeplot/gallery.py", *session.posargs)


@nox.session
def ipu(session: nox.Session) -> None:
    """The IPU backend end to end on the IPU Model, with the real poptorch (a machine with the Poplar SDK).

    Not a default session: poptorch is not on PyPI. Source the SDK's enable.sh first
    (it sets POPLAR_SDK_ENABLED); the session installs the SDK's poptorch wheel, which
    brings the torch it needs, so torch is not pinned here (see docs/ipu.md). Without
    poptorch the test skips and says so.
    """
    import glob
    import os

    sdk = os.environ.get("POPLAR_SDK_ENABLED")
    wheels = sorted(glob.glob(os.path.join(sdk, "..", "poptorch-*.whl"))) if sdk else []
    if wheels:
        session.install(wheels[-1])
    else:
        session.warn("POPLAR_SDK_ENABLED is unset or holds no poptorch wheel: the IPU test will skip.")
    # --no-deps: snnx-torch declares torch >= 2.2 for ordinary installs; keep poptorch's torch
    session.install("--no-deps", *CORE, "-e", "plugins/snnx-torch", "-e", "plugins/snnx-ipu")
    session.install("numpy>=1.24", "pluggy>=1.3", "tqdm>=4.60", "pytest>=8")
    session.run(
        "pytest",
        "plugins/snnx-ipu/tests/test_end_to_end.py",
        "-rs",
        *session.posargs,
        env={"POPTORCH_IPU_MODEL": "1"},
    )
