#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_disk_info
short_description: Read the disks of TrueNAS SCALE
version_added: 0.1.0
description:
  - Return the disks of TrueNAS SCALE 25.04, 25.10 and 26 with model, serial number, size, the pool each belongs
    to, and the temperature and newest SMART self-test where the server reports them.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes.info_module
  - nasops.truenas.attributes.actiongroup
options:
  name:
    description:
      - Names of the disks to return, such as V(sda) or V(nvme0n1). All disks when not set or empty.
      - A name that matches no disk is not an error; it is simply missing from the result.
    type: list
    elements: str
  include_temperature:
    description:
      - Read the disk temperatures (C(disk.temperatures), one more call).
    type: bool
    default: true
  include_smart:
    description:
      - Read the newest SMART self-test of each disk (C(smart.test.results), one more call).
      - TrueNAS 25.04 only. TrueNAS 25.10 removed SMART from its public API, so on 25.10 and 26 no SMART call is
        made and RV(disks[].last_smart_test) is null whatever this option says.
    type: bool
    default: true
notes:
  - When the server does not offer the temperature or SMART call, the values are null rather than an error.
  - SMART self-test results are only available from TrueNAS 25.04; from 25.10 on TrueNAS runs SMART tests internally
    and no longer publishes their results in its API.
seealso:
  - module: nasops.truenas.truenas_pool_info
"""

EXAMPLES = r"""
- name: Read every disk
  nasops.truenas.truenas_disk_info:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
  register: result

- name: Watch two disks with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Read sda and sdb without SMART results
      nasops.truenas.truenas_disk_info:
        name: [sda, sdb]
        include_smart: false
      register: disks

    - name: Warn about hot disks
      ansible.builtin.debug:
        msg: "{{ item.name }} is at {{ item.temperature }} C"
      loop: "{{ disks.disks | selectattr('temperature', 'number') | selectattr('temperature', 'gt', 45) }}"
"""

RETURN = r"""
disks:
  description: The disks, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Device name.
      type: str
      sample: sda
    identifier:
      description: TrueNAS identifier of the disk.
      type: str
      sample: "{serial}WD-WCC4E0000001"
    serial:
      description: Serial number.
      type: str
      sample: WD-WCC4E0000001
    model:
      description: Model.
      type: str
      sample: WDC WD40EFRX-68N32N0
    size:
      description: Size in bytes.
      type: int
      sample: 4000787030016
    type:
      description: C(HDD) or C(SSD).
      type: str
      sample: HDD
    rotationrate:
      description: Rotation rate in RPM, null for SSDs.
      type: int
      sample: 5400
    bus:
      description: Bus, such as C(ATA) or C(USB).
      type: str
      sample: ATA
    description:
      description: Description set in TrueNAS.
      type: str
      sample: ""
    zfs_guid:
      description: ZFS guid of the disk's partition in a pool, or null.
      type: str
      sample: "1234567890123456789"
    pool:
      description: Name of the pool the disk belongs to, or null.
      type: str
      sample: tank
    expiretime:
      description: When TrueNAS noticed the disk was gone, ISO-8601, or null.
      type: str
      sample: null
    temperature:
      description: Temperature in degrees Celsius, or null when not reported or not read.
      type: float
      sample: 33
    last_smart_test:
      description:
        - The newest SMART self-test, or null when there is none, it is not reported or not read.
        - Always null on TrueNAS 25.10 and later, which have no SMART results in their API.
      type: dict
      contains:
        description:
          description: Kind of test.
          type: str
          sample: Short offline
        status:
          description: Result, such as C(SUCCESS).
          type: str
          sample: SUCCESS
        status_verbose:
          description: Result in words.
          type: str
          sample: Completed without error
        lifetime:
          description: Power-on hours when the test ran.
          type: int
          sample: 21004
        remaining:
          description: Percent remaining of a running test.
          type: float
          sample: 0.0
        lba_of_first_error:
          description: First failing block, or null.
          type: int
          sample: null
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.disk import DiskResource


def argument_spec():
    return dict(
        name=dict(type="list", elements="str"),
        include_temperature=dict(type="bool", default=True),
        include_smart=dict(type="bool", default=True),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    resource = DiskResource()
    module.run_info(resource.gather, resource.RESULT_KEY, "read disks")


if __name__ == "__main__":
    main()
