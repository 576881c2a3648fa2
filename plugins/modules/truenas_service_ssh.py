#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_service_ssh
short_description: Configure the SSH service of TrueNAS SCALE
version_added: 0.1.0
description:
  - Configure the SSH service of TrueNAS SCALE 25.04, 25.10 and 26 (C(ssh.config) and C(ssh.update)).
  - Only the options that are set are compared and changed; the others keep their current values.
  - If the SSH service is running, TrueNAS reloads it to apply the change; a stopped service stays stopped.
    Use M(nasops.truenas.truenas_service) to start it or enable it at boot.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  tcpport:
    description:
      - TCP port the SSH server listens on (the option is not O(port), which is the port the module connects
        to). TrueNAS uses 22.
    type: int
  bindiface:
    description:
      - Interfaces SSH listens on, such as V(enp1s0); V([]) for all. Order does not matter.
    type: list
    elements: str
  password_login_groups:
    description:
      - Groups whose members may log in with a password even when O(passwordauth) is off. Order does not matter.
    type: list
    elements: str
  passwordauth:
    description:
      - Allow password logins. Users also need C(ssh_password_enabled) (M(nasops.truenas.truenas_user)).
    type: bool
  kerberosauth:
    description:
      - Allow Kerberos authentication.
    type: bool
  tcpfwd:
    description:
      - Allow TCP port forwarding.
    type: bool
  compression:
    description:
      - Compress the connection.
    type: bool
  sftp_log_level:
    description:
      - Log level of the SFTP subsystem, such as V(INFO) or V(VERBOSE); empty for the default.
    type: str
  sftp_log_facility:
    description:
      - Syslog facility of the SFTP subsystem, such as V(AUTH) or V(LOCAL0); empty for the default.
    type: str
  weak_ciphers:
    description:
      - Weak ciphers to allow, any of V(AES128-CBC) and V(NONE). Order does not matter.
    type: list
    elements: str
  options:
    description:
      - Extra sshd_config lines.
    type: str
notes:
  - The private host keys are never returned; only the public keys are.
seealso:
  - module: nasops.truenas.truenas_service
"""

EXAMPLES = r"""
- name: SSH on port 2222, keys only except for the operators group
  nasops.truenas.truenas_service_ssh:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    tcpport: 2222
    passwordauth: false
    password_login_groups: [operators]
    weak_ciphers: []

- name: Start SSH now and at boot
  nasops.truenas.truenas_service:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    name: ssh
    enabled: true
    state: started
"""

RETURN = r"""
ssh:
  description:
    - The settings as TrueNAS reports them after the run, with option names. In check mode, the predicted settings.
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the settings row (always 1).
      type: int
      sample: 1
    tcpport:
      description: TCP port the SSH server listens on (the option is not O(port), which is the port the module
        connects to).
      type: int
      sample: 22
    bindiface:
      description: Interfaces SSH listens on, such as V(enp1s0); V([]) for all.
      type: list
      elements: str
      sample: []
    password_login_groups:
      description: Groups whose members may log in with a password even when O(passwordauth) is off.
      type: list
      elements: str
      sample: []
    passwordauth:
      description: Allow password logins.
      type: bool
      sample: false
    kerberosauth:
      description: Allow Kerberos authentication.
      type: bool
      sample: false
    tcpfwd:
      description: Allow TCP port forwarding.
      type: bool
      sample: false
    compression:
      description: Compress the connection.
      type: bool
      sample: false
    sftp_log_level:
      description: Log level of the SFTP subsystem, such as V(INFO) or V(VERBOSE); empty for the default.
      type: str
      sample: ""
    sftp_log_facility:
      description: Syslog facility of the SFTP subsystem, such as V(AUTH) or V(LOCAL0); empty for the default.
      type: str
      sample: ""
    weak_ciphers:
      description: Weak ciphers to allow, any of V(AES128-CBC) and V(NONE).
      type: list
      elements: str
      sample: [AES128-CBC]
    options:
      description: Extra sshd_config lines.
      type: str
      sample: ""
    host_ed25519_key_pub:
      description: Public Ed25519 host key, or null.
      type: str
      sample: ssh-ed25519 AAAAC3... root@truenas
    host_ecdsa_key_pub:
      description: Public ECDSA host key, or null.
      type: str
      sample: null
    host_rsa_key_pub:
      description: Public RSA host key, or null.
      type: str
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.service import SshSettingsResource


def argument_spec():
    return dict(
        tcpport=dict(type="int"),
        bindiface=dict(type="list", elements="str"),
        password_login_groups=dict(type="list", elements="str", no_log=False),
        passwordauth=dict(type="bool"),
        kerberosauth=dict(type="bool"),
        tcpfwd=dict(type="bool"),
        compression=dict(type="bool"),
        sftp_log_level=dict(type="str"),
        sftp_log_facility=dict(type="str"),
        weak_ciphers=dict(type="list", elements="str"),
        options=dict(type="str"),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(SshSettingsResource)


if __name__ == "__main__":
    main()
