#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_snapshot
short_description: Manage ZFS snapshots on TrueNAS SCALE, roll back to them and clone them
version_added: 0.1.0
description:
  - Create and delete ZFS snapshots on TrueNAS SCALE 25.04, 25.10 and 26, roll a dataset back to a snapshot and
    clone a snapshot into a new dataset.
  - The module uses the snapshot API of the server's version, C(zfs.snapshot) on TrueNAS 25.04 and
    C(pool.snapshot) from 25.10 on.
  - Rollback and clone are idempotent. A clone that already exists with this snapshot as its origin is no change.
    A rollback is a change only when the dataset has changed since the snapshot was taken (see O(rollback)).
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  name:
    description:
      - The snapshot, as V(dataset@snapshot) such as V(tank/apps@before-upgrade), or only the snapshot part when
        O(dataset) is set.
      - Snapshot names may hold letters, digits, space and C(_ - . :).
    type: str
    required: true
  dataset:
    description:
      - Dataset of the snapshot, when O(name) holds only the snapshot part. If O(name) has a dataset part too, both
        must agree.
    type: str
  state:
    description:
      - V(present) creates the snapshot when it does not exist.
      - V(absent) deletes the snapshot if it exists.
    type: str
    choices: [present, absent]
    default: present
  recursive:
    description:
      - When creating, also snapshot every child dataset (with the same snapshot name, atomically).
      - When deleting, also delete the snapshots of that name on child datasets.
      - With O(rollback), also roll back the child datasets that have a snapshot of that name.
      - An existing snapshot counts as present whether or not its children have one.
    type: bool
    default: false
  rollback:
    description:
      - Roll the dataset back to this snapshot. Data written after the snapshot is lost.
      - This is a change only when the dataset has snapshots newer than this one, or when the data of the dataset
        itself (C(usedbydataset)) differs from what the snapshot references (C(referenced)), meaning data was written
        or removed since the snapshot. A write that leaves the size exactly the same is not noticed.
      - Rolling back to a snapshot that is not the newest destroys the newer ones, and needs O(destroy_newer=true).
      - A snapshot the module has just created is the newest, so rolling back to it is no change.
    type: bool
    default: false
  destroy_newer:
    description:
      - Allow O(rollback) to destroy snapshots newer than this one. Clones of those snapshots are never destroyed;
        TrueNAS refuses the rollback instead.
    type: bool
    default: false
  defer:
    description:
      - With O(state=absent), delete the snapshot even when it has clones or holds, the way C(zfs destroy -d)
        does. A snapshot without clones or holds is deleted at once; one with them is marked for deferred
        destruction and TrueNAS deletes it when its last clone and hold are gone. A snapshot already marked counts
        as absent.
      - Without it, TrueNAS refuses to delete a snapshot that has clones, and the module fails naming this option.
    type: bool
    default: false
  clone_to:
    description:
      - Full name of a dataset to create as a clone of this snapshot, in the same pool, such as V(tank/apps-test).
      - No change when that dataset exists and is a clone of this snapshot; an error when it exists otherwise.
    type: str
notes:
  - An unchanged run without O(rollback) or O(clone_to) costs one query of the snapshot.
seealso:
  - module: nasops.truenas.truenas_dataset
  - module: nasops.truenas.truenas_dataset_info
"""

EXAMPLES = r"""
- name: Snapshot a dataset and its children before an upgrade
  nasops.truenas.truenas_snapshot:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    name: tank/apps@before-upgrade
    recursive: true

- name: Work on snapshots with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Clone the snapshot to test the upgrade on a copy
      nasops.truenas.truenas_snapshot:
        dataset: tank/apps
        name: before-upgrade
        clone_to: tank/apps-test

    - name: The upgrade failed, go back
      nasops.truenas.truenas_snapshot:
        name: tank/apps@before-upgrade
        rollback: true
        destroy_newer: true

    - name: Remove the snapshot from the dataset and its children; it has a clone, so defer it
      nasops.truenas.truenas_snapshot:
        name: tank/apps@before-upgrade
        recursive: true
        defer: true
        state: absent
"""

RETURN = r"""
snapshot:
  description:
    - The snapshot as TrueNAS reports it after the run; sizes are in bytes.
    - In check mode, the predicted snapshot. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the snapshot (its full name). Not present in check mode when it would be created.
      type: str
      sample: tank/apps@before-upgrade
    name:
      description: Full name of the snapshot.
      type: str
      sample: tank/apps@before-upgrade
    dataset:
      description: Dataset of the snapshot.
      type: str
      sample: tank/apps
    snapshot_name:
      description: The part of the name after C(@).
      type: str
      sample: before-upgrade
    pool:
      description: Pool of the snapshot.
      type: str
      sample: tank
    createtxg:
      description: ZFS transaction group in which the snapshot was taken.
      type: int
      sample: 1234
    creation:
      description: Creation time, ISO-8601 (UTC).
      type: str
      sample: "2025-10-01T12:00:00+00:00"
    used:
      description: Space used only by this snapshot, in bytes.
      type: int
      sample: 0
    referenced:
      description: Data the snapshot references, in bytes.
      type: int
      sample: 98304
    written:
      description: Data written between the previous snapshot and this one, in bytes.
      type: int
      sample: 98304
    clones:
      description: Datasets cloned from this snapshot.
      type: list
      elements: str
      sample: [tank/apps-test]
    holds:
      description: Number of holds on the snapshot.
      type: int
      sample: 0
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.snapshot import SnapshotResource


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        dataset=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        recursive=dict(type="bool", default=False),
        rollback=dict(type="bool", default=False),
        destroy_newer=dict(type="bool", default=False),
        clone_to=dict(type="str"),
        defer=dict(type="bool", default=False),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(SnapshotResource)


if __name__ == "__main__":
    main()
