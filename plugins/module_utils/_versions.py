# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nasops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# PRIVATE: internal use only. This module is not part of the public API of the
# nasops.truenas collection and may change at any time without notice.

"""TrueNAS product versions and the declared capability map.

Every version difference the collection knows is one row of ``CAPABILITY_RULES``: a capability
name and its value from each release on. Code asks ``caps.<name>`` or ``caps.require(name)``;
it never compares versions itself.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASError,
    TrueNASUnsupportedError,
)

MIN_VERSION = (25, 4)
SUPPORTED_SERIES = "25.04, 25.10 and 26"

# name -> ((first version, value), ...) in ascending order; the value of the last entry whose
# version is <= the server's applies.
CAPABILITY_RULES = {
    "smb_shape": (((25, 4), "flat"), ((25, 10), "purpose_options")),
    "snapshot_namespace": (((25, 4), "zfs.snapshot"), ((25, 10), "pool.snapshot")),
    "vm_device_dtype": (((25, 4), "attributes"),),
    "vms": (((25, 4), False), ((25, 4, 2), True)),
    "display_types": (((25, 4), ("SPICE",)), ((25, 10), ("SPICE", "VNC"))),
    "vm_update_secure_boot": (((25, 4), True), ((25, 10), False)),
    "new_style_jobs": (((25, 4), False), ((25, 10), True)),
    "ping_before_auth": (((25, 4), False), ((25, 10), True)),
    "dataset_tn_props_in_user_properties": (((25, 4), False), ((25, 10), True)),
    "query_limit_max": (((25, 4), None), ((25, 10), 10000)),
    # update.check_available was replaced by update.status in 25.10 (methods-more.md, "General").
    "update_status_method": (((25, 4), "update.check_available"), ((25, 10), "update.status")),
    # SMART tests, their results and attributes left the public API in 25.10 (methods-more.md, "General").
    "smart_tests": (((25, 4), True), ((25, 10), False)),
    # Fewest PBKDF2 iterations a passphrase-encrypted dataset may use.
    "pbkdf2iters_min": (((25, 4), 100000), ((26,), 1300000)),
    # SMB DEFAULT_SHARE options hostsallow/hostsdeny and the FCP_SHARE purpose (not in 25.10.0).
    "smb_hosts_and_fcp": (((25, 4), True), ((25, 10), False), ((25, 10, 1), True)),
    # vm.device.update validates attributes as a whole dtype-chosen model (25.04): send dtype and
    # every attribute, since the model fills unsent ones with defaults.
    "vm_device_update_full": (((25, 4), True), ((25, 10), False)),
    # smb.update's enable_smb1 was replaced by minimum_protocol (SMB1|SMB2|SMB3) in 26 (schemas-26 notes).
    "smb_enable_smb1": (((25, 4), True), ((26,), False)),
    "smb_minimum_protocol": (((25, 4), False), ((26,), True)),
    # service.control (a job); before it, service.start/stop/restart/reload.
    "service_control": (((25, 4), False), ((25, 10), True)),
}

_VERSION_RE = re.compile(r"(?<![\d.])(\d+)\.(\d+)((?:\.\d+)*)(?:-([A-Za-z0-9.]+))?")


def parse_version(text):
    """The numeric tuple of a TrueNAS product version.

    ``"25.10.5"`` -> ``(25, 10, 5)``; ``"25.04.2.6"`` -> ``(25, 4, 2, 6)``;
    ``"26.0.0-BETA.3"`` -> ``(26, 0, 0)``; ``"TrueNAS-25.10.1"`` -> ``(25, 10, 1)``.
    Raises TrueNASError when ``text`` holds no version.
    """
    if isinstance(text, (tuple, list)) and text and all(isinstance(p, int) and not isinstance(p, bool) for p in text):
        return tuple(text)
    if not isinstance(text, str):
        raise TrueNASError("cannot read a TrueNAS version from %r" % (text,))
    match = _VERSION_RE.search(text)
    if not match:
        raise TrueNASError("cannot read a TrueNAS version from %r" % (text,))
    numbers = [int(match.group(1)), int(match.group(2))]
    if match.group(3):
        numbers.extend(int(part) for part in match.group(3).strip(".").split("."))
    return tuple(numbers)


def version_suffix(text):
    """The pre-release part of a version string (``"BETA.3"``), or None."""
    if not isinstance(text, str):
        return None
    match = _VERSION_RE.search(text)
    return match.group(4) if match and match.group(4) else None


def format_version(version):
    """``(25, 4, 2)`` -> ``"25.04.2"``; ``(26, 0)`` -> ``"26.0"``."""
    version = tuple(version)
    if len(version) >= 2 and version[0] >= 20 and version[1] < 10 and version[0] < 26:
        head = "%d.%02d" % (version[0], version[1])
    else:
        head = ".".join(str(p) for p in version[:2])
    return ".".join([head] + [str(p) for p in version[2:]])


def rule_value(rules, version):
    value = None
    for first, candidate in rules:
        if version >= first:
            value = candidate
    if isinstance(value, tuple):
        return list(value)
    return value


class Capabilities:
    """The declared capabilities of one TrueNAS version (see ``CAPABILITY_RULES``).

    Each capability is an attribute (``caps.smb_shape``); ``caps.require(name, option)`` raises
    TrueNASUnsupportedError naming the option and the needed version when it is not available.
    TrueNAS older than 25.04 raises TrueNASUnsupportedError at construction.
    """

    def __init__(self, version, version_string=None):
        self.version = parse_version(version)
        self.version_string = version_string or (version if isinstance(version, str) else format_version(self.version))
        if self.version < MIN_VERSION:
            raise TrueNASUnsupportedError(
                "unsupported version: TrueNAS %s is older than 25.04; this collection needs the JSON-RPC API of "
                "TrueNAS %s" % (self.version_string, SUPPORTED_SERIES)
            )
        self._values = {}
        for name, rules in CAPABILITY_RULES.items():
            self._values[name] = rule_value(rules, self.version)
            setattr(self, name, self._values[name])

    def __getitem__(self, name):
        return self._values[name]

    def __contains__(self, name):
        return name in self._values

    def get(self, name, default=None):
        return self._values.get(name, default)

    def as_dict(self):
        return dict((name, list(value) if isinstance(value, list) else value) for name, value in self._values.items())

    def __repr__(self):
        return "Capabilities(%r)" % (self.version_string,)

    def require(self, capability, option=None):
        """Raise TrueNASUnsupportedError unless ``capability`` is true on this version."""
        if capability not in CAPABILITY_RULES:
            raise ValueError("unknown capability %r" % (capability,))
        if self._values[capability]:
            return
        rules = CAPABILITY_RULES[capability]
        what = "option '%s'" % option if option else "'%s'" % capability
        later = [first for first, value in rules if value and first > self.version]
        if later:
            raise TrueNASUnsupportedError(
                "%s needs TrueNAS %s or later (this server runs %s)" % (what, format_version(later[0]), self.version_string)
            )
        earlier = [(first, index) for index, (first, value) in enumerate(rules) if value and first <= self.version]
        if earlier:
            first, index = earlier[-1]
            until = rules[index + 1][0] if index + 1 < len(rules) else None
            span = "before %s" % format_version(until) if until else "from %s" % format_version(first)
            raise TrueNASUnsupportedError(
                "%s is only supported on TrueNAS %s (this server runs %s)" % (what, span, self.version_string)
            )
        raise TrueNASUnsupportedError("%s is not supported by TrueNAS %s" % (what, self.version_string))
