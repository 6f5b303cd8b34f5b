"""``python -m benchmarks``: run the benchmarks and print the report."""

from benchmarks.cli import main

raise SystemExit(main())
