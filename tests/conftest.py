"""Shared pytest configuration: the simulator fixtures (see tests/simulator/pytest_plugin.py), and a
private runtime and configuration directory for the whole run.

Every module run and playbook of the tests uses the session broker as users get it; its sockets go
to a temporary ``XDG_RUNTIME_DIR`` of this run, and ``XDG_CONFIG_HOME`` points at an empty
directory so that no credentials file of the user running the tests is read. Removing the
directory at the end makes every broker of the run exit within a second.
"""
pytest_plugins = ["tests.simulator.pytest_plugin"]

import os
import shutil
import tempfile

import pytest

_RUN_DIR = tempfile.mkdtemp(prefix="nasops-tests-")
os.environ["XDG_RUNTIME_DIR"] = os.path.join(_RUN_DIR, "run")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_RUN_DIR, "config")
os.makedirs(os.environ["XDG_RUNTIME_DIR"], mode=0o700)
os.makedirs(os.environ["XDG_CONFIG_HOME"], mode=0o700)
for _name in ("TRUENAS_CONFIG", "TRUENAS_PROFILE"):
    os.environ.pop(_name, None)


def pytest_unconfigure(config):
    shutil.rmtree(_RUN_DIR, ignore_errors=True)


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
