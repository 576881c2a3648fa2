#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_share_nfs
short_description: Manage NFS shares on TrueNAS SCALE
version_added: 0.1.0
description:
  - Create, update and delete NFS shares (exports) on TrueNAS SCALE 25.04, 25.10 and 26.
  - A share is identified by its O(path). Options that are not set are left as they are on an existing share; a new
    share gets the TrueNAS defaults for them.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  path:
    description:
      - Absolute path of the directory to export. It must be inside a pool, for example C(/mnt/tank/media).
      - The share with this path is the one the module manages.
    type: str
    required: true
  state:
    description:
      - V(present) creates the share or updates it to match the options given.
      - V(absent) deletes the share if it exists. Deleting a share leaves the data in O(path) alone.
    type: str
    choices: [present, absent]
    default: present
  comment:
    description:
      - Free-form description of the share.
    type: str
  enabled:
    description:
      - Whether the share is exported. TrueNAS enables new shares by default.
    type: bool
  readonly:
    description:
      - Export the share read-only (the C(ro) field of the TrueNAS API). New shares are read-write by default.
    type: bool
  networks:
    description:
      - Networks allowed to mount the share, in CIDR notation such as V(192.168.1.0/24) or V(fd00::/64).
      - Values are normalised like TrueNAS does, so V(10.0.0.5) means V(10.0.0.5/32) and V(10.0.0.7/24) means
        V(10.0.0.0/24). Order does not matter.
      - Entries must be unique and must not overlap. V(0.0.0.0/0) and V(::/0) are refused; an empty list allows
        every network.
      - Use V([]) to remove every network restriction.
    type: list
    elements: str
  hosts:
    description:
      - Host names or IP addresses allowed to mount the share. Order does not matter.
      - Entries must be unique and must not contain spaces or quotes. An empty list allows every host.
    type: list
    elements: str
  maproot_user:
    description:
      - Map the root user of clients to this TrueNAS user. An empty string removes the mapping.
      - Cannot be combined with O(mapall_user).
    type: str
  maproot_group:
    description:
      - Map the root group of clients to this TrueNAS group. TrueNAS requires O(maproot_user) with it.
        An empty string removes the mapping.
    type: str
  mapall_user:
    description:
      - Map every client user to this TrueNAS user. An empty string removes the mapping.
    type: str
  mapall_group:
    description:
      - Map every client group to this TrueNAS group. TrueNAS requires O(mapall_user) with it.
        An empty string removes the mapping.
    type: str
  security:
    description:
      - Security flavors of the export, any of V(SYS), V(KRB5), V(KRB5I) and V(KRB5P) (case-insensitive).
      - Flavors other than V(SYS) need NFSv4 enabled in the NFS service. Order does not matter.
    type: list
    elements: str
  expose_snapshots:
    description:
      - Give clients access to the ZFS snapshot directory of the export.
      - An Enterprise feature; TrueNAS refuses it without an Enterprise license, and O(path) must be the root of a
        dataset.
    type: bool
notes:
  - TrueNAS allows several shares with the same path when their hosts and networks do not overlap. This module
    manages one share per path and fails if it finds more than one.
  - Users and groups named in O(maproot_user), O(maproot_group), O(mapall_user) and O(mapall_group) must exist;
    TrueNAS checks this when the share is saved.
  - TrueNAS reloads the NFS service after each change.
seealso:
  - module: nasops.truenas.truenas_share_smb
  - module: nasops.truenas.truenas_dataset
"""

EXAMPLES = r"""
- name: Export a dataset to the LAN
  nasops.truenas.truenas_share_nfs:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    path: /mnt/tank/media
    comment: Media library
    networks:
      - 192.168.1.0/24
    readonly: true

- name: Manage several shares with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Export backups to two hosts, root mapped to the backup user
      nasops.truenas.truenas_share_nfs:
        path: /mnt/tank/backups
        hosts:
          - backup1.example.com
          - 192.168.1.20
        maproot_user: backup
        maproot_group: backup
        security: [SYS]

    - name: Disable a share without deleting it
      nasops.truenas.truenas_share_nfs:
        path: /mnt/tank/scratch
        enabled: false

    - name: Remove a share
      nasops.truenas.truenas_share_nfs:
        path: /mnt/tank/old
        state: absent
"""

RETURN = r"""
nfs_share:
  description:
    - The share as TrueNAS reports it after the run, with option names.
    - In check mode, the predicted share. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the share. Not present in check mode when the share would be created.
      type: int
      sample: 3
    path:
      description: Exported path.
      type: str
      sample: /mnt/tank/media
    comment:
      description: Description of the share.
      type: str
      sample: Media library
    enabled:
      description: Whether the share is exported.
      type: bool
      sample: true
    readonly:
      description: Whether the share is read-only.
      type: bool
      sample: true
    networks:
      description: Allowed networks, normalised CIDR.
      type: list
      elements: str
      sample: [192.168.1.0/24]
    hosts:
      description: Allowed hosts.
      type: list
      elements: str
      sample: []
    maproot_user:
      description: User that client root is mapped to, or null.
      type: str
      sample: null
    maproot_group:
      description: Group that client root is mapped to, or null.
      type: str
      sample: null
    mapall_user:
      description: User that every client user is mapped to, or null.
      type: str
      sample: null
    mapall_group:
      description: Group that every client group is mapped to, or null.
      type: str
      sample: null
    security:
      description: Security flavors, upper case.
      type: list
      elements: str
      sample: [SYS]
    expose_snapshots:
      description: Whether the snapshot directory is exposed.
      type: bool
      sample: false
    locked:
      description: Whether the share is on a locked dataset (null when TrueNAS does not say).
      type: bool
      sample: false
    dataset:
      description: Dataset that holds the path (TrueNAS 26 and later).
      type: str
      returned: when TrueNAS reports it
      sample: tank/media
    relative_path:
      description: Path of the share inside its dataset (TrueNAS 26 and later).
      type: str
      returned: when TrueNAS reports it
      sample: ""
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.nfs import NfsShareResource


def argument_spec():
    return dict(
        path=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        comment=dict(type="str"),
        enabled=dict(type="bool"),
        readonly=dict(type="bool"),
        networks=dict(type="list", elements="str"),
        hosts=dict(type="list", elements="str"),
        maproot_user=dict(type="str"),
        maproot_group=dict(type="str"),
        mapall_user=dict(type="str"),
        mapall_group=dict(type="str"),
        security=dict(type="list", elements="str"),
        expose_snapshots=dict(type="bool"),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(NfsShareResource)


if __name__ == "__main__":
    main()
