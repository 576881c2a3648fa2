"""Shared pytest configuration: the simulator fixtures (see tests/simulator/pytest_plugin.py)."""
pytest_plugins = ["tests.simulator.pytest_plugin"]

import pytest

try:
    from ansible.module_utils import _internal as _module_utils_internal
except ImportError:  # ansible-core before data tagging
    _module_utils_internal = None


@pytest.fixture(autouse=True)
def _module_process(monkeypatch):
    """Run every test as a module process unless it says otherwise.

    Importing controller code (plugins, InventoryData) marks the whole process as the Ansible
    controller (ansible-core 2.19+), after which AnsibleModule hands warnings to the controller's
    display instead of returning them. Tests of controller plugins set the mark themselves.
    """
    if _module_utils_internal is not None and hasattr(_module_utils_internal, "is_controller"):
        monkeypatch.setattr(_module_utils_internal, "is_controller", False)
