"""Speed and memory benchmarks of snnx against the floor and peer libraries (``nox -s bench``).

``python -m benchmarks --help`` lists the options. Modules: :mod:`~benchmarks.workloads`
(the networks and data), :mod:`~benchmarks.implementations` and :mod:`~benchmarks.peers`
(each library's way to run a workload), :mod:`~benchmarks.timing` (round-robin timing,
median and IQR), :mod:`~benchmarks.memory` (bytes saved for backward) and
:mod:`~benchmarks.report` (the table and the machine).
"""
