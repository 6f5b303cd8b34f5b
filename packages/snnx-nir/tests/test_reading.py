"""read_graph / validate_graph: bad files and inconsistent graphs give NIRError naming the problem."""

from __future__ import annotations

from pathlib import Path

import h5py
import nir
import numpy as np
import pytest

from snnx_nir import NIRError, NIRFileError, NIRGraphError, read_graph, validate_graph

SHARED_NIR = Path(__file__).resolve().parents[3].parent / "shared" / "nir"
REAL_FILES = [
    "lif_norse.nir",
    "lif_rockpool.nir",
    "two_lif_neurons.nir",
    "braille_noDelay_bias_zero.nir",
    "braille_noDelay_noBias_subtract.nir",
]


def lif(n: int) -> nir.LIF:
    ones = np.ones(n)
    return nir.LIF(tau=ones * 1e-3, r=ones * 10.0, v_leak=ones * 0, v_threshold=ones, v_reset=ones * 0)


def graph(nodes: dict, edges: list) -> nir.NIRGraph:
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def feedforward() -> nir.NIRGraph:
    return graph(
        {
            "input": nir.Input(input_type=np.array([3])),
            "fc": nir.Affine(weight=np.ones((2, 3)), bias=np.zeros(2)),
            "lif": lif(2),
            "output": nir.Output(output_type=np.array([2])),
        },
        [("input", "fc"), ("fc", "lif"), ("lif", "output")],
    )


def recurrent_subgraph() -> nir.NIRGraph:
    """snnx's RLeaky form: a subgraph rec = {input, lif, w_rec, output} with the loop lif <-> w_rec."""
    inner = graph(
        {
            "input": nir.Input(input_type=np.array([2])),
            "lif": lif(2),
            "w_rec": nir.Linear(weight=np.eye(2)),
            "output": nir.Output(output_type=np.array([2])),
        },
        [("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
    )
    return graph(
        {
            "input": nir.Input(input_type=np.array([3])),
            "fc": nir.Linear(weight=np.ones((2, 3))),
            "rec": inner,
            "output": nir.Output(output_type=np.array([2])),
        },
        [("input", "fc"), ("fc", "rec"), ("rec", "output")],
    )


def written(tmp_path: Path, g: nir.NIRGraph, name: str = "net.nir") -> Path:
    path = tmp_path / name
    nir.write(path, g)
    return path


@pytest.mark.parametrize("name", REAL_FILES)
def test_real_files_from_other_simulators_read_and_validate(name):
    path = SHARED_NIR / name
    if not path.exists():
        pytest.skip(f"real NIR files not found at {SHARED_NIR} (the shared data folder beside the repo)")
    g = read_graph(path)
    kinds = {type(node) for node in g.nodes.values()}
    assert nir.Input in kinds and nir.Output in kinds
    assert kinds & {nir.LIF, nir.CubaLIF}
    validate_graph(g)  # idempotent: reading did not leave the graph in a state that fails its own check


def test_rockpool_output_type_quirk_is_tolerated_where_nirs_type_check_fails():
    path = SHARED_NIR / "lif_rockpool.nir"
    if not path.exists():
        pytest.skip(f"real NIR files not found at {SHARED_NIR}")
    with pytest.raises(ValueError, match="type mismatch"):
        nir.read(path, type_check=True)
    g = read_graph(path)
    assert tuple(g.nodes["output"].output_type["output"]) == (1, 1, 1)
    with pytest.raises(NIRGraphError, match="type_check=False"):
        read_graph(path, type_check=True)


def test_braille_recurrent_loop_through_a_neuron_is_accepted():
    path = SHARED_NIR / "braille_noDelay_bias_zero.nir"
    if not path.exists():
        pytest.skip(f"real NIR files not found at {SHARED_NIR}")
    g = read_graph(path)
    assert ("lif1.lif", "lif1.w_rec") in g.edges and ("lif1.w_rec", "lif1.lif") in g.edges
    assert isinstance(g.nodes["lif1.lif"], nir.CubaLIF)


def test_a_written_graph_reads_back_with_its_values(tmp_path):
    original = feedforward()
    original.metadata = {"snnx_dt": 1e-4}
    g = read_graph(written(tmp_path, original))
    assert set(g.nodes) == {"input", "fc", "lif", "output"}
    np.testing.assert_array_equal(g.nodes["fc"].weight, np.ones((2, 3)))
    assert float(g.metadata["snnx_dt"]) == 1e-4


def test_truncated_file_is_a_file_error_naming_the_path(tmp_path):
    path = written(tmp_path, feedforward())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(NIRFileError, match="truncated") as info:
        read_graph(path)
    assert str(path) in str(info.value)


def test_file_that_is_not_hdf5_is_a_file_error(tmp_path):
    path = tmp_path / "notes.nir"
    path.write_text("this is not HDF5\n")
    with pytest.raises(NIRFileError, match="not an HDF5 file") as info:
        read_graph(path)
    assert str(path) in str(info.value)


def test_hdf5_file_that_is_not_nir_is_a_file_error(tmp_path):
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as store:
        store.create_dataset("x", data=np.arange(3))
    with pytest.raises(NIRFileError, match="not a NIR file: it has no 'node' group") as info:
        read_graph(path)
    assert "x" in str(info.value)


def test_missing_file_and_directory_are_file_errors(tmp_path):
    with pytest.raises(NIRFileError, match="no such file"):
        read_graph(tmp_path / "absent.nir")
    with pytest.raises(NIRFileError, match="is a directory"):
        read_graph(tmp_path)


def test_node_without_a_field_is_a_file_error(tmp_path):
    path = written(tmp_path, feedforward())
    with h5py.File(path, "r+") as store:
        del store["node/nodes/lif/tau"]
    with pytest.raises(NIRFileError, match="malformed NIR file"):
        read_graph(path)


def set_stored_type(path: Path, node: str, kind: str) -> None:
    with h5py.File(path, "r+") as store:
        del store[f"node/{node}/type"]
        store[f"node/{node}"].create_dataset("type", data=kind, dtype=h5py.string_dtype())


def test_unknown_node_type_names_the_node_and_the_type(tmp_path):
    path = written(tmp_path, feedforward())
    set_stored_type(path, "nodes/lif", "Banana")
    with pytest.raises(NIRGraphError, match="node 'lif' has unknown NIR type 'Banana'"):
        read_graph(path)


def test_unknown_node_type_inside_a_subgraph_is_named_outer_dot_inner(tmp_path):
    path = written(tmp_path, recurrent_subgraph())
    set_stored_type(path, "nodes/rec/nodes/w_rec", "Banana")
    with pytest.raises(NIRGraphError, match=r"node 'rec\.w_rec' has unknown NIR type 'Banana'"):
        read_graph(path)


def test_unknown_node_object_in_a_graph_is_refused():
    g = feedforward()
    g.nodes["lif"] = object()
    with pytest.raises(NIRGraphError, match="node 'lif' has unknown type object"):
        validate_graph(g)


def test_inconsistent_shapes_name_the_edge_and_both_shapes(tmp_path):
    g = feedforward()
    g.nodes["fc"] = nir.Affine(weight=np.ones((2, 5)), bias=np.zeros(2))  # takes 5, the Input gives 3
    with pytest.raises(
        NIRGraphError, match=r"edge 'input' -> 'fc': 'input' outputs shape \(3,\) but 'fc' takes"
    ):
        validate_graph(g)
    with pytest.raises(NIRGraphError, match=r"'fc' takes shape \(5,\)") as info:
        read_graph(written(tmp_path, g))
    assert "net.nir" in str(info.value)


def test_shapes_equal_up_to_length_one_axes_agree_others_do_not():
    g = feedforward()
    g.nodes["output"] = nir.Output(output_type=np.array([1, 2]))  # (2,) vs (1, 2): agree
    validate_graph(g)
    g.nodes["output"] = nir.Output(output_type=np.array([2, 2]))
    with pytest.raises(NIRGraphError, match=r"edge 'lif' -> 'output'"):
        validate_graph(g)


def test_dangling_edge_names_the_missing_node():
    g = feedforward()
    g.edges.append(("lif", "ghost"))
    with pytest.raises(NIRGraphError, match=r"edge 'lif' -> 'ghost': target 'ghost' is not a node"):
        validate_graph(g)


def test_dangling_edge_into_a_subgraph_names_the_dotted_node():
    g = recurrent_subgraph()
    g.edges.append(("rec.ghost", "output"))
    with pytest.raises(NIRGraphError, match=r"source 'rec.ghost' is not a node"):
        validate_graph(g)


def test_cycle_without_a_neuron_is_refused_naming_its_nodes():
    g = graph(
        {
            "input": nir.Input(input_type=np.array([2])),
            "a": nir.Linear(weight=np.eye(2)),
            "b": nir.Linear(weight=np.eye(2)),
            "output": nir.Output(output_type=np.array([2])),
        },
        [("input", "a"), ("a", "b"), ("b", "a"), ("b", "output")],
    )
    with pytest.raises(NIRGraphError, match=r"cycle a -> b -> a passes through no neuron"):
        validate_graph(g)


def test_self_loop_on_a_linear_node_is_refused():
    g = feedforward()
    g.nodes["fc2"] = nir.Linear(weight=np.eye(2))
    g.edges += [("lif", "fc2"), ("fc2", "fc2")]
    with pytest.raises(NIRGraphError, match=r"cycle fc2 -> fc2"):
        validate_graph(g)


def test_recurrent_subgraph_and_dotted_addresses_validate():
    g = recurrent_subgraph()
    validate_graph(g)
    g.edges.append(("rec.lif", "output"))  # nir's "outer.inner" address of a nested node
    validate_graph(g)


def test_edge_to_a_whole_subgraph_is_checked_against_its_input_shape():
    g = recurrent_subgraph()
    g.nodes["fc"] = nir.Linear(weight=np.ones((4, 3)))
    with pytest.raises(NIRGraphError, match=r"edge 'fc' -> 'rec': 'fc' outputs shape \(4,\) but 'rec.input'"):
        validate_graph(g)


def test_flat_recurrent_pair_like_the_braille_files_validates():
    g = graph(
        {
            "input": nir.Input(input_type=np.array([2])),
            "lif1.lif": lif(2),
            "lif1.w_rec": nir.Affine(weight=np.eye(2), bias=np.zeros(2)),
            "output": nir.Output(output_type=np.array([2])),
        },
        [
            ("input", "lif1.lif"),
            ("lif1.lif", "lif1.w_rec"),
            ("lif1.w_rec", "lif1.lif"),
            ("lif1.lif", "output"),
        ],
    )
    validate_graph(g)


@pytest.mark.parametrize(("kind", "fix"), [(nir.Input, "from it to the first node"), (nir.Output, "to it")])
def test_graph_without_input_or_output_is_refused(kind, fix):
    g = feedforward()
    name = "input" if kind is nir.Input else "output"
    del g.nodes[name]
    g.edges = [edge for edge in g.edges if name not in edge]
    with pytest.raises(NIRGraphError, match=f"the graph has no {kind.__name__} node.*{fix}"):
        validate_graph(g)


def test_single_node_is_not_a_graph():
    with pytest.raises(NIRGraphError, match="not a graph"):
        read_graph(lif(2))


def test_every_error_is_a_value_error():
    for error in (NIRFileError, NIRGraphError):
        assert issubclass(error, NIRError) and issubclass(error, ValueError)
