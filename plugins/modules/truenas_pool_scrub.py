#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_pool_scrub
short_description: Run pool scrubs and manage their schedule on TrueNAS SCALE
version_added: 0.2.0
description:
  - Start, pause or stop the scrub of a pool (O(action)), optionally waiting for a started scrub to finish.
  - Manage the pool's periodic scrub task - O(threshold), O(schedule), O(enabled) and O(description) - or delete it.
    TrueNAS keeps at most one scrub task per pool and creates one with its defaults for every new pool.
  - Works with TrueNAS SCALE 25.04, 25.10 and 26.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  pool:
    description:
      - Name of the pool.
    type: str
    required: true
  state:
    description:
      - V(present) creates the pool's scrub task (with the TrueNAS defaults for options not set) if it does not exist,
        and updates it to match the options given.
      - V(absent) deletes the scrub task; the pool is then only scrubbed on request.
    type: str
    choices: [present, absent]
    default: present
  action:
    description:
      - V(start) starts a scrub unless one is running (a paused scrub is resumed).
      - V(pause) pauses a running scrub; V(stop) cancels a running or paused one. Both do nothing when no scrub runs.
    type: str
    choices: [start, pause, stop]
  wait:
    description:
      - With O(action=start), wait until the scrub has finished (up to O(wait_timeout)). Without it the scrub carries
        on in the background and RV(job_id) names the TrueNAS job that follows it.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the scrub with O(wait=true).
    type: int
    default: 3600
  threshold:
    description:
      - Days that must pass since the last scrub before a scheduled run scrubs again. TrueNAS defaults to 35.
    type: int
  schedule:
    description:
      - When the task checks whether a scrub is due, in cron syntax. Only the keys given are managed; TrueNAS's default
        is Sunday at 00:00.
    type: dict
    suboptions:
      minute:
        description: Minutes of the hour (0-59).
        type: str
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
  enabled:
    description:
      - Whether the scheduled scrubs run.
    type: bool
  description:
    description:
      - Free-form description of the task.
    type: str
seealso:
  - module: nasops.truenas.truenas_pool
  - module: nasops.truenas.truenas_pool_info
"""

EXAMPLES = r"""
- name: Scrub the pool every Saturday at 03:00 when the last scrub is two weeks old
  nasops.truenas.truenas_pool_scrub:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    pool: tank
    threshold: 14
    schedule:
      minute: "0"
      hour: "3"
      dow: "6"

- name: Scrubs with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Scrub now and wait for the result
      nasops.truenas.truenas_pool_scrub:
        pool: tank
        action: start
        wait: true
        wait_timeout: 7200
      register: scrub

    - name: Show what the scrub found
      ansible.builtin.debug:
        msg: "{{ scrub.scrub.scan.errors }} errors"

    - name: Start a scrub of the backup pool in the background
      nasops.truenas.truenas_pool_scrub:
        pool: backup
        action: start

    - name: Stop it again
      nasops.truenas.truenas_pool_scrub:
        pool: backup
        action: stop
"""

RETURN = r"""
scrub:
  description:
    - The pool's scrub task and the pool's last or current scan, with option names.
    - In check mode, the predicted values. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the scrub task.
      type: int
      sample: 1
    pool:
      description: Pool name.
      type: str
      sample: tank
    threshold:
      description: Days between scheduled scrubs.
      type: int
      sample: 35
    description:
      description: Description of the task.
      type: str
      sample: ""
    schedule:
      description: Cron schedule (minute, hour, dom, month, dow).
      type: dict
      sample: {minute: "00", hour: "00", dom: "*", month: "*", dow: "7"}
    enabled:
      description: Whether scheduled scrubs run.
      type: bool
      sample: true
    scan:
      description:
        - The pool's last or current scrub or resilver (every value null when the pool was never scanned).
      type: dict
      contains:
        function:
          description: V(SCRUB) or V(RESILVER).
          type: str
        state:
          description: V(SCANNING), V(FINISHED) or V(CANCELED).
          type: str
        percentage:
          description: Progress in percent.
          type: float
        errors:
          description: Errors found.
          type: int
        paused:
          description: Whether the scrub is paused.
          type: bool
        start_time:
          description: Start, ISO-8601.
          type: str
        end_time:
          description: End, ISO-8601.
          type: str
job_id:
  description: Id of the TrueNAS job following a scrub started without O(wait).
  returned: when a scrub was started without waiting
  type: int
  sample: 42
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
from ansible_collections.nasops.truenas.plugins.module_utils._module import TrueNASModule
from ansible_collections.nasops.truenas.plugins.module_utils._resources.scrub import ACTIONS, SCHEDULE_KEYS, ScrubResource


def argument_spec():
    return dict(
        pool=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        action=dict(type="str", choices=list(ACTIONS)),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=3600),
        threshold=dict(type="int"),
        schedule=dict(type="dict", options=dict((key, dict(type="str")) for key in SCHEDULE_KEYS)),
        enabled=dict(type="bool"),
        description=dict(type="str"),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(ScrubResource)


if __name__ == "__main__":
    main()
