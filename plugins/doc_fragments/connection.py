# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # Connection options of every module.
    DOCUMENTATION = r"""
options:
  host:
    description:
      - Host name or IP address of the TrueNAS system.
      - The module connects to C(wss://<host>:<port>/api/current).
      - If not set, the value of the E(TRUENAS_HOST) environment variable is used.
      - Mutually exclusive with O(url); one of them is required.
    type: str
  url:
    description:
      - Full WebSocket URL of the TrueNAS JSON-RPC API, for example C(wss://nas.example.com/api/current).
        C(/api/current) is used when the URL has no path.
      - Use it instead of O(host) for a non-standard path or scheme. C(ws://) (no TLS) is refused together with
        O(api_key) unless the host is a loopback address, because TrueNAS revokes an API key used over an
        insecure connection.
      - If not set, the value of the E(TRUENAS_URL) environment variable is used.
      - Mutually exclusive with O(host); one of them is required.
    type: str
  port:
    description:
      - TCP port of the TrueNAS web interface. Without it, the port in O(url) or the default port of the scheme
        (443 for C(wss://)) is used.
      - If not set, the value of the E(TRUENAS_PORT) environment variable is used.
    type: int
  api_key:
    description:
      - TrueNAS API key. Give the user that owns it in O(username) too.
      - If not set, the value of the E(TRUENAS_API_KEY) environment variable is used.
      - Either O(api_key) or O(username) with O(password) is required; O(api_key) and O(password) are mutually
        exclusive.
    type: str
  username:
    description:
      - User to log in as with O(password), or the user that owns O(api_key).
      - If not set, the value of the E(TRUENAS_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password of O(username).
      - If not set, the value of the E(TRUENAS_PASSWORD) environment variable is used.
    type: str
  otp_token:
    description:
      - One-time password for a user with two-factor authentication, used with O(password).
      - If not set, the value of the E(TRUENAS_OTP_TOKEN) environment variable is used.
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of TrueNAS.
      - Set to V(false) only for systems with self-signed certificates on a trusted network; prefer O(ca_path).
      - If not set, the value of the E(TRUENAS_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - CA certificate bundle (a file) or a directory of hashed CA certificates used to verify TrueNAS.
      - If not set, the value of the E(TRUENAS_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds to wait for each API call and for each job to finish. Opening the connection waits at most 10
        seconds (less if O(timeout) is lower).
      - If not set, the value of the E(TRUENAS_TIMEOUT) environment variable is used.
    type: int
    default: 60
notes:
  - The modules run where the task runs. That is normally the Ansible controller (hosts C(localhost), or tasks with
    C(delegate_to=localhost)), which connects to TrueNAS over the network; the environment variables are read there.
  - Set the connection options once for a play with C(module_defaults) and C(group/nasops.truenas.truenas).
requirements:
  - websocket-client >= 1.6.0 (Python library, on the host that runs the module)
"""

    # Connection options of plugins (inventory).
    PLUGINS = r"""
options:
  host:
    description:
      - Host name or IP address of the TrueNAS system; the plugin connects to C(wss://<host>:<port>/api/current).
      - Mutually exclusive with O(url); one of them is required.
    type: str
    env:
      - name: TRUENAS_HOST
  url:
    description:
      - Full WebSocket URL of the TrueNAS JSON-RPC API, for example C(wss://nas.example.com/api/current).
      - Mutually exclusive with O(host).
    type: str
    env:
      - name: TRUENAS_URL
  port:
    description:
      - TCP port of the TrueNAS web interface. Without it, the port in O(url) or the default port of the scheme
        (443 for C(wss://)) is used.
    type: int
    env:
      - name: TRUENAS_PORT
  api_key:
    description:
      - TrueNAS API key. Give the user that owns it in O(username) too.
      - Either O(api_key) or O(username) with O(password) is required; O(api_key) and O(password) are mutually
        exclusive.
    type: str
    env:
      - name: TRUENAS_API_KEY
  username:
    description:
      - User to log in as with O(password), or the user that owns O(api_key).
    type: str
    env:
      - name: TRUENAS_USERNAME
  password:
    description:
      - Password of O(username).
    type: str
    env:
      - name: TRUENAS_PASSWORD
  otp_token:
    description:
      - One-time password for a user with two-factor authentication, used with O(password).
    type: str
    env:
      - name: TRUENAS_OTP_TOKEN
  validate_certs:
    description:
      - Whether to verify the TLS certificate of TrueNAS.
    type: bool
    default: true
    env:
      - name: TRUENAS_VALIDATE_CERTS
  ca_path:
    description:
      - CA certificate bundle (a file) or a directory of hashed CA certificates used to verify TrueNAS.
    type: path
    env:
      - name: TRUENAS_CA_PATH
  timeout:
    description:
      - Seconds to wait for each API call. Opening the connection waits at most 10 seconds (less if O(timeout) is
        lower).
    type: int
    default: 60
    env:
      - name: TRUENAS_TIMEOUT
requirements:
  - websocket-client >= 1.6.0 (Python library, on the Ansible controller)
"""
