"""Shared pytest configuration: the simulator fixtures (see tests/simulator/pytest_plugin.py)."""
pytest_plugins = ["tests.simulator.pytest_plugin"]
