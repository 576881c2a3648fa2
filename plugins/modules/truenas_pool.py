#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_pool
short_description: Create, expand, export and destroy storage pools on TrueNAS SCALE
version_added: 0.2.0
description:
  - Create a ZFS pool from disks with a vdev O(topology), optionally encrypted; add vdevs to an existing pool when
    O(expand=true); set O(autotrim) and O(comments); export or destroy a pool (O(state=absent)) behind an explicit
    guard.
  - Works with TrueNAS SCALE 25.04, 25.10 and 26. A pool is identified by its O(name).
  - Every disk is checked before anything changes - found by name or serial, not in use by another pool, listed once,
    and of one size within a vdev - as are the vdev rules of TrueNAS (minimum disks per type, one type for all data
    vdevs, one log and one cache vdev).
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
attributes:
  check_mode:
    support: full
    details:
      - Disks and the topology are checked against the server in check mode too; sizes of a new pool are only known
        once it exists.
options:
  name:
    description:
      - Name of the pool. It starts with a letter and holds letters, digits and C(_ - . :) (50 characters at most).
    type: str
    required: true
  state:
    description:
      - V(present) creates the pool, or makes an existing pool match O(autotrim), O(comments) and (with O(expand))
        O(topology).
      - V(absent) exports the pool, or with O(destroy=true) destroys it. Both need O(destroy) set explicitly and
        O(confirm_name) equal to O(name).
    type: str
    choices: [present, absent]
    default: present
  topology:
    description:
      - The vdevs of the pool, by class. Required to create a pool.
      - Disks are given by device name (V(sda), V(nvme0n1)) or serial number; the module resolves serials to names.
      - On an existing pool, vdevs listed here that the pool lacks are added only with O(expand=true); otherwise the
        module fails and names them. Vdevs of the pool that are not listed are left alone.
      - A vdev already in the pool cannot be changed (TrueNAS can only add whole vdevs).
    type: dict
    suboptions:
      data:
        description:
          - Data vdevs, all of one type. Types and their minimum disks - V(STRIPE) 1, V(MIRROR) 2, V(RAIDZ1) 3,
            V(RAIDZ2) 4, V(RAIDZ3) 5, V(DRAID1) 2, V(DRAID2) 3, V(DRAID3) 4.
          - A V(STRIPE) vdev is one single-disk vdev per disk (no redundancy).
        type: list
        elements: dict
        suboptions:
          type:
            description: Vdev type (case-insensitive).
            type: str
            required: true
          disks:
            description: Disks of the vdev, by name or serial.
            type: list
            elements: str
            required: true
          draid_data_disks:
            description: Data disks per redundancy group of a dRAID vdev (TrueNAS chooses when not set).
            type: int
          draid_spare_disks:
            description: Distributed spares of a dRAID vdev.
            type: int
      special:
        description: Metadata (special allocation class) vdevs, V(STRIPE) or V(MIRROR).
        type: list
        elements: dict
        suboptions:
          type:
            description: V(STRIPE) or V(MIRROR).
            type: str
            required: true
          disks:
            description: Disks of the vdev.
            type: list
            elements: str
            required: true
      dedup:
        description: Deduplication table vdevs, V(STRIPE) or V(MIRROR), all of one type.
        type: list
        elements: dict
        suboptions:
          type:
            description: V(STRIPE) or V(MIRROR).
            type: str
            required: true
          disks:
            description: Disks of the vdev.
            type: list
            elements: str
            required: true
      log:
        description: The intent log (SLOG) vdev, V(STRIPE) or V(MIRROR); at most one.
        type: list
        elements: dict
        suboptions:
          type:
            description: V(STRIPE) or V(MIRROR).
            type: str
            required: true
          disks:
            description: Disks of the vdev.
            type: list
            elements: str
            required: true
      cache:
        description: The L2ARC cache vdev, always V(STRIPE); at most one.
        type: list
        elements: dict
        suboptions:
          type:
            description: V(STRIPE).
            type: str
            default: STRIPE
          disks:
            description: Disks of the vdev.
            type: list
            elements: str
            required: true
      spare:
        description: Hot spare disks. TrueNAS refuses a spare smaller than the smallest data disk.
        type: list
        elements: str
  expand:
    description:
      - Add the vdevs of O(topology) that the existing pool lacks. Adding vdevs cannot be undone.
    type: bool
    default: false
  allow_mixed_sizes:
    description:
      - Accept disks of different sizes in one vdev; every disk of the vdev then only uses the size of the smallest.
    type: bool
    default: false
  encryption:
    description:
      - Encrypt the pool's root dataset. Only used when the pool is created; a different value on an existing pool
        fails.
      - Without O(encryption_passphrase) or O(encryption_key), TrueNAS generates a key (download it from TrueNAS and
        keep it safe).
    type: bool
  encryption_passphrase:
    description:
      - Passphrase of an encrypted pool (8 characters or more). Only used when the pool is created.
    type: str
  encryption_key:
    description:
      - Hex-encoded 256-bit key (64 characters) of an encrypted pool. Only used when the pool is created.
    type: str
  autotrim:
    description:
      - Let ZFS TRIM freed blocks automatically (for SSDs). TrueNAS creates pools with autotrim off.
    type: bool
  comments:
    description:
      - Description of the pool, kept on its root dataset. An empty string removes it.
    type: str
  destroy:
    description:
      - With O(state=absent), required. V(true) destroys the pool and every dataset, zvol and snapshot in it;
        this cannot be undone. V(false) exports the pool; the data stays on the disks and the pool can be imported
        again.
    type: bool
  confirm_name:
    description:
      - With O(state=absent), required and equal to O(name), so that removing a pool is never one typo away.
    type: str
  cascade:
    description:
      - With O(state=absent), delete the shares and tasks that use the pool. Without it TrueNAS disables them (and
        enables them again when the pool is imported).
    type: bool
    default: false
notes:
  - Creating and expanding a pool are TrueNAS jobs; the module waits for them up to the connection O(timeout) (raise
    it for pools of many disks) and writes their progress to the module's debug log.
  - TrueNAS 26 also refuses dRAID special vdevs and a non-redundant special vdev when the data vdevs are redundant;
    that check is left to the server.
seealso:
  - module: nasops.truenas.truenas_pool_info
  - module: nasops.truenas.truenas_disk_info
  - module: nasops.truenas.truenas_pool_scrub
"""

EXAMPLES = r"""
- name: Create a mirrored pool with a hot spare
  nasops.truenas.truenas_pool:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    name: fast
    topology:
      data:
        - type: MIRROR
          disks: [sdg, sdh]
      spare: [ZR5BX0000009]
    autotrim: true
    comments: SSD pool for VMs

- name: Manage pools with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Add a log device to the pool (expand)
      nasops.truenas.truenas_pool:
        name: fast
        topology:
          data:
            - type: MIRROR
              disks: [sdg, sdh]
          log:
            - type: STRIPE
              disks: [nvme0n1]
        expand: true

    - name: Export the pool, keeping its data
      nasops.truenas.truenas_pool:
        name: fast
        state: absent
        destroy: false
        confirm_name: fast

    - name: Create an encrypted single-disk pool with a passphrase
      nasops.truenas.truenas_pool:
        name: vault
        topology:
          data:
            - type: STRIPE
              disks: [sdf]
        encryption: true
        encryption_passphrase: correct-horse-battery
      no_log: true

    - name: Destroy it with all its data
      nasops.truenas.truenas_pool:
        name: vault
        state: absent
        destroy: true
        confirm_name: vault
"""

RETURN = r"""
pool:
  description:
    - The pool as TrueNAS reports it after the run, with option names.
    - In check mode, the predicted pool. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the pool. Not present in check mode when the pool would be created.
      type: int
      sample: 3
    name:
      description: Pool name.
      type: str
      sample: fast
    guid:
      description: ZFS GUID of the pool.
      type: str
      sample: "11935234569182617823"
    status:
      description: Pool status (ONLINE, DEGRADED, ...).
      type: str
      sample: ONLINE
    healthy:
      description: Whether TrueNAS considers the pool healthy.
      type: bool
      sample: true
    path:
      description: Mount point.
      type: str
      sample: /mnt/fast
    size:
      description: Raw size in bytes.
      type: int
      sample: 3998639390720
    allocated:
      description: Allocated bytes.
      type: int
      sample: 1257472
    free:
      description: Free bytes.
      type: int
      sample: 3998638133248
    topology:
      description: Vdevs by class (data, special, dedup, log, cache as lists of type and disks; spare as disk names).
      type: dict
      sample: {data: [{type: MIRROR, disks: [sdg, sdh]}], special: [], dedup: [], log: [], cache: [], spare: [sdi]}
    disks:
      description: Every disk of the pool.
      type: list
      elements: str
      sample: [sdg, sdh, sdi]
    encryption:
      description: Whether the root dataset is encrypted.
      type: bool
      sample: false
    autotrim:
      description: Whether autotrim is on.
      type: bool
      sample: true
    comments:
      description: Description kept on the root dataset.
      type: str
      sample: SSD pool for VMs
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.pool_config import PoolConfigResource


def argument_spec():
    def vdevs(default_type=None):
        type_spec = dict(type="str", default=default_type) if default_type else dict(type="str", required=True)
        return dict(type="list", elements="dict", options=dict(
            type=type_spec, disks=dict(type="list", elements="str", required=True)))

    data = vdevs()
    data["options"].update(draid_data_disks=dict(type="int"), draid_spare_disks=dict(type="int"))
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        topology=dict(type="dict", options=dict(
            data=data, special=vdevs(), dedup=vdevs(), log=vdevs(), cache=vdevs("STRIPE"),
            spare=dict(type="list", elements="str"))),
        expand=dict(type="bool", default=False),
        allow_mixed_sizes=dict(type="bool", default=False),
        encryption=dict(type="bool"),
        encryption_passphrase=dict(type="str", no_log=True),
        encryption_key=dict(type="str", no_log=True),
        autotrim=dict(type="bool"),
        comments=dict(type="str"),
        destroy=dict(type="bool"),
        confirm_name=dict(type="str"),
        cascade=dict(type="bool", default=False),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[("encryption_passphrase", "encryption_key")])
    module.run_resource(PoolConfigResource)


if __name__ == "__main__":
    main()
