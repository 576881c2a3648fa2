# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptor of the global network configuration (``network.configuration``); one shape on
25.04, 25.10 and 26. The three ``nameserverN`` fields are one ``nameservers`` list option."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re

from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field
from ansible_collections.nasops.truenas.plugins.module_utils._resources.service import SettingsResource

NAMESERVER_KEYS = ("nameserver1", "nameserver2", "nameserver3")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def parse_hostname(value):
    if not _LABEL.match(value):
        raise ValueError("%r is not a host name: letters, digits and '-' (not first or last), at most 63 characters"
                         % value)
    return value


def parse_domain(value):
    if value and not all(_LABEL.match(label) for label in value.split(".")):
        raise ValueError("%r is not a domain name" % value)
    return value


def _address(value, version=None):
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ValueError("%r is not an IP address" % value)
    if version and address.version != version:
        raise ValueError("%s is not an IPv%d address" % (value, version))
    return str(address)


def parse_gateway4(value):
    return _address(value, 4) if value else ""


def parse_gateway6(value):
    return _address(value, 6) if value else ""


def parse_nameservers(value):
    if len(value) > 3:
        raise ValueError("TrueNAS takes at most three name servers, got %d" % len(value))
    servers = []
    for item in value:
        address = _address(item)
        if address in servers:
            raise ValueError("%s is listed more than once" % address)
        servers.append(address)
    return servers


def parse_hosts(value):
    entries = []
    for item in value:
        parts = item.split()
        if len(parts) < 2:
            raise ValueError("entries must be '<IP address> <host name> [<alias>...]', got %r" % item)
        _address(parts[0])
        entries.append(" ".join(parts))
    return entries


def hosts_from_api(value):
    return [" ".join(item.split()) for item in value]


def parse_proxy(value):
    if value and not re.match(r"^https?://[^\s/]+", value):
        raise ValueError("must be a URL such as http://proxy.example.com:3128, got %r" % value)
    return value


class NetworkConfigResource(SettingsResource):
    NAME = "network configuration"
    NAMESPACE = "network.configuration"
    RESULT_KEY = "network"
    ERROR_PREFIXES = ("data", "global_configuration_update")
    FIELDS = (
        Field("hostname", parse=parse_hostname),
        Field("domain", parse=parse_domain),
        Field("nameservers", parse=parse_nameservers, api_aliases=NAMESERVER_KEYS),
        Field("ipv4gateway", parse=parse_gateway4),
        Field("ipv6gateway", parse=parse_gateway6),
        Field("httpproxy", parse=parse_proxy),
        Field("hosts", parse=parse_hosts, from_api=hosts_from_api),
        Field("domains", compare="set", parse=lambda value: [parse_domain(v) for v in value]),
    )

    def find(self, ctx):
        return self._decorate(SettingsResource.find(self, ctx))

    def reread(self, ctx, record):
        return self._decorate(SettingsResource.reread(self, ctx, record))

    @staticmethod
    def _decorate(raw):
        raw = dict(raw)
        raw["nameservers"] = [raw[key] for key in NAMESERVER_KEYS if raw.get(key)]
        return raw

    def payload(self, values):
        data = SettingsResource.payload(self, dict((k, v) for k, v in values.items() if k != "nameservers"))
        if "nameservers" in values:
            servers = list(values["nameservers"]) + [""] * 3
            data.update(zip(NAMESERVER_KEYS, servers[:3]))
        return data
