#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_service_ftp
short_description: Configure the FTP service of TrueNAS SCALE
version_added: 0.1.0
description:
  - Configure the FTP service (ProFTPD) of TrueNAS SCALE 25.04, 25.10 and 26 (C(ftp.config) and C(ftp.update)).
  - Only the options that are set are compared and changed; the others keep their current values.
  - If the FTP service is running, TrueNAS reloads it to apply the change; a stopped service stays stopped.
    Use M(nasops.truenas.truenas_service) to start it or enable it at boot.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  ftp_port:
    description:
      - TCP port the FTP server listens on (the C(port) field of the API; the option is not O(port), which is
        the port the module connects to). TrueNAS uses 21.
    type: int
  clients:
    description:
      - Maximum number of simultaneous clients, 1 to 10000.
    type: int
  ipconnections:
    description:
      - Maximum connections per IP address; 0 for no limit.
    type: int
  loginattempt:
    description:
      - Failed logins allowed before a client is disconnected; 0 for no limit.
    type: int
  idle_timeout:
    description:
      - Seconds an idle client may stay connected (the C(timeout) field of the API; the option is not
        O(timeout), which is the module's connection timeout).
    type: int
  timeout_notransfer:
    description:
      - Seconds a client may stay connected without transferring data.
    type: int
  onlyanonymous:
    description:
      - Allow anonymous logins only; needs O(anonpath).
    type: bool
  anonpath:
    description:
      - Directory inside a pool that anonymous users see. An empty string removes it.
    type: str
  onlylocal:
    description:
      - Allow only local users to log in (no anonymous logins).
    type: bool
  banner:
    description:
      - Message shown to clients when they connect.
    type: str
  filemask:
    description:
      - Umask of new files as three octal digits, such as V('077').
    type: str
  dirmask:
    description:
      - Umask of new directories as three octal digits, such as V('022').
    type: str
  fxp:
    description:
      - Allow server-to-server transfers (FXP).
    type: bool
  resume:
    description:
      - Allow clients to resume interrupted transfers.
    type: bool
  defaultroot:
    description:
      - Keep local users inside their home directories (chroot).
    type: bool
  ident:
    description:
      - Look up the client user with the ident protocol.
    type: bool
  reversedns:
    description:
      - Resolve client addresses to names.
    type: bool
  masqaddress:
    description:
      - Public address to announce in passive mode (behind NAT).
    type: str
  passiveportsmin:
    description:
      - Lowest passive port; 0 (any) or 1024 to 65535.
    type: int
  passiveportsmax:
    description:
      - Highest passive port; 0 (any) or 1024 to 65535, not below O(passiveportsmin).
    type: int
  localuserbw:
    description:
      - Upload bandwidth limit of local users in KiB/s; 0 for none.
    type: int
  localuserdlbw:
    description:
      - Download bandwidth limit of local users in KiB/s; 0 for none.
    type: int
  anonuserbw:
    description:
      - Upload bandwidth limit of anonymous users in KiB/s; 0 for none.
    type: int
  anonuserdlbw:
    description:
      - Download bandwidth limit of anonymous users in KiB/s; 0 for none.
    type: int
  tls:
    description:
      - Enable FTPS (TLS). TrueNAS requires O(ssltls_certificate) with it.
    type: bool
  tls_policy:
    description:
      - Which parts of a session must use TLS, such as V(on), V(auth), V(data) or V(ctrl+data).
    type: str
  ssltls_certificate:
    description:
      - Id of the certificate used for TLS.
    type: int
  options:
    description:
      - Extra ProFTPD configuration lines.
    type: str
notes:
  - FTP users are local users (M(nasops.truenas.truenas_user)) with a home directory; EXAMPLES shows the recipe.
seealso:
  - module: nasops.truenas.truenas_service
"""

EXAMPLES = r"""
- name: FTP for local users only, each kept in their home directory
  nasops.truenas.truenas_service_ftp:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    onlylocal: true
    defaultroot: true
    clients: 20
    passiveportsmin: 50000
    passiveportsmax: 50100

# FTP users are local users with a home directory: create them with truenas_user,
# configure the service, then start it.
- name: An FTP user, the FTP settings and the running service
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: A local user whose home directory is the FTP area
      nasops.truenas.truenas_user:
        name: ftpuser
        full_name: FTP upload account
        user_password: "{{ ftp_password }}"
        smb: false
        home: /mnt/tank/ftp
        home_create: true
        home_mode: "750"
        shell: /usr/sbin/nologin

    - name: FTP settings
      nasops.truenas.truenas_service_ftp:
        onlylocal: true
        defaultroot: true
        banner: Uploads only
        filemask: "027"
        dirmask: "027"

    - name: Start FTP now and at boot
      nasops.truenas.truenas_service:
        name: ftp
        enabled: true
        state: started
"""

RETURN = r"""
ftp:
  description:
    - The settings as TrueNAS reports them after the run, with option names. In check mode, the predicted settings.
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the settings row (always 1).
      type: int
      sample: 1
    ftp_port:
      description: TCP port the FTP server listens on (the C(port) field of the API; the option is not
        O(port), which is the port the module connects to).
      type: int
      sample: 21
    clients:
      description: Maximum number of simultaneous clients, 1 to 10000.
      type: int
      sample: 5
    ipconnections:
      description: Maximum connections per IP address; 0 for no limit.
      type: int
      sample: 2
    loginattempt:
      description: Failed logins allowed before a client is disconnected; 0 for no limit.
      type: int
      sample: 1
    idle_timeout:
      description: Seconds an idle client may stay connected (the C(timeout) field of the API; the option is
        not O(timeout), which is the module's connection timeout).
      type: int
      sample: 600
    timeout_notransfer:
      description: Seconds a client may stay connected without transferring data.
      type: int
      sample: 300
    onlyanonymous:
      description: Allow anonymous logins only; needs O(anonpath).
      type: bool
      sample: false
    anonpath:
      description: Directory inside a pool that anonymous users see.
      type: str
      sample: null
    onlylocal:
      description: Allow only local users to log in (no anonymous logins).
      type: bool
      sample: true
    banner:
      description: Message shown to clients when they connect.
      type: str
      sample: ""
    filemask:
      description: Umask of new files as three octal digits, such as V('077').
      type: str
      sample: "077"
    dirmask:
      description: Umask of new directories as three octal digits, such as V('022').
      type: str
      sample: "022"
    fxp:
      description: Allow server-to-server transfers (FXP).
      type: bool
      sample: false
    resume:
      description: Allow clients to resume interrupted transfers.
      type: bool
      sample: false
    defaultroot:
      description: Keep local users inside their home directories (chroot).
      type: bool
      sample: true
    ident:
      description: Look up the client user with the ident protocol.
      type: bool
      sample: false
    reversedns:
      description: Resolve client addresses to names.
      type: bool
      sample: false
    masqaddress:
      description: Public address to announce in passive mode (behind NAT).
      type: str
      sample: ""
    passiveportsmin:
      description: Lowest passive port; 0 (any) or 1024 to 65535.
      type: int
      sample: 0
    passiveportsmax:
      description: Highest passive port; 0 (any) or 1024 to 65535, not below O(passiveportsmin).
      type: int
      sample: 0
    localuserbw:
      description: Upload bandwidth limit of local users in KiB/s; 0 for none.
      type: int
      sample: 0
    localuserdlbw:
      description: Download bandwidth limit of local users in KiB/s; 0 for none.
      type: int
      sample: 0
    anonuserbw:
      description: Upload bandwidth limit of anonymous users in KiB/s; 0 for none.
      type: int
      sample: 0
    anonuserdlbw:
      description: Download bandwidth limit of anonymous users in KiB/s; 0 for none.
      type: int
      sample: 0
    tls:
      description: Enable FTPS (TLS).
      type: bool
      sample: false
    tls_policy:
      description: Which parts of a session must use TLS, such as V(on), V(auth), V(data) or V(ctrl+data).
      type: str
      sample: on
    ssltls_certificate:
      description: Id of the certificate used for TLS.
      type: int
      sample: null
    options:
      description: Extra ProFTPD configuration lines.
      type: str
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.service import FtpSettingsResource


def argument_spec():
    return dict(
        ftp_port=dict(type="int"),
        clients=dict(type="int"),
        ipconnections=dict(type="int"),
        loginattempt=dict(type="int"),
        idle_timeout=dict(type="int"),
        timeout_notransfer=dict(type="int"),
        onlyanonymous=dict(type="bool"),
        anonpath=dict(type="str"),
        onlylocal=dict(type="bool"),
        banner=dict(type="str"),
        filemask=dict(type="str"),
        dirmask=dict(type="str"),
        fxp=dict(type="bool"),
        resume=dict(type="bool"),
        defaultroot=dict(type="bool"),
        ident=dict(type="bool"),
        reversedns=dict(type="bool"),
        masqaddress=dict(type="str"),
        passiveportsmin=dict(type="int"),
        passiveportsmax=dict(type="int"),
        localuserbw=dict(type="int"),
        localuserdlbw=dict(type="int"),
        anonuserbw=dict(type="int"),
        anonuserdlbw=dict(type="int"),
        tls=dict(type="bool"),
        tls_policy=dict(type="str"),
        ssltls_certificate=dict(type="int"),
        options=dict(type="str"),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(FtpSettingsResource)


if __name__ == "__main__":
    main()
