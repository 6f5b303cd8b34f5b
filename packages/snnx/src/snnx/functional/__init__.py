"""snnTorch's ``functional``: SNN losses, accuracy, regularisers, quantisation, monitors, STDP.

``from snnx import functional as SF`` gives the losses (``SF.ce_rate_loss()``...),
accuracy functions and regularisers at the top level, as snnTorch does, and the
submodules ``loss``, ``acc``, ``reg``, ``quant``, ``probe`` and ``stdp_learner``.
Losses, accuracy, regularisers and quantisation are written once over the array
operations of whichever backend owns the data; monitors and STDP learners hook
into a framework's modules and come from the backend in use.
"""
