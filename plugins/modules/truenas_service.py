#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_service
short_description: Start, stop and enable services on TrueNAS SCALE
version_added: 0.1.0
description:
  - Control a system service of TrueNAS SCALE 25.04, 25.10 and 26 (SMB, NFS, FTP, SSH, iSCSI, SNMP, UPS and
    others), that is whether it starts at boot and whether it runs now.
  - After starting, stopping, restarting or reloading, the module waits until TrueNAS reports the service in the
    expected state, and fails if it does not get there.
  - On TrueNAS 25.10 and later the module uses C(service.control); on 25.04 C(service.start), C(service.stop),
    C(service.restart) and C(service.reload).
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  name:
    description:
      - Name of the service, as TrueNAS names it or as users know it (case-insensitive). V(smb) and V(samba) mean
        V(cifs), V(iscsi) means V(iscsitarget), V(sshd) means V(ssh), V(nut) means V(ups), V(nvme) means V(nvmet).
      - The services differ by release; C(nvmet) exists from 25.10 on and C(webshare) from 26. An unknown name fails
        with a message listing the services of the server.
    type: str
    required: true
  enabled:
    description:
      - Whether the service starts at boot.
    type: bool
  state:
    description:
      - V(started) and V(stopped) start or stop the service if needed.
      - V(restarted) always restarts the service (starting it if it is stopped) and reports a change.
      - V(reloaded) always reloads a running service and reports a change; a stopped service is started instead.
        TrueNAS restarts services that cannot reload.
      - Not set leaves the service running or stopped as it is.
    type: str
    choices: [started, stopped, restarted, reloaded]
  wait_timeout:
    description:
      - Seconds to wait for the service to reach the state.
    type: int
    default: 120
attributes:
  idempotent:
    description:
      - O(state=restarted) and O(state=reloaded) always make a change, like M(ansible.builtin.service).
    support: partial
notes:
  - Changing service settings with M(nasops.truenas.truenas_service_ssh) and the other settings modules reloads or
    restarts a running service by itself.
seealso:
  - module: nasops.truenas.truenas_service_info
  - module: nasops.truenas.truenas_service_smb
  - module: nasops.truenas.truenas_service_nfs
  - module: nasops.truenas.truenas_service_ftp
  - module: nasops.truenas.truenas_service_ssh
  - module: ansible.builtin.service
"""

EXAMPLES = r"""
- name: Start SSH now and at boot
  nasops.truenas.truenas_service:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    name: ssh
    enabled: true
    state: started

- name: Services with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Run SMB and NFS
      nasops.truenas.truenas_service:
        name: "{{ item }}"
        enabled: true
        state: started
      loop: [smb, nfs]

    - name: Stop FTP and keep it off at boot
      nasops.truenas.truenas_service:
        name: ftp
        enabled: false
        state: stopped

    - name: Restart NFS
      nasops.truenas.truenas_service:
        name: nfs
        state: restarted
"""

RETURN = r"""
service:
  description:
    - The service as TrueNAS reports it after the run. In check mode, the predicted service.
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the service.
      type: int
      sample: 9
    name:
      description: TrueNAS name of the service.
      type: str
      sample: cifs
    enabled:
      description: Whether the service starts at boot.
      type: bool
      sample: true
    state:
      description: C(RUNNING), C(STOPPED) or C(UNKNOWN).
      type: str
      sample: RUNNING
    pids:
      description: Process ids of the running service.
      type: list
      elements: int
      sample: [2314]
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.service import ServiceResource


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        enabled=dict(type="bool"),
        state=dict(type="str", choices=["started", "stopped", "restarted", "reloaded"]),
        wait_timeout=dict(type="int", default=120),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(ServiceResource)


if __name__ == "__main__":
    main()
