"""ZFS snapshots: ``zfs.snapshot.*`` on the 25.04 profile, ``pool.snapshot.*`` on 25.10 and 26.

Stored state, ``state.data["snapshots"][<dataset>@<name>]``::

    {"id": "tank/vms@daily", "dataset": "tank/vms", "pool": "tank", "snapshot_name": "daily",
     "createtxg": <int>, "creation": <epoch>, "referenced": <bytes>, "used": <bytes>,
     "user_props": {"ns:prop": "value"}, "holds": {"truenas": <epoch>}, "defer_destroy": <bool>,
     "retention": null | {"datetime": <epoch>, "source": "property"}}

Seeded through the ``snapshots`` list of a ``datasets`` seed entry (see ``dataset.py``).
Clones are datasets whose ``origin`` is the snapshot id.
"""
import datetime
import errno
import time

from ..errors import CallError, InstanceNotFound, ValidationErrors
from ..registry import method
from . import dataset as storage

OLD = ("25.04",)
NEW = ("25.10", "26")


def _snaps(state):
    return storage.snapshots(state)


def _verbose(ctx):
    return "PoolSnapshot" if ctx.profile.at_least("25.10") else "ZFSSnapshot"


def _collection(ctx):
    return "pool.snapshot.query" if ctx.profile.at_least("25.10") else "zfs.snapshot.query"


def _emit(ctx, msg, ident, fields=None):
    emit = getattr(ctx, "emit", None)
    if emit is not None:
        emit(_collection(ctx), msg, id=ident, fields=fields)


def _prop(value, raw, parsed, source="NONE"):
    return {"value": value, "rawvalue": raw, "source": source, "parsed": parsed}


def _size_prop(n):
    n = int(n)
    return _prop(storage.nicenum(n, suffix_bytes=True), str(n), n)


def snapshot_properties(state, snap, names=None):
    """The libzfs-style property dicts of a snapshot (ZFS human strings, no source_info)."""
    idx = storage.index(state)
    clones = ",".join(sorted(idx.clones.get(snap["id"], ())))
    userrefs = len(snap.get("holds") or {})
    defer = "on" if snap.get("defer_destroy") else "off"
    rec = storage.datasets(state).get(snap["dataset"]) or {}
    guid = storage.guid_of(snap["id"], snap["createtxg"])
    algorithm = (rec.get("encryption") or {}).get("algorithm", "off")
    props = {
        "type": _prop("snapshot", "snapshot", "snapshot"),
        "creation": _prop(storage.ctime_text(snap["creation"]), str(int(snap["creation"])),
                          storage.date_obj(snap["creation"])),
        "used": _size_prop(snap.get("used", 0)),
        "referenced": _size_prop(snap.get("referenced", 0)),
        "compressratio": _prop("1.00x", "1.00", 1.0),
        "refcompressratio": _prop("1.00x", "1.00", 1.0),
        "written": _size_prop(snap.get("written", snap.get("referenced", 0))),
        "logicalreferenced": _size_prop(snap.get("referenced", 0)),
        "createtxg": _prop(str(snap["createtxg"]), str(snap["createtxg"]), int(snap["createtxg"])),
        "guid": _prop(guid, guid, int(guid)),
        "userrefs": _prop(str(userrefs), str(userrefs), userrefs),
        "defer_destroy": _prop(defer, defer, defer == "on"),
        "clones": _prop(clones, clones, clones),
        "encryption": _prop(algorithm, algorithm, algorithm),
    }
    if rec.get("type") == storage.FS:
        case = storage._effective(state, rec, "casesensitivity")[0]
        props["casesensitivity"] = _prop(case, case, case)
    for key, value in sorted((snap.get("user_props") or {}).items()):
        props[key] = _prop(value, value, value, "LOCAL")
    if names is not None:
        props = {k: v for k, v in props.items() if k in names}
    return props


def snapshot_entry(state, snap, extra=None):
    extra = extra or {}
    names = extra.get("properties")
    entry = {
        "id": snap["id"], "name": snap["id"], "pool": snap["pool"], "dataset": snap["dataset"],
        "snapshot_name": snap["snapshot_name"], "type": "SNAPSHOT", "createtxg": str(snap["createtxg"]),
        "properties": snapshot_properties(state, snap, names),
    }
    if extra.get("holds"):
        entry["holds"] = dict(snap.get("holds") or {})
    if extra.get("retention"):
        retention = snap.get("retention")
        if retention:
            retention = dict(retention, datetime=storage.date_obj(retention["datetime"]))
        entry["retention"] = retention
    return entry


def _single_id(filters):
    if (isinstance(filters, list) and len(filters) == 1 and isinstance(filters[0], (list, tuple))
            and len(filters[0]) == 3 and filters[0][0] in ("id", "name") and filters[0][1] == "="
            and isinstance(filters[0][2], str)):
        return filters[0][2]
    return None


def query_snapshots(ctx, filters=None, options=None):
    state = ctx.state
    filters, options = storage.query_args(filters, options)
    extra = options.get("extra") or {}
    names = extra.get("properties")
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        raise ValidationErrors([("options.extra.properties", "Input should be a list of strings", errno.EINVAL)])
    for key in ("min_txg", "max_txg"):
        if extra.get(key) is not None and (isinstance(extra[key], bool) or not isinstance(extra[key], int)):
            raise ValidationErrors([("options.extra.%s" % key, "Input should be a valid integer", errno.EINVAL)])
    wanted = _single_id(filters)
    if extra.get("retention") and wanted is None and not options.get("limit"):
        raise CallError("`id` or `limit` is required if `retention` is requested", errno.EINVAL)
    snaps = _snaps(state)
    if wanted is not None:
        ids = [wanted] if wanted in snaps else []
    else:
        ids = sorted(snaps, key=lambda s: (storage._sort_key(snaps[s]["dataset"]), snaps[s]["createtxg"], s))
    ids = [s for s in ids if not storage.is_internal(snaps[s]["dataset"])]
    min_txg, max_txg = extra.get("min_txg"), extra.get("max_txg")
    if min_txg:
        ids = [s for s in ids if snaps[s]["createtxg"] >= min_txg]
    if max_txg:
        ids = [s for s in ids if snaps[s]["createtxg"] <= max_txg]
    items = [snapshot_entry(state, snaps[s], extra) for s in ids]
    return storage.filter_list(items, filters, options)


def _get(ctx, ident):
    snap = _snaps(ctx.state).get(ident) if isinstance(ident, str) else None
    if snap is None or storage.is_internal(snap["dataset"]):
        raise InstanceNotFound(_verbose(ctx), ident)
    return snap


# ---------------------------------------------------------------------------------------------
# create


def _naming_error(schema):
    for token in ("%Y", "%m", "%d", "%H", "%M"):
        if token not in schema:
            return "%s must be present in snapshot naming schema" % token
    return None


def new_snapshot(state, dataset_name, snap_name, txg=None, creation=None, user_props=None, used=0):
    rec = storage.datasets(state)[dataset_name]
    sid = "%s@%s" % (dataset_name, snap_name)
    idx = storage.index(state)
    previous = idx.snaps_of.get(dataset_name)
    referenced = int(rec.get("written", 0))
    written = referenced - int(_snaps(state)[previous[-1]]["referenced"]) if previous else referenced
    snap = {"id": sid, "dataset": dataset_name, "pool": rec["pool"], "snapshot_name": snap_name,
            "createtxg": txg if txg is not None else storage.next_txg(state, rec["pool"]),
            "creation": int(creation if creation is not None else time.time()),
            "referenced": referenced, "written": max(0, written), "used": int(used),
            "user_props": dict(user_props or {}), "holds": {}, "defer_destroy": False, "retention": None}
    _snaps(state)[sid] = snap
    idx.add_snapshot(sid)
    return snap


def seed_snapshot(state, dataset_name, spec):
    """Add a seeded snapshot (``spec``: a name or {name, used, creation, holds, properties, retention})."""
    if isinstance(spec, str):
        spec = {"name": spec}
    default = storage.datasets(state)[dataset_name]["creation"]
    snap = new_snapshot(state, dataset_name, spec["name"], creation=storage.parse_time(spec.get("creation"), default),
                        user_props={str(k): str(v) for k, v in (spec.get("properties") or {}).items()},
                        used=storage.parse_size(spec.get("used", 0), "used"))
    for tag in spec.get("holds") or []:
        snap["holds"][tag] = snap["creation"]
    if spec.get("retention"):
        snap["retention"] = {"datetime": storage.parse_time(spec["retention"]), "source": "property"}
    storage.index(state).refresh(dataset_name)
    return snap


def _check_dict(ctx, attr, value, fields, verrors):
    storage._require_dict(ctx, attr, value)
    storage.check_fields(ctx, attr, value, fields, verrors)


def create_snapshot(ctx, data):
    state = ctx.state
    modern = ctx.profile.at_least("25.10")
    fields = {"dataset": "str", "name": "str", "naming_schema": "str", "recursive": "bool", "exclude": "list",
              "vmware_sync": "bool", "properties": "dict"}
    if ctx.profile.name in ("25.04", "26"):
        fields["suspend_vms"] = "bool"
    verrors = ValidationErrors()
    prefix = "data" if modern else "snapshot_create"
    _check_dict(ctx, prefix, data, fields, verrors)
    if "dataset" not in data:
        verrors.add(prefix + ".dataset", "Field required" if modern else "attribute required")
    verrors.raise_if_any()
    name, schema = data.get("name"), data.get("naming_schema")
    if modern and name is not None and schema is not None:
        raise ValidationErrors([("data.PoolSnapshotCreateWithName.naming_schema", "Extra inputs are not permitted", errno.EINVAL),
                                ("data.PoolSnapshotCreateWithSchema.name", "Extra inputs are not permitted", errno.EINVAL)])
    if modern and name is None and schema is None:
        raise ValidationErrors([("data.PoolSnapshotCreateWithName.name", "Field required", errno.EINVAL),
                                ("data.PoolSnapshotCreateWithSchema.naming_schema", "Field required", errno.EINVAL)])
    if name is not None and schema is not None:
        verrors.add("snapshot_create.naming_schema", "You can't specify name and naming schema at the same time")
    elif name is None and schema is None:
        verrors.add("snapshot_create.naming_schema", "You must specify either name or naming schema")
    if schema is not None:
        problem = _naming_error(schema)
        if problem:
            if modern:
                raise ValidationErrors([("data.PoolSnapshotCreateWithSchema.naming_schema", "Value error, " + problem,
                                         errno.EINVAL)])
            verrors.add("snapshot_create.naming_schema", problem)
        else:
            name = datetime.datetime.now(datetime.timezone.utc).strftime(schema)
    recursive = data.get("recursive", False)
    exclude = data.get("exclude") or []
    if exclude and not recursive:
        verrors.add("snapshot_create.exclude", "This option has no sense for non-recursive snapshots")
    if name is not None and not storage.valid_snapshot_name(name):
        verrors.add("snapshot_create.name", "Invalid snapshot name")
    verrors.raise_if_any()

    ds_name = data["dataset"]
    target = "%s@%s" % (ds_name, name)
    ds = storage.datasets(state)
    if ds_name not in ds:
        raise CallError("Failed to snapshot %s: cannot open '%s': dataset does not exist" % (target, ds_name))
    idx = storage.index(state)
    members = [ds_name]
    if recursive:
        skipped = set(exclude)
        for child in idx.descendants(ds_name):
            if child in skipped or any(child.startswith(e + "/") for e in skipped):
                continue
            members.append(child)
    snaps = _snaps(state)
    for member in members:
        sid = "%s@%s" % (member, name)
        if sid in snaps:
            raise CallError("Failed to snapshot %s: cannot create snapshot '%s': dataset already exists" % (target, sid),
                            errno.EEXIST)
    txg = storage.next_txg(state, ds[ds_name]["pool"])
    user_props = {str(k): str(v) for k, v in (data.get("properties") or {}).items()}
    now = int(time.time())
    for member in members:
        new_snapshot(state, member, name, txg=txg, creation=now, user_props=user_props)
    entry = snapshot_entry(state, snaps[target])
    _emit(ctx, "ADDED", target, entry)
    return entry


# ---------------------------------------------------------------------------------------------
# update, delete


def update_snapshot(ctx, ident, data):
    state = ctx.state
    modern = ctx.profile.at_least("25.10")
    storage._require_str(ctx, "id", ident)
    verrors = ValidationErrors()
    prefix = "data" if modern else "snapshot_update"
    fields = {"user_properties_update": "list"}
    if modern:
        fields["user_properties_remove"] = "list"
    _check_dict(ctx, prefix, data, fields, verrors)
    verrors.raise_if_any()
    snap = _get(ctx, ident)
    for i, item in enumerate(data.get("user_properties_update") or []):
        attr = "%s.user_properties_update.%d" % (prefix, i)
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or ":" not in item["key"]:
            verrors.add(attr + ".key", "String should match pattern '.*:.*'" if modern else
                        "User property must be of the form namespace:property")
            continue
        allowed = ("key", "value") if modern else ("key", "value", "remove")
        for k in item:
            if k not in allowed:
                verrors.add("%s.%s" % (attr, k), "Extra inputs are not permitted" if modern else "Field was not expected")
        if modern and "value" not in item:
            verrors.add(attr + ".value", "Field required")
        elif not modern and "value" not in item and not item.get("remove"):
            verrors.add(attr + ".value", 'Either "value" or "remove" must be specified')
        if "value" in item and not isinstance(item["value"], str):
            verrors.add(attr + ".value", "Input should be a valid string" if modern else "Not a string")
    for i, key in enumerate(data.get("user_properties_remove") or []):
        if not isinstance(key, str) or ":" not in key:
            verrors.add("%s.user_properties_remove.%d" % (prefix, i), "String should match pattern '.*:.*'")
    verrors.raise_if_any()
    props = snap.setdefault("user_props", {})
    for item in data.get("user_properties_update") or []:
        if item.get("remove"):
            props.pop(item["key"], None)
        else:
            props[item["key"]] = item["value"]
    for key in data.get("user_properties_remove") or []:
        props.pop(key, None)
    entry = snapshot_entry(state, snap)
    _emit(ctx, "CHANGED", ident, entry)
    return entry


def _remove_snapshot(state, sid):
    idx = storage.index(state)
    snap = _snaps(state).pop(sid)
    idx.remove_snapshot(sid, snap["dataset"])
    return snap


def reap_deferred(state):
    """Destroy snapshots marked defer_destroy once they have no holds and no clones."""
    idx = storage.index(state)
    for sid in [s for s, snap in _snaps(state).items() if snap.get("defer_destroy")]:
        snap = _snaps(state)[sid]
        if not snap.get("holds") and not idx.clones.get(sid):
            _remove_snapshot(state, sid)


def delete_snapshot(ctx, ident, options=None):
    state = ctx.state
    storage._require_str(ctx, "id", ident)
    options = {} if options is None else options
    verrors = ValidationErrors()
    _check_dict(ctx, "options", options, {"defer": "bool", "recursive": "bool"}, verrors)
    verrors.raise_if_any()
    snaps = _snaps(state)
    if ident not in snaps or storage.is_internal(snaps[ident]["dataset"]):
        raise ValidationErrors([(None, "cannot open '%s': dataset does not exist" % ident, errno.ENOENT)])
    idx = storage.index(state)
    targets = [ident]
    if options.get("recursive"):
        ds_name, snap_name = ident.split("@", 1)
        targets += ["%s@%s" % (child, snap_name) for child in idx.descendants(ds_name)
                    if "%s@%s" % (child, snap_name) in snaps]
    defer = options.get("defer", False)
    for sid in targets:
        clones = sorted(idx.clones.get(sid, ()))
        if clones and not defer:
            raise ValidationErrors([("options.defer", "Please set this attribute as '%s' snapshot has dependent clones: %s"
                                     % (sid, ", ".join(clones)), errno.EINVAL)])
        if snaps[sid].get("holds") and not defer:
            raise CallError("Failed to delete snapshot: cannot destroy snapshot %s: dataset is busy" % sid, errno.EBUSY)
    for sid in targets:
        if defer and (idx.clones.get(sid) or snaps[sid].get("holds")):
            snaps[sid]["defer_destroy"] = True
        else:
            _remove_snapshot(state, sid)
    _emit(ctx, "REMOVED", ident)
    return True


# ---------------------------------------------------------------------------------------------
# rollback, clone, hold, release, rename


def _destroy_dataset_tree(state, name):
    idx = storage.index(state)
    for member in sorted([name] + idx.descendants(name), key=lambda n: -n.count("/")):
        for sid in list(idx.snaps_of.get(member, ())):
            _remove_snapshot(state, sid)
        storage.drop_record(state, member)


def _rollback_one(ctx, snap, options):
    state = ctx.state
    idx = storage.index(state)
    snaps = _snaps(state)
    newer = [s for s in idx.snaps_of.get(snap["dataset"], ()) if snaps[s]["createtxg"] > snap["createtxg"]]
    if newer and not options.get("recursive"):
        raise CallError("Failed to rollback snapshot: cannot rollback to '%s': more recent snapshots or bookmarks exist\n"
                        "use '-r' to force deletion of the following snapshots and bookmarks:\n%s"
                        % (snap["id"], "\n".join(newer)))
    clones = sorted({c for s in newer for c in idx.clones.get(s, ())})
    if clones and not options.get("recursive_clones"):
        raise CallError("Failed to rollback snapshot: cannot rollback to '%s': clones of previous snapshots exist\n"
                        "use '-R' to force deletion of the following clones and dependents:\n%s"
                        % (snap["id"], "\n".join(clones)))
    held = [s for s in newer if snaps[s].get("holds")]
    if held:
        raise CallError("Failed to rollback snapshot: cannot destroy snapshot %s: dataset is busy" % held[0], errno.EBUSY)
    for clone in clones:
        if clone in storage.datasets(state):
            _destroy_dataset_tree(state, clone)
    for sid in newer:
        _remove_snapshot(state, sid)
    rec = storage.datasets(state)[snap["dataset"]]
    rec["written"] = int(snap.get("referenced", rec.get("written", 0)))
    storage.index(state).refresh(snap["dataset"])


def rollback_snapshot(ctx, ident, options=None):
    state = ctx.state
    storage._require_str(ctx, "id", ident)
    options = {} if options is None else options
    verrors = ValidationErrors()
    _check_dict(ctx, "options", options, {"recursive": "bool", "recursive_clones": "bool", "force": "bool",
                                          "recursive_rollback": "bool"}, verrors)
    verrors.raise_if_any()
    snaps = _snaps(state)
    if ident not in snaps:
        raise CallError("Failed to rollback snapshot: cannot open '%s': dataset does not exist" % ident)
    snap = snaps[ident]
    targets = [snap]
    if options.get("recursive_rollback"):
        name = snap["snapshot_name"]
        for child in storage.index(state).descendants(snap["dataset"]):
            sid = "%s@%s" % (child, name)
            if sid in snaps:
                targets.append(snaps[sid])
    for target in targets:
        _rollback_one(ctx, target, options)
    return None


def _clone_props(props):
    zfs_props, user = {}, {}
    for key, value in (props or {}).items():
        if ":" in key:
            user[key] = str(value)
            continue
        spec = storage.PROP_BY_API.get(key) or storage.PROP_BY_ZFS.get(key)
        zfs = spec[1] if spec else key
        if spec and spec[2] in ("size", "size0"):
            zfs_props[zfs] = str(storage.parse_size(value, key))
        elif spec and spec[2] == "blocksize":
            zfs_props[zfs] = str(storage.blocksize_bytes(str(value)) or storage.parse_size(value, key))
        else:
            zfs_props[zfs] = str(value).lower()
    return zfs_props, user


def clone_snapshot(ctx, data):
    state = ctx.state
    modern = ctx.profile.at_least("25.10")
    verrors = ValidationErrors()
    prefix = "data" if modern else "snapshot_clone"
    _check_dict(ctx, prefix, data, {"snapshot": "str", "dataset_dst": "str", "dataset_properties": "dict"}, verrors)
    for key in ("snapshot", "dataset_dst"):
        if key not in data:
            verrors.add("%s.%s" % (prefix, key), "Field required" if modern else "attribute required")
    verrors.raise_if_any()
    sid, dst = data["snapshot"], data["dataset_dst"]
    snaps = _snaps(state)
    ds = storage.datasets(state)
    if sid not in snaps:
        raise CallError("Failed to clone snapshot: cannot open '%s': dataset does not exist" % sid)
    if not storage.valid_dataset_name(dst) or "/" not in dst:
        raise CallError("Failed to clone snapshot: cannot create '%s': invalid dataset name" % dst)
    if dst in ds:
        raise CallError("Failed to clone snapshot: cannot create '%s': dataset already exists" % dst)
    parent = storage.parent_of(dst)
    if parent not in ds:
        raise CallError("Failed to clone snapshot: cannot create '%s': parent does not exist" % dst)
    if ds[parent]["type"] == storage.VOL:
        raise CallError("Failed to clone snapshot: cannot create '%s': parent is not a filesystem" % dst)
    snap = snaps[sid]
    if dst.split("/", 1)[0] != snap["pool"]:
        raise CallError("Failed to clone snapshot: cannot create '%s': source and target pools differ" % dst)
    source = ds[snap["dataset"]]
    zfs_props, user = _clone_props(data.get("dataset_properties"))
    props = {}
    if source["type"] == storage.VOL:
        props["volsize"] = source["props"]["volsize"]
        props["volblocksize"] = source["props"].get("volblocksize", storage.DEFAULT_RAW["volblocksize"])
    else:
        props["casesensitivity"] = storage._effective(state, source, "casesensitivity")[0]
    props.update(zfs_props)
    encryption = storage._inherited_encryption(source)
    rec = storage.new_record(state, dst, source["type"], props, user, written=0, origin=sid, encryption=encryption,
                             sparse=True)
    storage.insert_record(state, rec)
    return True


def _hold_targets(ctx, ident, options):
    state = ctx.state
    storage._require_str(ctx, "id", ident)
    options = {} if options is None else options
    verrors = ValidationErrors()
    _check_dict(ctx, "options", options, {"recursive": "bool"}, verrors)
    verrors.raise_if_any()
    snap = _get(ctx, ident)
    targets = [snap]
    if options.get("recursive"):
        snaps = _snaps(state)
        for child in storage.index(state).descendants(snap["dataset"]):
            sid = "%s@%s" % (child, snap["snapshot_name"])
            if sid in snaps:
                targets.append(snaps[sid])
    return targets


def hold_snapshot(ctx, ident, options=None):
    targets = _hold_targets(ctx, ident, options)
    for snap in targets:
        if "truenas" in (snap.get("holds") or {}):
            raise CallError("Failed to hold snapshot: cannot hold snapshot '%s': tag already exists on this dataset"
                            % snap["id"], errno.EEXIST)
    now = int(time.time())
    for snap in targets:
        snap.setdefault("holds", {})["truenas"] = now
    return None


def release_snapshot(ctx, ident, options=None):
    for snap in _hold_targets(ctx, ident, options):
        snap["holds"] = {}
    reap_deferred(ctx.state)
    return None


def rename_snapshot(ctx, ident, options=None):
    state = ctx.state
    storage._require_str(ctx, "id", ident)
    options = {} if options is None else options
    verrors = ValidationErrors()
    _check_dict(ctx, "options", options, {"new_name": "str", "force": "bool"}, verrors)
    if "new_name" not in options:
        verrors.add("options.new_name", "Field required")
    verrors.raise_if_any()
    snap = _get(ctx, ident)
    new = options["new_name"]
    if not options.get("force"):
        verrors.add("pool.snapshot.rename.force",
                    "Renaming a snapshot may break replication and existing references to it; "
                    "set force to true to proceed.")
    ds_part, _at, snap_part = new.partition("@")
    if ds_part != snap["dataset"]:
        verrors.add("pool.snapshot.rename.new_name", "Snapshot can only be renamed within the same dataset (%s)."
                    % snap["dataset"])
    elif not storage.valid_snapshot_name(snap_part):
        verrors.add("pool.snapshot.rename.new_name", "Invalid snapshot name")
    verrors.raise_if_any()
    snaps = _snaps(state)
    if new in snaps:
        raise CallError("Failed to rename snapshot: cannot rename to '%s': dataset already exists" % new, errno.EEXIST)
    _remove_snapshot(state, ident)
    idx = storage.index(state)
    snap.update({"id": new, "snapshot_name": snap_part})
    snaps[new] = snap
    idx.add_snapshot(new)
    clones = idx.clones.pop(ident, set())
    for clone in clones:
        storage.datasets(state)[clone]["origin"] = new
    if clones:
        idx.clones[new] = clones
    return None


# ---------------------------------------------------------------------------------------------
# registration under both namespaces


def _register(namespace, profiles, rename=False):
    @method(namespace + ".query", profiles=profiles)
    def _query(ctx, filters=None, options=None):
        return query_snapshots(ctx, filters, options)

    @method(namespace + ".get_instance", profiles=profiles)
    def _get_instance(ctx, ident, options=None):
        options = storage.query_args([], options)[1]
        items = query_snapshots(ctx, [["id", "=", ident]], dict(options, get=False, limit=0, offset=0))
        if not items:
            raise InstanceNotFound(_verbose(ctx), ident)
        return items[0]

    method(namespace + ".create", profiles=profiles)(create_snapshot)
    method(namespace + ".update", profiles=profiles)(update_snapshot)
    method(namespace + ".delete", profiles=profiles)(delete_snapshot)
    method(namespace + ".rollback", profiles=profiles)(rollback_snapshot)
    method(namespace + ".clone", profiles=profiles)(clone_snapshot)
    method(namespace + ".hold", profiles=profiles)(hold_snapshot)
    method(namespace + ".release", profiles=profiles)(release_snapshot)
    if rename:
        method(namespace + ".rename", profiles=profiles)(rename_snapshot)


_register("zfs.snapshot", OLD)
_register("pool.snapshot", NEW, rename=True)


@method("zfs.snapshot.query", profiles=NEW, private=True)
def private_zfs_snapshot_query(ctx, filters=None, options=None):
    """25.10 and 26 keep ``zfs.snapshot.query`` as a private method: a full admin may call it (the
    same entries as ``pool.snapshot.query``); it is not listed by ``core.get_methods``."""
    if not ctx.session.full_admin:
        raise CallError("Not authorized", errno.EACCES)
    return query_snapshots(ctx, filters, options)
