# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: truenas
short_description: Virtual machines of TrueNAS SCALE as inventory hosts
version_added: 0.1.0
description:
  - Reads the virtual machines of a TrueNAS SCALE 25.04.2, 25.10 or 26 system and makes each one an inventory host
    named after the VM.
  - One connection and one C(vm.query) call read every VM together with its devices, so the run costs the same for
    one VM or hundreds.
  - The inventory source is a YAML file whose name ends in C(truenas.yml) or C(truenas.yaml) and which sets
    O(plugin) to V(nasops.truenas.truenas).
  - 'Every host gets these variables: C(truenas_id), C(truenas_name), C(truenas_description), C(truenas_status)
    (the power state: C(RUNNING), C(STOPPED), C(SUSPENDED) or C(ERROR)), C(truenas_vcpus), C(truenas_cores),
    C(truenas_threads), C(truenas_cpu_count) (vcpus x cores x threads), C(truenas_memory) and
    C(truenas_min_memory) (MiB), C(truenas_autostart), C(truenas_bootloader), C(truenas_uuid).'
  - 'Summaries of the devices: C(truenas_nic_macs) and C(truenas_nic_attach) (one entry per NIC in device order; a
    MAC is null when TrueNAS generates one at every start), C(truenas_display_ports) (a list of C({type, port,
    web_port}) per display), C(truenas_disks) (paths of DISK and RAW devices), C(truenas_cdroms) (ISO paths) and
    C(truenas_devices) (every device with its id, dtype, order and main attributes).'
  - Display passwords are never read into the inventory.
  - Every value that comes from TrueNAS is marked unsafe, so text such as a VM description is never templated.
  - Default groups (see O(default_groups)) - by power state, C(truenas_running), C(truenas_stopped),
    C(truenas_suspended) and C(truenas_error); by name prefix, C(truenas_prefix_<name>) where C(<name>) is the VM name
    without trailing digits and underscores, so C(controlplane01) and C(controlplane02) are both in
    C(truenas_prefix_controlplane).
  - Connection options work like those of the modules, including the E(TRUENAS_*) environment variables. An
    environment variable that is set but empty counts as not set (AWX sets every variable of a credential type).
  - See C(docs/inventory.md) in the collection for a walk-through.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection.plugins
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description:
      - The name of this plugin; it marks the file as an inventory source of this plugin.
    type: str
    required: true
    choices: [nasops.truenas.truenas]
  filters:
    description:
      - Query filters passed to C(vm.query), so TrueNAS itself selects the VMs. Only matching VMs become hosts.
      - A list of conditions C([field, operator, value]) that must all hold, or C(["OR", [condition, ...]]) entries.
        Operators include C(=), C(!=), C(^) (starts with), C($) (ends with), C(in), C(nin) and C(~) (regular
        expression anchored at the start); field paths use dots, for example C(status.state).
      - Invalid filters fail the inventory with the reason TrueNAS gives.
    type: list
    elements: raw
    default: []
  exclude:
    description:
      - VMs whose names match any of these shell-style patterns (C(*), C(?), C([seq])) are left out.
      - Matching is case-sensitive and applied after O(filters).
    type: list
    elements: str
    default: []
  default_groups:
    description:
      - Which default groups to create. V(state) makes the power-state groups (C(truenas_running), ...),
        V(prefix) the name-prefix groups (C(truenas_prefix_<name>)).
      - Set to V([]) to create no default groups; O(groups) and O(keyed_groups) still work.
    type: list
    elements: str
    choices: [state, prefix]
    default: [state, prefix]
requirements:
  - websocket-client >= 1.6.0 (Python library, on the Ansible controller)
notes:
  - The connection needs a user with read access to virtual machines (for example the C(READONLY_ADMIN) role).
  - With O(cache=true) a cached result that is still valid is used without connecting to TrueNAS; a change of the
    address or of O(filters) makes the plugin read TrueNAS again.
seealso:
  - name: Inventory guide of nasops.truenas
    description: How to write inventory sources for TrueNAS VMs, with AWX.
    link: https://github.com/nasops/truenas/blob/main/docs/inventory.md
"""

EXAMPLES = r"""
# More examples and a walk-through: docs/inventory.md in the collection.

# vms.truenas.yml: every VM, connection from the TRUENAS_* environment variables
# (TRUENAS_HOST, TRUENAS_API_KEY, TRUENAS_USERNAME, ...).
plugin: nasops.truenas.truenas

---
# k8s.truenas.yml: only the VMs whose names start with "k8s_", without test VMs,
# with the connection in the file and the API key from the environment (TRUENAS_API_KEY).
plugin: nasops.truenas.truenas
host: nas.example.com
username: ansible
filters:
  - [name, "^", k8s_]
exclude:
  - "*_test*"
compose:
  # the guest's address, from a DHCP reservation naming the first MAC
  ansible_host: truenas_name ~ '.lab.example.com'
  first_mac: truenas_nic_macs | first
groups:
  big_vms: truenas_memory >= 8192
keyed_groups:
  - key: truenas_nic_attach
    prefix: network
default_groups: [state]

---
# running.truenas.yml: running VMs only (filtered by TrueNAS), result cached for ten minutes
plugin: nasops.truenas.truenas
url: wss://nas.example.com:8443/api/current
ca_path: /etc/pki/truenas-ca.pem
filters:
  - [status.state, "=", RUNNING]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-truenas
cache_timeout: 600
"""

import fnmatch
import json
import re

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError
from ansible_collections.nasops.truenas.plugins.plugin_utils._client import (
    connection_options,
    error_message,
    open_client,
)

display = Display()

VAR_PREFIX = "truenas_"
GROUP_PREFIX = "truenas_"
CACHE_FORMAT = 1
# The attributes of each device type that are worth an inventory variable. An allowlist, so a
# secret (the display password) can never slip through.
DEVICE_ATTRIBUTES = {
    "DISK": ("path", "type", "iotype"),
    "RAW": ("path", "type", "size", "boot", "iotype"),
    "CDROM": ("path",),
    "NIC": ("type", "mac", "nic_attach", "trust_guest_rx_filters"),
    "DISPLAY": ("type", "port", "web_port", "bind", "web", "resolution"),
    "PCI": ("pptdev",),
    "USB": ("usb", "device", "controller_type"),
}
_TRAILING = re.compile(r"[0-9_]+$")


def name_prefix(name):
    """``name`` without trailing digits and underscores (``controlplane01`` -> ``controlplane``);
    ``""`` when nothing is left."""
    return _TRAILING.sub("", name or "")


def _device_sort_key(device):
    order = device.get("order")
    if not isinstance(order, int) or isinstance(order, bool):
        order = 0
    device_id = device.get("id")
    if not isinstance(device_id, int) or isinstance(device_id, bool):
        device_id = 0
    return (order, device_id)


def device_summary(device):
    """``{id, dtype, order, <allowlisted attributes>}`` of one ``vm.query`` device entry."""
    attributes = device.get("attributes") if isinstance(device.get("attributes"), dict) else {}
    dtype = attributes.get("dtype", device.get("dtype"))
    summary = {"id": device.get("id"), "dtype": dtype, "order": device.get("order")}
    for key in DEVICE_ATTRIBUTES.get(dtype, ()):
        if key in attributes:
            summary[key] = attributes[key]
    return summary


def host_vars(vm):
    """The ``truenas_*`` host variables of one ``vm.query`` entry (plain JSON-able values)."""
    devices = [device_summary(d) for d in sorted((d for d in vm.get("devices") or [] if isinstance(d, dict)),
                                                 key=_device_sort_key)]
    status = vm.get("status") if isinstance(vm.get("status"), dict) else {}
    vcpus, cores, threads = vm.get("vcpus"), vm.get("cores"), vm.get("threads")
    counts = [v for v in (vcpus, cores, threads) if isinstance(v, int) and not isinstance(v, bool)]
    nics = [d for d in devices if d["dtype"] == "NIC"]
    values = {
        "id": vm.get("id"),
        "name": vm.get("name"),
        "description": vm.get("description") or "",
        "status": status.get("state") or "UNKNOWN",
        "vcpus": vcpus,
        "cores": cores,
        "threads": threads,
        "cpu_count": counts[0] * counts[1] * counts[2] if len(counts) == 3 else None,
        "memory": vm.get("memory"),
        "min_memory": vm.get("min_memory"),
        "autostart": vm.get("autostart"),
        "bootloader": vm.get("bootloader"),
        "uuid": vm.get("uuid"),
        "nic_macs": [d.get("mac") for d in nics],
        "nic_attach": [d.get("nic_attach") for d in nics],
        "display_ports": [{"type": d.get("type"), "port": d.get("port"), "web_port": d.get("web_port")}
                          for d in devices if d["dtype"] == "DISPLAY"],
        "disks": [d.get("path") for d in devices if d["dtype"] in ("DISK", "RAW") and d.get("path")],
        "cdroms": [d.get("path") for d in devices if d["dtype"] == "CDROM" and d.get("path")],
        "devices": devices,
    }
    return dict((VAR_PREFIX + key, value) for key, value in values.items())


def check_filters(filters):
    """``filters`` as a list, or ValueError saying what is wrong (the server checks the rest)."""
    if filters is None:
        return []
    if not isinstance(filters, list):
        raise ValueError("must be a list of conditions such as [[\"name\", \"^\", \"k8s\"]], got %s"
                         % type(filters).__name__)
    for index, item in enumerate(filters, 1):
        if isinstance(item, list) and len(item) == 2 and item[0] == "OR" and isinstance(item[1], list):
            continue
        if isinstance(item, list) and len(item) == 3 and isinstance(item[0], str) and isinstance(item[1], str):
            continue
        raise ValueError("item %d must be a condition [field, operator, value] or [\"OR\", [conditions]], got %s"
                         % (index, json.dumps(item, default=str)))
    return filters


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """TrueNAS SCALE virtual machines as inventory hosts."""

    NAME = "nasops.truenas.truenas"

    def verify_file(self, path):
        if not super(InventoryModule, self).verify_file(path):
            return False
        return path.endswith(("truenas.yml", "truenas.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache=cache)
        config = self._read_config_data(path)
        try:
            options = connection_options(self.get_option, given=[k for k, v in config.items() if v is not None])
        except TrueNASError as exc:
            raise AnsibleParserError(str(exc)) from None
        filters, exclude, default_groups = self._plugin_options()
        fingerprint = self._fingerprint(options, filters)

        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache")
        read_cache = use_cache and cache
        write_cache = use_cache and not cache
        records = None
        if read_cache:
            records = self._cached(cache_key, fingerprint)
            write_cache = records is None
        if records is None:
            records = self._fetch(options, filters)
        if write_cache:
            self._cache[cache_key] = {"format": CACHE_FORMAT, "source": fingerprint, "hosts": records}
        self._populate(records, exclude, default_groups)

    # ---- options -----------------------------------------------------------------------------

    def _plugin_options(self):
        try:
            filters = check_filters(self.get_option("filters"))
        except ValueError as exc:
            raise AnsibleParserError("filters: %s" % exc) from None
        exclude = self.get_option("exclude") or []
        if not isinstance(exclude, list) or not all(isinstance(p, str) and p for p in exclude):
            raise AnsibleParserError("exclude: must be a list of non-empty name patterns such as \"*_test\"")
        default_groups = self.get_option("default_groups")
        if default_groups is None:
            default_groups = []
        unknown = [g for g in default_groups if g not in ("state", "prefix")]
        if unknown:
            raise AnsibleParserError("default_groups: unknown group kind %s; choose from state, prefix"
                                     % ", ".join(str(g) for g in unknown))
        return filters, exclude, default_groups

    @staticmethod
    def _fingerprint(options, filters):
        """What the cached hosts depend on (the address and the filters; never a secret)."""
        source = dict((name, options.get(name)) for name in ("host", "url", "port"))
        source["filters"] = filters
        return json.dumps(source, sort_keys=True, default=str)

    # ---- reading -----------------------------------------------------------------------------

    def _cached(self, cache_key, fingerprint):
        try:
            entry = self._cache[cache_key]
        except KeyError:
            return None
        if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT or entry.get("source") != fingerprint:
            display.vvv("truenas inventory: the cached hosts are for another source or format; reading TrueNAS")
            return None
        hosts = entry.get("hosts")
        if not isinstance(hosts, list) or not all(isinstance(h, dict) and isinstance(h.get(VAR_PREFIX + "name"), str)
                                                  for h in hosts):
            return None
        display.vvv("truenas inventory: %d hosts from the cache" % len(hosts))
        return hosts

    def _fetch(self, options, filters):
        client = open_client(options, AnsibleParserError, log=display.vvvv)
        try:
            for warning in client.warnings:
                display.warning(warning)
            client.caps.require("vms")
            vms = client.query("vm.query", filters)
        except TrueNASError as exc:
            raise AnsibleParserError(error_message(exc, options)) from None
        finally:
            client.close()
        if not isinstance(vms, list):
            raise AnsibleParserError("vm.query: expected a list of VMs, got %s" % type(vms).__name__)
        records = [host_vars(vm) for vm in vms if isinstance(vm, dict) and isinstance(vm.get("name"), str) and vm["name"]]
        display.vvv("truenas inventory: %d VMs from TrueNAS" % len(records))
        return records

    # ---- populating --------------------------------------------------------------------------

    def _populate(self, records, exclude, default_groups):
        strict = self.get_option("strict")
        for record in records:
            name = record[VAR_PREFIX + "name"]
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in exclude):
                display.vvv("truenas inventory: %s excluded" % name)
                continue
            host = self.inventory.add_host(wrap_var(name))
            for key, value in record.items():
                self.inventory.set_variable(host, key, wrap_var(value))
            if "state" in default_groups:
                self._add_to_group(GROUP_PREFIX + str(record[VAR_PREFIX + "status"]).lower(), host)
            prefix = name_prefix(name)
            if "prefix" in default_groups and prefix:
                self._add_to_group(GROUP_PREFIX + "prefix_" + prefix, host)
            hostvars = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)

    def _add_to_group(self, group, host):
        group = self.inventory.add_group(wrap_var(self._sanitize_group_name(group)))
        self.inventory.add_child(group, host)
