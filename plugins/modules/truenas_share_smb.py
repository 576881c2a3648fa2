#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_share_smb
short_description: Manage SMB shares on TrueNAS SCALE
version_added: 0.1.0
description:
  - Create, update, rename and delete SMB (Windows file sharing) shares on TrueNAS SCALE 25.04, 25.10 and 26.
  - A share is identified by its O(name), compared without regard to case as SMB does. Options that are not set are
    left as they are on an existing share; a new share gets the TrueNAS defaults for them.
  - The options are the same on every TrueNAS version. TrueNAS 25.04 stores them as flat share fields with
    I(presets); TrueNAS 25.10 and later group most of them under a share I(purpose). The module translates, and
    refuses an option that the connected version cannot express with the chosen O(purpose), naming the option and
    the version, before it changes anything.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  name:
    description:
      - Name of the share as SMB clients see it. The share with this name (ignoring case) is the one the module
        manages.
      - At most 80 characters, none of the characters C(%<>*?|/\+=;:",[]), and not one of the names Samba
        reserves (C(global), C(printers), C(homes), C(admin$), C(ipc$)).
    type: str
    required: true
  new_name:
    description:
      - Rename the share O(name) to this name. Only this option renames a share.
      - If no share is named O(name) but one is named O(new_name), the rename has already happened and that share is
        managed. If neither exists the module fails; it does not create a share under O(new_name).
      - Fails if both shares exist. Cannot be used with O(state=absent).
    type: str
  state:
    description:
      - V(present) creates the share or updates it to match the options given.
      - V(absent) deletes the share if it exists. Deleting a share leaves the data in O(path) alone.
    type: str
    choices: [present, absent]
    default: present
  path:
    description:
      - Absolute path of the shared directory, inside a pool, for example C(/mnt/tank/media). It must exist unless
        O(create_path=true). Required to create a share.
    type: str
  create_path:
    description:
      - When the share is created or its O(path) changes and no dataset exists at O(path), create the dataset first
        (C(pool.dataset.create) with the SMB share type). O(path) must then be C(/mnt/<pool>/<dataset>) and the
        parent dataset must exist.
      - Nothing is created in check mode.
    type: bool
    default: false
  purpose:
    description:
      - What the share is for. Each value maps to a TrueNAS 25.04 preset and a TrueNAS 25.10 and later purpose
        (see the notes for the table).
      - V(default) is the TrueNAS default for a new share. V(legacy) is the share whose every setting is under your
        control.
      - When O(purpose) is not set, a new share gets V(default), and an existing share keeps its purpose, unless an
        option given needs another purpose; then the share becomes a V(legacy) share (shown in the diff). On TrueNAS
        25.10 and later that is the case for O(guest_ok), O(recycle_bin), O(shadow_copies),
        O(auxiliary_parameters), O(timemachine) and O(timemachine_quota), which only legacy shares have. On 25.04
        it is also the case for options whose value the current preset overwrites (for example O(readonly=true) or
        O(hosts_allow) with V(default)).
      - When O(purpose) is set and an option cannot be expressed with it on the connected version, the module fails
        and names the option.
      - Changing the purpose of an existing share keeps the settings the new purpose also has; TrueNAS resets the
        rest to its defaults (and on 25.04 the new preset applies its values).
      - V(fcp) needs TrueNAS 25.10.1 or later (TrueNAS 25.10.0 has no C(FCP_SHARE) purpose).
    type: str
    choices: [default, fcp, legacy, multiprotocol, private_datasets, time_locked, timemachine, veeam_repository]
  comment:
    description:
      - Description of the share, shown to clients.
    type: str
  enabled:
    description:
      - Whether the share is offered. TrueNAS enables new shares by default.
    type: bool
  browsable:
    description:
      - Whether clients see the share when they list the shares of the server. New shares are browsable.
    type: bool
  readonly:
    description:
      - Whether clients may only read. New shares are read-write.
    type: bool
  access_based_enumeration:
    description:
      - Show users only the files and directories they may read (access-based share enumeration).
    type: bool
  guest_ok:
    description:
      - Allow access without a password, as the guest user. Only V(legacy) shares have this setting.
    type: bool
  hosts_allow:
    description:
      - Host names, IP addresses or networks allowed to connect (Samba C(hosts allow)). Order does not matter; an
        empty list allows every host.
      - Each entry is one string without spaces, commas or quotes.
      - TrueNAS 25.10.0 has no hosts settings for V(default) shares (they came with 25.10.1); there such a share
        with O(hosts_allow) is refused before any change, and without O(purpose) the share becomes a V(legacy) one.
    type: list
    elements: raw
  hosts_deny:
    description:
      - Host names, IP addresses or networks refused (Samba C(hosts deny)). Order does not matter.
      - Each entry is one string without spaces, commas or quotes.
      - Not available for V(default) shares on TrueNAS 25.10.0, as O(hosts_allow).
    type: list
    elements: raw
  timemachine:
    description:
      - Offer the share as a macOS Time Machine target. On TrueNAS 25.10 and later only V(legacy) shares have this
        setting; a V(timemachine) share always is one.
      - TrueNAS requires Apple SMB2/3 protocol extensions in the SMB service for Time Machine shares.
    type: bool
  timemachine_quota:
    description:
      - Largest size Time Machine backups may use, in bytes or with a unit such as V(500G) or V(1T) (binary units).
        V(0) means no limit. Only V(legacy) and V(timemachine) shares have this setting.
    type: raw
  recycle_bin:
    description:
      - Move deleted files to a recycle bin directory instead of deleting them. Only V(legacy) shares have this
        setting.
    type: bool
  shadow_copies:
    description:
      - Offer ZFS snapshots to Windows clients as previous versions (shadow copies). Only V(legacy) shares have this
        setting.
    type: bool
  audit:
    description:
      - SMB auditing of the share. Only the keys given are compared and changed.
    type: dict
    suboptions:
      enable:
        description:
          - Whether access to the share is audited. TrueNAS requires O(audit.watch_list) or O(audit.ignore_list)
            to enable it.
        type: bool
      watch_list:
        description:
          - Groups whose members are audited. Order does not matter. The groups must exist.
        type: list
        elements: str
      ignore_list:
        description:
          - Groups whose members are not audited. Order does not matter. The groups must exist.
        type: list
        elements: str
  auxiliary_parameters:
    description:
      - Extra smb.conf parameters for the share, as one string with a C(parameter = value) line each, or as a list of
        such lines. Empty lines and surrounding spaces are ignored; lines starting with C(#) or C(;) are comments.
      - Only V(legacy) shares have this setting, and TrueNAS accepts it only from users with full administrative
        privileges. An empty string removes every parameter.
    type: raw
notes:
  - "O(purpose) values and what they are on the server. V(default): 25.04 C(DEFAULT_SHARE), 25.10+ C(DEFAULT_SHARE).
    V(legacy): 25.04 C(NO_PRESET), 25.10+ C(LEGACY_SHARE). V(timemachine): C(TIMEMACHINE), C(TIMEMACHINE_SHARE).
    V(multiprotocol): C(MULTI_PROTOCOL_NFS), C(MULTIPROTOCOL_SHARE). V(private_datasets): C(PRIVATE_DATASETS),
    C(PRIVATE_DATASETS_SHARE). V(time_locked): C(WORM_DROPBOX), C(TIME_LOCKED_SHARE). V(veeam_repository):
    C(VEEAM_REPOSITORY_SHARE) on both. V(fcp): 25.10+ C(FCP_SHARE) only. This is also how TrueNAS migrates shares
    when it is upgraded from 25.04."
  - Shares with a purpose this module cannot set (25.04 C(ENHANCED_TIMEMACHINE), 25.10+ C(EXTERNAL_SHARE)) are read
    back as V(enhanced_timemachine) and V(external).
  - On TrueNAS 25.04 the presets overwrite some values each time a share is saved. The module therefore sends
    C(NO_PRESET) (V(legacy)) when such a value is requested and no purpose is given, and refuses it with an explicit
    preset.
  - Settings a purpose does not have are returned as null (TrueNAS 25.10 and later).
  - TrueNAS checks when the share is saved that O(path) exists and that the groups of O(audit) exist; its messages
    name the module option.
seealso:
  - module: nasops.truenas.truenas_share_nfs
  - module: nasops.truenas.truenas_dataset
"""

EXAMPLES = r"""
- name: Share a dataset with the TrueNAS defaults
  nasops.truenas.truenas_share_smb:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    name: media
    path: /mnt/tank/media
    comment: Media library

- name: Manage several shares with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Read-only share for the office network, dataset created if missing
      nasops.truenas.truenas_share_smb:
        name: docs
        path: /mnt/tank/docs
        create_path: true
        readonly: true
        hosts_allow:
          - 192.168.10.0/24
        access_based_enumeration: true

    - name: Guest share with a recycle bin (a legacy share)
      nasops.truenas.truenas_share_smb:
        name: public
        path: /mnt/tank/public
        purpose: legacy
        guest_ok: true
        recycle_bin: true
        auxiliary_parameters: |
          veto files = /.DS_Store/
          delete veto files = yes

    # Time Machine shares need the Apple SMB2/3 protocol extensions, turned on in the SMB service
    # (Services > SMB > Advanced Settings in the web UI).
    - name: Time Machine target limited to 1 TiB
      nasops.truenas.truenas_share_smb:
        name: backups-mac
        path: /mnt/tank/timemachine
        purpose: timemachine
        timemachine_quota: 1T

    - name: Audit the members of two groups
      nasops.truenas.truenas_share_smb:
        name: docs
        audit:
          enable: true
          watch_list: [finance, hr]

    # A rename in a play that also creates the share under its old name would create it again on
    # the next run; rename shares made elsewhere, or change the name where the play creates it.
    - name: Rename an existing share; later runs find it under its new name
      nasops.truenas.truenas_share_smb:
        name: scans
        new_name: scanned-documents

    - name: Remove a share
      nasops.truenas.truenas_share_smb:
        name: public
        state: absent
"""

RETURN = r"""
smb_share:
  description:
    - The share as TrueNAS reports it after the run, with option names.
    - In check mode, the predicted share. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the share. Not present in check mode when the share would be created.
      type: int
      sample: 4
    name:
      description: Name of the share.
      type: str
      sample: media
    path:
      description: Shared path.
      type: str
      sample: /mnt/tank/media
    purpose:
      description: Purpose of the share in the words of O(purpose).
      type: str
      sample: default
    comment:
      description: Description of the share.
      type: str
      sample: Media library
    enabled:
      description: Whether the share is offered.
      type: bool
      sample: true
    browsable:
      description: Whether the share is listed to clients.
      type: bool
      sample: true
    readonly:
      description: Whether the share is read-only.
      type: bool
      sample: false
    access_based_enumeration:
      description: Whether access-based share enumeration is on.
      type: bool
      sample: false
    guest_ok:
      description: Whether guests may connect; null when the purpose has no such setting.
      type: bool
      sample: null
    hosts_allow:
      description: Hosts allowed to connect.
      type: list
      elements: str
      sample: [192.168.10.0/24]
    hosts_deny:
      description: Hosts refused.
      type: list
      elements: str
      sample: []
    timemachine:
      description: Whether the share is a Time Machine target.
      type: bool
      sample: false
    timemachine_quota:
      description: Time Machine quota in bytes (0 is none); null when the purpose has no such setting.
      type: int
      sample: null
    recycle_bin:
      description: Whether the recycle bin is on; null when the purpose has no such setting.
      type: bool
      sample: null
    shadow_copies:
      description: Whether shadow copies are offered; null when the purpose has no such setting.
      type: bool
      sample: null
    audit:
      description: Audit settings.
      type: dict
      sample: {enable: false, watch_list: [], ignore_list: []}
    auxiliary_parameters:
      description: Extra smb.conf lines, one per line; null when the purpose has no such setting.
      type: str
      sample: null
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.smb import PURPOSE_CHOICES, SmbShareResource


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        new_name=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        path=dict(type="str"),
        create_path=dict(type="bool", default=False),
        purpose=dict(type="str", choices=PURPOSE_CHOICES),
        comment=dict(type="str"),
        enabled=dict(type="bool"),
        browsable=dict(type="bool"),
        readonly=dict(type="bool"),
        access_based_enumeration=dict(type="bool"),
        guest_ok=dict(type="bool"),
        hosts_allow=dict(type="list", elements="raw"),
        hosts_deny=dict(type="list", elements="raw"),
        timemachine=dict(type="bool"),
        timemachine_quota=dict(type="raw"),
        recycle_bin=dict(type="bool"),
        shadow_copies=dict(type="bool"),
        audit=dict(type="dict", options=dict(
            enable=dict(type="bool"),
            watch_list=dict(type="list", elements="str"),
            ignore_list=dict(type="list", elements="str"),
        )),
        auxiliary_parameters=dict(type="raw"),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(SmbShareResource)


if __name__ == "__main__":
    main()
