"""`snnx nir inspect` and `snnx nir run`: reports, exit codes, a run checked against hand-written Euler."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nir
import numpy as np
import pytest

from snnx.cli.main import main

DT = 1e-4
TAU = 1e-3
R = 5.0  # input scale r*dt/tau = 0.5: a general LIF (imported as Lapicque), not a plain Leaky
WEIGHT = np.array([[1.5, 0.2, 0.0], [0.3, 0.3, 0.3]])
BIAS = np.array([0.05, -0.02])


def lif_graph(bias: np.ndarray) -> nir.NIRGraph:
    ones = np.ones(2)
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([3])),
            "fc": nir.Affine(weight=WEIGHT, bias=bias),
            "lif": nir.LIF(tau=ones * TAU, r=ones * R, v_leak=ones * 0, v_threshold=ones, v_reset=ones * 0),
            "output": nir.Output(output_type=np.array([2])),
        },
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")],
        type_check=False,
    )


def li_graph() -> nir.NIRGraph:
    ones = np.ones(2)
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([3])),
            "fc": nir.Affine(weight=WEIGHT, bias=BIAS),
            "li": nir.LI(tau=ones * TAU, r=ones * R, v_leak=ones * 0),
            "output": nir.Output(output_type=np.array([2])),
        },
        edges=[("input", "fc"), ("fc", "li"), ("li", "output")],
        type_check=False,
    )


def pulses(steps: int, batch: tuple[int, ...] = ()) -> np.ndarray:
    """Random drive on even steps, none on odd steps: a spike is always followed by a step without input,
    so resetting to zero gives the same trace whether the reset applies at once or one step later."""
    x = np.random.default_rng(7).uniform(0.0, 1.0, size=(steps, *batch, 3))
    x[1::2] = 0.0
    return x


def euler_lif(x: np.ndarray, bias: np.ndarray, threshold: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """NIR's LIF, tau dv/dt = (v_leak - v) + r I, by forward Euler; spike when v > threshold, then v = 0.

    Returns the spikes and the membrane before each reset (to check the margin to threshold)."""
    v = np.zeros((*x.shape[1:-1], 2))
    spikes, before_reset = [], []
    for x_t in x:
        current = x_t @ WEIGHT.T + bias
        v = v + DT / TAU * (0.0 - v + R * current)
        before_reset.append(v.copy())
        spike = (v > threshold).astype(float)
        spikes.append(spike)
        v = np.where(spike > 0, 0.0, v)
    return np.array(spikes), np.array(before_reset)


def euler_li(x: np.ndarray) -> np.ndarray:
    """NIR's LI, tau dv/dt = (v_leak - v) + r I, by forward Euler; the output is v."""
    v = np.zeros(2)
    trace = []
    for x_t in x:
        v = v + DT / TAU * (0.0 - v + R * (x_t @ WEIGHT.T + BIAS))
        trace.append(v.copy())
    return np.array(trace)


def write(tmp_path: Path, graph: nir.NIRGraph, name: str = "net.nir") -> Path:
    path = tmp_path / name
    nir.write(path, graph)
    return path


def save_input(tmp_path: Path, x: np.ndarray) -> Path:
    path = tmp_path / "x.npy"
    np.save(path, x)
    return path


def test_inspect_reports_nodes_shapes_parameters_edges_and_metadata(tmp_path, capsys):
    inner = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([2])),
            "lif": lif_graph(np.zeros(2)).nodes["lif"],
            "w_rec": nir.Linear(weight=np.eye(2)),
            "output": nir.Output(output_type=np.array([2])),
        },
        edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
        type_check=False,
    )
    inner.nodes["lif"].metadata = {"snnx_reset_mechanism": "subtract"}
    graph = lif_graph(BIAS)
    graph.nodes["rec"] = inner
    graph.edges += [("lif", "rec"), ("rec", "output")]
    graph.metadata = {"snnx_dt": DT}
    assert main(["nir", "inspect", str(write(tmp_path, graph))]) == 0
    out = capsys.readouterr().out
    assert "NIR graph: 5 nodes, 5 edges" in out
    assert "metadata: snnx_dt = 0.0001" in out
    assert "  fc: Affine  [in (3,), out (2,)]" in out
    assert "    weight: shape (2, 3), min 0, max 1.5" in out
    assert "    bias: shape (2,), min -0.02, max 0.05" in out
    assert "    tau: shape (2,), all 0.001" in out
    assert "  rec: NIRGraph (subgraph: 4 nodes, 4 edges)" in out
    assert "      w_rec: Linear  [in (2,), out (2,)]" in out  # nested one level deeper
    assert "snnx_reset_mechanism = subtract" in out
    assert "  input -> fc" in out and "      w_rec -> lif" in out


def test_inspect_of_a_real_file(capsys):
    path = Path(__file__).resolve().parents[3].parent / "shared" / "nir" / "braille_noDelay_bias_zero.nir"
    if not path.exists():
        pytest.skip(f"real NIR files not found at {path.parent} (the shared data folder beside the repo)")
    assert main(["nir", "inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "lif1.lif: CubaLIF  [in (38,), out (38,)]" in out and "lif1.w_rec -> lif1.lif" in out


def test_inspect_of_a_bad_file_prints_the_reason_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.nir"
    bad.write_text("not hdf5")
    assert main(["nir", "inspect", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "not an HDF5 file" in err and str(bad) in err and "Traceback" not in err


def test_console_script_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.nir"
    bad.write_bytes(b"\x89HDF\r\n")
    result = subprocess.run(
        [sys.executable, "-m", "snnx.cli.main", "nir", "inspect", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "snnx nir inspect: error:" in result.stderr and "Traceback" not in result.stderr


def test_nir_without_action_exits_2(capsys):
    assert main(["nir"]) == 2
    assert "give an action" in capsys.readouterr().err


def test_run_lif_matches_hand_written_euler(tmp_path, capsys):
    x = pulses(40)
    expected, before_reset = euler_lif(x, np.zeros(2))
    assert 0 < expected.sum() < expected.size  # the test exercises both spiking and silent steps
    assert np.abs(before_reset - 1.0).min() > 1e-3  # no step is so close to threshold that rounding decides
    out = tmp_path / "out.npy"
    argv = [
        "nir",
        "run",
        str(write(tmp_path, lif_graph(np.zeros(2)))),
        "--input",
        str(save_input(tmp_path, x)),
    ]
    assert main([*argv, "--dt", str(DT), "--output", str(out)]) == 0
    spikes = np.load(out)
    assert spikes.size == expected.size
    np.testing.assert_array_equal(spikes.reshape(expected.shape), expected)
    report = capsys.readouterr().out
    assert "steps: 40" in report and f"spikes: {int(expected.sum())} in total" in report


def test_run_lif_with_a_batch(tmp_path):
    x = pulses(30, batch=(4,))
    expected, before_reset = euler_lif(x, np.zeros(2))
    assert np.abs(before_reset - 1.0).min() > 1e-3 and expected.sum() > 0
    out = tmp_path / "out.npy"
    argv = [
        "nir",
        "run",
        str(write(tmp_path, lif_graph(np.zeros(2)))),
        "--input",
        str(save_input(tmp_path, x)),
    ]
    assert main([*argv, "--output", str(out)]) == 0  # dt defaults to 1e-4
    np.testing.assert_array_equal(np.load(out), expected)


def test_run_li_membrane_with_bias_matches_hand_written_euler(tmp_path, capsys):
    x = np.random.default_rng(3).normal(size=(25, 3))
    expected = euler_li(x)
    out = tmp_path / "out.npy"
    argv = ["nir", "run", str(write(tmp_path, li_graph())), "--input", str(save_input(tmp_path, x))]
    assert main([*argv, "--dt", str(DT), "--output", str(out)]) == 0
    membrane = np.load(out)
    assert membrane.size == expected.size
    np.testing.assert_allclose(membrane.reshape(expected.shape), expected, rtol=1e-5, atol=1e-6)
    assert "values (not spikes)" in capsys.readouterr().out


def test_run_refuses_input_of_the_wrong_shape_naming_the_input_node(tmp_path, capsys):
    argv = [
        "nir",
        "run",
        str(write(tmp_path, li_graph())),
        "--input",
        str(save_input(tmp_path, np.ones((5, 4)))),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "has shape (5, 4) but Input node 'input' takes (3,)" in err and "[T, 3] or [T, B, 3]" in err


def test_run_refuses_pickled_and_missing_inputs(tmp_path, capsys):
    graph_path = str(write(tmp_path, li_graph()))
    pickled = tmp_path / "objects.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert main(["nir", "run", graph_path, "--input", str(pickled)]) == 2
    assert "is not a .npy array of numbers" in capsys.readouterr().err
    assert main(["nir", "run", graph_path, "--input", str(tmp_path / "none.npy")]) == 2
    assert "no such file" in capsys.readouterr().err
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    assert main(["nir", "run", graph_path, "--input", str(empty)]) == 2
    assert "is not a .npy array of numbers" in capsys.readouterr().err


def test_run_refuses_an_output_path_with_the_wrong_suffix(tmp_path, capsys):
    argv = [
        "nir",
        "run",
        str(write(tmp_path, li_graph())),
        "--input",
        str(save_input(tmp_path, np.ones((5, 3)))),
    ]
    assert main([*argv, "--output", str(tmp_path / "out.txt")]) == 2
    assert "give a .npy path" in capsys.readouterr().err


@pytest.mark.parametrize("dt", ["0", "-1e-4", "fast"])
def test_run_refuses_a_bad_dt(tmp_path, dt, capsys):
    argv = [
        "nir",
        "run",
        str(write(tmp_path, li_graph())),
        "--input",
        str(save_input(tmp_path, np.ones((5, 3)))),
    ]
    with pytest.raises(SystemExit) as info:
        main([*argv, "--dt", dt])
    assert info.value.code == 2
    assert "--dt" in capsys.readouterr().err
