#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_service_smb
short_description: Configure the SMB service of TrueNAS SCALE
version_added: 0.1.0
description:
  - Configure the SMB service (Samba) of TrueNAS SCALE 25.04, 25.10 and 26 (C(smb.config) and C(smb.update)).
  - Only the options that are set are compared and changed; the others keep their current values.
  - If the SMB service is running, TrueNAS restarts it to apply the change; a stopped service stays stopped.
    Use M(nasops.truenas.truenas_service) to start it or enable it at boot.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  netbiosname:
    description:
      - NetBIOS name of the server, 1 to 15 characters; it must differ from O(workgroup).
    type: str
  netbiosalias:
    description:
      - Other NetBIOS names of the server. Order does not matter.
    type: list
    elements: str
  workgroup:
    description:
      - Workgroup or domain name.
    type: str
  description:
    description:
      - Server description shown to clients.
    type: str
  enable_smb1:
    description:
      - Allow the insecure SMB1 protocol (needed by some old clients).
      - TrueNAS 25.04 and 25.10 only; TrueNAS 26 replaced it with O(minimum_protocol), and setting it there fails
        before any change.
    type: bool
  minimum_protocol:
    description:
      - Oldest SMB protocol version clients may use.
      - TrueNAS 26 and later (it replaced O(enable_smb1)); setting it on an older release fails before any change.
    type: str
    choices: [SMB1, SMB2, SMB3]
  unixcharset:
    description:
      - Character set of file names on the server, such as V(UTF-8).
    type: str
  localmaster:
    description:
      - Take part in local master browser elections.
    type: bool
  syslog:
    description:
      - Send SMB logs to syslog.
    type: bool
  aapl_extensions:
    description:
      - Enable the Apple SMB2/3 extensions (needed for Time Machine shares).
    type: bool
  admin_group:
    description:
      - Group whose members are SMB administrators. An empty string removes it.
    type: str
  guest:
    description:
      - Local user that guest access maps to.
    type: str
  filemask:
    description:
      - Create mask of new files as three octal digits, or V(DEFAULT).
    type: str
  dirmask:
    description:
      - Create mask of new directories as three octal digits, or V(DEFAULT).
    type: str
  ntlmv1_auth:
    description:
      - Allow the insecure NTLMv1 authentication.
    type: bool
  multichannel:
    description:
      - Enable SMB3 multichannel.
    type: bool
  encryption:
    description:
      - Transport encryption, case-insensitive.
      - V(DEFAULT), V(NEGOTIATE), V(DESIRED) or V(REQUIRED).
    type: str
  bindip:
    description:
      - IP addresses of this server that SMB listens on; V([]) for all. Order does not matter.
    type: list
    elements: str
  smb_options:
    description:
      - Extra smb.conf lines.
    type: str
  debug:
    description:
      - Enable debug logging.
    type: bool
notes:
  - TrueNAS refuses changes of O(netbiosname) and O(workgroup) while a directory service is enabled.
seealso:
  - module: nasops.truenas.truenas_service
"""

EXAMPLES = r"""
- name: SMB server name, workgroup and Apple extensions
  nasops.truenas.truenas_service_smb:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    netbiosname: nas01
    workgroup: HOME
    description: Family files
    aapl_extensions: true
    encryption: desired

- name: Start SMB now and at boot
  nasops.truenas.truenas_service:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    name: smb
    enabled: true
    state: started
"""

RETURN = r"""
smb:
  description:
    - The settings as TrueNAS reports them after the run, with option names. In check mode, the predicted settings.
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the settings row (always 1).
      type: int
      sample: 1
    netbiosname:
      description: NetBIOS name of the server, 1 to 15 characters; it must differ from O(workgroup).
      type: str
      sample: truenas
    netbiosalias:
      description: Other NetBIOS names of the server.
      type: list
      elements: str
      sample: []
    workgroup:
      description: Workgroup or domain name.
      type: str
      sample: WORKGROUP
    description:
      description: Server description shown to clients.
      type: str
      sample: TrueNAS Server
    enable_smb1:
      description: Allow the insecure SMB1 protocol (needed by some old clients); not on TrueNAS 26.
      type: bool
      sample: false
    minimum_protocol:
      description: Oldest SMB protocol version clients may use (TrueNAS 26).
      type: str
      sample: SMB2
    unixcharset:
      description: Character set of file names on the server, such as V(UTF-8).
      type: str
      sample: UTF-8
    localmaster:
      description: Take part in local master browser elections.
      type: bool
      sample: false
    syslog:
      description: Send SMB logs to syslog.
      type: bool
      sample: false
    aapl_extensions:
      description: Enable the Apple SMB2/3 extensions (needed for Time Machine shares).
      type: bool
      sample: false
    admin_group:
      description: Group whose members are SMB administrators.
      type: str
      sample: null
    guest:
      description: Local user that guest access maps to.
      type: str
      sample: nobody
    filemask:
      description: Create mask of new files as three octal digits, or V(DEFAULT).
      type: str
      sample: DEFAULT
    dirmask:
      description: Create mask of new directories as three octal digits, or V(DEFAULT).
      type: str
      sample: DEFAULT
    ntlmv1_auth:
      description: Allow the insecure NTLMv1 authentication.
      type: bool
      sample: false
    multichannel:
      description: Enable SMB3 multichannel.
      type: bool
      sample: false
    encryption:
      description: Transport encryption, case-insensitive.
      type: str
      sample: DEFAULT
    bindip:
      description: IP addresses of this server that SMB listens on; V([]) for all.
      type: list
      elements: str
      sample: []
    smb_options:
      description: Extra smb.conf lines.
      type: str
      sample: ""
    debug:
      description: Enable debug logging.
      type: bool
      sample: false
    server_sid:
      description: SID of the server.
      type: str
      sample: S-1-5-21-3510196835-1102441580-3562440349
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.service import SmbSettingsResource


def argument_spec():
    return dict(
        netbiosname=dict(type="str"),
        netbiosalias=dict(type="list", elements="str"),
        workgroup=dict(type="str"),
        description=dict(type="str"),
        enable_smb1=dict(type="bool"),
        minimum_protocol=dict(type="str", choices=["SMB1", "SMB2", "SMB3"]),
        unixcharset=dict(type="str"),
        localmaster=dict(type="bool"),
        syslog=dict(type="bool"),
        aapl_extensions=dict(type="bool"),
        admin_group=dict(type="str"),
        guest=dict(type="str"),
        filemask=dict(type="str"),
        dirmask=dict(type="str"),
        ntlmv1_auth=dict(type="bool"),
        multichannel=dict(type="bool"),
        encryption=dict(type="str"),
        bindip=dict(type="list", elements="str"),
        smb_options=dict(type="str"),
        debug=dict(type="bool"),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(SmbSettingsResource)


if __name__ == "__main__":
    main()
