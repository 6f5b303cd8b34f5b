"""snnx_ipu.options: poptorch's documented setters, called with the given settings (stand-in poptorch)."""

from __future__ import annotations

import pytest
import torch

from snnx.errors import BackendUnavailableError, ParameterRangeError
from snnx_ipu.options import options, samples_per_call


def setters(fake) -> dict[str, tuple]:
    return {name: args for name, args, _ in fake.calls if name != "Options"}


def test_every_setting_goes_through_its_setter(fake_poptorch):
    opts = options(
        device_iterations=4,
        replication_factor=2,
        gradient_accumulation=3,
        half_precision=True,
        ipu_model=True,
        seed=7,
    )
    assert isinstance(opts, fake_poptorch.Options)
    assert setters(fake_poptorch) == {
        "Options.deviceIterations": (4,),
        "Options.replicationFactor": (2,),
        "Options.Training.gradientAccumulation": (3,),
        "Options.Precision.setPartialsType": (torch.float16,),
        "Options.useIpuModel": (True,),
        "Options.randomSeed": (7,),
    }
    assert samples_per_call(opts) == 4 * 2 * 3


def test_defaults_leave_precision_device_choice_and_seed_to_poptorch(fake_poptorch):
    opts = options()
    called = setters(fake_poptorch)
    assert called["Options.deviceIterations"] == (1,)
    assert called["Options.replicationFactor"] == (1,)
    assert called["Options.Training.gradientAccumulation"] == (1,)
    assert (
        not {"Options.Precision.setPartialsType", "Options.useIpuModel", "Options.randomSeed"} & called.keys()
    )
    assert samples_per_call(opts) == 1


def test_ipu_model_false_asks_for_hardware(fake_poptorch):
    options(ipu_model=False)
    assert setters(fake_poptorch)["Options.useIpuModel"] == (False,)


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("device_iterations", 0),
        ("replication_factor", -2),
        ("gradient_accumulation", 1.5),
        ("device_iterations", True),
        ("seed", -1),
    ],
)
def test_bad_settings_are_refused_naming_the_argument(no_poptorch, argument, value):
    with pytest.raises(ParameterRangeError, match=argument):
        options(**{argument: value})


def test_without_poptorch_the_error_says_how_to_install_it(no_poptorch):
    with pytest.raises(BackendUnavailableError, match=r"Poplar SDK.*pip install") as info:
        options()
    assert "import error" in str(info.value)


def test_samples_per_call_counts_missing_properties_as_one():
    class Bare:
        pass

    assert samples_per_call(Bare()) == 1


def test_public_name_is_the_function_even_after_the_submodule_is_imported():
    import snnx_ipu
    import snnx_ipu.models  # imports the snnx_ipu.options submodule

    assert snnx_ipu.options is options
