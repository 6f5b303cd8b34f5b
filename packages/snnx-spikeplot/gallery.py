"""Render every figure of snnx-spikeplot from a small snnx simulation.

    python packages/snnx-spikeplot/gallery.py [OUT_DIR]     # default: docs/_static/gallery/

Two simulations, no downloads:

* one ``snnx.Leaky`` neuron (beta 0.9, threshold 1) driven by a step current, for
  ``plot_cur_mem_spk``;
* a 64-100-10 network of ``snnx.Leaky`` layers, briefly trained on scikit-learn's 8x8 digits
  (rate-coded over 25 steps) so its output neurons answer, for the other figures.

Needs torch (snnx-torch), matplotlib, Pillow and scikit-learn. Writes PNG and GIF files and prints
their paths.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import torch
from sklearn.datasets import load_digits
from torch import nn

import snnx
import snnx.spikegen as spikegen
import snnx_spikeplot as splt

STEPS = 25
DIGITS = [str(d) for d in range(10)]


class DigitNet(nn.Module):
    """64 inputs -> 100 Leaky neurons -> 10 Leaky neurons, stepped by hand to record every layer."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, 100)
        self.lif1 = snnx.Leaky(beta=0.9)
        self.fc2 = nn.Linear(100, 10)
        self.lif2 = snnx.Leaky(beta=0.9)

    def forward(self, spk_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``spk_in [T, B, 64]`` -> hidden spikes ``[T, B, 100]``, output spikes, output membranes."""
        mem1, mem2 = self.lif1.init_leaky(), self.lif2.init_leaky()
        spk1_rec, spk2_rec, mem2_rec = [], [], []
        for x in spk_in:
            spk1, mem1 = self.lif1(self.fc1(x), mem1)
            spk2, mem2 = self.lif2(self.fc2(spk1), mem2)
            spk1_rec.append(spk1)
            spk2_rec.append(spk2)
            mem2_rec.append(mem2)
        return torch.stack(spk1_rec), torch.stack(spk2_rec), torch.stack(mem2_rec)


def step_current_neuron(steps: int = 200) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Input current, membrane and spikes of one Leaky neuron under a step of 0.15 from step 10."""
    lif = snnx.Leaky(beta=0.9)
    cur = torch.cat([torch.zeros(10), torch.full((steps - 10,), 0.15)])
    mem = lif.init_leaky()
    mem_rec, spk_rec = [], []
    for i in cur:
        spk, mem = lif(i.reshape(1), mem)
        mem_rec.append(mem)
        spk_rec.append(spk)
    return cur, torch.stack(mem_rec), torch.stack(spk_rec)


def train_digits(epochs: int = 3) -> tuple[DigitNet, torch.Tensor, torch.Tensor]:
    """Train :class:`DigitNet` on the summed output spikes; returns it with the held-out images and labels."""
    images, labels = load_digits(return_X_y=True)
    x = torch.tensor(images / 16.0, dtype=torch.float32)
    y = torch.tensor(labels)
    order = torch.randperm(len(x))
    train, test = order[:1400], order[1400:]
    net = DigitNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=5e-3)
    for _ in range(epochs):
        for batch in train[torch.randperm(len(train))].split(64):
            _, spk2, _ = net(spikegen.rate(x[batch], num_steps=STEPS))
            loss = nn.functional.cross_entropy(spk2.sum(0), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        _, spk2, _ = net(spikegen.rate(x[test], num_steps=STEPS))
    accuracy = (spk2.sum(0).argmax(1) == y[test]).float().mean().item()
    print(f"held-out accuracy after {epochs} epochs: {accuracy:.2f} on {len(test)} digits")
    return net, x[test], y[test]


def save(fig: plt.Figure, path: Path) -> None:
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(path)


def render(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    cur, mem, spk = step_current_neuron()
    first_spike = int(spk.flatten().nonzero()[0])
    title = "snnx.Leaky neuron, step input"
    fig = splt.plot_cur_mem_spk(cur, mem, spk, thr_line=1.0, vline=first_spike, ylim_max1=0.5, title=title)
    save(fig, out / "cur_mem_spk.png")

    net, images, labels = train_digits()
    sample = images[:1]
    with torch.no_grad():
        spk_in = spikegen.rate(sample, num_steps=STEPS)  # [T, 1, 64]
        spk1, spk2, mem2 = net(spk_in)
    digit = int(labels[0])

    fig = splt.plot_snn_spikes(spk_in, spk1, spk2, f"Digits SNN, one sample (a {digit})")
    save(fig, out / "snn_spikes.png")

    fig, ax = plt.subplots(figsize=(8, 4))
    splt.raster(spk1[:, 0], ax, s=6, c="black")
    ax.set(title="Hidden layer (100 Leaky neurons)", xlabel="Time step", ylabel="Neuron")
    save(fig, out / "raster.png")

    fig, ax = plt.subplots(figsize=(4, 4))
    anim = splt.animator(spk_in[:, 0].reshape(STEPS, 8, 8), fig, ax, interval=100)
    print(splt.save_animation(anim, out / "animator.gif"))
    plt.close(fig)

    fig, ax = plt.subplots(facecolor="w", figsize=(8, 5))
    splt.spike_count(spk2[:, 0], fig, ax, labels=DIGITS)
    ax.set_title(f"Output spike counts (input: a {digit})")
    save(fig, out / "spike_count.png")

    fig, ax = plt.subplots(facecolor="w", figsize=(8, 5))
    anim = splt.spike_count(spk2[:, 0], fig, ax, labels=DIGITS, animate=True, interval=100)
    fig.tight_layout()  # keep the axis label inside the frames
    print(splt.save_animation(anim, out / "spike_count.gif"))
    plt.close(fig)

    fig = plt.figure(figsize=(8, 6))
    splt.traces(mem2[:, 0, :9], spk=spk2[:, 0, :9], dim=(3, 3), titles=[f"output {d}" for d in DIGITS])
    save(fig, out / "traces.png")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "out", nargs="?", type=Path, default=Path("docs/_static/gallery"), help="output folder"
    )
    render(parser.parse_args(argv).out)


if __name__ == "__main__":
    main()
