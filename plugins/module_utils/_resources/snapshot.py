# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptor of ZFS snapshots, with rollback and clone as idempotent actions.

The API namespace follows the ``snapshot_namespace`` capability: ``zfs.snapshot`` on TrueNAS
25.04, ``pool.snapshot`` from 25.10 on. The record shape is the same in both.

Rollback rule: rolling back is a change when the dataset has snapshots newer than this one, or
when the data of the dataset itself (``usedbydataset``) differs from what the snapshot references
(``referenced``), which means data was written or removed since the snapshot was taken. When the
server does not report ``usedbydataset``, only newer snapshots count.

Deferred deletion: with ``defer``, ``state: absent`` asks the server for a deferred destroy
(``zfs destroy -d``). A snapshot without clones or holds goes at once; one with clones or holds
is only marked (``defer_destroy``) and goes when the last of them does. A snapshot already
marked counts as absent, so the run after the mark is no change.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource
from ansible_collections.nasops.truenas.plugins.module_utils._resources.dataset import (
    date_value,
    int_value,
    light_query_options,
    prop_bytes,
    prop_value,
    valid_dataset_name,
)

SNAPSHOT_PROPERTIES = ("creation", "used", "referenced", "written", "clones", "userrefs", "defer_destroy")
# Validation attributes of the delete call's options, which are module options but not fields.
_DELETE_OPTION_ATTRIBUTES = {"options.defer": "defer", "options.recursive": "recursive"}
_SNAPSHOT_NAME = re.compile(r"^[A-Za-z0-9_.: -]+$")


def split_name(name, dataset=None):
    """``(dataset, snapshot)`` from ``dataset@snapshot`` or a bare snapshot name plus ``dataset``.

    Raises OptionError naming the option at fault.
    """
    if not isinstance(name, str) or not name.strip():
        raise OptionError("name", "must be a snapshot name such as tank/data@before-upgrade")
    if "@" in name:
        base, _sep, snap = name.partition("@")
        if dataset and dataset != base:
            raise OptionError("dataset", "%r does not match the dataset %r in name %r" % (dataset, base, name))
    elif dataset:
        base, snap = dataset, name
    else:
        raise OptionError("name", "%r has no dataset part: use dataset@snapshot, or set the dataset option" % name)
    try:
        valid_dataset_name(base)
    except ValueError as exc:
        raise OptionError("dataset" if dataset and "@" not in name else "name", str(exc))
    if not snap or "@" in snap or not _SNAPSHOT_NAME.match(snap) or len(base) + len(snap) >= 255:
        raise OptionError("name", "%r is not a valid snapshot name: use letters, digits, space and _ - . : "
                          "(shorter than 256 characters with the dataset)" % snap)
    return base, snap


def clones_value(prop):
    value = prop_value(prop)
    if not value:
        return []
    return sorted(item for item in str(value).split(",") if item)


def deferred(raw):
    """Whether a raw snapshot record is marked for deferred destruction."""
    prop = (raw.get("properties") or {}).get("defer_destroy")
    value = prop_value(prop)
    return value is True or str(value).lower() == "on"


def txg_value(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class SnapshotResource(Resource):
    NAME = "snapshot"
    NAMESPACE = "pool.snapshot"
    RESULT_KEY = "snapshot"
    IDENTITY = ("name",)
    ERROR_PREFIXES = ("data.PoolSnapshotCreateWithName", "data", "snapshot_create", "options")
    FIELDS = (
        Field("name"),
        Field("dataset"),
        Field("snapshot_name", output_only=True),
        Field("pool", output_only=True),
        Field("createtxg", output_only=True, from_api=txg_value),
        Field("creation", api="properties.creation", output_only=True, from_api=date_value),
        Field("used", api="properties.used", output_only=True, from_api=prop_bytes),
        Field("referenced", api="properties.referenced", output_only=True, from_api=prop_bytes),
        Field("written", api="properties.written", output_only=True, from_api=prop_bytes),
        Field("clones", api="properties.clones", output_only=True, from_api=clones_value),
        Field("holds", api="properties.userrefs", output_only=True, from_api=int_value),
    )

    def __init__(self):
        Resource.__init__(self)
        self.created = False
        self.clone_needed = False

    # ---- names -------------------------------------------------------------------------------

    def label(self, params):
        try:
            base, snap = split_name(params.get("name"), params.get("dataset"))
        except OptionError:
            return "'%s'" % params.get("name")
        return "'%s@%s'" % (base, snap)

    def use_namespace(self, caps):
        """Point the CRUD methods at the namespace this TrueNAS version publishes."""
        self.NAMESPACE = caps.snapshot_namespace

    # ---- local validation --------------------------------------------------------------------

    def desired(self, params):
        base, snap = split_name(params.get("name"), params.get("dataset"))
        return {"name": "%s@%s" % (base, snap), "dataset": base}

    def validate(self, desired, params):
        absent = params.get("state") == "absent"
        if params.get("defer") and not absent:
            raise OptionError("defer", "only applies with state: absent")
        for option in ("rollback", "clone_to"):
            if params.get(option) and absent:
                raise OptionError(option, "cannot be combined with state: absent")
        if params.get("destroy_newer") and not params.get("rollback"):
            raise OptionError("destroy_newer", "only applies with rollback: true")
        target = params.get("clone_to")
        if target is not None:
            try:
                valid_dataset_name(target)
            except ValueError as exc:
                raise OptionError("clone_to", str(exc))
            if "/" not in target:
                raise OptionError("clone_to", "%r is a pool name; give the full name of the new dataset, such as %s/clone"
                                  % (target, target))
            pool = desired["dataset"].split("/", 1)[0]
            if target.split("/", 1)[0] != pool:
                raise OptionError("clone_to", "%r is not in pool %r; a clone must be in the pool of its snapshot"
                                  % (target, pool))
            if target == desired["dataset"]:
                raise OptionError("clone_to", "%r is the dataset of the snapshot itself" % target)

    # ---- reading -----------------------------------------------------------------------------

    def query_filters(self, desired):
        return [["id", "=", desired["name"]]]

    def query_options(self):
        return {"extra": {"properties": list(SNAPSHOT_PROPERTIES)}}

    def find(self, ctx):
        self.use_namespace(ctx.caps)
        raw = ctx.client.get_one(self.method("query"), self.query_filters(ctx.desired), self.query_options())
        if ctx.params.get("state") == "absent":
            if raw is not None and ctx.params.get("defer") and deferred(raw):
                return None
            return raw
        if raw is None:
            self.created = True
            ctx.action = "create %s" % ctx.what
            dataset = ctx.desired["dataset"]
            rows = ctx.client.query("pool.dataset.query", [["id", "=", dataset]], light_query_options())
            if not rows:
                option = "dataset" if ctx.params.get("dataset") and "@" not in ctx.params["name"] else "name"
                raise OptionError(option, "dataset %r does not exist" % dataset)
        if ctx.params.get("clone_to"):
            self.clone_needed = self._check_clone(ctx)
        return raw

    def reread(self, ctx, record):
        return ctx.client.get_one(self.method("query"), self.query_filters(ctx.desired), self.query_options())

    # ---- writing -----------------------------------------------------------------------------

    def create_params(self, ctx):
        base, snap = ctx.desired["name"].split("@", 1)
        data = {"dataset": base, "name": snap}
        if ctx.params.get("recursive"):
            data["recursive"] = True
        return [data]

    def delete_params(self, ctx, record):
        options = {}
        if ctx.params.get("defer"):
            options["defer"] = True
        if ctx.params.get("recursive"):
            options["recursive"] = True
        if options:
            return [record["id"], options]
        return [record["id"]]

    # ---- errors ------------------------------------------------------------------------------

    def option_for(self, attribute):
        """Validation attributes of the delete options name the module option that sets them."""
        if attribute in _DELETE_OPTION_ATTRIBUTES:
            return _DELETE_OPTION_ATTRIBUTES[attribute]
        return Resource.option_for(self, attribute)

    def post_apply(self, ctx, after):
        changed = False
        if ctx.params.get("rollback") and not self.created:
            changed = self._rollback(ctx, after) or changed
        if self.clone_needed:
            changed = True
            if not ctx.check_mode:
                ident, target = ctx.desired["name"], ctx.params["clone_to"]
                ctx.write(self.method("clone"), {"snapshot": ident, "dataset_dst": target},
                          action="clone snapshot %r to %r" % (ident, target))
        return changed, after

    def _rollback(self, ctx, snap):
        ident = ctx.desired["name"]
        dataset = ctx.desired["dataset"]
        ctx.action = "roll back %r to snapshot %r" % (dataset, ident)
        txg = snap.get("createtxg")
        newer = []
        if txg is not None:
            rows = ctx.client.query(self.method("query"), [["dataset", "=", dataset]],
                                    {"extra": {"min_txg": txg + 1, "properties": []}})
            newer = sorted(row["id"] for row in rows or [] if row.get("id") != ident
                           and (txg_value(row.get("createtxg")) is None or txg_value(row.get("createtxg")) > txg))
        rows = ctx.client.query("pool.dataset.query", [["id", "=", dataset]], light_query_options(["usedbydataset"]))
        own = prop_bytes(rows[0].get("usedbydataset")) if rows else None
        if not newer and (own is None or own == snap.get("referenced")):
            ctx.action = None
            return False
        if newer and not ctx.params.get("destroy_newer"):
            raise OptionError("destroy_newer", "rolling back to %r destroys the newer snapshots %s; set destroy_newer: true "
                              "to allow it" % (ident, ", ".join(newer)))
        if ctx.check_mode:
            ctx.action = None
            return True
        options = {}
        if newer:
            options["recursive"] = True
        if ctx.params.get("recursive"):
            options["recursive_rollback"] = True
        ctx.write(self.method("rollback"), ident, options, action="roll back %r to snapshot %r" % (dataset, ident))
        return True

    def _check_clone(self, ctx):
        """Whether ``clone_to`` must be created; checked before anything else changes."""
        ident = ctx.desired["name"]
        target = ctx.params["clone_to"]
        parent = target.rsplit("/", 1)[0]
        ctx.action = "clone snapshot %r to %r" % (ident, target)
        rows = ctx.client.query("pool.dataset.query", [["id", "in", [target, parent]]], light_query_options(["origin"]))
        found = dict((row.get("id"), row) for row in rows or [])
        if target in found:
            origin = prop_value(found[target].get("origin")) or None
            if origin != ident:
                raise OptionError("clone_to", "dataset %r already exists and is not a clone of %r (%s)"
                                  % (target, ident, "origin %s" % origin if origin else "it is not a clone"))
            needed = False
        elif parent not in found:
            raise OptionError("clone_to", "parent dataset %r does not exist" % parent)
        else:
            needed = True
        ctx.action = None
        return needed
