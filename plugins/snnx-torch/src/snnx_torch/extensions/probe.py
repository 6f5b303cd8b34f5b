"""Monitors that record what flows through chosen layers of a torch network.

Each monitor hooks every submodule of ``net`` (``net`` itself included) that is an
instance of ``instance`` and appends one record per call (or per backward pass for
the gradient monitors) to ``records``, in call order; ``monitor['name']`` gives the
records of one layer, ``monitor[i]`` the ``i``-th record. Tuples of length one are
unwrapped, as snnTorch does. Works with snnx and snnTorch neurons alike (snnx
neurons keep each hidden state in a buffer named after it: ``mem``, ``syn``...).

The hooks hold the monitor weakly: a monitor no longer referenced is collected and
its hooks removed, so it stops recording (and holding tensors) by itself.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from torch import nn

__all__ = [
    "AttributeMonitor",
    "BaseMonitor",
    "GradInputMonitor",
    "GradOutputMonitor",
    "InputMonitor",
    "OutputMonitor",
]

Instance = type | tuple[type, ...] | nn.Module | None


def identity(x: Any) -> Any:
    """The default ``function_on_*``: record values as they are."""
    return x


def unpack_single(x: Any) -> Any:
    """``x[0]`` for a tuple of length one, else ``x``."""
    return x[0] if isinstance(x, tuple) and len(x) == 1 else x


class BaseMonitor:
    """Records, their per-layer index, hooks, and the on/off switch every monitor shares.

    ``records`` is the list of recorded values; ``monitored_layers`` the names (as in
    ``net.named_modules()``, ``''`` for ``net`` itself) of the hooked layers;
    ``name_records_index[name]`` the positions in ``records`` that layer produced.
    """

    def __init__(self) -> None:
        self.hooks: list[Any] = []
        self.monitored_layers: list[str] = []
        self.records: list[Any] = []
        self.name_records_index: dict[str, list[int]] = {}
        self._enable = True

    def _attach(self, owner: str, net: nn.Module, instance: Instance, register: Callable) -> None:
        """Hook every module of ``net`` of type ``instance`` with ``register(module, hook)``."""
        if not isinstance(net, nn.Module):
            raise TypeError(f"{owner}: net must be a torch.nn.Module, got {type(net).__name__}.")
        types = _module_types(owner, net, instance)
        for name, module in net.named_modules():
            if isinstance(module, types):
                self.monitored_layers.append(name)
                self.name_records_index[name] = []
                self.hooks.append(register(module, self._hook(name)))
        if not self.monitored_layers:
            found = sorted({type(module).__name__ for module in net.modules()})
            wanted = ", ".join(t.__name__ for t in types)
            raise ValueError(
                f"{owner}: no layer of net is a {wanted}, so there is nothing to monitor; net holds "
                f"{', '.join(found)}. Pass instance= one of those types (e.g. instance=snnx.Leaky)."
            )

    def _hook(self, name: str) -> Callable:
        monitor = weakref.ref(self)

        def hook(module: nn.Module, *args: Any) -> None:
            owner = monitor()
            if owner is not None and owner.is_enable():
                value = owner._value(module, *args)
                owner.name_records_index[name].append(len(owner.records))
                owner.records.append(value)

        return hook

    def _value(self, module: nn.Module, *args: Any) -> Any:
        """The value to record from the hook's arguments."""
        raise NotImplementedError

    def __getitem__(self, key: int | slice | str) -> Any:
        """``records[key]`` for an index or slice; the list of one layer's records for its name."""
        if isinstance(key, (int, slice)):
            return self.records[key]
        if isinstance(key, str):
            if key not in self.name_records_index:
                raise KeyError(
                    f"{type(self).__name__}: layer {key!r} is not monitored; monitored layers: "
                    f"{', '.join(repr(name) for name in self.monitored_layers)}."
                )
            return [self.records[index] for index in self.name_records_index[key]]
        raise TypeError(
            f"{type(self).__name__} indices are record positions (int, slice) or layer names (str), "
            f"got {type(key).__name__}."
        )

    def clear_recorded_data(self) -> None:
        """Forget every record (the hooks stay)."""
        self.records.clear()
        for indices in self.name_records_index.values():
            indices.clear()

    def enable(self) -> None:
        """Record again after :meth:`disable`."""
        self._enable = True

    def disable(self) -> None:
        """Stop recording until :meth:`enable`; the hooks stay in place."""
        self._enable = False

    def is_enable(self) -> bool:
        """Whether the monitor records."""
        return self._enable

    def remove_hooks(self) -> None:
        """Detach the monitor from the network for good (the records stay)."""
        for handle in self.hooks:
            handle.remove()
        self.hooks.clear()

    def __del__(self) -> None:
        self.remove_hooks()


class OutputMonitor(BaseMonitor):
    """Records ``function_on_output(output)`` of every monitored layer after each call.

    ``instance`` is a module type or tuple of types (``None``: ``type(net)``); for a
    neuron that returns ``(spk, mem)`` the record is that tuple.
    """

    def __init__(
        self, net: nn.Module, instance: Instance = None, function_on_output: Callable = identity
    ) -> None:
        super().__init__()
        self.function_on_output = function_on_output
        self._attach("OutputMonitor", net, instance, lambda module, hook: module.register_forward_hook(hook))

    def _value(self, module: nn.Module, *args: Any) -> Any:
        return self.function_on_output(unpack_single(args[1]))


class InputMonitor(BaseMonitor):
    """Records ``function_on_input(inputs)`` of every monitored layer at each call.

    The positional inputs are recorded, unwrapped when there is only one.
    """

    def __init__(
        self, net: nn.Module, instance: Instance = None, function_on_input: Callable = identity
    ) -> None:
        super().__init__()
        self.function_on_input = function_on_input
        self._attach("InputMonitor", net, instance, lambda module, hook: module.register_forward_hook(hook))

    def _value(self, module: nn.Module, *args: Any) -> Any:
        return self.function_on_input(unpack_single(args[0]))


class AttributeMonitor(BaseMonitor):
    """Records ``function_on_attribute(layer.<attribute_name>)`` before or after each call.

    ``pre_forward=True`` records the value the layer starts the step from (e.g. the
    membrane potential before the update), ``False`` the value after the step.
    """

    def __init__(
        self,
        attribute_name: str,
        pre_forward: bool,
        net: nn.Module,
        instance: Instance = None,
        function_on_attribute: Callable = identity,
    ) -> None:
        super().__init__()
        if not isinstance(attribute_name, str):
            raise TypeError(
                f"AttributeMonitor: attribute_name must be a str, got {type(attribute_name).__name__}."
            )
        self.attribute_name = attribute_name
        self.function_on_attribute = function_on_attribute
        if pre_forward:
            self._attach(
                "AttributeMonitor", net, instance, lambda module, hook: module.register_forward_pre_hook(hook)
            )
        else:
            self._attach(
                "AttributeMonitor", net, instance, lambda module, hook: module.register_forward_hook(hook)
            )
        missing = [
            name for name in self.monitored_layers if not hasattr(net.get_submodule(name), attribute_name)
        ]
        if missing:
            self.remove_hooks()
            raise AttributeError(
                f"AttributeMonitor: layer(s) {', '.join(repr(name) for name in missing)} have no attribute "
                f"{attribute_name!r}; neuron states are named after the state (mem, syn, ...)."
            )

    def _value(self, module: nn.Module, *args: Any) -> Any:
        return self.function_on_attribute(getattr(module, self.attribute_name))


class GradInputMonitor(BaseMonitor):
    """Records ``function_on_grad_input(grad_input)`` of every monitored layer at each backward pass.

    ``grad_input`` holds the gradients of the loss with respect to the layer's
    positional tensor inputs (``None`` for inputs that need none).
    """

    def __init__(
        self, net: nn.Module, instance: Instance = None, function_on_grad_input: Callable = identity
    ) -> None:
        super().__init__()
        self.function_on_grad_input = function_on_grad_input
        self._attach(
            "GradInputMonitor", net, instance, lambda module, hook: module.register_full_backward_hook(hook)
        )

    def _value(self, module: nn.Module, *args: Any) -> Any:
        return self.function_on_grad_input(unpack_single(args[0]))


class GradOutputMonitor(BaseMonitor):
    """Records ``function_on_grad_output(grad_output)`` of every monitored layer at each backward pass.

    ``grad_output`` holds the gradients of the loss with respect to the layer's outputs.
    """

    def __init__(
        self, net: nn.Module, instance: Instance = None, function_on_grad_output: Callable = identity
    ) -> None:
        super().__init__()
        self.function_on_grad_output = function_on_grad_output
        self._attach(
            "GradOutputMonitor", net, instance, lambda module, hook: module.register_full_backward_hook(hook)
        )

    def _value(self, module: nn.Module, *args: Any) -> Any:
        return self.function_on_grad_output(unpack_single(args[1]))


def _module_types(owner: str, net: nn.Module, instance: Instance) -> tuple[type, ...]:
    """``instance`` as a tuple of module types (a module object stands for its type)."""
    if instance is None:
        return (type(net),)
    if isinstance(instance, nn.Module):
        return (type(instance),)
    types = instance if isinstance(instance, tuple) else (instance,)
    if not types or not all(isinstance(t, type) for t in types):
        raise TypeError(
            f"{owner}: instance must be a module type or a tuple of them (e.g. snnx.Leaky), got {instance!r}."
        )
    return types
