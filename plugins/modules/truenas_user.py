#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_user
short_description: Manage local users on TrueNAS SCALE
version_added: 0.1.0
description:
  - Create, update and delete local users of TrueNAS SCALE 25.04, 25.10 and 26.
  - A user is identified by its O(name). Options that are not set are left as they are on an existing user; a new
    user gets the TrueNAS defaults for them.
  - Users from directory services (Active Directory, LDAP) are not managed.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  name:
    description:
      - Name of the user. Letters, digits, V(.), V(-) and V(_); it may not begin with V(-) or V(.).
      - The option is O(name) because O(username) is the account the module logs in with.
    type: str
    required: true
  state:
    description:
      - V(present) creates the user or updates it to match the options given.
      - V(absent) deletes the user if it exists. Built-in users (C(builtin), C(immutable), or a uid below 1000 such as
        C(root), or C(admin) on TrueNAS 25.10 and later) are refused with an error, also in check mode.
    type: str
    choices: [present, absent]
    default: present
  full_name:
    description:
      - Full name or description of the user. A new user without it gets O(name) as its full name.
    type: str
  email:
    description:
      - E-mail address of the user. An empty string removes it.
    type: str
  uid:
    description:
      - Numeric user id. Only used when the user is created; a new user without it gets the lowest free uid from 3000
        on. A different uid on an existing user is an error.
    type: int
  group:
    description:
      - Name of the primary group, which must exist.
      - When creating a user without O(group), or with O(group) equal to O(name) when no such group exists,
        TrueNAS creates a group named after the user (or reuses an existing one of that name).
    type: str
  groups:
    description:
      - Names of secondary groups, which must exist. Order does not matter.
      - With O(append=false) the user is a member of exactly these groups; V([]) removes every secondary group.
      - C(builtin_users) is not listed or managed here (it is ignored in O(groups)); TrueNAS adds every SMB user
        (O(smb=true)) to it.
    type: list
    elements: str
  append:
    description:
      - V(true) adds the user to O(groups) and keeps its other secondary groups.
    type: bool
    default: false
  home:
    description:
      - Home directory. V(/var/empty) (the TrueNAS default) means none; any other directory must be inside a pool,
        such as V(/mnt/tank/homes/alice), and must exist unless O(home_create=true).
      - With O(home_create=true) this is the directory in which the home directory is created; the home directory
        of the user becomes O(home)/O(name) (V(/mnt/tank/homes) gives V(/mnt/tank/homes/alice)).
    type: path
  home_create:
    description:
      - Create the home directory O(home)/O(name) with the permissions O(home_mode). Sent only when O(home)
        changes or the user is created.
    type: bool
    default: false
  home_mode:
    description:
      - Permissions of the home directory as three octal digits, such as V('700'). The owner needs at least read and
        execute (V(5) or V(7) first). TrueNAS does not report this value, so it is only applied when O(home) changes
        or the user is created.
    type: str
  shell:
    description:
      - Login shell, such as V(/usr/bin/bash) or V(/usr/sbin/nologin). TrueNAS uses V(/usr/bin/zsh) for new users.
    type: str
  user_password:
    description:
      - Password of the user. Required to create a user unless O(password_disabled=true).
      - The option is not called C(password) because O(password) is the password the module logs in with.
      - TrueNAS never returns passwords, so an existing user's password cannot be compared; see O(update_password).
    type: str
  update_password:
    description:
      - V(on_create) sets O(user_password) only when the user is created, so the module stays idempotent.
      - V(always) sets O(user_password) on every run for an existing user and then always reports a change.
      - Unlike M(ansible.builtin.user), the default is V(on_create), because the current password cannot be read back
        and compared.
    type: str
    choices: [always, on_create]
    default: on_create
  password_disabled:
    description:
      - Disable password logins. Cannot be combined with O(smb=true); a new user with O(password_disabled=true) and
        O(smb) not set is created as a non-SMB user.
    type: bool
  ssh_password_enabled:
    description:
      - Allow SSH logins with the password (the SSH service must allow password logins too).
    type: bool
  locked:
    description:
      - Lock the account, refusing every login.
    type: bool
  smb:
    description:
      - Whether the user may access SMB shares. TrueNAS makes new users SMB users by default. Turning it on for an
        existing user needs O(user_password) (with O(update_password=always)), since TrueNAS must store an SMB hash.
    type: bool
  sshpubkey:
    description:
      - SSH public keys (the contents of C(authorized_keys)), one per line. Needs a home directory inside a pool.
        An empty string removes them. Leading and trailing white space is ignored.
    type: str
  sudo_commands:
    description:
      - Commands the user may run with sudo after entering the password; V(ALL) for any. Order does not matter.
    type: list
    elements: str
  sudo_commands_nopasswd:
    description:
      - Commands the user may run with sudo without a password; V(ALL) for any. Order does not matter.
    type: list
    elements: str
  delete_group:
    description:
      - With O(state=absent), also delete the user's primary group when no other user has it as primary group.
      - The home directory is never deleted; TrueNAS has no API call for that.
    type: bool
    default: true
notes:
  - TrueNAS reloads the SSH service when a user is created or changed.
  - "Users for FTP are ordinary local users with a home directory; see the EXAMPLES of
    M(nasops.truenas.truenas_service_ftp)."
seealso:
  - module: nasops.truenas.truenas_group
  - module: nasops.truenas.truenas_user_info
  - module: ansible.builtin.user
"""

EXAMPLES = r"""
- name: Create a user with a home directory and an SSH key
  nasops.truenas.truenas_user:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    name: alice
    full_name: Alice Example
    email: alice@example.com
    user_password: "{{ alice_password }}"
    home: /mnt/tank/homes
    home_create: true
    home_mode: "750"
    shell: /usr/bin/bash
    groups: [media]
    sshpubkey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBu0s8GQtYxr1nZ6a8W1Y9s1yYkR0hLq9Wc7yXv8J2sB alice@laptop"

- name: Manage users with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: A service account without password logins or SMB access
      nasops.truenas.truenas_user:
        name: backup
        full_name: Backup service
        password_disabled: true
        smb: false
        sudo_commands_nopasswd: [/usr/sbin/zfs]

    - name: Add alice to one more group, keeping her other groups
      nasops.truenas.truenas_user:
        name: alice
        groups: [backup]
        append: true

    - name: Lock an account
      nasops.truenas.truenas_user:
        name: bob
        locked: true

    - name: Remove a user and its own group
      nasops.truenas.truenas_user:
        name: olduser
        state: absent
"""

RETURN = r"""
user:
  description:
    - The user as TrueNAS reports it after the run, with option names.
    - In check mode, the predicted user. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the user. Not present in check mode when the user would be created.
      type: int
      sample: 41
    name:
      description: Name of the user.
      type: str
      sample: alice
    full_name:
      description: Full name.
      type: str
      sample: Alice Example
    email:
      description: E-mail address, or null.
      type: str
      sample: alice@example.com
    uid:
      description: Numeric user id.
      type: int
      sample: 3000
    group:
      description: Name of the primary group.
      type: str
      sample: alice
    gid:
      description: Numeric id of the primary group.
      type: int
      sample: 3000
    groups:
      description: Names of the secondary groups, sorted, without C(builtin_users).
      type: list
      elements: str
      sample: [media]
    home:
      description: Home directory.
      type: str
      sample: /mnt/tank/homes/alice
    shell:
      description: Login shell.
      type: str
      sample: /usr/bin/bash
    password_disabled:
      description: Whether password logins are disabled.
      type: bool
      sample: false
    ssh_password_enabled:
      description: Whether SSH password logins are allowed.
      type: bool
      sample: false
    locked:
      description: Whether the account is locked.
      type: bool
      sample: false
    smb:
      description: Whether the user may access SMB shares.
      type: bool
      sample: true
    sshpubkey:
      description: SSH public keys, or null.
      type: str
      sample: ssh-ed25519 AAAAC3... alice@laptop
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
    builtin:
      description: Whether this is a built-in account of TrueNAS.
      type: bool
      sample: false
    immutable:
      description: Whether TrueNAS forbids changing the account's identity.
      type: bool
      sample: false
    sid:
      description: SMB security identifier, or null for non-SMB users.
      type: str
      sample: S-1-5-21-3510196835-1102441580-3562440349-20041
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.account import UserResource


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        full_name=dict(type="str"),
        email=dict(type="str"),
        uid=dict(type="int"),
        group=dict(type="str"),
        groups=dict(type="list", elements="str"),
        append=dict(type="bool", default=False),
        home=dict(type="path"),
        home_create=dict(type="bool", default=False),
        home_mode=dict(type="str"),
        shell=dict(type="str"),
        user_password=dict(type="str", no_log=True),
        update_password=dict(type="str", default="on_create", choices=["always", "on_create"], no_log=False),
        password_disabled=dict(type="bool", no_log=False),
        ssh_password_enabled=dict(type="bool", no_log=False),
        locked=dict(type="bool"),
        smb=dict(type="bool"),
        sshpubkey=dict(type="str"),
        sudo_commands=dict(type="list", elements="str"),
        sudo_commands_nopasswd=dict(type="list", elements="str", no_log=False),
        delete_group=dict(type="bool", default=True),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(UserResource)


if __name__ == "__main__":
    main()
