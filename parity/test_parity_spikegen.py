"""Parity of every ``spikegen`` function with snnTorch 1.0.0.

Deterministic encoders are compared value for value (and gradient for gradient
where snnTorch's is differentiable: the latency spike times). Random encoders are
compared twice: exactly, drawing from torch's global generator after the same
``torch.manual_seed`` (snnx draws in snnTorch's order), and statistically, seeded
independently, firing rates within 4 sigma over large samples.

Where snnTorch 1.0 is broken the comparison is with what it computes where it
works: rate-coded targets without interpolation only run when ``num_steps`` equals
``num_classes`` and then repeat the answer in a 5-D tensor (``theirs[0, 0]`` is it).
"""

from __future__ import annotations

import inspect
import itertools

import numpy as np
import pytest
import torch

import snnx
from snnx import spikegen

snntorch = pytest.importorskip("snntorch")
from snntorch import spikegen as ref  # noqa: E402

rng = np.random.default_rng(2024)
DATA = torch.from_numpy(rng.uniform(0, 1, (3, 6)).astype(np.float32))
DATA[0, :4] = torch.tensor([0.0, 1.0, 0.01, 0.004])  # ends, exactly the threshold, below it
LABELS = torch.tensor([0, 3, 1, 3, 2])


def _outcome(call):
    try:
        return call()
    except Exception as error:  # which one does not matter: snnx must raise ParameterRangeError
        return error


def _compare(parity, case: str, ours, theirs) -> None:
    if isinstance(theirs, tuple):
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            parity.compare(case, f"output {index}", a, b)
    else:
        parity.compare(case, "output", ours, theirs)


# ---------------------------------------------------------------- latency


@pytest.mark.parametrize(
    ("linear", "normalize", "clip", "interpolate"), list(itertools.product([False, True], repeat=4))
)
def test_latency_matches(parity, linear, normalize, clip, interpolate):
    grid = itertools.product([0, 2], [(1.0, 0.01), (3.0, 0.2)], [(1, 0), (1.25, 0.25)], [9, 40, False])
    compared = 0
    for first, (tau, threshold), (on, off), steps in grid:
        kwargs = dict(
            num_steps=steps, threshold=threshold, tau=tau, first_spike_time=first, on_target=on,
            off_target=off, clip=clip, normalize=normalize, linear=linear, interpolate=interpolate,
            bypass=steps is False,
        )  # fmt: skip
        theirs = _outcome(lambda: ref.latency(DATA, **kwargs))  # noqa: B023
        if isinstance(theirs, Exception):  # spikes past the window, or normalize without num_steps
            with pytest.raises(snnx.ParameterRangeError):
                spikegen.latency(DATA, **kwargs)
            continue
        parity.compare(f"latency {kwargs}", "spikes", spikegen.latency(DATA, **kwargs), theirs)
        compared += 1
    assert compared >= 8  # at least the bypass cases


CODES = [
    ("latency_code", spikegen.latency_code, ref.latency_code, {"linear": False, "epsilon": 1e-6}),
    ("latency_code linear", spikegen.latency_code, ref.latency_code, {"linear": True}),
    ("latency_code_log", spikegen.latency_code_log, ref.latency_code_log, {"tau": 2.5}),
    ("latency_code_linear", spikegen.latency_code_linear, ref.latency_code_linear, {"tau": 2.5}),
]


@pytest.mark.parametrize(("name", "ours", "theirs", "extra"), CODES, ids=[c[0] for c in CODES])
@pytest.mark.parametrize(("normalize", "first"), [(False, 0), (True, 0), (False, 3), (True, 3)])
def test_latency_codes_and_their_gradients_match(parity, name, ours, theirs, extra, normalize, first):
    weights = torch.from_numpy(rng.normal(size=DATA.shape).astype(np.float32))
    results = []
    for code in (ours, theirs):
        x = DATA.clone().requires_grad_(True)
        out = code(x, num_steps=12, threshold=0.05, first_spike_time=first, normalize=normalize, **extra)
        times = out[0] if isinstance(out, tuple) else out
        (times * weights).sum().backward()
        results.append((out, x.grad))
    case = f"{name} normalize={normalize} first_spike_time={first}"
    _compare(parity, case, results[0][0], results[1][0])
    parity.compare(case, "gradient", results[0][1], results[1][1])


def test_linear_code_rescales_inputs_above_one_like_snntorch(parity):
    wide = torch.linspace(-0.5, 1.5, 11).requires_grad_(True)
    weights = torch.linspace(1, 2, 11)
    results = []
    for code in (spikegen.latency_code_linear, ref.latency_code_linear):
        x = wide.detach().clone().requires_grad_(True)
        times = code(x, num_steps=10, normalize=True)
        (times * weights).sum().backward()
        results.append((times, x.grad))
    parity.compare("latency_code_linear data in [-0.5, 1.5]", "times", results[0][0], results[1][0])
    parity.compare("latency_code_linear data in [-0.5, 1.5]", "gradient", results[0][1], results[1][1])


def test_interpolated_latency_gradient_is_zero_in_both(parity):
    grads = []
    for latency in (spikegen.latency, ref.latency):
        x = DATA.clone().requires_grad_(True)
        latency(x, num_steps=10, normalize=True, interpolate=True).sum().backward()
        grads.append(x.grad)
    parity.compare("latency interpolate", "gradient", grads[0], grads[1])


SPIKE_TIMES = [[0.0, 4.0], [0.4, 2.6, 7.9, 12.0, 10.0, 11.0], [3.0, 3.0, 9.0], [1.0, 2.0, 5.5]]


@pytest.mark.parametrize("times", SPIKE_TIMES)
@pytest.mark.parametrize(("on", "off"), [(1, 0), (1.25, 0.25), (1.2, 0.5), (0.5, 0.5)])
def test_latency_interpolate_matches(parity, times, on, off):
    spike_time = torch.tensor(times)
    theirs = ref.latency_interpolate(spike_time.clone(), 10, on_target=on, off_target=off)
    ours = spikegen.latency_interpolate(spike_time, 10, on_target=on, off_target=off)
    parity.compare(f"latency_interpolate {times} on={on} off={off}", "ramps", ours, theirs)


# ---------------------------------------------------------------- delta


@pytest.mark.parametrize(("padding", "off_spike"), list(itertools.product([False, True], repeat=2)))
@pytest.mark.parametrize("threshold", [0.1, 0.5])
def test_delta_matches(parity, padding, off_spike, threshold):
    series = torch.from_numpy(np.cumsum(rng.normal(0, 0.3, (30, 2, 5)), axis=0).astype(np.float32))
    theirs = ref.delta(series, threshold=threshold, padding=padding, off_spike=off_spike)
    ours = spikegen.delta(series, threshold=threshold, padding=padding, off_spike=off_spike)
    parity.compare(
        f"delta threshold={threshold} padding={padding} off_spike={off_spike}", "spikes", ours, theirs
    )


# ---------------------------------------------------------------- one-hot helpers


def test_one_hot_helpers_match(parity):
    for dtype in (torch.int64, torch.float32):
        labels = LABELS.to(dtype)
        parity.compare(
            f"to_one_hot {dtype}", "one-hot", spikegen.to_one_hot(labels, 4), ref.to_one_hot(labels, 4)
        )
    one_hot = ref.to_one_hot(LABELS, 4)
    parity.compare(
        "to_one_hot_inverse", "inverse", spikegen.to_one_hot_inverse(one_hot), ref.to_one_hot_inverse(one_hot)
    )
    vector = torch.tensor([0.0, 0.0, 1.0, 0.0])
    parity.compare("from_one_hot vector", "ids", spikegen.from_one_hot(vector), ref.from_one_hot(vector))
    rows = torch.eye(4)  # row i holds class i: the case where snnTorch's row numbers are the classes
    parity.compare("from_one_hot identity rows", "ids", spikegen.from_one_hot(rows), ref.from_one_hot(rows))


# ---------------------------------------------------------------- rate-coded targets


@pytest.mark.parametrize("steps", [1, 5, 8, 23])
def test_regular_target_rate_code_matches(parity, steps):
    for first, rate in itertools.product(range(0, steps + 1, 3), [0, 0.1, 0.3, 1 / 3, 0.5, 0.77, 1]):
        case = f"target_rate_code regular num_steps={steps} first_spike_time={first} rate={rate}"
        _compare(
            parity,
            case,
            spikegen.target_rate_code(steps, first, rate),
            ref.target_rate_code(steps, first, rate),
        )


@pytest.mark.parametrize("times", [[0, 4], [1, 2, 6], [3], [], [0, 1, 2], [2, 5, 9], [9]])
@pytest.mark.parametrize(("on", "off"), [(1, 0), (1.25, 0.25), (1.2, 0.5)])
def test_rate_interpolate_matches(parity, times, on, off):
    spike_time = torch.tensor(times, dtype=torch.int64) if times else torch.Tensor()
    theirs = ref.rate_interpolate(spike_time, 10, on_target=on, off_target=off)
    ours = spikegen.rate_interpolate(spike_time, 10, on_target=on, off_target=off)
    parity.compare(f"rate_interpolate {times} on={on} off={off}", "target", ours, theirs)


TARGET_SETTINGS = [
    {},
    {"num_steps": 5},
    {"num_steps": 5, "on_target": 0.2, "off_target": 0.5},  # on <= off: snnTorch's explicit branch
    {"num_steps": 5, "on_target": 1.5, "off_target": 0.5},
    {"num_steps": 5, "first_spike_time": 2},
    {"num_steps": 5, "first_spike_time": 2, "on_target": 1.2, "off_target": 0.5},
    {"num_steps": 5, "correct_rate": 0.25, "on_target": 1.2, "off_target": 0.5, "interpolate": True},
    {"num_steps": 5, "correct_rate": 0.8, "incorrect_rate": 0.2, "interpolate": True},
    {"num_steps": 5, "first_spike_time": 1, "correct_rate": 0.5, "incorrect_rate": 0.3, "interpolate": True},
]


@pytest.mark.parametrize("settings", TARGET_SETTINGS, ids=str)
def test_targets_rate_matches(parity, settings):
    # snnTorch's time-varying path multiplies [num_steps] into the class axis: num_classes = num_steps = 5
    labels = torch.tensor([4, 0, 2])
    theirs = ref.targets_rate(labels, 5, **settings)
    parity.compare(f"targets_rate {settings}", "target", spikegen.targets_rate(labels, 5, **settings), theirs)
    converted = spikegen.targets_convert(labels, 5, code="rate", **settings)
    parity.compare(
        f"targets_convert rate {settings}", "target", converted, ref.targets_convert(labels, 5, **settings)
    )


@pytest.mark.parametrize(
    "settings", [{"correct_rate": 0.25}, {"correct_rate": 0.5, "on_target": 1.3, "off_target": 0.1}]
)
def test_uninterpolated_rate_targets_match_snntorchs_repeated_answer(parity, settings):
    labels = torch.tensor([4, 0])
    theirs = ref.targets_rate(labels, 5, num_steps=5, **settings)
    assert theirs.shape == (5, 2, 5, 2, 5)  # snnTorch's broadcasting slip
    ours = spikegen.targets_rate(labels, 5, num_steps=5, **settings)
    parity.compare(f"targets_rate no interpolation {settings}", "target", ours, theirs[0, 0])


LATENCY_TARGETS = [
    {"num_steps": 5, "normalize": True},
    {"num_steps": 5, "normalize": True, "clip": True},
    {"num_steps": 7, "normalize": True, "linear": True, "first_spike_time": 2},
    {"num_steps": 20, "tau": 1.5},
    {"bypass": True},
    {"num_steps": 5, "normalize": True, "interpolate": True, "on_target": 1.25, "off_target": 0.25},
]


@pytest.mark.parametrize("settings", LATENCY_TARGETS, ids=str)
def test_latency_targets_match(parity, settings):
    theirs = ref.targets_latency(LABELS, 4, **settings)
    parity.compare(
        f"targets_latency {settings}", "target", spikegen.targets_latency(LABELS, 4, **settings), theirs
    )
    if not {"interpolate", "on_target"} & set(settings):  # snnTorch's targets_convert drops these
        converted = spikegen.targets_convert(LABELS, 4, code="latency", **settings)
        parity.compare(
            f"targets_convert latency {settings}",
            "target",
            converted,
            ref.targets_convert(LABELS, 4, code="latency", **settings),
        )


# ---------------------------------------------------------------- random encoders: exact, torch.manual_seed


def _seeded(seed: int, call):
    torch.manual_seed(seed)
    return call()


RANDOM_CALLS = [
    ("rate", lambda g: g.rate(DATA, num_steps=40)),
    (
        "rate gain offset first_spike_time",
        lambda g: g.rate(DATA, 40, gain=0.7, offset=0.2, first_spike_time=5),
    ),
    (
        "rate time_var_input",
        lambda g: g.rate(DATA.repeat(7, 1, 1) * 1.4 - 0.2, first_spike_time=3, time_var_input=True),
    ),
    ("rate_conv", lambda g: g.rate_conv(DATA * 1.5 - 0.25)),
    ("target_rate_code uniform", lambda g: g.target_rate_code(60, 7, 0.3, "uniform")),
    ("target_rate_code poisson", lambda g: g.target_rate_code(60, 7, 0.3, "poisson")),
    ("target_rate_code poisson rate 1", lambda g: g.target_rate_code(9, 2, 1, "Poisson")),
    (
        "targets_rate uniform interpolate",
        lambda g: g.targets_rate(LABELS, 5, 5, 1, 0.6, 0.4, 1.2, 0.1, "uniform", True),
    ),
    (
        "targets_rate poisson interpolate",
        lambda g: g.targets_rate(LABELS, 5, 5, 0, 0.7, 0.2, firing_pattern="poisson", interpolate=True),
    ),
    (
        "targets_convert poisson interpolate",
        lambda g: g.targets_convert(
            LABELS, 5, "rate", 5, 0, 0.7, 0.5, firing_pattern="poisson", interpolate=True
        ),
    ),
]


@pytest.mark.parametrize(("name", "call"), RANDOM_CALLS, ids=[c[0] for c in RANDOM_CALLS])
def test_random_encoders_match_exactly_under_manual_seed(parity, name, call):
    for seed in (0, 7, 123):
        _compare(
            parity,
            f"{name} manual_seed={seed}",
            _seeded(seed, lambda: call(spikegen)),
            _seeded(seed, lambda: call(ref)),
        )


@pytest.mark.parametrize("pattern", ["uniform", "poisson"])
def test_uninterpolated_random_targets_match_exactly(parity, pattern):
    labels = torch.tensor([1, 4])
    theirs = _seeded(
        3, lambda: ref.targets_rate(labels, 6, num_steps=6, correct_rate=0.5, firing_pattern=pattern)
    )
    ours = _seeded(
        3, lambda: spikegen.targets_rate(labels, 6, num_steps=6, correct_rate=0.5, firing_pattern=pattern)
    )
    parity.compare(f"targets_rate {pattern} no interpolation manual_seed=3", "target", ours, theirs[0, 0])


# ---------------------------------------------------------------- random encoders: statistics


def _within_4_sigma(parity, case: str, what: str, estimate, expected, sigma) -> None:
    """Record how far beyond 4 sigma ``estimate`` lies from ``expected`` (0 when within), which must be 0."""
    excess = np.maximum(np.abs(np.asarray(estimate, np.float64) - expected) / sigma - 4, 0)
    parity.compare(case, f"{what}: sigmas beyond 4", excess, np.zeros_like(excess))


def _rates_agree(
    parity, case: str, ours: torch.Tensor, theirs: torch.Tensor, p: np.ndarray, trials: int
) -> None:
    """Both firing rates within 4 sigma of ``p``, and of each other (the difference of two estimates)."""
    sigma = np.sqrt(p * (1 - p) / trials) + 1e-12
    _within_4_sigma(parity, case, "snnTorch rate vs p", theirs, p, sigma)
    _within_4_sigma(parity, case, "snnx rate vs p", ours, p, sigma)
    _within_4_sigma(parity, case, "snnx rate vs snnTorch rate", ours, theirs.numpy(), np.sqrt(2) * sigma)


def test_rate_statistics(parity):
    data = torch.tensor([0.0, 0.05, 0.3, 0.5, 0.9, 1.0, 1.4, -0.2])
    steps = 20000
    torch.manual_seed(1)
    theirs = ref.rate(data, num_steps=steps, gain=0.8, offset=0.1).mean(0)
    ours = spikegen.rate(data, num_steps=steps, gain=0.8, offset=0.1, generator=99).mean(0)
    p = np.clip(data.numpy().astype(np.float64) * 0.8 + 0.1, 0, 1)
    _rates_agree(parity, "rate firing probability", ours, theirs, p, steps)
    torch.manual_seed(2)
    theirs = ref.rate_conv(data.repeat(steps, 1)).mean(0)
    ours = spikegen.rate_conv(data.repeat(steps, 1), generator=98).mean(0)
    _rates_agree(parity, "rate_conv firing probability", ours, theirs, np.clip(data.numpy(), 0, 1), steps)


def test_target_rate_code_statistics(parity):
    steps, first, rate = 20000, 500, 0.3
    torch.manual_seed(4)
    theirs = ref.target_rate_code(steps, first, rate, "poisson")[0][first:].mean()
    ours = spikegen.target_rate_code(steps, first, rate, "poisson", generator=97)[0][first:].mean()
    _rates_agree(parity, "target_rate_code poisson rate", ours, theirs, np.array(rate), steps - first)
    torch.manual_seed(5)
    theirs = ref.target_rate_code(steps, first, rate, "uniform")[1].double()
    ours = spikegen.target_rate_code(steps, first, rate, "uniform", generator=96)[1].double()
    spread = (steps - first) / np.sqrt(12 * len(theirs))
    middle = (first + steps - 1) / 2
    parity.compare("target_rate_code uniform", "number of draws", len(ours), len(theirs))
    _within_4_sigma(parity, "target_rate_code uniform", "snnTorch mean step", theirs.mean(), middle, spread)
    _within_4_sigma(parity, "target_rate_code uniform", "snnx mean step", ours.mean(), middle, spread)


# ---------------------------------------------------------------- the API itself


def test_every_snntorch_encoder_exists_with_its_signature():
    public = [
        name for name, value in vars(ref).items() if inspect.isfunction(value) and not name.startswith("_")
    ]
    assert len(public) >= 16 and sorted(public) == sorted(spikegen.__all__)
    for name in public:
        theirs = inspect.signature(getattr(ref, name)).parameters
        ours = inspect.signature(getattr(spikegen, name)).parameters
        assert list(ours)[: len(theirs)] == list(theirs), name
        assert set(ours) - set(theirs) <= {"generator"}, name
        for parameter in theirs.values():
            assert ours[parameter.name].default == parameter.default, f"{name}({parameter.name})"
