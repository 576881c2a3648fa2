#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_user_info
short_description: Read local users of TrueNAS SCALE
version_added: 0.1.0
description:
  - Return the local users of TrueNAS SCALE 25.04, 25.10 and 26, built-in ones included, sorted by uid.
  - Each user has the same shape as the C(user) that M(nasops.truenas.truenas_user) returns.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes.info_module
  - nasops.truenas.attributes.actiongroup
options:
  name:
    description:
      - Return only the users with these names. Names that match no user are not an error.
    type: list
    elements: str
  builtin:
    description:
      - V(true) returns only built-in users, V(false) only the others. All users when not set.
    type: bool
seealso:
  - module: nasops.truenas.truenas_user
  - module: nasops.truenas.truenas_group_info
"""

EXAMPLES = r"""
- name: Read the users that are not built in
  nasops.truenas.truenas_user_info:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    builtin: false
  register: result

- name: Show each user's groups
  ansible.builtin.debug:
    msg: "{{ item.name }} ({{ item.uid }}): {{ item.group }} {{ item.groups | join(',') }}"
  loop: "{{ result.users }}"
"""

RETURN = r"""
users:
  description: The users, sorted by uid, with the option names of M(nasops.truenas.truenas_user).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 41
      name: alice
      full_name: Alice Example
      email: null
      uid: 3000
      group: alice
      gid: 3000
      groups: [media]
      home: /mnt/tank/homes/alice
      shell: /usr/bin/zsh
      password_disabled: false
      ssh_password_enabled: false
      locked: false
      smb: true
      sshpubkey: null
      sudo_commands: []
      sudo_commands_nopasswd: []
      builtin: false
      immutable: false
      sid: S-1-5-21-3510196835-1102441580-3562440349-20041
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.account import gather_users


def argument_spec():
    return dict(name=dict(type="list", elements="str"), builtin=dict(type="bool"))


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_info(gather_users, "users", "read users")


if __name__ == "__main__":
    main()
