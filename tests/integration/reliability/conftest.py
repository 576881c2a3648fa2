# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the reliability tests: simulators in their own processes (``tests.bench.harness``),
module and playbook runners bound to them, and the call log grouped by connection.

``simulator(**options)``
    A started ``harness.Simulator`` (subprocess, ``--test-hooks``, TLS, rate limit off, idle drop
    off unless asked), stopped after the test. Options as for ``harness.Simulator``.
``module_run(sim, name, args, **kw)`` / ``playbook_run(sim, path, **kw)``
    ``harness.run_module`` / ``harness.run_playbook`` against ``sim``, in the test's directory.
``module_quick(sim, name, args, **kw)``
    The module's ``main()`` in this process (``harness.run_module_quick``): the same code path
    without the interpreter start-up of a module subprocess.
"""

import pytest

from tests.bench import harness

harness.ensure_collection_importable()


@pytest.fixture
def simulator(tmp_path):
    started = []

    def start(**options):
        sim = harness.Simulator(str(tmp_path / ("sim%d" % len(started))), **options)
        started.append(sim)
        return sim.start()

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def module_run(tmp_path):
    def run(sim, name, args, **kwargs):
        return harness.run_module(name, args, sim.env(), str(tmp_path), **kwargs)

    return run


@pytest.fixture
def module_quick():
    return harness.run_module_quick


@pytest.fixture
def playbook_run(tmp_path):
    def run(sim, path, **kwargs):
        return harness.run_playbook(str(path), sim.env(), str(tmp_path), **kwargs)

    return run
