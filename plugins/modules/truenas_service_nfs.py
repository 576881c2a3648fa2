#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_service_nfs
short_description: Configure the NFS service of TrueNAS SCALE
version_added: 0.1.0
description:
  - Configure the NFS service of TrueNAS SCALE 25.04, 25.10 and 26 (C(nfs.config) and C(nfs.update)).
  - Only the options that are set are compared and changed; the others keep their current values.
  - If the NFS service is running, TrueNAS restarts it to apply the change; a stopped service stays stopped.
    Use M(nasops.truenas.truenas_service) to start it or enable it at boot.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  servers:
    description:
      - Number of NFS server threads, 1 to 256. TrueNAS picks a number from the CPU count when it is not set.
    type: int
  allow_nonroot:
    description:
      - Accept client requests from ports above 1024.
    type: bool
  protocols:
    description:
      - NFS versions to serve, V(NFSV3) and/or V(NFSV4) (V(nfs4) and V(NFSv4) are accepted too). Order does not
        matter.
    type: list
    elements: str
  v4_krb:
    description:
      - Require Kerberos for NFSv4; needs V(NFSV4) in O(protocols).
    type: bool
  v4_domain:
    description:
      - NFSv4 ID mapping domain.
    type: str
  bindip:
    description:
      - IP addresses of this server that NFS listens on; V([]) for all. Order does not matter.
    type: list
    elements: str
  mountd_port:
    description:
      - Fixed port of mountd (not 20049, used by NFS over RDMA).
    type: int
  rpcstatd_port:
    description:
      - Fixed port of rpc.statd (not 20049).
    type: int
  rpclockd_port:
    description:
      - Fixed port of rpc.lockd (not 20049).
    type: int
  mountd_log:
    description:
      - Log mountd requests.
    type: bool
  statd_lockd_log:
    description:
      - Log statd and lockd messages.
    type: bool
  userd_manage_gids:
    description:
      - Let the server look up the groups of users (for more than 16 groups).
    type: bool
  rdma:
    description:
      - Serve NFS over RDMA (needs RDMA-capable hardware).
    type: bool
seealso:
  - module: nasops.truenas.truenas_service
"""

EXAMPLES = r"""
- name: NFSv4 only, with 16 server threads
  nasops.truenas.truenas_service_nfs:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    protocols: [NFSV4]
    servers: 16

- name: Start NFS now and at boot
  nasops.truenas.truenas_service:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    name: nfs
    enabled: true
    state: started
"""

RETURN = r"""
nfs:
  description:
    - The settings as TrueNAS reports them after the run, with option names. In check mode, the predicted settings.
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the settings row (always 1).
      type: int
      sample: 1
    servers:
      description: Number of NFS server threads, 1 to 256.
      type: int
      sample: null
    allow_nonroot:
      description: Accept client requests from ports above 1024.
      type: bool
      sample: false
    protocols:
      description: NFS versions to serve, V(NFSV3) and/or V(NFSV4) (V(nfs4) and V(NFSv4) are accepted too).
      type: list
      elements: str
      sample: [NFSV3, NFSV4]
    v4_krb:
      description: Require Kerberos for NFSv4; needs V(NFSV4) in O(protocols).
      type: bool
      sample: false
    v4_domain:
      description: NFSv4 ID mapping domain.
      type: str
      sample: ""
    bindip:
      description: IP addresses of this server that NFS listens on; V([]) for all.
      type: list
      elements: str
      sample: []
    mountd_port:
      description: Fixed port of mountd (not 20049, used by NFS over RDMA).
      type: int
      sample: null
    rpcstatd_port:
      description: Fixed port of rpc.statd (not 20049).
      type: int
      sample: null
    rpclockd_port:
      description: Fixed port of rpc.lockd (not 20049).
      type: int
      sample: null
    mountd_log:
      description: Log mountd requests.
      type: bool
      sample: false
    statd_lockd_log:
      description: Log statd and lockd messages.
      type: bool
      sample: false
    userd_manage_gids:
      description: Let the server look up the groups of users (for more than 16 groups).
      type: bool
      sample: false
    rdma:
      description: Serve NFS over RDMA (needs RDMA-capable hardware).
      type: bool
      sample: false
    v4_krb_enabled:
      description: Whether Kerberos is in effect for NFSv4.
      type: bool
      sample: false
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.service import NfsSettingsResource


def argument_spec():
    return dict(
        servers=dict(type="int"),
        allow_nonroot=dict(type="bool"),
        protocols=dict(type="list", elements="str"),
        v4_krb=dict(type="bool"),
        v4_domain=dict(type="str"),
        bindip=dict(type="list", elements="str"),
        mountd_port=dict(type="int"),
        rpcstatd_port=dict(type="int"),
        rpclockd_port=dict(type="int"),
        mountd_log=dict(type="bool"),
        statd_lockd_log=dict(type="bool"),
        userd_manage_gids=dict(type="bool"),
        rdma=dict(type="bool"),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(NfsSettingsResource)


if __name__ == "__main__":
    main()
