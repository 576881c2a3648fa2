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
      - Mutually exclusive with O(url); one of them is required.
      - O(url), O(host) and O(port) are taken together from the first place that sets any of them, in this order
        of precedence; the task, the environment variables E(TRUENAS_URL), E(TRUENAS_HOST) and E(TRUENAS_PORT),
        the credentials file profile (see O(profile)). So O(host) in a task is never combined with an exported
        E(TRUENAS_URL).
    type: str
  url:
    description:
      - Full WebSocket URL of the TrueNAS JSON-RPC API, for example C(wss://nas.example.com/api/current).
        C(/api/current) is used when the URL has no path.
      - Use it instead of O(host) for a non-standard path or scheme. C(ws://) (no TLS) is refused together with
        O(api_key) unless the host is a loopback address, because TrueNAS revokes an API key used over an
        insecure connection.
      - If not set, see O(host) for where it comes from (E(TRUENAS_URL), the credentials file).
      - Mutually exclusive with O(host); one of them is required.
    type: str
  port:
    description:
      - TCP port of the TrueNAS web interface. Without it, the port in O(url) or the default port of the scheme
        (443 for C(wss://)) is used.
      - If not set, see O(host) for where it comes from (E(TRUENAS_PORT), the credentials file).
    type: int
  api_key:
    description:
      - TrueNAS API key. Give the user that owns it in O(username) too.
      - Either O(api_key) or O(username) with O(password) is required; O(api_key) and O(password) are mutually
        exclusive.
      - O(api_key), O(username), O(password) and O(otp_token) are taken together from the first place that sets
        any of them, in this order of precedence; the task, the environment variables E(TRUENAS_API_KEY),
        E(TRUENAS_USERNAME), E(TRUENAS_PASSWORD) and E(TRUENAS_OTP_TOKEN), the credentials file profile (API keys
        only, see O(profile)). So O(api_key) in a task never meets an exported E(TRUENAS_PASSWORD).
    type: str
  username:
    description:
      - User to log in as with O(password), or the user that owns O(api_key).
      - If not set, see O(api_key) for where it comes from (E(TRUENAS_USERNAME), the credentials file).
    type: str
  password:
    description:
      - Password of O(username).
      - If not set, see O(api_key) for where it comes from (E(TRUENAS_PASSWORD); never the credentials file).
    type: str
  otp_token:
    description:
      - One-time password for a user with two-factor authentication, used with O(password).
      - If not set, see O(api_key) for where it comes from (E(TRUENAS_OTP_TOKEN)).
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of TrueNAS.
      - Set to V(false) only for systems with self-signed certificates on a trusted network; prefer O(ca_path).
      - If not set, the value of E(TRUENAS_VALIDATE_CERTS) is used, else the credentials file profile's, else
        V(true).
    type: bool
  ca_path:
    description:
      - CA certificate bundle (a file) or a directory of hashed CA certificates used to verify TrueNAS.
      - If not set, the value of E(TRUENAS_CA_PATH) is used, else the credentials file profile's.
    type: path
  timeout:
    description:
      - Seconds to wait for each API call and for each job to finish. Each attempt to open the connection waits at
        most 10 seconds (less if O(timeout) is lower); three attempts are made, 1 and 2 seconds apart.
      - If not set, the value of E(TRUENAS_TIMEOUT) is used, else the credentials file profile's, else V(60).
    type: int
  profile:
    description:
      - Profile of the credentials file to take connection options from when neither the task nor the
        E(TRUENAS_*) environment sets them.
      - The credentials file is E(TRUENAS_CONFIG), else C(~/.config/nasops.truenas/credentials) (under
        E(XDG_CONFIG_HOME) when set). It is an INI file with one section per profile, for example C([default])
        with C(url), C(username) and C(api_key). It is refused unless it is owned by the user running the module
        and not readable by others (mode C(0600)); it may hold API keys, never passwords.
      - If not set, the value of E(TRUENAS_PROFILE) is used, else C(default). A profile named here or in
        E(TRUENAS_PROFILE) must exist.
    type: str
  broker_idle_timeout:
    description:
      - Seconds the session broker keeps the logged-in connection to TrueNAS open after the last module run that
        used it. The first module run for a NAS and a set of credentials starts the broker, a background process
        of the user running the module; later runs (the next tasks, loop items, other forks, the next playbook)
        reuse its connection instead of logging in again. TrueNAS allows 20 logins per minute from one address.
      - V(0) turns the broker off; every module run then connects and logs in itself.
      - If not set, the value of E(TRUENAS_BROKER_IDLE_TIMEOUT) is used, else the credentials file profile's,
        else V(60).
    type: int
  broker_lifetime:
    description:
      - Seconds after which a session broker stops taking new module runs and exits once the current ones are
        done; the next run starts a new broker (and logs in again).
      - If not set, the value of E(TRUENAS_BROKER_LIFETIME) is used, else the credentials file profile's, else
        V(3600).
    type: int
notes:
  - The modules run where the task runs. That is normally the Ansible controller (hosts C(localhost), or tasks with
    C(delegate_to=localhost)), which connects to TrueNAS over the network; the environment variables and the
    credentials file are read there.
  - Set the connection options once for a play with C(module_defaults) and C(group/nasops.truenas.truenas).
  - The session broker's sockets live in C($XDG_RUNTIME_DIR/nasops.truenas), else in
    C(~/.cache/nasops.truenas/run), a directory of mode C(0700). When the broker cannot be used there, the module
    connects directly and says why in RV(ignore:broker_fallback) (shown with C(-v)).
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
  profile:
    description:
      - Profile of the credentials file (E(TRUENAS_CONFIG), else C(~/.config/nasops.truenas/credentials)) to take
        connection options from when neither the inventory source nor the E(TRUENAS_*) environment sets them.
      - The file must be owned by the user and not readable by others; it may hold API keys, never passwords.
      - If not set, C(default).
    type: str
    env:
      - name: TRUENAS_PROFILE
  broker_idle_timeout:
    description:
      - Seconds the session broker keeps its logged-in connection open after its last use, so that the modules of
        the playbook reuse the inventory's login; V(0) connects directly.
    type: int
    default: 60
    env:
      - name: TRUENAS_BROKER_IDLE_TIMEOUT
  broker_lifetime:
    description:
      - Seconds after which a session broker stops taking new clients and exits.
    type: int
    default: 3600
    env:
      - name: TRUENAS_BROKER_LIFETIME
notes:
  - The connection options follow the same precedence as in the modules, per group. The options that say where to
    connect (O(url), O(host), O(port)) and how to log in (O(api_key), O(username), O(password), O(otp_token)) are
    each taken together from the first place that sets any of them. First the inventory source, then the
    E(TRUENAS_*) environment, then the credentials file profile.
requirements:
  - websocket-client >= 1.6.0 (Python library, on the Ansible controller)
"""
