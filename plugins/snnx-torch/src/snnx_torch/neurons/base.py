"""The ``torch.nn.Module`` base every torch step neuron shares.

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

from snnx.specs.neuron import RESET_CODES, NeuronSpec, Tensor, check_input, in_dtype_of, resolve_state
from snnx.specs.parameters import Option
from snnx_torch.ops import OPS
from snnx_torch.surrogate import spike_function_for


def as_tensor(tensor: Tensor) -> torch.Tensor:
    """A spec tensor as a torch tensor (floats in the default float dtype)."""
    value = torch.as_tensor(tensor.value)
    if tensor.dtype is not None:
        return value.to(getattr(torch, tensor.dtype))
    if value.dtype == torch.bool or value.is_floating_point():
        return value.to(torch.get_default_dtype()) if value.dtype != torch.float64 else value
    return value


class SpikingNeuron(nn.Module):
    """Base of torch step neurons: parameters, hidden state and the step call.

    Subclasses set ``spec`` and write ``forward`` with snnTorch's arguments; the
    constructor signature, ``init_<name>()`` and ``reset_mem()`` come from the spec.
    The hidden state belongs to this instance only (one plain tensor attribute per
    spec state), so it follows ``.to(device)``, ``copy.deepcopy`` and replication,
    and resetting one network never touches another. It is deliberately not a
    buffer: buffers are model state that ``DistributedDataParallel`` broadcasts from
    rank 0 before every forward call, which would overwrite each process's membrane
    potentials (computed from its own share of the batch) with rank 0's.
    """

    spec: ClassVar[type[NeuronSpec]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        if spec is None:
            return
        cls.__signature__ = spec.signature()  # type: ignore[attr-defined]
        if cls.__doc__ is None:
            cls.__doc__ = spec.__doc__
        init_name = f"init_{spec.name.lower()}"
        if init_name not in cls.__dict__:
            setattr(cls, init_name, cls.reset_mem)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        config = self.spec.bind(args, kwargs)
        self._options = tuple(arg.name for arg in self.spec.arguments if isinstance(arg, Option))
        for name, tensor in self.spec.tensors(config).items():
            if "." not in name:  # dotted names belong to layers made by build_layers
                self._store(name, tensor)
        for name in self._options:
            if name != "reset_mechanism":
                setattr(self, name, config[name])
        self._reset_mechanism = config.get("reset_mechanism", "subtract")
        self._spike = spike_function_for(config.get("spike_grad"), config.get("surrogate_disable", False))
        self.build_layers(config)
        self._weight_names = tuple(weight.name for weight in self.spec.weights(config))
        self._tensor_names = tuple(self.spec.tensors(config)) + self._weight_names
        for name in self.spec.states:
            setattr(self, name, torch.zeros(0))  # a plain attribute, not a buffer (see the class notes)

    def _apply(self, fn: Any, recurse: bool = True) -> SpikingNeuron:
        """Convert parameters and buffers (``.to``, ``.double()``...) and the hidden state with them."""
        super()._apply(fn, recurse)
        for name in self.spec.states:
            setattr(self, name, fn(getattr(self, name)))
        return self

    def build_layers(self, config: dict[str, Any]) -> None:
        """Create the layers inside the neuron (recurrent weights, LSTM cells); none by default."""

    def _store(self, name: str, tensor: Tensor) -> None:
        value = as_tensor(tensor)
        if tensor.learnable:
            self.register_parameter(name, nn.Parameter(value))
        else:
            self.register_buffer(name, value)

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

    def step_config(self) -> dict[str, Any]:
        """The options the spec's step reads, from this instance's current attributes."""
        config = {name: getattr(self, name) for name in self._options}
        return config

    def step_params(self) -> dict[str, torch.Tensor]:
        """Parameters, buffers and layer weights by ``state_dict`` name."""
        params = {}
        for name in self._tensor_names:
            owner, _, attribute = name.rpartition(".")
            params[name] = getattr(self.get_submodule(owner), attribute) if owner else getattr(self, name)
        return params

    def fast_step(
        self,
        x: torch.Tensor,
        states: tuple[torch.Tensor, ...],
        params: dict[str, torch.Tensor],
        config: dict[str, Any],
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]] | None:
        """``(spk, new_states)`` of one step computed as one autograd node, or ``None``.

        A neuron with such a path (``Leaky``) overrides this; it must give the
        spec's step bit for bit, with the same gradients. ``None`` runs the spec's
        tensor operations.
        """
        return None

    def fast_sequence(
        self, x_seq: torch.Tensor, record_states: bool, input_bias: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]] | None:
        """``(spk_seq, states)`` of :meth:`forward_sequence` by a lean route, or ``None``.

        Called with no states passed in; it starts from the stored ones. ``states``
        holds every state's sequence with ``record_states``, else each state after
        the last step. The input is ``x_seq + input_bias`` (see :meth:`forward_sequence`).
        A neuron with such a route (``Leaky``) overrides this; it must give what the
        general route gives, values and gradients. ``None`` takes the general route.
        """
        return None

    def _advance(self, x: torch.Tensor, passed: tuple[Any, ...], fast: bool = True):
        """Run one spec step from the stored (or ``passed``) states and store the result.

        ``fast=False`` always runs the spec's tensor operations (see :meth:`fast_step`).
        """
        spec, name = self.spec, self.spec.name
        check_input(name, x)
        config = self.step_config()
        spec.check_input_shape(config, x)
        passed = spec.passed_states(passed)
        if self.init_hidden and any(state is not None for state in passed):
            raise TypeError(
                f"{name}: do not pass state while init_hidden=True; the neuron keeps its own state "
                "(reset it with snnx.utils.reset(net))."
            )
        shape = spec.state_shape(config, x)
        states = tuple(
            resolve_state(name, state_name, getattr(self, state_name), given, x, OPS, shape)
            for state_name, given in zip(spec.states, passed)
        )
        params = in_dtype_of(OPS, self.step_params(), x)
        result = self.fast_step(x, states, params, config) if fast else None
        spk, new_states = spec.step(OPS, x, states, params, config, self._spike) if result is None else result
        for state_name, value in zip(spec.states, new_states):
            setattr(self, state_name, value)
        return spec.outputs(spk, new_states, config)

    def forward_sequence(
        self,
        x_seq: torch.Tensor,
        *passed: Any,
        record_states: bool = True,
        input_bias: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, ...]:
        """Run all ``T`` steps of ``x_seq [T, ...]`` in one call: ``(spk_seq, *state_seqs)``.

        Equal to calling the neuron once per step and stacking what each step returns
        (spikes and every state), forward and backward; the neuron keeps the last
        states, as after the step loop. The neuron's lean route (:meth:`fast_sequence`)
        or a fused kernel runs it when the neuron's options allow (see
        :mod:`snnx_torch.fused`), otherwise the step loop does.
        With ``record_states=False`` it returns ``(spk_seq, *last_states)`` instead,
        the states after the last step only, which spares a kernel writing (and
        keeping for backward) every step's state.
        ``input_bias`` (broadcasting to one step's input) makes the input
        ``x_seq + input_bias``: ``snnx.run`` passes the bias of a ``Linear`` this way,
        so that a neuron with a lean route adds it inside its scan rather than in a
        pass of its own over the sequence (others add it first).
        """
        from snnx_torch.fused import kernel_for

        spec, name = self.spec, self.spec.name
        if x_seq.dim() < 2:
            raise ValueError(
                f"{name}.forward_sequence expects [time, batch, ...], got shape {tuple(x_seq.shape)}."
            )
        check_input(name, x_seq)
        handed_in = any(state is not None for state in passed)
        fast = None if handed_in else self.fast_sequence(x_seq, record_states, input_bias)
        if fast is None and input_bias is not None:
            x_seq = x_seq + input_bias
        if fast is not None:
            spk_seq, outputs = fast
            for state_name, values in zip(spec.states, outputs):
                setattr(self, state_name, values[-1] if record_states else values)
            return (spk_seq, *outputs)
        config = self.step_config()
        kernel = kernel_for(spec, self, config)
        if kernel is None:
            spk_seq, *state_seqs = self._step_loop(x_seq, passed)
            return (spk_seq, *(state_seqs if record_states else (seq[-1] for seq in state_seqs)))
        x0 = x_seq[0]
        spec.check_input_shape(config, x0)
        passed = spec.passed_states(passed)
        if self.init_hidden and any(state is not None for state in passed):
            raise TypeError(
                f"{name}: do not pass state while init_hidden=True; the neuron keeps its own state."
            )
        shape = spec.state_shape(config, x0)
        states = tuple(
            resolve_state(name, state_name, getattr(self, state_name), given, x0, OPS, shape)
            for state_name, given in zip(spec.states, passed)
        )
        params = in_dtype_of(OPS, self.step_params(), x0)
        spk_seq, state_seqs = kernel.run(self, x_seq, states, params, config, record_states=record_states)
        for state_name, values in zip(spec.states, state_seqs):
            setattr(self, state_name, values[-1])
        return (spk_seq, *(state_seqs if record_states else (values[-1] for values in state_seqs)))

    def _step_loop(self, x_seq: torch.Tensor, passed: tuple[Any, ...]) -> tuple[torch.Tensor, ...]:
        """:meth:`forward_sequence` by the spec's tensor operations, once per time step."""
        spikes, states = [], []
        for step, x in enumerate(x_seq):
            result = self._advance(x, passed if step == 0 else (), fast=False)
            spikes.append(result[0] if isinstance(result, tuple) else result)
            states.append(tuple(getattr(self, name) for name in self.spec.states))
        return (torch.stack(spikes), *(torch.stack(seq) for seq in zip(*states)))

    def reset_mem(self):
        """Reset this neuron's hidden state and return it (to pass to the first step)."""
        self.reset_hidden()
        states = tuple(getattr(self, name) for name in self.spec.states)
        return states[0] if len(states) == 1 else states

    def reset_hidden(self) -> None:
        """Forget this neuron's hidden state; the next step starts from zero."""
        for state_name in self.spec.states:
            old = getattr(self, state_name)
            setattr(self, state_name, old.new_empty(0))

    def detach_hidden(self) -> None:
        """Cut this neuron's hidden state from the autograd graph (truncated BPTT)."""
        for state_name in self.spec.states:
            setattr(self, state_name, getattr(self, state_name).detach())

    def __getstate__(self) -> dict[str, Any]:
        """Pickle and deep-copy the hidden state's values, never its autograd graph."""
        state = super().__getstate__()
        for state_name in self.spec.states:
            state[state_name] = state[state_name].detach()
        return state

    def __deepcopy__(self, memo: dict[int, Any]) -> SpikingNeuron:
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        clone.__setstate__(copy.deepcopy(self.__getstate__(), memo))
        return clone

    def extra_repr(self) -> str:
        shown = [
            f"{name}={_short(getattr(self, name))}"
            for name in self._tensor_names
            if "." not in name and isinstance(getattr(self, name), torch.Tensor)
        ]
        if "reset_mechanism" in self._options:
            shown.append(f"reset_mechanism={self._reset_mechanism!r}")
        if getattr(self, "init_hidden", False):
            shown.append("init_hidden=True")
        if getattr(self, "output", False):
            shown.append("output=True")
        return ", ".join(shown)


def _short(tensor: torch.Tensor) -> str:
    return f"{tensor.item():g}" if tensor.numel() == 1 else f"tensor{tuple(tensor.shape)}"
