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
        smart_fail: false               # true: SMART tests fail, attributes show reallocated sectors (25.04)
        smart_durations: {SHORT: 1.0}   # seconds a simulated test of each type takes (25.04, services/smart.py)
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
            "smart_fail": bool(entry.get("smart_fail", False)),
            "smart_durations": entry.get("smart_durations"),
            "smart_running": None,
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
    from . import smart
    smart.settle(ctx.state)
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
        items.append({"disk": name, "tests": tests, "current_test": smart.current_test(disks(ctx.state)[name])})
    filters, options = _query_args(filters, options)
    return _filter_list(items, filters, options)


# ---------------------------------------------------------------------------------------------
# pool.create, pool.update (add vdevs, autotrim) and pool.export: jobs
#
# Validation follows the middleware (``plugins/pool_/pool.py``, ``disk.check_disks_availability``):
# attributes ``pool_create.*`` / ``pool_update.*``; minimum disks per type; one type for all data
# (and all dedup) vdevs; at most one log and one cache row; unknown and in-use disks; a spare
# smaller than the smallest data disk. 26 also refuses dRAID and non-redundant special vdevs when
# the data vdevs are redundant. Progress: formatting 0-30 %, 90 % create, 95 % options.

VDEV_MIN_DISKS = {"STRIPE": 1, "MIRROR": 2, "RAIDZ1": 3, "RAIDZ2": 4, "RAIDZ3": 5, "DRAID1": 2, "DRAID2": 3,
                  "DRAID3": 4}
VDEV_PARITY = {"STRIPE": 0, "MIRROR": 1, "RAIDZ1": 1, "RAIDZ2": 2, "RAIDZ3": 3, "DRAID1": 1, "DRAID2": 2,
               "DRAID3": 3}
_RESERVED_POOL_NAMES = ("mirror", "raidz", "draid", "spare", "log", "cache", "special", "dedup", "boot-pool",
                        "freenas-boot")
_POOL_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")
DEFAULT_SCRUB_SCHEDULE = {"minute": "00", "hour": "00", "dom": "*", "month": "*", "dow": "7"}


def valid_pool_name(name):
    if not isinstance(name, str) or not _POOL_NAME_RE.match(name) or len(name) > 50:
        return False
    lowered = name.lower()
    if any(lowered.startswith(word) for word in _RESERVED_POOL_NAMES):
        return False
    return not re.match(r"^c[0-9]", lowered)


def _existing_as_stripes(rec, cls):
    """An existing class of vdevs in the shape of the create payload (DISK leaves as one STRIPE)."""
    out = []
    stripe = None
    for vdev in rec["topology"].get(cls, []):
        if vdev["type"] == "DISK":
            if stripe is None:
                stripe = {"type": "STRIPE", "disks": []}
                out.append(stripe)
            stripe["disks"].append(vdev["children"][0]["disk"])
        else:
            out.append({"type": vdev["type"], "disks": [c["disk"] for c in vdev["children"]]})
    return out


def _topology_disks(topology):
    names = []
    for cls in ("data", "cache", "log", "special", "dedup"):
        for vdev in topology.get(cls) or []:
            names.extend(vdev.get("disks") or [])
    names.extend(topology.get("spares") or [])
    return names


def validate_topology(ctx, schema, topology, old=None):
    """ValidationErrors (not raised) for ``topology`` (create payload shape) added to ``old``."""
    verrors = ValidationErrors()
    modern = ctx.profile.at_least("26")
    data_redundant = False
    for cls in ("data", "special", "dedup"):
        vdevs = list(topology.get(cls) or [])
        if old is not None:
            vdevs += _existing_as_stripes(old, cls)
        last = None
        for i, vdev in enumerate(vdevs):
            vtype = vdev["type"]
            if cls == "special" and modern and vtype.startswith("DRAID"):
                verrors.add("%s.topology.%s.%d.type" % (schema, cls, i), "dRAID is not supported for special vdevs.")
                continue
            need = VDEV_MIN_DISKS.get(vtype, 1)
            if len(vdev["disks"]) < need:
                verrors.add("%s.topology.%s.%d.disks" % (schema, cls, i),
                            "You need at least %d disk(s) for this vdev type." % need)
            if cls == "data" and VDEV_PARITY.get(vtype, 0) >= 1:
                data_redundant = True
            if cls == "special" and modern:
                if data_redundant and VDEV_PARITY.get(vtype, 0) < 1:
                    verrors.add("%s.topology.%s.%d.type" % (schema, cls, i),
                                "A special vdev with no redundancy is not allowed when data vdevs are redundant.")
            elif last and last != vtype:
                verrors.add("%s.topology.%s.%d.type" % (schema, cls, i),
                            "You are not allowed to create a pool with different %s vdev types (%s and %s)."
                            % (cls, last, vtype))
            last = vtype
    for cls in ("cache", "log"):
        if len(topology.get(cls) or []) > 1:
            verrors.add("%s.topology.%s" % (schema, cls), "Only one row for the virtual device of type %s is allowed." % cls)
    if verrors:
        return verrors

    names = _topology_disks(topology)
    table = disks(ctx.state)
    missing = [n for n in names if n not in table or table[n].get("expiretime") is not None]
    if missing:
        verrors.add("%s.topology" % schema, "The following disks were not found in system: %s." % ",".join(missing))
    used = sorted({n for rec in pools(ctx.state).values() for n in pool_disks(rec)} & set(names))
    if used:
        verrors.add("%s.topology" % schema, "The following disks are already in use: %s." % ",".join(used))
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        verrors.add("%s.topology" % schema, "The following disks are listed more than once: %s." % ",".join(twice))
    if verrors:
        return verrors
    data_disks = [d for v in topology.get("data") or [] for d in v["disks"]]
    if old is not None:
        data_disks += [d for v in _existing_as_stripes(old, "data") for d in v["disks"]]
    smallest = min([table[d]["size"] for d in data_disks] or [0])
    for spare in topology.get("spares") or []:
        if table[spare]["size"] < smallest:
            verrors.add("%s.topology" % schema, "Spare %s (%s) is smaller than the smallest data disk (%s)"
                        % (spare, _storage().nicenum(table[spare]["size"]), _storage().nicenum(smallest)))
    return verrors


def _as_seed_specs(topology):
    """Create-payload topology -> the seed shape ``_build_vdevs`` reads."""
    specs = {}
    for cls in ("data", "cache", "log", "special", "dedup"):
        specs[cls] = [{"type": v["type"], "disks": list(v["disks"])} for v in topology.get(cls) or []]
    specs["spare"] = list(topology.get("spares") or [])
    return specs


def _add_vdevs(state, rec, topology):
    """Build and append the vdevs of ``topology``; numbered after the pool's existing vdevs."""
    taken = sum(len(rec["topology"].get(cls, [])) for cls in VDEV_CLASSES)
    for cls, specs in _as_seed_specs(topology).items():
        built = _build_vdevs(state, rec["name"], cls, specs)
        for vdev in built:
            if vdev["type"] != "DISK":
                if vdev["type"].startswith("DRAID"):
                    vdev["name"] = vdev["name"].rsplit("-", 1)[0] + "-%d" % taken
                else:
                    vdev["name"] = "%s-%d" % (vdev["type"].lower(), taken)
                vdev["guid"] = _guid(rec["name"], cls, vdev["name"], rec.get("txg", 4))
            taken += 1
        rec["topology"].setdefault(cls, []).extend(built)


def _check_dict(ctx, attr, value, model):
    if not isinstance(value, dict):
        modern = ctx.profile.at_least("25.10")
        raise ValidationErrors([(attr, "Input should be a valid dictionary or instance of %s" % model if modern
                                 else "Not a dictionary", errno.EINVAL)])


def _encryption(ctx, data, verrors):
    if not data.get("encryption"):
        return None
    opts = dict({"generate_key": False, "passphrase": None, "key": None, "algorithm": "AES-256-GCM",
                 "pbkdf2iters": 1300000 if ctx.profile.at_least("26") else 350000}, **(data.get("encryption_options") or {}))
    gen, key, phrase = opts["generate_key"], opts["key"], opts["passphrase"]
    schema = "pool_create.encryption_options"
    if phrase and (gen or key):
        verrors.add(schema + ".passphrase", "Must not be specified when a key is provided or generated.")
    elif gen and key:
        verrors.add(schema + ".key", "Must not be specified when generate_key is set.")
    elif not (gen or key or phrase):
        verrors.add(schema, "Either a passphrase or a key must be provided, or generate_key must be set.")
    if phrase is not None and len(phrase) < 8:
        verrors.add(schema + ".passphrase", "Passphrase must be at least 8 characters long.")
    secret = phrase or key or uuid.uuid4().hex
    return {"root": data["name"], "key_format": "passphrase" if phrase else "hex",
            "algorithm": str(opts.get("algorithm") or "AES-256-GCM").lower(),
            "pbkdf2iters": opts["pbkdf2iters"] if phrase else 0, "key_loaded": True,
            "secret_sha256": hashlib.sha256(secret.encode()).hexdigest()}


async def _format_disks(job, names):
    step = job.duration / max(1, len(names) + 2)
    for i, name in enumerate(names):
        job.set_progress(int(30 * i / max(1, len(names))), "Formatting disks (%d/%d)" % (i + 1, len(names)))
        await job.sleep(step)
    job.set_progress(30, "Formatting disks")


def _emit_pool(ctx, msg, rec):
    emit = getattr(ctx, "emit", None)
    if emit is not None:
        emit("pool.query", msg, id=rec["id"], fields=pool_entry(ctx.state, ctx.profile, rec) if msg != "REMOVED" else None)


def _save(ctx):
    saver = getattr(ctx.state, "save", None)
    if saver is not None:
        saver()


def scrub_tasks(state):
    return state.data.setdefault("scrub_tasks", {})


@method("pool.create", job=True)
async def pool_create(ctx, job, data=None):
    """Create a pool from disks (topology validated like the middleware); returns the pool entry."""
    _check_dict(ctx, "data", data, "PoolCreate")
    state = ctx.state
    data = dict(data)
    name = data.get("name")
    topology = data.get("topology")
    if not isinstance(name, str) or not isinstance(topology, dict) or not topology.get("data"):
        raise ValidationErrors([("data.topology" if isinstance(name, str) else "data.name",
                                 "Field required" if ctx.profile.at_least("25.10") else "attribute required",
                                 errno.EINVAL)])
    verrors = ValidationErrors()
    if pool_by_name(state, name) is not None:
        verrors.add("pool_create.name", "A pool with this name already exists.", errno.EEXIST)
    elif not valid_pool_name(name):
        verrors.add("pool_create.name", "Invalid pool name", errno.EINVAL)
    encryption = _encryption(ctx, data, verrors)
    verrors.raise_if_any()
    validate_topology(ctx, "pool_create", topology).raise_if_any()

    names = _topology_disks(topology)
    await _format_disks(job, names)
    job.set_progress(90, "Creating ZFS Pool")
    now = int(time.time())
    ident = int(state.next_id("pool"))
    rec = {"id": ident, "name": name, "guid": _guid(name, "pool", now), "status": "ONLINE", "created": now,
           "topology": dict((cls, []) for cls in VDEV_CLASSES), "autotrim": "off", "scan": dict(NEVER_SCANNED),
           "txg": 4, "scrub_seconds": None, "fragmentation": None}
    _add_vdevs(state, rec, topology)
    _capacity(state, rec)
    pools(state)[str(ident)] = rec
    job.set_progress(95, "Setting pool options")
    props = {"recordsize": "1M"} if any(v["type"].startswith("DRAID") for v in topology["data"]) else {}
    root = _storage().root_record(state, name, creation=now, props=props)
    if encryption:
        root["encryption"] = encryption
    task_id = state.next_id("scrub_tasks")
    scrub_tasks(state)[str(task_id)] = {"id": task_id, "pool": ident, "threshold": 35, "description": "",
                                        "schedule": dict(DEFAULT_SCRUB_SCHEDULE), "enabled": True}
    _save(ctx)
    _emit_pool(ctx, "ADDED", rec)
    return pool_entry(state, ctx.profile, rec)


@method("pool.update", job=True)
async def pool_update(ctx, job, ident=None, data=None):
    """Add vdevs (``topology``) and set ``autotrim`` (ON/OFF); returns the pool entry."""
    modern = ctx.profile.at_least("25.10")
    if isinstance(ident, bool) or not isinstance(ident, int):
        raise ValidationErrors([("id", "Input should be a valid integer" if modern else "Not an integer", errno.EINVAL)])
    data = {} if data is None else data
    _check_dict(ctx, "data", data, "PoolUpdate")
    rec = pool_by_id(ctx.state, ident)
    if rec is None:
        raise InstanceNotFound("Pool", ident)
    if "autotrim" in data and data["autotrim"] not in ("ON", "OFF"):
        raise ValidationErrors([("data.autotrim", "Input should be 'ON' or 'OFF'" if modern
                                 else "Invalid choice: %s" % (data["autotrim"],), errno.EINVAL)])
    topology = data.get("topology")
    if topology:
        validate_topology(ctx, "pool_update", topology, old=rec).raise_if_any()
        names = _topology_disks(topology)
        await _format_disks(job, names)
        job.set_progress(90, "Extending ZFS Pool")
        rec["txg"] = int(rec.get("txg", 4)) + 1
        _add_vdevs(ctx.state, rec, topology)
        _capacity(ctx.state, rec)
    if "autotrim" in data:
        rec["autotrim"] = data["autotrim"].lower()
    job.set_progress(100, "Pool updated")
    _save(ctx)
    _emit_pool(ctx, "CHANGED", rec)
    return pool_entry(ctx.state, ctx.profile, rec)


def _detach(ctx, rec, cascade):
    """Shares and tasks on the pool: deleted with ``cascade``, else disabled (re-enabled on import)."""
    from . import sharing, snapshottask
    state = ctx.state
    mount = "/mnt/" + rec["name"]
    for kind in (sharing.SMB_KIND, sharing.NFS_KIND):
        table = state.data.get(kind) or {}
        for key in list(table):
            path = table[key].get("path") or ""
            if path == mount or path.startswith(mount + "/"):
                if cascade:
                    del table[key]
                else:
                    table[key]["enabled"] = False
    tasks = snapshottask.tasks(state)
    for key in list(tasks):
        dataset = tasks[key]["dataset"]
        if dataset == rec["name"] or dataset.startswith(rec["name"] + "/"):
            if cascade:
                del tasks[key]
            else:
                tasks[key]["enabled"] = False
    for key in [k for k, task in scrub_tasks(state).items() if task["pool"] == rec["id"]]:
        del scrub_tasks(state)[key]


def _drop_datasets(state, pool_name):
    storage = _storage()
    idx = storage.index(state)
    names = [n for n in storage.datasets(state) if n == pool_name or n.startswith(pool_name + "/")]
    for sid in [sid for sid, snap in storage.snapshots(state).items() if snap["dataset"] in names]:
        snap = storage.snapshots(state).pop(sid)
        idx.remove_snapshot(sid, snap["dataset"])
    for name in sorted(names, key=lambda n: -n.count("/")):
        storage.drop_record(state, name)


@method("pool.export", job=True)
async def pool_export(ctx, job, ident=None, options=None):
    """Export (or, with ``destroy``, destroy) pool ``ident``; returns null."""
    modern = ctx.profile.at_least("25.10")
    if isinstance(ident, bool) or not isinstance(ident, int):
        raise ValidationErrors([("id", "Input should be a valid integer" if modern else "Not an integer", errno.EINVAL)])
    options = dict({"cascade": False, "restart_services": False, "destroy": False}, **(options or {}))
    rec = pool_by_id(ctx.state, ident)
    if rec is None:
        raise InstanceNotFound("Pool", ident)
    job.set_progress(10, "Stopping services")
    _detach(ctx, rec, options["cascade"])
    job.set_progress(20, "Destroying pool" if options["destroy"] else "Exporting pool")
    await job.sleep()
    members = pool_disks(rec)
    _drop_datasets(ctx.state, rec["name"])
    del pools(ctx.state)[str(rec["id"])]
    if not options["destroy"]:
        ctx.state.data.setdefault("exported_pools", {})[rec["name"]] = {"name": rec["name"], "guid": rec["guid"],
                                                                        "disks": members}
    job.set_progress(100, "Pool %s" % ("destroyed" if options["destroy"] else "exported"))
    _save(ctx)
    _emit_pool(ctx, "REMOVED", rec)
    return None


# ---------------------------------------------------------------------------------------------
# periodic scrub tasks: pool.scrub.query|get_instance|create|update|delete (one task per pool;
# pool.create adds one with the defaults, pool.export removes it). Seeded pools get the default
# task unless their seed entry says ``scrub_task: null`` or gives its own fields.

SCRUB_FIELDS = ("pool", "threshold", "description", "schedule", "enabled")


def _scrub_entry(state, task):
    entry = dict((key, task[key]) for key in SCRUB_FIELDS)
    entry["schedule"] = dict(task["schedule"])
    entry["id"] = task["id"]
    rec = pool_by_id(state, task["pool"])
    entry["pool_name"] = rec["name"] if rec else None
    return entry


def scrub_entries(state):
    return [_scrub_entry(state, t) for _k, t in sorted(scrub_tasks(state).items(), key=lambda kv: int(kv[0]))]


def _scrub_check(ctx, data, partial):
    from .sharing import F, check_model, raise_errors
    from .snapshottask import cron_field_ok
    cron = {"minute": F("str", default="00"), "hour": F("str", default="00"), "dom": F("str", default="*"),
            "month": F("str", default="*"), "dow": F("str", default="7")}
    fields = {"pool": F("int"), "threshold": F("int", default=35), "description": F("str", default=""),
              "schedule": F("model", default=dict(DEFAULT_SCRUB_SCHEDULE), model=cron, model_name="PoolScrubCron"),
              "enabled": F("bool", default=True)}
    errors = []
    if not isinstance(data, dict):
        raise ValidationErrors([("data", "Input should be a valid dictionary", errno.EINVAL)])
    clean = check_model(fields, data, "data", errors, partial=partial)
    raise_errors(errors)
    schedule = clean.get("schedule")
    if schedule is not None and not all(cron_field_ok(k, schedule[k]) for k in cron if k in schedule):
        errors.append(("data.schedule", "Value error, Please ensure fields match cron syntax"))
    raise_errors(errors)
    return clean


def _scrub_validate(ctx, data, schema, own_id=None):
    verrors = ValidationErrors()
    if data.get("threshold", 0) < 0:
        verrors.add("%s.threshold" % schema, "Input should be greater than or equal to 0")
    if pool_by_id(ctx.state, data["pool"]) is None:
        verrors.add("%s.pool" % schema, "The specified volume does not exist")
    elif any(t["pool"] == data["pool"] and t["id"] != own_id for t in scrub_tasks(ctx.state).values()):
        verrors.add("%s.pool" % schema, "A scrub with this pool already exists")
    verrors.raise_if_any()


def _scrub_get(ctx, ident):
    from .sharing import get_instance as _get_instance
    return _get_instance(ctx, scrub_entries(ctx.state), ident, "PoolScrub")


@method("pool.scrub.query")
def scrub_task_query(ctx, filters=None, options=None):
    return ctx.query(scrub_entries(ctx.state), filters, options)


@method("pool.scrub.get_instance")
def scrub_task_get_instance(ctx, ident, options=None):
    from .sharing import get_instance as _get_instance
    return _get_instance(ctx, scrub_entries(ctx.state), ident, "PoolScrub", options)


@method("pool.scrub.create", schema=False)
def scrub_task_create(ctx, data=None):
    clean = _scrub_check(ctx, data, partial=False)
    schedule = dict(DEFAULT_SCRUB_SCHEDULE)
    schedule.update(clean["schedule"])
    clean["schedule"] = schedule
    _scrub_validate(ctx, clean, "pool_scrub_create")
    ident = ctx.state.next_id("scrub_tasks")
    task = dict(clean, id=ident)
    scrub_tasks(ctx.state)[str(ident)] = task
    _save(ctx)
    return _scrub_entry(ctx.state, task)


@method("pool.scrub.update", schema=False)
def scrub_task_update(ctx, ident=None, data=None):
    from .sharing import check_id
    check_id(ident, "id_")
    old = _scrub_get(ctx, ident)
    patch = _scrub_check(ctx, {} if data is None else data, partial=True)
    task = scrub_tasks(ctx.state)[str(old["id"])]
    new = dict(task)
    if "schedule" in patch:
        new["schedule"] = dict(task["schedule"], **patch.pop("schedule"))
    new.update(patch)
    _scrub_validate(ctx, new, "pool_scrub_update", own_id=old["id"])
    scrub_tasks(ctx.state)[str(old["id"])] = new
    _save(ctx)
    return _scrub_entry(ctx.state, new)


@method("pool.scrub.delete")
def scrub_task_delete(ctx, ident=None):
    from .sharing import check_id
    check_id(ident, "id")
    old = _scrub_get(ctx, ident)
    del scrub_tasks(ctx.state)[str(old["id"])]
    _save(ctx)
    return True


@seed_loader
def load_scrub_tasks(state, seed):
    """A default scrub task for every seeded pool (``scrub_task`` in the pool entry overrides it)."""
    for entry in seed.get("pools") or []:
        if "scrub_task" in entry and entry["scrub_task"] is None:
            continue
        rec = pool_by_name(state, entry["name"])
        custom = entry.get("scrub_task") or {}
        ident = state.next_id("scrub_tasks")
        schedule = dict(DEFAULT_SCRUB_SCHEDULE, **(custom.get("schedule") or {}))
        scrub_tasks(state)[str(ident)] = {"id": ident, "pool": rec["id"], "threshold": int(custom.get("threshold", 35)),
                                          "description": custom.get("description", ""), "schedule": schedule,
                                          "enabled": bool(custom.get("enabled", True))}
