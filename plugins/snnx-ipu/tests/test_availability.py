"""Discovery of the ipu backend and its availability with and without (a fake) poptorch."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

import snnx
from snnx.cli.main import main
from snnx.errors import BackendUnavailableError
from snnx_ipu.availability import (
    IPU_MODEL_ENV,
    NO_IPU,
    POPTORCH_MISSING,
    ipu_availability,
    poptorch_or_none,
    require_poptorch,
)
from snnx_ipu.backend import IPUBackend


@pytest.fixture
def no_poptorch(monkeypatch):
    """poptorch cannot be imported (``None`` in ``sys.modules`` makes the import fail)."""
    monkeypatch.setitem(sys.modules, "poptorch", None)
    monkeypatch.delenv(IPU_MODEL_ENV, raising=False)


def fake_poptorch(monkeypatch, hardware):
    """A stand-in poptorch whose ``ipuHardwareIsAvailable()`` returns ``hardware`` (or raises it)."""
    module = types.ModuleType("poptorch")
    module.__version__ = "3.3.0-fake"
    calls = []

    def ipu_hardware_is_available(num_ipus: int = 1) -> bool:
        calls.append(num_ipus)
        if isinstance(hardware, Exception):
            raise hardware
        return hardware

    module.ipuHardwareIsAvailable = ipu_hardware_is_available
    monkeypatch.setitem(sys.modules, "poptorch", module)
    return module, calls


def ipu_row():
    return next(row for row in snnx.backends() if row.name == "ipu")


def test_the_backend_is_discovered_through_its_entry_point(no_poptorch):
    row = ipu_row()
    assert row.plugin == "ipu" and row.priority == 50
    assert not row.available
    assert row.reason.startswith("poptorch not installed: it ships only inside Graphcore's Poplar SDK")


def test_missing_poptorch_reason_names_the_install_and_the_import_error(no_poptorch):
    status = ipu_availability()
    assert not status.available
    assert status.reason.startswith(POPTORCH_MISSING)
    assert "poptorch-*.whl" in status.reason and "enable.sh" in status.reason
    assert "import error: ModuleNotFoundError" in status.reason
    assert poptorch_or_none() is None


def test_snnx_info_lists_ipu_as_unavailable_with_the_reason(no_poptorch, capsys):
    assert main(["info"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("ipu ")]
    assert len(lines) == 1
    assert "unavailable (poptorch not installed: " in lines[0]
    assert "[plugin: ipu]" in lines[0]


def test_use_ipu_without_poptorch_raises_the_reason(no_poptorch):
    with pytest.raises(BackendUnavailableError, match="poptorch not installed") as caught:
        snnx.use("ipu")
    assert "'ipu'" in str(caught.value)
    assert snnx.get_backend("torch") is not None  # the failed selection changed nothing


def test_require_poptorch_raises_backend_unavailable(no_poptorch):
    with pytest.raises(BackendUnavailableError, match="Poplar SDK"):
        require_poptorch()


def test_available_with_ipu_hardware(monkeypatch):
    monkeypatch.delenv(IPU_MODEL_ENV, raising=False)
    module, calls = fake_poptorch(monkeypatch, hardware=True)
    assert ipu_availability().available
    assert calls, "the hardware must be asked for"
    assert poptorch_or_none() is module and require_poptorch() is module
    assert IPUBackend().notes() == ["poptorch 3.3.0-fake: runs on the IPU hardware"]


def test_available_on_the_ipu_model_without_hardware(monkeypatch):
    monkeypatch.setenv(IPU_MODEL_ENV, "1")
    fake_poptorch(monkeypatch, hardware=False)
    assert ipu_availability().available
    assert "IPU Model simulator" in IPUBackend().notes()[0]


@pytest.mark.parametrize("env", [None, "0"])
def test_unavailable_without_hardware_or_ipu_model(monkeypatch, env):
    if env is None:
        monkeypatch.delenv(IPU_MODEL_ENV, raising=False)
    else:
        monkeypatch.setenv(IPU_MODEL_ENV, env)
    fake_poptorch(monkeypatch, hardware=False)
    status = ipu_availability()
    assert not status.available and status.reason == NO_IPU
    with pytest.raises(BackendUnavailableError, match="no IPU attached; set POPTORCH_IPU_MODEL=1"):
        snnx.use("ipu")


def test_failing_hardware_query_is_a_reason_not_a_crash(monkeypatch):
    monkeypatch.delenv(IPU_MODEL_ENV, raising=False)
    fake_poptorch(monkeypatch, hardware=RuntimeError("driver not loaded"))
    status = ipu_availability()
    assert not status.available
    assert status.reason.startswith(NO_IPU) and "driver not loaded" in status.reason


def test_when_available_torch_stays_default_and_use_selects_ipu(monkeypatch):
    monkeypatch.setenv(IPU_MODEL_ENV, "1")
    monkeypatch.delenv("SNNX_BACKEND", raising=False)
    fake_poptorch(monkeypatch, hardware=False)
    from snnx_ipu.neurons import IPU_NEURON_CLASSES
    from snnx_torch.neurons import Leaky as TorchLeaky

    assert snnx.current_backend().name == "torch"
    assert snnx.Leaky is TorchLeaky
    with snnx.use("ipu") as backend:
        assert backend.name == "ipu" and backend.devices() == ["ipu"]
        leaky = snnx.Leaky
        assert leaky is IPU_NEURON_CLASSES[TorchLeaky.spec] and issubclass(leaky, TorchLeaky)
    assert snnx.current_backend().name == "torch"


def test_loading_the_plugin_imports_neither_torch_nor_poptorch():
    code = (
        "import sys, snnx_ipu, snnx_ipu.plugin\n"
        "(backend,) = snnx_ipu.plugin.snnx_backends()\n"
        "assert backend.name == 'ipu'\n"
        "print(sorted(name for name in ('torch', 'poptorch') if sys.modules.get(name) is not None))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_public_names_are_the_functions():
    import snnx_ipu
    from snnx_ipu import data, models, spike

    options = importlib.import_module("snnx_ipu.options")

    assert snnx_ipu.spike_fn is spike.spike_fn and snnx_ipu.IPUBackend is IPUBackend
    assert snnx_ipu.training_model is models.training_model
    assert snnx_ipu.inference_model is models.inference_model
    assert snnx_ipu.dataloader is data.dataloader
    assert callable(snnx_ipu.options) and snnx_ipu.options is options.options
    with pytest.raises(AttributeError, match="nonesuch"):
        snnx_ipu.nonesuch  # noqa: B018
