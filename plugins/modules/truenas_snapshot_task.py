#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_snapshot_task
short_description: Manage periodic snapshot tasks on TrueNAS SCALE
version_added: 0.2.0
description:
  - Create, update and delete periodic snapshot tasks (C(pool.snapshottask)) on TrueNAS SCALE 25.04, 25.10 and 26.
  - A task is identified by its O(dataset) and O(naming_schema). Options that are not set are left as they are on an
    existing task; a new task gets the TrueNAS defaults for them.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  dataset:
    description:
      - Dataset to snapshot, such as V(tank/vms). A leading C(/mnt/) is removed. The dataset must exist.
    type: str
    required: true
  naming_schema:
    description:
      - Name pattern of the snapshots the task takes, in C(strftime) syntax. It must contain C(%Y), C(%m), C(%d), C(%H)
        and C(%M), and only characters allowed in snapshot names.
      - Together with O(dataset) it identifies the task.
    type: str
    default: auto-%Y-%m-%d_%H-%M
  state:
    description:
      - V(present) creates the task or updates it to match the options given.
      - V(absent) deletes the task if it exists. Snapshots it already took are kept.
    type: str
    choices: [present, absent]
    default: present
  recursive:
    description:
      - Also snapshot every child dataset. TrueNAS creates new tasks non-recursive by default.
    type: bool
  exclude:
    description:
      - Child datasets to leave out of a recursive task, such as V(tank/vms/scratch). Order does not matter.
      - Needs O(recursive=true); each entry must be a descendant of O(dataset).
    type: list
    elements: str
  lifetime_value:
    description:
      - How many O(lifetime_unit)s a snapshot is kept (1 or more). TrueNAS defaults to 2.
    type: int
  lifetime_unit:
    description:
      - Unit of O(lifetime_value). TrueNAS defaults to V(WEEK).
    type: str
    choices: [HOUR, DAY, WEEK, MONTH, YEAR]
  schedule:
    description:
      - When snapshots are taken, in cron syntax (C(*), numbers, ranges C(1-5), lists C(1,15), steps C(*/15)).
      - Only the keys given are managed; TrueNAS fills the others of a new task with its defaults (every hour at
        minute 00, all day).
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
      begin:
        description: Start of the daily window in which snapshots are taken, C(HH:MM).
        type: str
      end:
        description: End of the daily window in which snapshots are taken, C(HH:MM).
        type: str
  allow_empty:
    description:
      - Take snapshots even when nothing changed since the last one. TrueNAS defaults to V(true).
    type: bool
  enabled:
    description:
      - Whether the task runs. TrueNAS enables new tasks by default.
      - TrueNAS refuses to disable a task that an enabled replication task uses.
    type: bool
notes:
  - The same module works on TrueNAS 25.04, 25.10 and 26; the task has the same shape in all of them.
seealso:
  - module: nasops.truenas.truenas_snapshot
  - module: nasops.truenas.truenas_dataset
"""

EXAMPLES = r"""
- name: Hourly snapshots of the VM datasets, kept for two weeks
  nasops.truenas.truenas_snapshot_task:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    dataset: tank/vms
    recursive: true
    exclude:
      - tank/vms/scratch
    lifetime_value: 2
    lifetime_unit: WEEK
    schedule:
      minute: "0"
      hour: "*"

- name: Manage several tasks with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Nightly snapshots of the media library during the week
      nasops.truenas.truenas_snapshot_task:
        dataset: tank/media
        naming_schema: nightly-%Y%m%d-%H%M
        lifetime_value: 30
        lifetime_unit: DAY
        allow_empty: false
        schedule:
          minute: "30"
          hour: "2"
          dow: "1-5"

    - name: Pause a task without deleting it
      nasops.truenas.truenas_snapshot_task:
        dataset: tank/media
        naming_schema: nightly-%Y%m%d-%H%M
        enabled: false

    - name: Remove the default-named task of a dataset
      nasops.truenas.truenas_snapshot_task:
        dataset: tank/old
        state: absent
"""

RETURN = r"""
snapshot_task:
  description:
    - The task as TrueNAS reports it after the run, with option names.
    - In check mode, the predicted task. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the task. Not present in check mode when the task would be created.
      type: int
      sample: 4
    dataset:
      description: Dataset snapshotted.
      type: str
      sample: tank/vms
    naming_schema:
      description: Name pattern of the snapshots.
      type: str
      sample: auto-%Y-%m-%d_%H-%M
    recursive:
      description: Whether child datasets are included.
      type: bool
      sample: true
    exclude:
      description: Child datasets left out.
      type: list
      elements: str
      sample: [tank/vms/scratch]
    lifetime_value:
      description: How many units snapshots are kept.
      type: int
      sample: 2
    lifetime_unit:
      description: Unit of the lifetime.
      type: str
      sample: WEEK
    schedule:
      description: Cron schedule with every key (minute, hour, dom, month, dow, begin, end).
      type: dict
      sample: {minute: "0", hour: "*", dom: "*", month: "*", dow: "*", begin: "00:00", end: "23:59"}
    allow_empty:
      description: Whether snapshots are taken when nothing changed.
      type: bool
      sample: true
    enabled:
      description: Whether the task runs.
      type: bool
      sample: true
    vmware_sync:
      description: Whether VMware virtual machines are synced before each snapshot.
      type: bool
      sample: false
    state:
      description: State of the task as the replication engine reports it.
      type: dict
      sample: {state: PENDING}
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.snapshot_task import (
    DEFAULT_NAMING_SCHEMA,
    LIFETIME_UNITS,
    SnapshotTaskResource,
)


def argument_spec():
    schedule = dict((key, dict(type="str")) for key in ("minute", "hour", "dom", "month", "dow", "begin", "end"))
    return dict(
        dataset=dict(type="str", required=True),
        naming_schema=dict(type="str", default=DEFAULT_NAMING_SCHEMA),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        recursive=dict(type="bool"),
        exclude=dict(type="list", elements="str"),
        lifetime_value=dict(type="int"),
        lifetime_unit=dict(type="str", choices=list(LIFETIME_UNITS)),
        schedule=dict(type="dict", options=schedule),
        allow_empty=dict(type="bool"),
        enabled=dict(type="bool"),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(SnapshotTaskResource)


if __name__ == "__main__":
    main()
