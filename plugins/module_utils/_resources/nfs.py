# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptor of NFS shares (``sharing.nfs``); the same shape on TrueNAS 25.04, 25.10 and 26."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError, normalize_path, path_from_api
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource

SECURITY_FLAVORS = ("SYS", "KRB5", "KRB5I", "KRB5P")
_HOST_FORBIDDEN = ("'", '"')


def parse_path(value):
    """One spelling of the path (no trailing or doubled slashes), so ``/mnt/tank/a/`` and
    ``/mnt/tank/a`` are the same export."""
    return normalize_path(value)


def _network(item):
    if not isinstance(item, str) or not item.strip():
        raise ValueError("entries must be networks in CIDR notation such as 192.168.1.0/24, got %r" % (item,))
    try:
        return ipaddress.ip_network(item.strip(), strict=False)
    except ValueError:
        raise ValueError("%r is not a valid IPv4 or IPv6 network" % item)


def parse_networks(value):
    """Normalise like the server (``ip_network(strict=False)``); reject all-networks, duplicates
    and overlaps, which TrueNAS refuses too."""
    networks = []
    for item in value:
        network = _network(item)
        if network.prefixlen == 0:
            raise ValueError("%s means every network; leave networks empty to allow all networks" % network)
        for other in networks:
            if other == network:
                raise ValueError("%s is listed more than once" % network)
            if other.version == network.version and other.overlaps(network):
                raise ValueError("%s overlaps %s; list each network once" % (network, other))
        networks.append(network)
    return [str(network) for network in networks]


def networks_from_api(value):
    """Server values normalised the same way, so comparisons are like for like."""
    result = []
    for item in value:
        try:
            result.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            result.append(item)
    return result


def parse_hosts(value):
    hosts = []
    for item in value:
        if not isinstance(item, str) or not item:
            raise ValueError("entries must be host names or IP addresses, got %r" % (item,))
        if any(ch.isspace() for ch in item) or any(ch in item for ch in _HOST_FORBIDDEN):
            raise ValueError("%r is not a host name or IP address: spaces and quotes are not allowed" % item)
        if item in hosts:
            raise ValueError("%s is listed more than once" % item)
        hosts.append(item)
    return hosts


def parse_security(value):
    flavors = []
    for item in value:
        flavor = item.upper() if isinstance(item, str) else item
        if flavor not in SECURITY_FLAVORS:
            raise ValueError("%r is not a security flavor; use %s" % (item, ", ".join(SECURITY_FLAVORS)))
        if flavor not in flavors:
            flavors.append(flavor)
    return flavors


def security_from_api(value):
    return [item.upper() if isinstance(item, str) else item for item in value]


def optional_name(value):
    """User and group names; an empty string means none (null in the API)."""
    return value or None


class NfsShareResource(Resource):
    NAME = "NFS share"
    NAMESPACE = "sharing.nfs"
    RESULT_KEY = "nfs_share"
    IDENTITY = ("path",)
    ERROR_PREFIXES = ("data", "sharingnfs_create", "sharingnfs_update")
    FIELDS = (
        Field("path", parse=parse_path, from_api=path_from_api),
        Field("comment"),
        Field("enabled"),
        Field("readonly", api="ro"),
        Field("networks", compare="set", parse=parse_networks, from_api=networks_from_api),
        Field("hosts", compare="set", parse=parse_hosts),
        Field("maproot_user", parse=optional_name),
        Field("maproot_group", parse=optional_name),
        Field("mapall_user", parse=optional_name),
        Field("mapall_group", parse=optional_name),
        Field("security", compare="iset", parse=parse_security, from_api=security_from_api),
        Field("expose_snapshots"),
        Field("locked", output_only=True),
        Field("dataset", output_only=True),
        Field("relative_path", output_only=True),
    )

    def query_filters(self, desired):
        """By path, also matching a share stored with a trailing slash (before paths were normalised)."""
        path = desired.get("path")
        if path is None or path == "/":
            return super(NfsShareResource, self).query_filters(desired)
        return [["path", "in", [path, path + "/"]]]

    def validate(self, desired, params):
        if desired.get("maproot_user") and desired.get("mapall_user"):
            raise OptionError("mapall_user", "cannot be combined with maproot_user; set one of them")
