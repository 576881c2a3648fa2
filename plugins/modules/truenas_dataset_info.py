#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_dataset_info
short_description: Read ZFS datasets and volumes of TrueNAS SCALE
version_added: 0.1.0
description:
  - Return a dataset and every dataset below it, or all datasets, of TrueNAS SCALE 25.04, 25.10 and 26.
  - Each dataset has the same shape as the C(dataset) that M(nasops.truenas.truenas_dataset) returns, so values can
    be fed back into that module.
  - TrueNAS internal datasets (such as C(.system) and C(ix-apps)) are not listed.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes.info_module
  - nasops.truenas.attributes.actiongroup
options:
  name:
    description:
      - Full name of a dataset, such as V(tank/apps); it and all its descendants are returned. A pool name returns the
        whole pool. All datasets when not set.
      - A name that matches no dataset is not an error; the result is then empty.
    type: str
seealso:
  - module: nasops.truenas.truenas_dataset
  - module: nasops.truenas.truenas_pool_info
"""

EXAMPLES = r"""
- name: Read every dataset
  nasops.truenas.truenas_dataset_info:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
  register: result

- name: Report usage below tank/apps with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Read tank/apps and its descendants
      nasops.truenas.truenas_dataset_info:
        name: tank/apps
      register: apps

    - name: Show the space each one uses
      ansible.builtin.debug:
        msg: "{{ item.name }}: {{ item.used | human_readable }}"
      loop: "{{ apps.datasets }}"
"""

RETURN = r"""
datasets:
  description:
    - The datasets, parents before children, in the shape M(nasops.truenas.truenas_dataset) returns (see its
      C(dataset) return value). Sizes are in bytes.
  returned: always
  type: list
  elements: dict
  sample:
    - id: tank/apps
      name: tank/apps
      type: FILESYSTEM
      pool: tank
      mountpoint: /mnt/tank/apps
      comments: ""
      compression: LZ4
      atime: true
      exec: true
      readonly: false
      recordsize: 131072
      sync: STANDARD
      snapdir: HIDDEN
      copies: 1
      deduplication: "OFF"
      checksum: "ON"
      quota: 0
      refquota: 0
      reservation: 0
      refreservation: 0
      casesensitivity: SENSITIVE
      acltype: POSIX
      aclmode: DISCARD
      user_properties: {}
      encryption: false
      encrypted: false
      encryption_root: null
      key_loaded: false
      locked: false
      encryption_algorithm: null
      key_format: null
      used: 98304
      available: 3865470566400
      usedbydataset: 98304
      usedbysnapshots: 0
      usedbychildren: 0
      creation: "2025-10-01T12:00:00+00:00"
      origin: null
      source: {compression: INHERITED, atime: DEFAULT}
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.dataset import gather_datasets


def argument_spec():
    return dict(name=dict(type="str"))


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_info(gather_datasets, "datasets", "read datasets")


if __name__ == "__main__":
    main()
