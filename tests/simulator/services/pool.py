"""Pools and disks: ``pool.query``, ``pool.get_instance``, ``pool.get_disks``, ``pool.scrub`` (job),
``pool.scrub.scrub`` (job), ``pool.scrub.run``, ``disk.query``, ``disk.get_instance``,
``disk.temperatures`` and ``smart.test.results`` (the last SMART self-tests of each disk).

Pool sizes follow the topology: partitions are the disk size rounded down to MiB less 2 MiB; a
mirror counts its smallest member once, RAIDZ/dRAID count every member (parity included) in
``size`` and the data members in the space datasets get, less ZFS's slop (1/32, 128 MiB..128 GiB).
``allocated`` is the data written to the pool's datasets and snapshots (times the parity factor).

Stored state:

``state.data["disks"][<name>]``: the disk record (``name``, ``serial``, ``model``, ``size``, ``type``,
``rotationrate``, ``bus``, ``lunid``, ``temperature``, ``smart_tests``, ...).

``state.data["pools"][<id>]``::

    {"id": 1, "name": "tank", "guid": "<decimal>", "status": "ONLINE", "created": <epoch>,
     "topology": {"data": [<vdev>], "log": [...], "cache": [...], "spare": [...], "special": [...], "dedup": [...]},
     "size": <raw bytes>, "usable": <bytes datasets can use>, "raw_factor": <raw bytes per logical byte>,
     "autotrim": "off", "scan": <scan dict, times as epoch seconds>, "txg": <int>, "scrub_seconds": <float>}

where a vdev is ``{"type": "MIRROR"|"RAIDZ1"|"RAIDZ2"|"RAIDZ3"|"DRAID1"|"DISK", "name": "mirror-0",
"guid": "...", "status": "ONLINE", "children": [{"disk": "sda", "guid": "...", "partuuid": "...",
"status": "ONLINE"}]}`` (a ``DISK`` vdev has exactly one child and is shown as a bare leaf).

Seed sections read here::

    disks:                              # list
      - name: sda                       # required
        serial: WD-WCC4E1234567         # default: generated from the name
        model: WDC WD40EFRX-68N32N0
        size: 4T                        # bytes or a size string; default 4 TiB
        type: HDD                       # HDD | SSD
        rotationrate: 5400              # null for SSDs
        bus: ATA
        lunid: 50014ee2b5a1c0d1         # optional
        expiretime: 2025-06-01T00:00:00Z  # set for a disk that is gone (listed with extra.include_expired)
        temperature: 34                 # Celsius, reported by disk.temperatures
        smart_tests:                    # newest first; reported by smart.test.results
          - {description: Short offline, status: SUCCESS, lifetime: 12345}
    pools:                              # list
      - name: tank                      # required
        topology:
          data:
            - {type: MIRROR, disks: [sda, sdb]}
            - {type: MIRROR, disks: [sdc, {disk: sdd, status: FAULTED}]}
          log: []                       # same shape; cache/spare: list of disk names
          cache: []
          spare: []
        status: ONLINE                  # OFFLINE = exported / not imported
        autotrim: false
        created: 2025-01-01T00:00:00Z   # epoch or ISO-8601
        scan: {function: SCRUB, state: FINISHED, start_time: ..., end_time: ..., errors: 0}
        scrub_seconds: 1.0              # how long a simulated scrub takes (default: the job duration)
        properties: {compression: LZ4}  # root dataset properties
        used: 1G                        # bytes written to the root dataset itself
"""
import errno
import hashlib
import re
import time
import uuid

from ..errors import CallError, InstanceNotFound, ValidationErrors
from .. import registry
from ..registry import method, seed_loader

MiB = 1024 ** 2
GiB = 1024 ** 3
TiB = 1024 ** 4

VDEV_CLASSES = ("data", "log", "cache", "spare", "special", "dedup")
SCRUB_STEPS = 10
NEVER_SCANNED = {"function": None, "state": None, "start_time": None, "end_time": None, "percentage": None,
                 "bytes_to_process": None, "bytes_processed": None, "bytes_issued": None, "pause": None,
                 "errors": None, "total_secs_left": None}

_RUNNING_SCRUBS = {}


def _storage():
    from . import dataset
    return dataset


def _guid(*parts):
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return str(int.from_bytes(digest[:8], "big") | (1 << 60))


def _partuuid(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "truenas-sim:" + "/".join(str(p) for p in parts)))


def disks(state):
    return state.data.setdefault("disks", {})


def pools(state):
    return state.data.setdefault("pools", {})


def pool_by_name(state, name):
    for rec in pools(state).values():
        if rec.get("name") == name:
            return rec
    return None


def pool_by_id(state, ident):
    if isinstance(ident, bool) or not isinstance(ident, int):
        return None
    return pools(state).get(str(ident))


# ---------------------------------------------------------------------------------------------
# seed


def _disk_number(name):
    if name.startswith("sd") and name[2:].isalpha():
        index = 0
        for ch in name[2:]:
            index = index * 26 + (ord(ch) - ord("a") + 1)
        return 8 * 256 + (index - 1) * 16
    match = re.match(r"^nvme(\d+)n\d+$", name)
    if match:
        return 259 * 256 + int(match.group(1))
    return 0


@seed_loader
def load_disks(state, seed):
    """Fill ``state.data["disks"]`` from the ``disks`` section."""
    parse_size = _storage().parse_size
    table = disks(state)
    for entry in seed.get("disks") or []:
        name = entry["name"]
        dtype = str(entry.get("type", "HDD")).upper()
        serial = str(entry.get("serial") or "SIM%s%08d" % (name.upper(), _disk_number(name)))
        table[name] = {
            "name": name,
            "serial": serial,
            "lunid": entry.get("lunid"),
            "model": entry.get("model", "SIMULATED DISK"),
            "size": parse_size(entry.get("size", 4 * TiB), "size"),
            "type": dtype,
            "rotationrate": entry.get("rotationrate", 7200 if dtype == "HDD" else None),
            "bus": entry.get("bus", "ATA"),
            "subsystem": entry.get("subsystem", "SCSI"),
            "number": int(entry.get("number", _disk_number(name))),
            "description": entry.get("description", ""),
            "transfermode": entry.get("transfermode", "Auto"),
            "hddstandby": entry.get("hddstandby", "ALWAYS ON"),
            "advpowermgmt": entry.get("advpowermgmt", "DISABLED"),
            "enclosure": entry.get("enclosure"),
            "temperature": entry.get("temperature"),
            "smart_tests": list(entry.get("smart_tests") or []),
            "expiretime": _storage().parse_time(entry.get("expiretime")),
        }


def _vdev_children(spec):
    if isinstance(spec, str):
        return [{"disk": spec}]
    members = spec.get("disks") or ([spec["disk"]] if "disk" in spec else [])
    return [{"disk": m} if isinstance(m, str) else dict(m) for m in members]


def _build_vdevs(state, pool_name, cls, specs):
    out = []
    counters = {}
    for spec in specs or []:
        vtype = "DISK" if isinstance(spec, str) else str(spec.get("type", "DISK")).upper()
        if vtype == "STRIPE":
            vtype = "DISK"
        children = _vdev_children(spec)
        for child in children:
            if child["disk"] not in disks(state):
                raise ValueError("seed pool %s: unknown disk %s" % (pool_name, child["disk"]))
            child.setdefault("status", "AVAIL" if cls == "spare" else "ONLINE")
            child["guid"] = _guid(pool_name, "leaf", child["disk"])
            child["partuuid"] = _partuuid(pool_name, child["disk"])
        if vtype == "DISK" or cls in ("cache", "spare"):
            for child in children:
                out.append({"type": "DISK", "name": child["partuuid"], "guid": child["guid"],
                            "status": child["status"], "children": [child]})
            continue
        number = counters.get(vtype, 0)
        counters[vtype] = number + 1
        if vtype.startswith("DRAID"):
            parity = int(vtype[-1])
            name = "draid%d:%dd:%dc:0s-%d" % (parity, max(1, len(children) - parity), len(children), number)
        else:
            name = "%s-%d" % (vtype.lower(), number)
        out.append({"type": vtype, "name": name, "guid": _guid(pool_name, cls, name), "status": "ONLINE",
                    "children": children})
    return out


def _partition_size(disk):
    return max(0, (int(disk["size"]) // MiB) * MiB - 2 * MiB)


def _vdev_sizes(state, vdev):
    """(raw size, logical size) of a top-level vdev."""
    sizes = [_partition_size(disks(state)[c["disk"]]) for c in vdev["children"]]
    smallest = min(sizes) if sizes else 0
    vtype = vdev["type"]
    if vtype == "MIRROR":
        return smallest, smallest
    if vtype.startswith("RAIDZ") or vtype.startswith("DRAID"):
        parity = int(vtype[-1])
        return smallest * len(sizes), smallest * max(1, len(sizes) - parity)
    return smallest, smallest


def _capacity(state, rec, raw_override=None):
    raw = logical = 0
    for cls in ("data", "special", "dedup"):
        for vdev in rec["topology"].get(cls, []):
            r, lg = _vdev_sizes(state, vdev)
            raw += r
            logical += lg
    if raw_override:
        logical = int(logical * raw_override / raw) if raw else raw_override
        raw = raw_override
    slop = min(max(logical // 32, 128 * MiB), 128 * GiB)
    rec["size"] = raw
    rec["raw_factor"] = (raw / logical) if logical else 1.0
    rec["usable"] = max(0, logical - slop)


def _leaf_statuses(rec):
    for cls in VDEV_CLASSES:
        for vdev in rec["topology"].get(cls, []):
            for child in vdev["children"]:
                yield cls, vdev, child


def _scan_from_seed(scan):
    if not scan:
        return dict(NEVER_SCANNED)
    storage = _storage()
    out = dict(NEVER_SCANNED)
    out.update({
        "function": scan.get("function", "SCRUB"),
        "state": scan.get("state", "FINISHED"),
        "start_time": storage.parse_time(scan.get("start_time")),
        "end_time": storage.parse_time(scan.get("end_time")),
        "errors": int(scan.get("errors", 0)),
        "percentage": float(scan.get("percentage", 100.0 if scan.get("state", "FINISHED") == "FINISHED" else 0.0)),
        "pause": storage.parse_time(scan.get("pause")),
        "total_secs_left": scan.get("total_secs_left"),
    })
    for key in ("bytes_to_process", "bytes_processed", "bytes_issued"):
        out[key] = scan.get(key)
    return out


@seed_loader
def load_pools(state, seed):
    """Fill ``state.data["pools"]`` and each pool's root dataset from the ``pools`` section."""
    storage = _storage()
    table = pools(state)
    for entry in seed.get("pools") or []:
        name = entry["name"]
        ident = int(entry["id"]) if "id" in entry else int(state.next_id("pool"))
        created = storage.parse_time(entry.get("created"), default=int(time.time()))
        topology = {cls: _build_vdevs(state, name, cls, (entry.get("topology") or {}).get(cls))
                    for cls in VDEV_CLASSES}
        rec = {
            "id": ident, "name": name, "guid": str(entry.get("guid") or _guid(name, "pool")),
            "status": str(entry.get("status", "ONLINE")).upper(), "created": created,
            "topology": topology, "autotrim": "on" if entry.get("autotrim") else "off",
            "scan": _scan_from_seed(entry.get("scan")), "txg": 4,
            "scrub_seconds": float(entry["scrub_seconds"]) if entry.get("scrub_seconds") is not None else None,
            "fragmentation": entry.get("fragmentation"),
        }
        raw = storage.parse_size(entry["size"], "size") if entry.get("size") else None
        _capacity(state, rec, raw)
        table[str(ident)] = rec
        props = {}
        for key, value in (entry.get("properties") or {}).items():
            spec = storage.PROP_BY_API.get(key) or storage.PROP_BY_ZFS.get(key)
            props[spec[1] if spec else key] = str(value).lower()
        root = storage.root_record(state, name, creation=created, props=props)
        if entry.get("used") is not None:
            root["written"] = storage.parse_size(entry["used"], "used")
            storage.index(state).refresh(name)


# ---------------------------------------------------------------------------------------------
# rendering


def _stats(size=0, allocated=0, fragmentation=0, errors=None):
    errors = errors or {}
    return {"timestamp": time.monotonic_ns(), "read_errors": int(errors.get("read", 0)),
            "write_errors": int(errors.get("write", 0)), "checksum_errors": int(errors.get("checksum", 0)),
            "ops": [0] * 7, "bytes": [0] * 7, "size": size, "allocated": allocated,
            "fragmentation": fragmentation, "self_healed": 0, "configured_ashift": 12,
            "logical_ashift": 9, "physical_ashift": 12}


def _leaf(state, child, size=0, allocated=0, fragmentation=0):
    status = child["status"]
    return {
        "name": child["partuuid"], "type": "DISK", "path": "/dev/disk/by-partuuid/" + child["partuuid"],
        "guid": child["guid"], "status": status,
        "stats": _stats(size, allocated, fragmentation, child.get("errors")), "children": [],
        "device": child["disk"] + "1", "disk": child["disk"],
        "unavail_disk": None if status in ("ONLINE", "AVAIL", "INUSE") else _disk_entry(state, child["disk"], {}),
    }


def _vdev_status(vdev):
    statuses = [c["status"] for c in vdev["children"]]
    if all(s == "ONLINE" for s in statuses):
        return "ONLINE"
    if any(s == "ONLINE" for s in statuses):
        return "DEGRADED"
    return "FAULTED" if any(s == "FAULTED" for s in statuses) else "UNAVAIL"


def _topology(state, rec, allocated, fragmentation):
    out = {}
    total_raw = rec["size"] or 1
    for cls in VDEV_CLASSES:
        items = []
        for vdev in rec["topology"].get(cls, []):
            raw, _logical = _vdev_sizes(state, vdev) if cls in ("data", "special", "dedup") else (0, 0)
            share = int(allocated * raw / total_raw) if raw else 0
            if vdev["type"] == "DISK":
                items.append(_leaf(state, vdev["children"][0], raw, share, fragmentation))
                continue
            items.append({
                "name": vdev["name"], "type": vdev["type"], "path": None, "guid": vdev["guid"],
                "status": _vdev_status(vdev), "stats": _stats(raw, share, fragmentation),
                "children": [_leaf(state, child) for child in vdev["children"]],
                "unavail_disk": None,
            })
        out[cls] = items
    return out


def _health(rec):
    bad = [(cls, child) for cls, _vdev, child in _leaf_statuses(rec)
           if cls != "spare" and child["status"] not in ("ONLINE",)]
    if not bad:
        return "ONLINE", "OK", None
    faulted = any(child["status"] == "FAULTED" for _cls, child in bad)
    for vdev in rec["topology"].get("data", []):
        if _vdev_status(vdev) in ("FAULTED", "UNAVAIL") or (vdev["type"] == "DISK" and vdev["children"][0]["status"] != "ONLINE"):
            return "UNAVAIL", "CORRUPT_POOL", "The pool metadata is corrupted and the pool cannot be opened."
    if faulted:
        return ("DEGRADED", "FAULTED_DEV_R", "One or more devices are faulted in response to persistent errors.\n"
                "\tSufficient replicas exist for the pool to continue functioning in a\n\tdegraded state.")
    return ("DEGRADED", "MISSING_DEV_R", "One or more devices could not be used because the label is missing or\n"
            "\tinvalid.  Sufficient replicas exist for the pool to continue\n\tfunctioning in a degraded state.")


def _date(epoch):
    return None if epoch is None else {"$date": int(epoch) * 1000}


def render_scan(profile, scan):
    if scan is None or scan.get("function") is None:
        return None if profile.at_least("26") else dict(NEVER_SCANNED)
    out = dict(scan)
    for key in ("start_time", "end_time", "pause"):
        out[key] = _date(scan.get(key))
    if profile.at_least("26"):
        # 26 types the scan (PoolScan): the byte counters and errors are integers, never null.
        for key in ("bytes_to_process", "bytes_processed", "bytes_issued", "errors"):
            out[key] = int(out.get(key) or 0)
    return out


def pool_entry(state, profile, rec, extra=None):
    extra = extra or {}
    storage = _storage()
    entry = {"id": rec["id"], "name": rec["name"], "guid": rec["guid"], "path": "/mnt/" + rec["name"]}
    autotrim = rec.get("autotrim", "off")
    entry["autotrim"] = {"parsed": autotrim, "rawvalue": autotrim, "source": "LOCAL" if autotrim == "on" else "DEFAULT",
                         "value": autotrim}
    if rec["status"] == "OFFLINE":
        entry.update({"status": "OFFLINE", "scan": None, "expand": None, "is_upgraded": False, "healthy": False,
                      "warning": False, "status_code": None, "status_detail": None, "size": None,
                      "allocated": None, "free": None, "freeing": None, "dedup_table_size": None,
                      "dedup_table_quota": None, "fragmentation": None, "size_str": None, "allocated_str": None,
                      "free_str": None, "freeing_str": None, "topology": None})
    else:
        allocated, _logical = storage.pool_usage(state, rec["name"])
        size = int(rec["size"])
        allocated = min(allocated, size)
        free = size - allocated
        frag = rec.get("fragmentation")
        frag = int(frag) if frag is not None else (min(50, allocated * 20 // size) if size else 0)
        status, code, detail = _health(rec)
        scan = rec.get("scan")
        warning = code in ("RESILVERING", "VERSION_OLDER", "FEAT_DISABLED", "NON_NATIVE_ASHIFT")
        entry.update({
            "status": status, "scan": render_scan(profile, scan), "expand": None,
            "is_upgraded": bool(extra.get("is_upgraded")), "healthy": code == "OK" or warning, "warning": warning,
            "status_code": code, "status_detail": detail, "size": size, "allocated": allocated, "free": free,
            "freeing": 0, "dedup_table_size": 0, "dedup_table_quota": "auto", "fragmentation": str(frag),
            "size_str": str(size), "allocated_str": str(allocated), "free_str": str(free), "freeing_str": "0",
            "topology": _topology(state, rec, allocated, frag),
        })
    if profile.at_least("26"):
        entry["all_sed"] = False if rec["status"] != "OFFLINE" else None
    return entry


def _filter_list(items, filters, options):
    from ..query import filter_list
    return filter_list(items, filters, options)


def _sorted_pools(state):
    return sorted(pools(state).values(), key=lambda r: r["id"])


def _query_args(filters, options):
    return _storage().query_args(filters, options)


@method("pool.query")
def query(ctx, filters=None, options=None):
    filters, options = _query_args(filters, options)
    extra = options.get("extra") or {}
    items = [pool_entry(ctx.state, ctx.profile, rec, extra) for rec in _sorted_pools(ctx.state)]
    return _filter_list(items, filters or [], options)


@method("pool.get_instance")
def get_instance(ctx, ident, options=None):
    options = _query_args([], options)[1]
    items = query(ctx, [["id", "=", ident]], dict(options, get=False, limit=0, offset=0))
    if not items:
        raise InstanceNotFound("Pool", ident)
    return items[0]


def pool_disks(rec):
    if rec["status"] == "OFFLINE":
        return []
    return [child["disk"] for _cls, _vdev, child in _leaf_statuses(rec)]


@method("pool.get_disks")
def get_disks(ctx, ident=None):
    if ident is not None and (isinstance(ident, bool) or not isinstance(ident, int)):
        modern = ctx.profile.at_least("25.10")
        raise ValidationErrors([("id", "Input should be a valid integer" if modern else "Not an integer", errno.EINVAL)])
    out = []
    for rec in _sorted_pools(ctx.state):
        if ident is None or rec["id"] == ident:
            out.extend(pool_disks(rec))
    return out


# ---------------------------------------------------------------------------------------------
# scrubbing


def _check_action(ctx, action, attr="action"):
    choices = ("START", "STOP", "PAUSE")
    if action not in choices:
        if ctx.profile.at_least("25.10"):
            raise ValidationErrors([(attr, "Input should be 'START', 'STOP' or 'PAUSE'", errno.EINVAL)])
        raise ValidationErrors([(attr, "Invalid choice: %s" % (action,), errno.EINVAL)])


def _emit_scan(ctx, rec):
    emit = getattr(ctx, "emit", None)
    if emit is not None:
        emit("zfs.pool.scan", "CHANGED", id=rec["name"],
             fields={"name": rec["name"], "scan": render_scan(ctx.profile, rec["scan"])})


async def run_scrub(ctx, job, name, action="START"):
    """Body of pool.scrub.scrub: START lasts as long as the scrub; STOP and PAUSE act at once."""
    state = ctx.state
    rec = pool_by_name(state, name)
    if rec is None:
        raise CallError("cannot open '%s': no such pool" % name, errno.ENOENT)
    if rec["status"] == "OFFLINE":
        raise CallError("cannot open '%s': pool I/O is currently suspended" % name, errno.EIO)
    scan = rec.get("scan") or dict(NEVER_SCANNED)
    rec["scan"] = scan
    scanning = scan.get("state") == "SCANNING" and scan.get("function") == "SCRUB"
    if action == "STOP":
        if not scanning:
            raise CallError("cannot cancel scrubbing %s: there is no active scrub" % name)
        scan.update({"state": "CANCELED", "end_time": int(time.time()), "pause": None, "total_secs_left": None})
        _emit_scan(ctx, rec)
        return None
    if action == "PAUSE":
        if not scanning:
            raise CallError("cannot pause scrubbing %s: there is no active scrub" % name)
        if scan.get("pause") is None:
            scan.update({"pause": int(time.time()), "total_secs_left": None})
            _emit_scan(ctx, rec)
        return None

    seconds = rec.get("scrub_seconds")
    step = max(0.0, float(job.duration if seconds is None else seconds)) / SCRUB_STEPS
    key = (id(state.data), name)
    while key in _RUNNING_SCRUBS:
        await job.sleep(step or 0.01)
        scan = rec["scan"]
    _RUNNING_SCRUBS[key] = job
    try:
        storage = _storage()
        total = max(1, storage.pool_usage(state, name)[0])
        scanning = scan.get("state") == "SCANNING" and scan.get("function") == "SCRUB"
        if scanning and scan.get("pause") is not None:
            scan["pause"] = None
        elif not scanning:
            scan.update({"function": "SCRUB", "state": "SCANNING", "start_time": int(time.time()), "end_time": None,
                         "percentage": 0.0, "bytes_to_process": 0, "bytes_processed": total, "bytes_issued": 0,
                         "pause": None, "errors": 0, "total_secs_left": int(round(step * SCRUB_STEPS))})
        job.set_progress(int(scan["percentage"] or 0), "Scrubbing")
        _emit_scan(ctx, rec)
        while True:
            await job.sleep(step)
            scan = rec["scan"]
            if scan.get("state") != "SCANNING":
                return None
            if scan.get("pause") is not None:
                job.set_progress(int(scan["percentage"] or 0), "Scrub paused")
                return None
            percentage = min(100.0, round(float(scan["percentage"] or 0) + 100.0 / SCRUB_STEPS, 6))
            examined = int(total * percentage / 100)
            if percentage >= 100.0:
                scan.update({"state": "FINISHED", "end_time": int(time.time()), "percentage": 100.0,
                             "bytes_to_process": total, "bytes_issued": total, "total_secs_left": None})
                _emit_scan(ctx, rec)
                job.set_progress(100, "Scrub finished")
                return None
            remaining = int(round((100.0 - percentage) / (100.0 / SCRUB_STEPS) * step))
            scan.update({"percentage": percentage, "bytes_to_process": examined, "bytes_issued": examined,
                         "total_secs_left": remaining})
            job.set_progress(int(percentage), "Scrubbing")
            _emit_scan(ctx, rec)
    finally:
        if _RUNNING_SCRUBS.get(key) is job:
            del _RUNNING_SCRUBS[key]


@method("pool.scrub", job=True)
async def scrub(ctx, job, ident=None, action=None):
    """Start, stop or pause the scrub of pool ``ident`` (a transient job wrapping pool.scrub.scrub)."""
    job.transient = True
    if isinstance(ident, bool) or not isinstance(ident, int):
        modern = ctx.profile.at_least("25.10")
        raise ValidationErrors([("id", "Input should be a valid integer" if modern else "Not an integer", errno.EINVAL)])
    _check_action(ctx, action)
    rec = pool_by_id(ctx.state, ident)
    if rec is None:
        raise InstanceNotFound("Pool", ident)
    return await run_scrub(ctx, job, rec["name"], action)


@method("pool.scrub.scrub", job=True)
async def scrub_scrub(ctx, job, name=None, action="START"):
    if not isinstance(name, str):
        modern = ctx.profile.at_least("25.10")
        raise ValidationErrors([("name", "Input should be a valid string" if modern else "Not a string", errno.EINVAL)])
    _check_action(ctx, action)
    return await run_scrub(ctx, job, name, action)


@method("pool.scrub.run")
def scrub_run(ctx, name=None, threshold=35):
    """Start a scrub when the last one (or the pool's creation) is at least ``threshold - 1`` days old."""
    modern = ctx.profile.at_least("25.10")
    if not isinstance(name, str):
        raise ValidationErrors([("name", "Input should be a valid string" if modern else "Not a string", errno.EINVAL)])
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        raise ValidationErrors([("threshold", "Input should be a valid integer" if modern else "Not an integer",
                                 errno.EINVAL)])
    rec = pool_by_name(ctx.state, name)
    if rec is None or rec["status"] == "OFFLINE":
        alerts = ctx.state.data.setdefault("alerts", {})
        alerts["ScrubNotStarted:%s" % name] = {"klass": "ScrubNotStarted", "args": name,
                                               "text": "Scrub for pool %r was not started: pool is not imported." % name}
        return None
    scan = rec.get("scan") or {}
    if scan.get("state") == "SCANNING":
        return None
    last = scan.get("end_time") or scan.get("start_time") or rec.get("created") or 0
    if time.time() - last < (threshold - 1) * 86400:
        return None
    server = ctx.server
    server.run_job(None, registry.lookup("pool.scrub.scrub", ctx.profile.name), [name, "START"])
    return None


# ---------------------------------------------------------------------------------------------
# disks


def _identifier(disk):
    if disk.get("lunid"):
        return "{serial_lunid}%s_%s" % (disk["serial"], disk["lunid"])
    return "{serial}%s" % disk["serial"]


def disk_pool(state, name):
    for rec in pools(state).values():
        if rec["status"] != "OFFLINE" and name in pool_disks(rec):
            return rec["name"]
    return None


def _disk_entry(state, name, extra):
    disk = disks(state)[name]
    zfs_guid = None
    for rec in pools(state).values():
        for _cls, _vdev, child in _leaf_statuses(rec):
            if child["disk"] == name:
                zfs_guid = child["guid"]
    return {
        "identifier": _identifier(disk), "name": name, "subsystem": disk["subsystem"], "number": disk["number"],
        "serial": disk["serial"], "lunid": disk.get("lunid"), "size": disk["size"],
        "description": disk["description"], "transfermode": disk["transfermode"],
        "hddstandby": disk["hddstandby"], "advpowermgmt": disk["advpowermgmt"],
        "expiretime": _date(disk.get("expiretime")), "model": disk["model"],
        "rotationrate": disk["rotationrate"], "type": disk["type"], "zfs_guid": zfs_guid, "bus": disk["bus"],
        "devname": name, "enclosure": disk["enclosure"],
        "pool": disk_pool(state, name) if extra.get("pools") else None,
        "passwd": "", "kmip_uid": None,
    }


@method("disk.query")
def disk_query(ctx, filters=None, options=None):
    filters, options = _query_args(filters, options)
    extra = options.get("extra") or {}
    names = sorted(disks(ctx.state), key=lambda n: (len(n), n))
    if not extra.get("include_expired"):
        names = [n for n in names if disks(ctx.state)[n].get("expiretime") is None]
    items = [_disk_entry(ctx.state, n, extra) for n in names]
    return _filter_list(items, filters or [], options)


@method("disk.get_instance")
def disk_get_instance(ctx, ident, options=None):
    options = _query_args([], options)[1]
    options["extra"] = dict(options.get("extra") or {}, include_expired=True)
    items = disk_query(ctx, [["identifier", "=", ident]], dict(options, get=False, limit=0, offset=0))
    if not items:
        raise InstanceNotFound("Disk", ident)
    return items[0]


@method("disk.temperatures")
def disk_temperatures(ctx, names=None, include_thresholds=False):
    """{disk name: degrees Celsius or null}; all disks when ``names`` is empty."""
    modern = ctx.profile.at_least("25.10")
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        raise ValidationErrors([("names", "Input should be a valid list" if modern else "Not a list", errno.EINVAL)])
    if not isinstance(include_thresholds, bool):
        raise ValidationErrors([("include_thresholds", "Input should be a valid boolean" if modern else "Not a boolean",
                                 errno.EINVAL)])
    table = disks(ctx.state)
    wanted = names or sorted(table, key=lambda n: (len(n), n))
    out = {}
    for name in wanted:
        if name in table:
            temp = table[name].get("temperature")
            out[name] = {"temperature": temp, "crit": None, "warn": None} if include_thresholds else temp
    return out


@method("smart.test.results", profiles=("25.04",))
def smart_test_results(ctx, filters=None, options=None):
    """Per-disk SMART self-test log (newest first): {disk, tests: [...], current_test}.

    25.04 only: 25.10 removed SMART from the public API (smart.test.* answer -32601 there)."""
    items = []
    for name in sorted(disks(ctx.state), key=lambda n: (len(n), n)):
        tests = []
        for num, test in enumerate(disks(ctx.state)[name].get("smart_tests") or [], start=1):
            status = str(test.get("status", "SUCCESS")).upper()
            tests.append({
                "num": num, "description": test.get("description", "Short offline"), "status": status,
                "status_verbose": test.get("status_verbose",
                                           "Completed without error" if status == "SUCCESS" else "Completed: read failure"),
                "segment_number": None, "remaining": 0.0, "lifetime": int(test.get("lifetime", 0)),
                "lba_of_first_error": test.get("lba_of_first_error"),
                "power_on_hours_ago": int(test.get("power_on_hours_ago", 0)),
            })
        items.append({"disk": name, "tests": tests, "current_test": None})
    filters, options = _query_args(filters, options)
    return _filter_list(items, filters, options)
