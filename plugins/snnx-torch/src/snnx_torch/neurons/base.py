"""The ``torch.nn.Module`` base every torch neuron shares.

A neuron here is a thin realisation of a core spec: it stores the spec's
parameters as parameters or buffers (with snnTorch's names, so ``state_dict``
files interchange), keeps its hidden state on the instance, and runs the spec's
``step`` with torch operations and a surrogate spike function.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import torch
from torch import nn

from snnx.specs.neuron import NeuronSpec, check_input, neuron_outputs, resolve_state
from snnx_torch.ops import OPS
from snnx_torch.surrogate import spike_function_for

RESET_CODES = {"subtract": 0, "zero": 1, "none": 2}


class SpikingNeuron(nn.Module):
    """Base of torch neurons: parameters, hidden state and the step call.

    The hidden state belongs to this instance only (non-persistent buffers, one per
    spec state), so it follows ``.to(device)``, ``copy.deepcopy`` and replication,
    and resetting one network never touches another.
    """

    spec: ClassVar[type[NeuronSpec]]

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        config = self.spec.bind((), config)
        self._parameter_names = tuple(parameter.name for parameter in self.spec.parameters())
        for parameter in self.spec.parameters():
            self._store_parameter(parameter.name, config[parameter.name], config[parameter.learn_flag])
        self.spike_grad = config["spike_grad"]
        self.surrogate_disable = config["surrogate_disable"]
        self.init_hidden = config["init_hidden"]
        self.inhibition = config["inhibition"]
        self.state_quant = config["state_quant"]
        self.output = config["output"]
        self.reset_delay = config["reset_delay"]
        self.register_buffer("reset_mechanism_val", torch.as_tensor(RESET_CODES[config["reset_mechanism"]]))
        self._reset_mechanism = config["reset_mechanism"]
        self._spike = spike_function_for(self.spike_grad, self.surrogate_disable)
        for name in self.spec.states:
            self.register_buffer(name, torch.zeros(0), persistent=False)

    def _store_parameter(self, name: str, value: Any, learnable: bool) -> None:
        tensor = torch.as_tensor(value)
        if not tensor.is_floating_point():
            tensor = tensor.to(torch.get_default_dtype())
        if learnable:
            self.register_parameter(name, nn.Parameter(tensor))
        else:
            self.register_buffer(name, tensor)

    @property
    def reset_mechanism(self) -> str:
        """``'subtract'``, ``'zero'`` or ``'none'``; setting it changes the update at once."""
        return self._reset_mechanism

    @reset_mechanism.setter
    def reset_mechanism(self, value: str) -> None:
        option = next(arg for arg in self.spec.arguments if arg.name == "reset_mechanism")
        option.validate(value, self.spec.name)
        self.reset_mechanism_val = torch.as_tensor(RESET_CODES[value], device=self.reset_mechanism_val.device)
        self._reset_mechanism = value

    def _step_config(self) -> dict[str, Any]:
        return {
            "reset_mechanism": self._reset_mechanism,
            "state_quant": self.state_quant,
            "inhibition": self.inhibition,
            "reset_delay": self.reset_delay,
            "init_hidden": self.init_hidden,
            "output": self.output,
        }

    def _advance(self, x: torch.Tensor, passed: tuple[torch.Tensor | None, ...]):
        """Run one spec step from the stored (or ``passed``) state and store the result."""
        name = self.spec.name
        check_input(name, x)
        if self.init_hidden and any(state is not None for state in passed):
            raise TypeError(
                f"{name}: do not pass state while init_hidden=True; the neuron keeps its own state "
                "(reset it with snnx.utils.reset(net))."
            )
        states = tuple(
            resolve_state(name, state_name, getattr(self, state_name), given, x, OPS)
            for state_name, given in zip(self.spec.states, passed)
        )
        params = {param_name: getattr(self, param_name) for param_name in self._parameter_names}
        config = self._step_config()
        spk, new_states = self.spec.step(OPS, x, states, params, config, self._spike)
        for state_name, value in zip(self.spec.states, new_states):
            setattr(self, state_name, value)
        return neuron_outputs(spk, new_states, config)

    def reset_hidden(self) -> None:
        """Forget this neuron's hidden state; the next step starts from zero."""
        for state_name in self.spec.states:
            old = getattr(self, state_name)
            setattr(self, state_name, torch.zeros(0, dtype=old.dtype, device=old.device))

    def detach_hidden(self) -> None:
        """Cut this neuron's hidden state from the autograd graph (truncated BPTT)."""
        for state_name in self.spec.states:
            setattr(self, state_name, getattr(self, state_name).detach())

    def __getstate__(self) -> dict[str, Any]:
        """Pickle and deep-copy the hidden state's values, never its autograd graph."""
        state = super().__getstate__()
        buffers = dict(state["_buffers"])
        for state_name in self.spec.states:
            if buffers.get(state_name) is not None:
                buffers[state_name] = buffers[state_name].detach()
        state["_buffers"] = buffers
        return state

    def __deepcopy__(self, memo: dict[int, Any]) -> SpikingNeuron:
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        clone.__setstate__(copy.deepcopy(self.__getstate__(), memo))
        return clone

    def extra_repr(self) -> str:
        shown = [f"{name}={_short(getattr(self, name))}" for name in self._parameter_names]
        shown.append(f"reset_mechanism={self._reset_mechanism!r}")
        if self.init_hidden:
            shown.append("init_hidden=True")
        if self.output:
            shown.append("output=True")
        return ", ".join(shown)


def _short(tensor: torch.Tensor) -> str:
    return f"{tensor.item():g}" if tensor.numel() == 1 else f"tensor{tuple(tensor.shape)}"
