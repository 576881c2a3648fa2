#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_smart_test
short_description: Run SMART self-tests and manage their schedules on TrueNAS SCALE 25.04
version_added: 0.2.0
description:
  - Run SMART self-tests on disks now, optionally waiting for their results (the wait follows the duration each disk
    estimates for its test).
  - Or, with O(schedule), O(description) or O(state=absent), manage a periodic SMART test task instead.
  - TrueNAS removed SMART from its public API in 25.10. On TrueNAS 25.10 and later the module fails before any SMART
    call with a message naming the release.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
attributes:
  idempotent:
    support: partial
    details:
      - Starting a test is an action and a change. A disk that already runs a self-test is not started again (TrueNAS
        refuses that); the module follows the running test instead, as no change. Periodic test tasks are idempotent.
options:
  disks:
    description:
      - Disks to test, by name (V(sda)) or serial number, or V([all]) for every disk TrueNAS can test.
      - For a periodic task, the disks (with O(type)) identify the task.
    type: list
    elements: str
    required: true
  type:
    description:
      - Kind of self-test.
    type: str
    choices: [SHORT, LONG, CONVEYANCE, OFFLINE]
    default: SHORT
  wait:
    description:
      - Wait until the tests have finished and return their results in RV(smart_test.tests[].result).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true). By default the longest duration the disks estimate for their tests, plus
        10 % and a minute.
    type: int
  include_attributes:
    description:
      - Also return the SMART attributes of each tested disk.
    type: bool
    default: false
  schedule:
    description:
      - Manage a periodic test task running at these times (cron syntax; tests start on the hour). Only the keys given
        are managed; TrueNAS fills the others of a new task with C(*).
    type: dict
    suboptions:
      hour:
        description: Hours of the day (0-23).
        type: str
      dom:
        description: Days of the month (1-31).
        type: str
      month:
        description: Months (1-12 or jan-dec).
        type: str
      dow:
        description: Days of the week (0-7 or sun-sat; 0 and 7 are Sunday).
        type: str
  description:
    description:
      - Description of the periodic task (this also selects managing the task).
    type: str
  state:
    description:
      - For a periodic task, V(present) creates or updates it, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - TrueNAS runs one test of a type per disk in its schedules; it refuses a task whose disks already have a task of
    the same type.
seealso:
  - module: nasops.truenas.truenas_disk_info
  - module: nasops.truenas.truenas_pool_scrub
"""

EXAMPLES = r"""
- name: Short test of two disks, waiting for the results
  nasops.truenas.truenas_smart_test:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    disks: [sda, WD-WCC4E0000002]
    type: SHORT
    wait: true
  register: smart

- name: SMART with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Start a long test of every disk in the background
      nasops.truenas.truenas_smart_test:
        disks: [all]
        type: LONG

    - name: Weekly short test of the data disks, Sunday 03:00
      nasops.truenas.truenas_smart_test:
        disks: [sda, sdb, sdc, sdd]
        type: SHORT
        schedule:
          hour: "3"
          dow: "0"
        description: weekly short test

    - name: Remove that schedule
      nasops.truenas.truenas_smart_test:
        disks: [sda, sdb, sdc, sdd]
        type: SHORT
        state: absent
"""

RETURN = r"""
smart_test:
  description:
    - Tests run now - O(type), RV(smart_test.tests) and, with O(wait), RV(smart_test.passed).
    - For a periodic task, the task (C(id), C(type), C(disks), C(schedule), C(description)); empty after
      O(state=absent).
  returned: always
  type: dict
  contains:
    type:
      description: Kind of self-test.
      type: str
      sample: SHORT
    tests:
      description: One entry per disk tested.
      returned: when tests were run
      type: list
      elements: dict
      contains:
        disk:
          description: Disk name.
          type: str
          sample: sda
        identifier:
          description: TrueNAS disk identifier.
          type: str
          sample: "{serial}WD-WCC4E0000001"
        expected_result_time:
          description: When the disk expects the test to end, ISO-8601 (null in check mode).
          type: str
        job_id:
          description: TrueNAS job following the test (null for a test that was already running).
          type: int
        already_running:
          description: The disk was already running a self-test, which the module followed instead of starting one.
          type: bool
          sample: false
        result:
          description: The finished test (description, status, status_verbose, lifetime, lba_of_first_error), with
            O(wait).
          type: dict
        attributes:
          description: SMART attributes, with O(include_attributes).
          type: list
          elements: dict
    passed:
      description: With O(wait), whether every test succeeded.
      type: bool
      returned: when O(wait=true)
broker_fallback:
  description:
    - Why the session broker could not be used, so that the module connected to TrueNAS directly.
    - Only present then; the module works the same way either way.
  returned: when the session broker could not be used
  type: str
  sample: "the directory /run/user/1000/nasops.truenas has mode 0777: other users may use it (it must be 0700)"
"""

# First: the module_utils imported after it load through the compiled-code cache (faster start-up).
from ansible_collections.nasops.truenas.plugins.module_utils import _codecache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError
from ansible_collections.nasops.truenas.plugins.module_utils._module import TrueNASModule
from ansible_collections.nasops.truenas.plugins.module_utils._resources.smart import (
    SCHEDULE_KEYS,
    TYPES,
    SmartScheduleResource,
    SmartTestRun,
)


def argument_spec():
    return dict(
        disks=dict(type="list", elements="str", required=True),
        type=dict(type="str", default="SHORT", choices=list(TYPES)),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int"),
        include_attributes=dict(type="bool", default=False),
        schedule=dict(type="dict", options=dict((key, dict(type="str")) for key in SCHEDULE_KEYS)),
        description=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[("schedule", "wait"), ("description", "wait")])
    params = module.params
    if params["schedule"] is not None or params["description"] is not None or params["state"] == "absent":
        module.run_resource(SmartScheduleResource)
    run = SmartTestRun()
    try:
        changed, value = run.run(module.client, params, module.check_mode)
    except (OptionError, TrueNASError) as exc:
        module.fail_from_error(exc, action=run.action, changed=run.changed)
    module.exit_result(changed, "smart_test", value)


if __name__ == "__main__":
    main()
