# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EXAMPLES of a module as ``(name, module args)`` steps, to run them against the simulator.

Blocks are flattened; the connection options of the examples (``host``, ``username``,
``api_key``, ...) are dropped, so the test's own connection is used.
"""
import importlib

import yaml

CONNECTION = ("host", "url", "port", "username", "password", "api_key", "otp_token", "validate_certs", "ca_path",
              "timeout")


def _steps(tasks, fqcn):
    for task in tasks:
        if "block" in task:
            yield from _steps(task["block"], fqcn)
        elif fqcn in task:
            args = dict((k, v) for k, v in (task[fqcn] or {}).items() if k not in CONNECTION)
            yield task.get("name"), args, bool(task.get("check_mode"))


def example_steps(module):
    """``[(task name, args, check_mode)]`` of the module's EXAMPLES, in order."""
    source = importlib.import_module("ansible_collections.nasops.truenas.plugins.modules.%s" % module)
    return list(_steps(yaml.safe_load(source.EXAMPLES), "nasops.truenas.%s" % module))
