# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptor of storage pools as managed objects: create from disks, expand, export or destroy.

The ``topology`` option speaks the vocabulary of ``pool.create``: per vdev class a list of vdevs
(``type`` and ``disks``; disks by name or serial), ``spare`` a list of disks. It is compared by
vdev: a STRIPE vdev is one single-disk vdev per disk, any other vdev is its type and set of disks.
Vdevs the option lists that the pool lacks are added only with ``expand``; vdevs of the pool the
option does not list are left alone (TrueNAS cannot remove them).

Checks made before any change: the vdev rules of TrueNAS (minimum disks per type, one type for
all data vdevs, one log and one cache row), disks found by name or serial, not in use by another
pool, not listed twice, and (unless ``allow_mixed_sizes``) of one size within a vdev. Removing a
pool needs ``destroy`` set explicitly and ``confirm_name`` repeating the name.

``autotrim`` (``pool.update``) and ``comments`` (the root dataset) are set after the pool exists.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.nasops.truenas.plugins.module_utils._compare import Comparator, OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource
from ansible_collections.nasops.truenas.plugins.module_utils._resources.dataset import (
    DatasetResource,
    dataset_query_options,
)
from ansible_collections.nasops.truenas.plugins.module_utils._resources.pool import autotrim_value
from ansible_collections.nasops.truenas.plugins.module_utils._sizes import human

VDEV_CLASSES = ("data", "special", "dedup", "log", "cache")
MIN_DISKS = {"STRIPE": 1, "MIRROR": 2, "RAIDZ1": 3, "RAIDZ2": 4, "RAIDZ3": 5, "DRAID1": 2, "DRAID2": 3, "DRAID3": 4}
CLASS_TYPES = {
    "data": ("STRIPE", "MIRROR", "RAIDZ1", "RAIDZ2", "RAIDZ3", "DRAID1", "DRAID2", "DRAID3"),
    "special": ("STRIPE", "MIRROR"),
    "dedup": ("STRIPE", "MIRROR"),
    "log": ("STRIPE", "MIRROR"),
    "cache": ("STRIPE",),
}
_POOL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")
_RESERVED = ("mirror", "raidz", "draid", "spare", "log", "cache", "special", "dedup")


def parse_pool_name(value):
    if not _POOL_NAME.match(value or "") or len(value) > 50:
        raise ValueError("%r is not a pool name: start with a letter, then letters, digits and _ - . : "
                         "(50 characters at most)" % (value,))
    lowered = value.lower()
    if lowered.startswith(_RESERVED) or re.match(r"^c[0-9]", lowered) or lowered in ("boot-pool", "freenas-boot"):
        raise ValueError("%r is reserved by ZFS or TrueNAS and cannot name a pool" % value)
    return value


def _disk_list(value, where):
    if not isinstance(value, list) or not value:
        raise OptionError("topology", "%s must list at least one disk" % where)
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise OptionError("topology", "%s: disks are names such as sda or serial numbers, got %r" % (where, item))
        out.append(item.strip())
    return out


def parse_topology(value):
    """The topology option, checked for the rules that need no server; types upper case."""
    if not isinstance(value, dict):
        raise OptionError("topology", "must be a dictionary of vdev classes")
    topology = {}
    for cls in VDEV_CLASSES:
        vdevs = []
        for index, vdev in enumerate(value.get(cls) or []):
            where = "%s[%d]" % (cls, index)
            if not isinstance(vdev, dict):
                raise OptionError("topology", "%s must be a dictionary with type and disks" % where)
            vtype = str(vdev.get("type") or "STRIPE").upper()
            if vtype not in CLASS_TYPES[cls]:
                raise OptionError("topology", "%s: type %s is not allowed for %s vdevs; use %s"
                                  % (where, vtype, cls, ", ".join(CLASS_TYPES[cls])))
            disks = _disk_list(vdev.get("disks"), where)
            if len(disks) < MIN_DISKS[vtype]:
                raise OptionError("topology", "%s: a %s vdev needs at least %d disks, got %d"
                                  % (where, vtype, MIN_DISKS[vtype], len(disks)))
            entry = {"type": vtype, "disks": disks}
            for key in ("draid_data_disks", "draid_spare_disks"):
                if vdev.get(key) is not None:
                    if not vtype.startswith("DRAID"):
                        raise OptionError("topology", "%s: %s is only for DRAID vdevs" % (where, key))
                    entry[key] = vdev[key]
            vdevs.append(entry)
        if cls in ("data", "dedup"):
            types = sorted(set(v["type"] for v in vdevs))
            if len(types) > 1:
                raise OptionError("topology", "all %s vdevs must have one type, got %s" % (cls, " and ".join(types)))
        if cls in ("log", "cache") and len(vdevs) > 1:
            raise OptionError("topology", "%s takes one vdev (list its disks in it), got %d" % (cls, len(vdevs)))
        topology[cls] = vdevs
    topology["spare"] = _disk_list(value["spare"], "spare") if value.get("spare") else []
    names = [d for cls in VDEV_CLASSES for v in topology[cls] for d in v["disks"]] + topology["spare"]
    twice = sorted(set(d for d in names if names.count(d) > 1))
    if twice:
        raise OptionError("topology", "disks listed more than once: %s" % ", ".join(twice))
    return topology


def vdev_keys(vdev):
    """Comparison keys of one vdev: a STRIPE is one single-disk vdev per disk."""
    if vdev["type"] in ("STRIPE", "DISK"):
        return [("DISK", frozenset([d])) for d in vdev["disks"]]
    return [(vdev["type"], frozenset(vdev["disks"]))]


def missing_vdevs(desired, current):
    """``{class: [vdevs]}`` of ``desired`` the pool ``current`` (both option vocabulary) lacks, plus
    ``spare``; raises OptionError when a vdev is partly in the pool or its disks form another vdev."""
    current = current or {}
    missing = {}
    for cls in VDEV_CLASSES:
        have = set(key for vdev in current.get(cls) or [] for key in vdev_keys(vdev))
        in_pool = dict((d, key) for key in have for d in key[1])
        for index, vdev in enumerate(desired.get(cls) or []):
            for key in vdev_keys(vdev):
                if key in have:
                    continue
                present = sorted(d for d in key[1] if d in in_pool)
                if present:
                    other = in_pool[present[0]]
                    raise OptionError("topology", "%s[%d]: disk %s is already in a %s vdev of the pool with %s; TrueNAS "
                                      "cannot change an existing vdev" % (cls, index, present[0], other[0].replace(
                                          "DISK", "STRIPE"), ", ".join(sorted(other[1]))))
                missing.setdefault(cls, [])
                if key[0] == "DISK" and vdev["type"] == "STRIPE":
                    if missing[cls] and missing[cls][-1]["type"] == "STRIPE" and missing[cls][-1].get("_index") == index:
                        missing[cls][-1]["disks"].extend(sorted(key[1]))
                        continue
                    missing[cls].append({"type": "STRIPE", "disks": sorted(key[1]), "_index": index})
                else:
                    missing[cls].append(dict(vdev))
    spares = [d for d in desired.get("spare") or [] if d not in (current.get("spare") or [])]
    if spares:
        missing["spare"] = spares
    for vdevs in missing.values():
        for vdev in vdevs:
            if isinstance(vdev, dict):
                vdev.pop("_index", None)
    return missing


class TopologyComparator(Comparator):
    """Equal when the pool has every vdev the option lists (extra vdevs of the pool are fine)."""

    name = "topology"

    def equal(self, desired, current):
        if desired is None:
            return True
        return not missing_vdevs(desired, current)

    def merge(self, current, desired):
        merged = dict((cls, list((current or {}).get(cls) or [])) for cls in VDEV_CLASSES)
        merged["spare"] = list((current or {}).get("spare") or [])
        for cls, vdevs in missing_vdevs(desired, current).items():
            merged[cls].extend(vdevs)
        return merged


def topology_from_api(value):
    """pool.query topology -> option vocabulary (single-disk vdevs of a class as one STRIPE)."""
    if not isinstance(value, dict):
        return None
    out = {}
    for cls in VDEV_CLASSES:
        vdevs = []
        stripe = None
        for vdev in value.get(cls) or []:
            leaves = vdev.get("children") or []
            if vdev.get("type") == "DISK" or not leaves:
                if stripe is None:
                    stripe = {"type": "STRIPE", "disks": []}
                    vdevs.append(stripe)
                stripe["disks"].append(vdev.get("disk"))
            else:
                vtype = vdev.get("type")
                if vtype == "DRAID":
                    vtype = "DRAID" + (vdev.get("name") or "draid1")[5:6]
                vdevs.append({"type": vtype, "disks": [leaf.get("disk") for leaf in leaves]})
        out[cls] = vdevs
    out["spare"] = [vdev.get("disk") for vdev in value.get("spare") or []]
    return out


def topology_to_api(topology):
    """Option vocabulary -> the ``topology`` of pool.create / pool.update."""
    out = {}
    for cls in VDEV_CLASSES:
        if topology.get(cls):
            out[cls] = [dict(vdev) for vdev in topology[cls]]
    if topology.get("spare"):
        out["spares"] = list(topology["spare"])
    return out


def _disks_of(topology):
    return [d for cls in VDEV_CLASSES for v in topology.get(cls) or [] for d in v["disks"]] + list(topology.get("spare") or [])


class PoolConfigResource(Resource):
    NAME = "pool"
    NAMESPACE = "pool"
    RESULT_KEY = "pool"
    IDENTITY = ("name",)
    ERROR_PREFIXES = ("data", "pool_create", "pool_update")
    JOBS = frozenset(["pool.create", "pool.update", "pool.export"])
    FIELDS = (
        Field("name", parse=parse_pool_name),
        Field("topology", compare=TopologyComparator(), parse=parse_topology, from_api=topology_from_api),
        Field("encryption", create_only=True),
        Field("encryption_passphrase", api="encryption_options.passphrase", compare="ignore", no_log=True),
        Field("encryption_key", api="encryption_options.key", compare="ignore", no_log=True),
        Field("autotrim", compare="ignore", from_api=autotrim_value),
        Field("comments", compare="ignore"),
        Field("guid", output_only=True),
        Field("status", output_only=True),
        Field("healthy", output_only=True),
        Field("path", output_only=True),
        Field("size", output_only=True),
        Field("allocated", output_only=True),
        Field("free", output_only=True),
    )

    def method(self, action):
        # removing a pool is exporting it (with destroy: destroying it)
        return "pool.export" if action == "delete" else Resource.method(self, action)

    # ---- local checks ------------------------------------------------------------------------

    def validate(self, desired, params):
        name = desired.get("name")
        if (params.get("state") or "present") == "absent":
            if params.get("destroy") is None:
                raise OptionError("destroy", "must be set with state=absent: true destroys pool '%s' and all its data, "
                                  "false exports it (the data stays on the disks and the pool can be imported again)"
                                  % name)
            if params.get("confirm_name") != name:
                raise OptionError("confirm_name", "must repeat the pool name '%s' to %s it (got %r)"
                                  % (name, "destroy" if params.get("destroy") else "export", params.get("confirm_name")))
            return
        if desired.get("encryption_passphrase") is not None and desired.get("encryption_key") is not None:
            raise OptionError("encryption_key", "cannot be combined with encryption_passphrase; set one of them")
        if (desired.get("encryption_passphrase") is not None or desired.get("encryption_key") is not None) \
                and not desired.get("encryption"):
            option = "encryption_passphrase" if desired.get("encryption_passphrase") is not None else "encryption_key"
            raise OptionError(option, "needs encryption=true")
        phrase = desired.get("encryption_passphrase")
        if phrase is not None and len(phrase) < 8:
            raise OptionError("encryption_passphrase", "must be at least 8 characters long")
        key = desired.get("encryption_key")
        if key is not None and not re.match(r"^[0-9a-fA-F]{64}$", key):
            raise OptionError("encryption_key", "must be 64 hexadecimal characters (a 256-bit key)")

    # ---- reading -----------------------------------------------------------------------------

    def _fetch(self, ctx, filters):
        raw = ctx.client.get_one("pool.query", filters)
        if raw is None or raw.get("status") == "OFFLINE":
            return raw
        root = ctx.client.get_one("pool.dataset.query", [["id", "=", raw["name"]]], dataset_query_options(ctx.caps))
        if root is not None:
            dataset = DatasetResource().normalize(root, ctx.caps)
            raw = dict(raw, comments=dataset.get("comments", ""), encryption=bool(root.get("encrypted")))
        return raw

    def find(self, ctx):
        raw = self._fetch(ctx, self.query_filters(ctx.desired))
        if (ctx.params.get("state") or "present") == "absent":
            return raw
        disks = ctx.client.query("disk.query", [], {"extra": {"pools": True}}) if "topology" in ctx.desired else []
        ctx.action = None  # what follows are checks of the options, not a failed look-up
        if raw is not None and raw.get("status") == "OFFLINE":
            raise OptionError("name", "pool '%s' is known to TrueNAS but not imported (status OFFLINE); import or "
                              "export it first" % raw["name"])
        topology = ctx.desired.get("topology")
        if topology is None:
            if raw is None:
                raise OptionError("topology", "is required to create pool '%s'" % ctx.desired["name"])
            return raw
        topology = self._resolve(topology, disks)
        ctx.desired["topology"] = topology
        current = topology_from_api(raw.get("topology")) if raw is not None else None
        new = missing_vdevs(topology, current) if raw is not None else topology
        if raw is not None and new and not ctx.params.get("expand"):
            listed = "; ".join("%s %s" % (cls, ", ".join(
                "%s(%s)" % (v["type"], " ".join(v["disks"])) if isinstance(v, dict) else v for v in vdevs))
                for cls, vdevs in sorted(new.items()))
            raise OptionError("topology", "pool '%s' exists and lacks %s; set expand=true to add them (adding vdevs "
                              "cannot be undone)" % (ctx.desired["name"], listed))
        self._check_new_disks(ctx, new, disks, current)
        return raw

    def _resolve(self, topology, disks):
        """Disk serials -> names; unknown disks fail naming what is available."""
        by_name = dict((d.get("name"), d) for d in disks)
        by_serial = dict((d.get("serial"), d) for d in disks if d.get("serial"))

        def name_of(item):
            disk = by_name.get(item) or by_serial.get(item)
            if disk is None:
                free = sorted(d.get("name") for d in disks if not d.get("pool"))
                raise OptionError("topology", "disk %r was not found by name or serial; unused disks: %s"
                                  % (item, ", ".join(free) or "none"))
            return disk["name"]

        resolved = {}
        for cls in VDEV_CLASSES:
            resolved[cls] = [dict(vdev, disks=[name_of(d) for d in vdev["disks"]]) for vdev in topology.get(cls) or []]
        resolved["spare"] = [name_of(d) for d in topology.get("spare") or []]
        names = _disks_of(resolved)
        twice = sorted(set(d for d in names if names.count(d) > 1))
        if twice:
            raise OptionError("topology", "disks listed more than once (by name and serial): %s" % ", ".join(twice))
        return resolved

    def _check_new_disks(self, ctx, new, disks, current):
        by_name = dict((d.get("name"), d) for d in disks)
        busy = ["%s (pool %s)" % (name, by_name[name]["pool"]) for name in _disks_of(new)
                if by_name[name].get("pool") and by_name[name]["pool"] != ctx.desired["name"]]
        if busy:
            raise OptionError("topology", "disks in use: %s" % ", ".join(busy))
        if current is not None:
            have = set(v["type"] for v in current.get("data") or [])
            added = set(v["type"] for v in new.get("data") or [])
            if have and added and have != added:
                raise OptionError("topology", "the pool's data vdevs are %s; new data vdevs must be the same type, got %s"
                                  % (" and ".join(sorted(have)), " and ".join(sorted(added))))
        if ctx.params.get("allow_mixed_sizes"):
            return
        for cls in VDEV_CLASSES:
            for vdev in new.get(cls) or []:
                if vdev["type"] == "STRIPE":
                    continue
                sizes = dict((d, int(by_name[d].get("size") or 0)) for d in vdev["disks"])
                if len(set(sizes.values())) > 1:
                    detail = ", ".join("%s %s" % (d, human(s)) for d, s in sizes.items())
                    raise OptionError("topology", "the %s vdev %s mixes disk sizes (%s); every disk would only use the "
                                      "smallest size. Set allow_mixed_sizes=true to accept that"
                                      % (vdev["type"], " ".join(vdev["disks"]), detail))

    def reread(self, ctx, record):
        if isinstance(record, dict) and record.get("id") is not None:
            return self._fetch(ctx, [["id", "=", record["id"]]])
        return self._fetch(ctx, self.query_filters(ctx.desired))

    def normalize(self, record, caps=None):
        result = Resource.normalize(self, record, caps)
        result.pop("encryption_passphrase", None)
        result.pop("encryption_key", None)
        result["disks"] = _disks_of(result.get("topology") or {})
        return result

    # ---- writing -----------------------------------------------------------------------------

    def create_params(self, ctx):
        desired = ctx.desired
        data = {"name": desired["name"], "topology": topology_to_api(desired["topology"])}
        if desired.get("encryption"):
            options = {}
            if desired.get("encryption_passphrase") is not None:
                options["passphrase"] = desired["encryption_passphrase"]
            elif desired.get("encryption_key") is not None:
                options["key"] = desired["encryption_key"]
            else:
                options["generate_key"] = True
            data.update(encryption=True, encryption_options=options)
        return [data]

    def update_params(self, ctx, record, changes):
        current = topology_from_api(record.get("topology"))
        return [record["id"], {"topology": topology_to_api(missing_vdevs(ctx.desired["topology"], current))}]

    def delete_params(self, ctx, record):
        return [record["id"], {"destroy": bool(ctx.params.get("destroy")), "cascade": bool(ctx.params.get("cascade"))}]

    def post_apply(self, ctx, after):
        """autotrim (pool.update) and comments (the root dataset) once the pool exists."""
        changed = False
        after = dict(after)
        autotrim = ctx.desired.get("autotrim")
        if autotrim is not None and after.get("autotrim") is not autotrim:
            changed = True
            if not ctx.check_mode:
                ctx.write("pool.update", after["id"], {"autotrim": "ON" if autotrim else "OFF"},
                          action="set autotrim of %s" % ctx.what)
            after["autotrim"] = autotrim
        comments = ctx.desired.get("comments")
        if comments is not None and (after.get("comments") or "") != comments:
            changed = True
            if not ctx.check_mode:
                ctx.write("pool.dataset.update", after["name"], {"comments": comments},
                          action="set the comments of %s" % ctx.what)
            after["comments"] = comments
        return changed, after
