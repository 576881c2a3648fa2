"""Benchmark of nasops.truenas against the TrueNAS simulator (``make bench``, ``python -m tests.bench``).

``harness`` starts simulators as subprocesses and runs modules and playbooks of the collection
against them; the reliability tests in ``tests/integration/reliability`` reuse it. ``scenarios``
holds the measurements, ``report`` the table, ``bench-results.json`` and ``docs/performance.md``.
"""
