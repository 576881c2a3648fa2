#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_pool_info
short_description: Read storage pools of TrueNAS SCALE
version_added: 0.1.0
description:
  - Return the storage pools of TrueNAS SCALE 25.04, 25.10 and 26, with health, capacity, the last scrub or resilver
    and the vdev layout with its disks.
  - The boot pool is not listed (TrueNAS does not report it here).
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes.info_module
  - nasops.truenas.attributes.actiongroup
options:
  name:
    description:
      - Names of the pools to return. All pools when not set or empty.
      - A name that matches no pool is not an error; it is simply missing from the result.
    type: list
    elements: str
  include_root_dataset:
    description:
      - Also return the space used by and available to the root dataset of each pool (one more query).
    type: bool
    default: false
seealso:
  - module: nasops.truenas.truenas_disk_info
  - module: nasops.truenas.truenas_dataset_info
"""

EXAMPLES = r"""
- name: Read every pool
  nasops.truenas.truenas_pool_info:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
  register: result

- name: Check the health of one pool with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Read the pool tank and its root dataset usage
      nasops.truenas.truenas_pool_info:
        name: [tank]
        include_root_dataset: true
      register: tank

    - name: Fail when tank is unhealthy or more than 80% full
      ansible.builtin.assert:
        that:
          - tank.pools[0].healthy
          - tank.pools[0].allocated / tank.pools[0].size < 0.8
"""

RETURN = r"""
pools:
  description: The pools, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: TrueNAS id of the pool.
      type: int
      sample: 1
    name:
      description: Name of the pool.
      type: str
      sample: tank
    guid:
      description: ZFS guid of the pool (a decimal string).
      type: str
      sample: "1234567890123456789"
    status:
      description: Pool status, such as C(ONLINE), C(DEGRADED), C(FAULTED) or C(OFFLINE) (not imported).
      type: str
      sample: ONLINE
    healthy:
      description: Whether TrueNAS considers the pool healthy.
      type: bool
      sample: true
    warning:
      description: Whether the pool needs attention without being unhealthy (resilvering, upgradable, ...).
      type: bool
      sample: false
    status_code:
      description: ZFS status code, such as C(OK) or C(FAULTED_DEV_R).
      type: str
      sample: OK
    status_detail:
      description: Explanation of a status other than C(OK), or null.
      type: str
      sample: null
    path:
      description: Mount point of the pool.
      type: str
      sample: /mnt/tank
    size:
      description: Raw size in bytes (null when the pool is not imported).
      type: int
      sample: 7994622574592
    allocated:
      description: Raw space allocated, in bytes.
      type: int
      sample: 1073741824
    free:
      description: Raw space free, in bytes.
      type: int
      sample: 7993548832768
    freeing:
      description: Space being freed in the background, in bytes.
      type: int
      sample: 0
    fragmentation:
      description: Free space fragmentation in percent (null when unknown).
      type: int
      sample: 3
    autotrim:
      description: Whether automatic TRIM is on.
      type: bool
      sample: false
    scan:
      description:
        - The last or current scrub or resilver. Every value is null when the pool has never been scanned.
      type: dict
      contains:
        function:
          description: C(SCRUB) or C(RESILVER).
          type: str
          sample: SCRUB
        state:
          description: C(SCANNING), C(FINISHED) or C(CANCELED).
          type: str
          sample: FINISHED
        start_time:
          description: Start time, ISO-8601 (UTC).
          type: str
          sample: "2025-09-28T00:00:00+00:00"
        end_time:
          description: End time, ISO-8601 (UTC); null while scanning.
          type: str
          sample: "2025-09-28T02:10:00+00:00"
        percentage:
          description: Progress in percent.
          type: float
          sample: 100.0
        errors:
          description: Errors found.
          type: int
          sample: 0
        paused:
          description: Whether a scrub is paused.
          type: bool
          sample: false
    topology:
      description:
        - The vdevs by class (C(data), C(log), C(cache), C(spare), C(special), C(dedup)); null when the pool is not
          imported.
        - Each vdev has C(name), C(type) (C(MIRROR), C(RAIDZ1), ..., or C(DISK) for a single disk), C(status), C(guid),
          C(errors) (C(read), C(write), C(checksum)) and C(disks), each with C(disk) (such as C(sda)), C(device),
          C(path), C(status), C(guid) and C(errors).
      type: dict
      sample:
        data:
          - name: mirror-0
            type: MIRROR
            status: ONLINE
            guid: "1234"
            errors: {read: 0, write: 0, checksum: 0}
            disks:
              - {disk: sda, device: sda1, path: /dev/disk/by-partuuid/4a34, status: ONLINE, guid: "5678",
                 errors: {read: 0, write: 0, checksum: 0}}
        log: []
        cache: []
        spare: []
        special: []
        dedup: []
    disks:
      description: Names of every disk in the pool.
      type: list
      elements: str
      sample: [sda, sdb]
    root_dataset:
      description: Space used by and available to the root dataset, in bytes.
      returned: when O(include_root_dataset=true)
      type: dict
      sample: {used: 1073741824, available: 3865470566400}
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.pool import PoolResource


def argument_spec():
    return dict(
        name=dict(type="list", elements="str"),
        include_root_dataset=dict(type="bool", default=False),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    resource = PoolResource()
    module.run_info(resource.gather, resource.RESULT_KEY, "read pools")


if __name__ == "__main__":
    main()
