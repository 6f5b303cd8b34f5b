"""Parity of every surrogate gradient with snnTorch 1.0.0: forward spikes and backward gradients.

Inputs are float32 of shape (64, 33) with exact zeros (and the special points of
SFS and spike_rate_escape) mixed in, under a random upstream gradient. Where
snnTorch 1.0 is wrong, snnx is compared with the intended formula instead:
``LSO`` (snnTorch raises ``TypeError``) and ``sigmoid`` far below threshold
(snnTorch gives NaN).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import snnx
from snnx import surrogate

snntorch = pytest.importorskip("snntorch")
from snntorch import surrogate as ref  # noqa: E402

SHAPE = (64, 33)


def _inputs(seed: int, special: tuple[float, ...] = ()) -> tuple[torch.Tensor, torch.Tensor]:
    """Random membrane offsets with exact zeros and ``special`` values planted, and an upstream gradient."""
    rng = np.random.default_rng(seed)
    u = (rng.normal(size=SHAPE) * 1.5).astype(np.float32)
    flat = u.reshape(-1)
    slots = rng.permutation(flat.size)
    flat[slots[:40]] = 0.0
    flat[slots[40:45]] = -0.0
    for i, value in enumerate(special):
        flat[slots[45 + 20 * i : 65 + 20 * i]] = np.float32(value)
    grad = rng.normal(size=SHAPE).astype(np.float32)
    return torch.from_numpy(u), torch.from_numpy(grad)


def _run(spike_grad, u: torch.Tensor, grad: torch.Tensor, seed: int | None = None):
    """Spikes and the gradient reaching ``u`` for upstream ``grad`` (torch seeded before backward)."""
    x = u.clone().requires_grad_(True)
    spikes = spike_grad(x)
    if seed is not None:
        torch.manual_seed(seed)
    spikes.backward(grad)
    return spikes.detach(), x.grad


# name, snnx factory, snnTorch factory, parameter sets, values to plant in the input
DETERMINISTIC = [
    ("atan", surrogate.atan, ref.atan, [{}, {"alpha": 0.5}, {"alpha": 7.3}], ()),
    ("fast_sigmoid", surrogate.fast_sigmoid, ref.fast_sigmoid, [{}, {"slope": 1}, {"slope": 100.0}], ()),
    (
        "straight_through_estimator",
        surrogate.straight_through_estimator,
        ref.straight_through_estimator,
        [{}],
        (),
    ),
    ("triangular", surrogate.triangular, ref.triangular, [{}, {"threshold": 0.3}, {"threshold": 2.5}], ()),
    ("heaviside", surrogate.heaviside, ref.heaviside, [{}], ()),
    (
        "spike_rate_escape",
        surrogate.spike_rate_escape,
        ref.spike_rate_escape,
        [{}, {"beta": 0.5, "slope": 3}, {"beta": 4.0, "slope": 1.0}, {"beta": 0, "slope": 2}],
        (1.0,),
    ),
    (
        "SFS",
        surrogate.SFS,
        ref.SFS,
        [{}, {"slope": 5, "B": 0}, {"slope": 2.0, "B": -0.5}, {"B": 0.3}, {"slope": 0.5, "B": 2}],
        None,  # plant B itself
    ),
]


def _cases():
    for name, ours, theirs, param_sets, special in DETERMINISTIC:
        for index, params in enumerate(param_sets):
            planted = (params.get("B", 1.0),) if special is None else special
            yield pytest.param(ours, theirs, params, planted, index, id=f"{name}{params}")


@pytest.mark.parametrize(("ours", "theirs", "params", "planted", "index"), list(_cases()))
def test_deterministic_surrogates_match_snntorch(parity, ours, theirs, params, planted, index):
    case = f"surrogate.{ours.__name__}({params})"
    u, grad = _inputs(100 + index, planted)
    for value in planted:
        assert (u == np.float32(value)).sum() >= 20
    spikes, got = _run(ours(**params), u, grad)
    their_spikes, want = _run(theirs(**params), u, grad)
    parity.compare(case, "forward spikes", spikes, their_spikes)
    parity.compare(case, "backward gradient", got, want)
    assert spikes.dtype == their_spikes.dtype == torch.float32


def test_spike_rate_escape_and_sfs_special_points(parity):
    u = torch.tensor([1.0, 0.0, -0.0, 2.0, np.nextafter(np.float32(2), np.float32(3))], dtype=torch.float32)
    grad = torch.tensor([1.5, -2.0, 0.5, 3.0, 1.0])
    for ours, theirs, params in (
        (surrogate.spike_rate_escape, ref.spike_rate_escape, {"beta": 1.3, "slope": 6}),
        (surrogate.SFS, ref.SFS, {"slope": 3, "B": 2.0}),
    ):
        case = f"surrogate.{ours.__name__}({params}) at special points"
        _, got = _run(ours(**params), u, grad)
        _, want = _run(theirs(**params), u, grad)
        parity.compare(case, "backward gradient", got, want)
    assert got[3].item() == 0.0 and got[4].item() > 0.0  # SFS: nothing at u == B, something just above


@pytest.mark.parametrize("slope", [25, 4.0, 0.7])
def test_sigmoid_matches_snntorch_and_stays_finite_where_it_gives_nan(parity, slope):
    case = f"surrogate.sigmoid(slope={slope})"
    u, grad = _inputs(7)
    far = -np.array([90.0, 100.0, 200.0, 400.0, 1000.0], dtype=np.float32) / np.float32(slope)
    u.view(-1)[:5] = torch.from_numpy(far)
    spikes, got = _run(surrogate.sigmoid(slope=slope), u, grad)
    their_spikes, want = _run(ref.sigmoid(slope=slope), u, grad)
    parity.compare(case, "forward spikes", spikes, their_spikes)

    broken = torch.isnan(want)
    assert broken.view(-1)[:5].all(), "snnTorch 1.0 was expected to give NaN this far below threshold"
    # NaN = inf / inf: exp(-slope * u) overflows float32 past u = -88.7 / slope, and the
    # numerator (times the upstream gradient) or the squared denominator can overflow sooner
    assert torch.all(u[broken] < -44.0 / slope)
    assert torch.isfinite(got).all()
    parity.compare(case, "backward gradient (where snnTorch is finite)", got[~broken], want[~broken])

    u64, grad64 = u.double()[broken], grad.double()[broken]
    s = torch.sigmoid(slope * u64)
    stable = grad64 * slope * s * (1 - s)
    parity.compare(case + " formula", "backward gradient (where snnTorch is NaN)", got[broken], stable)


@pytest.mark.parametrize(
    "params", [{}, {"mean": 0.3, "variance": 0.5}, {"mean": -1, "variance": 1.5}, {"mean": 0, "variance": 0}]
)
def test_sso_matches_snntorch_exactly_under_the_same_seed(parity, params):
    case = f"surrogate.SSO({params})"
    u, grad = _inputs(21)
    for seed in (0, 1, 12345):
        spikes, got = _run(surrogate.SSO(**params), u, grad, seed=seed)
        their_spikes, want = _run(ref.SSO(**params), u, grad, seed=seed)
        parity.compare(case, "forward spikes", spikes, their_spikes, atol=0)
        parity.compare(case, f"backward gradient (seed {seed})", got, want, atol=0)
        assert torch.equal(got, want)
    # on non-contiguous inputs too: the noise follows the memory layout, as torch.rand_like does
    spikes, got = _run(surrogate.SSO(**params), u.t(), grad.t(), seed=5)
    _, want = _run(ref.SSO(**params), u.t(), grad.t(), seed=5)
    parity.compare(case, "backward gradient (transposed input)", got, want, atol=0)
    assert torch.equal(got, want)


@pytest.mark.parametrize("slope", [0.1, 0.5, 2.0])
def test_lso_works_where_snntorch_raises(parity, slope):
    case = f"surrogate.LSO(slope={slope}) formula"
    u, grad = _inputs(33)
    with pytest.raises(TypeError):
        ref.LSO(slope=slope)(u.clone().requires_grad_(True))
    spikes, got = _run(surrogate.LSO(slope=slope), u, grad)
    spiked = (u > 0).float()
    parity.compare(case, "forward spikes", spikes, spiked)
    parity.compare(case, "backward gradient", got, grad * spiked + (1 - spiked) * slope * grad)


def _fast_sigmoid_style(input_, grad_input, out):
    slope = 25
    return grad_input / (slope * torch.abs(input_) + 1.0) ** 2


def _uses_spikes(input_, grad_input, out):
    return grad_input * out + 0.1 * grad_input * (1 - out) * torch.exp(-input_.abs())


def _edits_in_place(input_, grad_input, out):
    grad_input[input_ < -1] = 0.0
    grad_input *= 2
    return grad_input


@pytest.mark.parametrize("function", [_fast_sigmoid_style, _uses_spikes, _edits_in_place])
def test_custom_surrogate_matches_snntorch(parity, function):
    case = f"surrogate.custom_surrogate({function.__name__})"
    u, grad = _inputs(44)
    spikes, got = _run(surrogate.custom_surrogate(function), u, grad)
    their_spikes, want = _run(ref.custom_surrogate(function), u, grad)
    parity.compare(case, "forward spikes", spikes, their_spikes)
    parity.compare(case, "backward gradient", got, want)


@pytest.mark.parametrize(
    ("name", "params"),
    [("SFS", {"slope": 5, "B": 0.2}), ("spike_rate_escape", {"beta": 2, "slope": 3}), ("heaviside", {})],
)
def test_leaky_with_new_surrogates_matches_snntorch(parity, name, params):
    case = f"Leaky(beta=0.9, spike_grad=surrogate.{name}({params}))"
    x = torch.from_numpy((np.random.default_rng(9).normal(size=(6, *SHAPE)) + 0.6).astype(np.float32))
    results = []
    for module, leaky in ((surrogate, snnx.Leaky), (ref, snntorch.Leaky)):
        lif = leaky(beta=0.9, spike_grad=getattr(module, name)(**params))
        inputs = x.clone().requires_grad_(True)
        mem = lif.init_leaky()
        spikes, mems = [], []
        for step in range(x.shape[0]):
            spk, mem = lif(inputs[step], mem)
            spikes.append(spk)
            mems.append(mem)
        (torch.stack(spikes).sum() + 0.5 * torch.stack(mems).pow(2).sum()).backward()
        results.append((torch.stack(spikes), torch.stack(mems), inputs.grad))
    (spk, mem, grad), (their_spk, their_mem, their_grad) = results
    parity.compare(case, "spikes", spk, their_spk)
    parity.compare(case, "membrane", mem, their_mem)
    parity.compare(case, "input gradient", grad, their_grad)
