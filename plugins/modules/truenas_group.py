#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_group
short_description: Manage local groups on TrueNAS SCALE
version_added: 0.1.0
description:
  - Create, update and delete local groups of TrueNAS SCALE 25.04, 25.10 and 26.
  - A group is identified by its O(name). Options that are not set are left as they are on an existing group; a new
    group gets the TrueNAS defaults for them.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  name:
    description:
      - Name of the group. Letters, digits, V(.), V(-) and V(_); it may not begin with V(-) or V(.).
    type: str
    required: true
  state:
    description:
      - V(present) creates the group or updates it to match the options given.
      - V(absent) deletes the group if it exists. Users whose primary group it is are moved to C(nogroup) by TrueNAS.
        Built-in groups (C(builtin), or a gid below 1000) are refused with an error, also in check mode.
    type: str
    choices: [present, absent]
    default: present
  gid:
    description:
      - Numeric group id. Only used when the group is created; a new group without it gets the lowest free gid from
        3000 on. A different gid on an existing group is an error.
    type: int
  smb:
    description:
      - Whether the group can be used in SMB share ACLs. TrueNAS makes new groups SMB groups by default.
    type: bool
  sudo_commands:
    description:
      - Commands members may run with sudo after entering their password; V(ALL) for any. Order does not matter.
    type: list
    elements: str
  sudo_commands_nopasswd:
    description:
      - Commands members may run with sudo without a password; V(ALL) for any. Order does not matter.
    type: list
    elements: str
  users:
    description:
      - Names of the local users who are (secondary) members of the group. The users must exist. Order does not
        matter.
      - With O(append=false) exactly these users are members; V([]) removes every member. Users whose primary group
        this is are not listed here.
    type: list
    elements: str
  append:
    description:
      - V(true) adds O(users) to the group and keeps its other members.
    type: bool
    default: false
seealso:
  - module: nasops.truenas.truenas_user
  - module: nasops.truenas.truenas_group_info
"""

EXAMPLES = r"""
- name: A group for the media library, with two members
  nasops.truenas.truenas_group:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    name: media
    gid: 3100
    users: [alice, bob]

- name: Manage groups with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Operators may run zfs and zpool without a password
      nasops.truenas.truenas_group:
        name: operators
        smb: false
        sudo_commands_nopasswd: [/usr/sbin/zfs, /usr/sbin/zpool]

    - name: Add carol to media, keeping the other members
      nasops.truenas.truenas_group:
        name: media
        users: [carol]
        append: true

    - name: Remove a group
      nasops.truenas.truenas_group:
        name: oldteam
        state: absent
"""

RETURN = r"""
group:
  description:
    - The group as TrueNAS reports it after the run, with option names.
    - In check mode, the predicted group. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the group. Not present in check mode when the group would be created.
      type: int
      sample: 44
    name:
      description: Name of the group.
      type: str
      sample: media
    gid:
      description: Numeric group id.
      type: int
      sample: 3100
    smb:
      description: Whether the group can be used in SMB share ACLs.
      type: bool
      sample: true
    sudo_commands:
      description: Commands allowed with sudo and a password.
      type: list
      elements: str
      sample: []
    sudo_commands_nopasswd:
      description: Commands allowed with sudo without a password.
      type: list
      elements: str
      sample: []
    users:
      description: Names of the secondary members, sorted.
      type: list
      elements: str
      sample: [alice, bob]
    builtin:
      description: Whether this is a built-in group of TrueNAS.
      type: bool
      sample: false
    sid:
      description: SMB security identifier, or null for non-SMB groups.
      type: str
      sample: S-1-5-21-3510196835-1102441580-3562440349-30044
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.account import GroupResource


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        gid=dict(type="int"),
        smb=dict(type="bool"),
        sudo_commands=dict(type="list", elements="str"),
        sudo_commands_nopasswd=dict(type="list", elements="str", no_log=False),
        users=dict(type="list", elements="str"),
        append=dict(type="bool", default=False),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(GroupResource)


if __name__ == "__main__":
    main()
