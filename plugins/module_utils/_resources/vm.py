# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptor of virtual machines (``vm.*``): definition, inline devices and power state.

The engine creates or updates the definition (``vm.create`` / ``vm.update``; devices are never
part of those calls). ``post_apply`` then reconciles the inline ``devices`` list through
``vm.device.*`` with the schema of ``_resources/vm_device.py``, and finally drives the power state
(``vm.start``, the ``vm.stop`` and ``vm.restart`` jobs, ``vm.poweroff``, ``vm.resume``), waiting
until ``status.state`` really reads RUNNING or STOPPED. An unchanged run costs one ``vm.query``:
devices come embedded in its entries. Devices to add are checked with reads before anything is
written (the bridge, the zvol parent and its space, the ISO file of a CD-ROM), so bad input fails
before a new VM is created.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import shlex

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError, TrueNASTimeoutError
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource, outcome_unknown
from ansible_collections.nasops.truenas.plugins.module_utils._resources.vm_device import (
    adjust_password,
    check_cdrom_path,
    check_display_type,
    check_nic_attach,
    create_payload,
    device_changes,
    find_device,
    matches,
    needs_stopped_vm,
    normalize_device,
    option_for_attribute,
    parse_device,
    plan_zvol,
    predicted_device,
    require_vms,
    start_after_failure,
    update_payload,
)
from ansible_collections.nasops.truenas.plugins.module_utils._sizes import MAX_BYTES, to_bytes

MIB = 1024 * 1024
MIN_MEMORY_MIB = 20
MAX_VCPUS = 255
SHUTDOWN_TIMEOUT_RANGE = (5, 300)
DEFAULT_SHUTDOWN_TIMEOUT = 90
POLL_INTERVAL = 1.0
JOB_MARGIN = 30
STATES = ("present", "absent", "started", "stopped", "restarted", "poweroff")
CPU_MODES = ("CUSTOM", "HOST-MODEL", "HOST-PASSTHROUGH")
BOOTLOADERS = ("UEFI", "UEFI_CSM")
TIMES = ("LOCAL", "UTC")
CREATE_ONLY_FROM_25_10 = ("bootloader_ovmf", "enable_secure_boot")
ACTIVE = ("RUNNING", "SUSPENDED")
SECRETS = ("devices.display_password",)
_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


# ---- values ------------------------------------------------------------------------------------

def parse_name(value):
    if not _NAME_RE.match(value):
        raise ValueError("%r is not a valid VM name; TrueNAS allows only letters, digits and underscores" % value)
    return value


def parse_mib(value):
    """Memory in MiB: an int (MiB), a numeric string (MiB) or a human size such as 4G or 512MiB."""
    if isinstance(value, bool):
        raise ValueError("expected a size in MiB or such as 4G, got %r" % (value,))
    if isinstance(value, int):
        mib = value
    elif isinstance(value, str) and value.strip().isdigit():
        mib = int(value.strip())
    else:
        try:
            size = to_bytes(value)
        except ValueError as exc:
            if "bytes" not in str(exc) or "2^64-1" in str(exc):
                raise
            # to_bytes's message speaks of bytes; here a bare number means MiB.
            raise ValueError("%r is not a valid size: use a number of MiB, or a size such as 4G or 512MiB" % (value,))
        if size % MIB:
            raise ValueError("%r is not a whole number of MiB" % (value,))
        mib = size // MIB
    if mib < MIN_MEMORY_MIB:
        raise ValueError("must be at least %d MiB, got %d MiB" % (MIN_MEMORY_MIB, mib))
    if mib * MIB > MAX_BYTES:
        raise ValueError("%d MiB is more than 2^64-1 bytes (about 16 EiB), the largest size TrueNAS can store" % mib)
    return mib


def parse_min_memory(value):
    """Like memory; 0 removes the minimum (no ballooning)."""
    if isinstance(value, (int, str)) and not isinstance(value, bool) and str(value).strip() == "0":
        return None
    return parse_mib(value)


def parse_count(value):
    if value < 1:
        raise ValueError("must be at least 1, got %d" % value)
    return value


def parse_shutdown_timeout(value):
    low, high = SHUTDOWN_TIMEOUT_RANGE
    if not low <= value <= high:
        raise ValueError("must be between %d and %d seconds, got %d" % (low, high, value))
    return value


def parse_command_line(value):
    try:
        shlex.split(value)
    except ValueError as exc:
        raise ValueError("cannot be split like a shell command line: %s" % exc)
    return value


def optional_text(value):
    """An empty string means none (null in the API)."""
    return value or None


def normalize_devices(value):
    return [normalize_device(d) for d in value if isinstance(d, dict)]


def _state_of(record):
    status = record.get("status") if isinstance(record, dict) else None
    return status.get("state") if isinstance(status, dict) else None


# ---- the descriptor ----------------------------------------------------------------------------

class VmResource(Resource):
    NAME = "VM"
    NAMESPACE = "vm"
    RESULT_KEY = "vm"
    IDENTITY = ("name",)
    ERROR_PREFIXES = ("vm_create", "vm_update")
    JOBS = frozenset(("vm.stop", "vm.restart"))
    FIELDS = (
        Field("name", parse=parse_name),
        Field("description"),
        Field("vcpus", parse=parse_count),
        Field("cores", parse=parse_count),
        Field("threads", parse=parse_count),
        Field("memory", parse=parse_mib),
        Field("min_memory", parse=parse_min_memory),
        Field("cpu_mode"),
        Field("cpu_model", parse=optional_text),
        Field("bootloader"),
        Field("bootloader_ovmf"),
        Field("enable_secure_boot"),
        Field("trusted_platform_module"),
        Field("autostart"),
        Field("time"),
        Field("shutdown_timeout", parse=parse_shutdown_timeout),
        Field("arch_type", parse=optional_text),
        Field("machine_type", parse=optional_text),
        Field("command_line_args", parse=parse_command_line),
        Field("hide_from_msr"),
        Field("ensure_display_device"),
        Field("devices", compare="ignore", from_api=normalize_devices),
        Field("uuid", output_only=True),
        Field("status", output_only=True),
        Field("display_available", output_only=True),
    )

    def __init__(self):
        super(VmResource, self).__init__()
        self.specs = None
        self.raw_before = None
        self.current = None
        self.restart_required = False
        self.device_call = None
        self.plan = []
        self.claimed = set()
        self.warned = set()
        self.stop_for_devices = False
        self.power_cycled = False

    # ---- local validation --------------------------------------------------------------------

    def desired(self, params):
        desired = super(VmResource, self).desired(params)
        desired.pop("devices", None)
        if params.get("devices") is not None:
            self.specs = [parse_device(item, "devices[%d]." % index) for index, item in enumerate(params["devices"])]
        return desired

    def validate(self, desired, params):
        if params.get("purge_devices") and params.get("devices") is None:
            raise OptionError("purge_devices", "needs devices: the complete list of devices the VM keeps")
        if (params.get("wait_timeout") or 0) < 0:
            raise OptionError("wait_timeout", "must not be negative, got %d" % params["wait_timeout"])
        self._check_limits(desired)

    @staticmethod
    def _check_limits(values):
        if values.get("min_memory") is not None and values.get("memory") is not None \
                and values["min_memory"] > values["memory"]:
            raise OptionError("min_memory", "%d MiB is more than memory (%d MiB)" % (values["min_memory"], values["memory"]))
        counts = [values.get(name) or 1 for name in ("vcpus", "cores", "threads")]
        if counts[0] * counts[1] * counts[2] > MAX_VCPUS:
            raise OptionError("vcpus", "vcpus x cores x threads = %d x %d x %d = %d is more than the %d virtual CPUs "
                                       "TrueNAS supports" % tuple(counts + [counts[0] * counts[1] * counts[2], MAX_VCPUS]))

    # ---- reading -----------------------------------------------------------------------------

    def find(self, ctx):
        action, ctx.action = ctx.action, None
        require_vms(ctx.caps)
        ctx.action = action
        raw = ctx.client.get_one("vm.query", [["name", "=", ctx.params["name"]]])
        ctx.action = None
        for spec in self.specs or ():
            check_display_type(ctx.caps, spec)
        self.raw_before = raw
        if ctx.params.get("state") == "absent":
            return raw
        if raw is None:
            if "memory" not in ctx.desired:
                raise OptionError("memory", "is required to create the %s" % ctx.what)
        else:
            self.current = self.normalize(raw, ctx.caps)
            self._check_existing(ctx)
        if self.specs is not None:
            # Planned (and checked) before anything is written, so bad devices never leave a half-built VM.
            self.plan = self._plan_devices(ctx, self.current.get("devices") or [] if self.current else [])
            self._check_running(ctx, raw)
        return raw

    def _check_running(self, ctx, raw):
        """Removing or changing devices of a running VM needs it stopped: with ``restart_if_needed``
        (or a state that stops or restarts it anyway) it is stopped first; otherwise this fails
        before any change."""
        steps = []
        for kind, spec, current, changes in self.plan:
            if kind in ("delete", "purge"):
                steps.append("remove %s" % (spec.describe() if spec is not None else _describe_current(current)))
            elif kind == "update":
                steps.append("change %s of %s" % (", ".join(sorted(changes)), spec.describe()))
        state = ctx.params.get("state") or "present"
        allowed = ctx.params.get("restart_if_needed") or state in ("stopped", "poweroff", "restarted")
        self.stop_for_devices = raw is not None and needs_stopped_vm(ctx.what, _state_of(raw), steps, allowed)

    def _check_existing(self, ctx):
        """Checks against the existing VM: fields TrueNAS sets only on creation, and the limits
        with the options the user left out taken from the VM."""
        if not ctx.caps.vm_update_secure_boot:
            for option in CREATE_ONLY_FROM_25_10:
                if option in ctx.desired and ctx.desired[option] != self.current.get(option):
                    raise OptionError(option, "cannot be changed on the existing %s on TrueNAS %s (current %r, requested "
                                              "%r); from TrueNAS 25.10 on it is set only when the VM is created"
                                      % (ctx.what, ctx.caps.version_string, self.current.get(option), ctx.desired[option]))
        merged = dict(self.current)
        merged.update(ctx.desired)
        self._check_limits(merged)

    # ---- writing -----------------------------------------------------------------------------

    def delete_params(self, ctx, record):
        """Stops a running VM first (the guest gets its shutdown_timeout, then it is powered off),
        unless ``force`` is set; ``vm.delete`` itself powers off whatever still runs."""
        if _state_of(record) == "RUNNING" and not ctx.params.get("force"):
            ctx.write("vm.stop", record["id"], {"force": False, "force_after_timeout": True},
                      action="stop %s before deleting it" % ctx.what, timeout=self._job_timeout(ctx, record))
        return [record["id"], {"zvols": bool(ctx.params.get("delete_zvols")), "force": bool(ctx.params.get("force"))}]

    def post_apply(self, ctx, after):
        after = dict(after)
        if ctx.check_mode and self.raw_before is None:
            after.setdefault("status", {"state": "STOPPED", "pid": None, "domain_state": "SHUTOFF"})
            after.setdefault("devices", [])
        changed = False
        devices_changed = False
        stopped = False
        if self.stop_for_devices and _state_of(after) in ACTIVE:
            after = self._stop_for_devices(ctx, after)
            changed = stopped = True
        if self.specs is not None:
            try:
                devices_changed, after = self._converge_devices(ctx, after)
            except (OptionError, TrueNASError):
                if stopped:
                    self._start_after_failure(ctx, after)
                raise
            changed = changed or devices_changed
        config_changed = self.raw_before is not None and bool(ctx.changes(self.current))
        power_changed, after = self._converge_power(ctx, after, config_changed or devices_changed, stopped)
        return changed or power_changed, after

    def _stop_for_devices(self, ctx, after):
        """Stop the running VM before its devices are removed or changed (predicted in check mode)."""
        state = ctx.params.get("state") or "present"
        step = "poweroff" if _state_of(after) == "SUSPENDED" or state == "poweroff" else "stop"
        if not ctx.check_mode:
            self._power_step(ctx, after, step, wait=True)
        return dict(after, status=dict(after.get("status") or {}, state="STOPPED"))

    def _start_after_failure(self, ctx, after):
        """A device change failed after the VM was stopped for it: start the VM again if it should run."""
        if ctx.check_mode or (ctx.params.get("state") or "present") not in ("present", "started", "restarted"):
            return
        start_after_failure(ctx, lambda: self._power_step(ctx, after, "start"))

    def result_extra(self):
        return {"restart_required": self.restart_required, "power_cycled": self.power_cycled}

    def secret_options(self):
        return list(SECRETS)

    # ---- devices -----------------------------------------------------------------------------

    def _plan_devices(self, ctx, devices):
        """``[(kind, spec, current, changes)]``: deletes first, then updates, then creates."""
        vm_name = ctx.params["name"]
        claimed = set()
        deletes, updates, creates = [], [], []
        for spec in self.specs:
            current = find_device(spec, devices, claimed, vm_name)
            if current is not None:
                claimed.add(current.get("id"))
            if spec.state == "absent":
                if current is not None:
                    deletes.append(("delete", spec, current, None))
                continue
            what = "%s of %s" % (spec.describe(), ctx.what)
            if current is None:
                self._check_new_device(ctx, spec)
                creates.append(("create", spec, None, None))
                continue
            adjust_password(spec, current, ctx.warn, what)
            changes = device_changes(spec, current, what)
            if "nic_attach" in changes:
                check_nic_attach(ctx.client, spec)
            if changes:
                updates.append(("update", spec, current, changes))
        if ctx.params.get("purge_devices"):
            planned = set(item[2]["id"] for item in deletes)
            for device in devices:
                if device.get("id") not in claimed and device.get("id") not in planned:
                    deletes.append(("purge", None, device, None))
        else:
            self._warn_duplicates(ctx, devices, claimed)
        self.claimed = claimed
        return deletes + updates + creates

    def _warn_duplicates(self, ctx, devices, claimed):
        """A device listed in ``devices`` that the VM has more often than the list says: the extra
        ones are kept (without ``purge_devices``), with a warning naming every id."""
        seen = set()
        for spec in self.specs:
            key = (spec.dtype, repr(spec.identity))
            if spec.state == "absent" or key in seen:
                continue
            seen.add(key)
            alike = [d.get("id") for d in devices if matches(spec, d)]
            listed = sum(1 for other in self.specs if other.state != "absent" and other.dtype == spec.dtype
                         and other.identity == spec.identity)
            extra = [i for i in alike if i not in claimed]
            if extra and len(alike) > listed and (key, tuple(alike)) not in self.warned:
                self.warned.add((key, tuple(alike)))
                ctx.warn("%s has %s %d times (device ids %s), but devices lists it %s; the extra %s kept. Set "
                         "purge_devices: true to remove %s" % (
                             ctx.what, spec.describe(), len(alike), ", ".join(str(i) for i in sorted(alike)),
                             "once" if listed == 1 else "%d times" % listed,
                             "one is" if len(extra) == 1 else "ones are",
                             "it" if len(extra) == 1 else "them"))

    @staticmethod
    def _check_new_device(ctx, spec):
        if spec.dtype == "DISPLAY" and "display_password" not in spec.desired:
            raise OptionError(spec.option("display_password"), "is required to add a DISPLAY device; TrueNAS refuses "
                                                               "display devices without one")
        if spec.dtype == "RAW" and not spec.extras.get("exists") and "size" not in spec.desired:
            raise OptionError(spec.option("size"), "is required to create the RAW file %s (or set exists: true for a "
                                                   "file that exists already)" % spec.desired["path"])
        check_nic_attach(ctx.client, spec)
        check_cdrom_path(ctx, spec)
        plan_zvol(ctx.client, spec)

    def _converge_devices(self, ctx, after):
        plan = self.plan
        if not plan:
            return False, after
        if ctx.check_mode:
            return True, dict(after, devices=self._predict_devices(list(after.get("devices") or []), plan))
        done = []
        changed = False
        for kind, spec, current, changes in plan:
            self.device_call = spec
            try:
                applied = self._apply_device(ctx, after["id"], kind, spec, current, changes)
            except (OptionError, TrueNASError):
                failed = ctx.action
                self._after_device_failure(ctx, after["id"], done, failed)
                raise
            if applied:
                changed = True
                done.append((kind, spec, current))
        self.device_call = None
        if not changed:
            # every planned device was found added by another run meanwhile: report them as they are
            after = dict(after, devices=self._fresh_devices(ctx, after["id"]))
        return changed, after

    @staticmethod
    def _predict_devices(devices, plan):
        removed = set(current["id"] for kind, spec, current, changes in plan if kind in ("delete", "purge"))
        updated = dict((current["id"], changes) for kind, spec, current, changes in plan if kind == "update")
        out = []
        for device in devices:
            if device["id"] in removed:
                continue
            out.append(predicted_device(None, device, updated.get(device["id"])))
        out.extend(predicted_device(spec) for kind, spec, current, changes in plan if kind == "create")
        return out

    def _apply_device(self, ctx, vm_id, kind, spec, current, changes):
        name = ctx.params["name"]
        if kind in ("delete", "purge"):
            text = spec.describe() if spec is not None else _describe_current(current)
            ctx.write("vm.device.delete", current["id"], {"zvol": False, "raw_file": False, "force": False},
                      action="remove %s from VM '%s'" % (text, name))
        elif kind == "update":
            stored = current.get("attributes") if isinstance(current.get("attributes"), dict) else {}
            ctx.write("vm.device.update", current["id"], update_payload(spec.dtype, changes, ctx.caps, stored),
                      action="update %s of VM '%s'" % (spec.describe(), name))
        else:
            return self._add_device(ctx, vm_id, spec)
        return True

    def _add_device(self, ctx, vm_id, spec):
        """Add the device of ``spec`` unless it is there by now; True when this run added it.

        Another run converging the same VM may add the same device at the same time. So the VM's
        devices are read right before the add (a device that appeared meanwhile is taken as it is),
        a failed add is followed by a read (a device that is there now means converged), and after
        the add a read shows whether the other run added one too: the device with the lowest id is
        kept, and a run whose device is not that one removes its own again.
        """
        name = ctx.params["name"]
        action = "add %s to VM '%s'" % (spec.describe(), name)
        ctx.action = action
        if self._adopt_existing(ctx, vm_id, spec):
            ctx.action = None
            return False
        mac = None
        if spec.dtype == "NIC" and not spec.desired.get("mac"):
            # TrueNAS draws a new MAC at every boot for a NIC stored without one: store one now.
            mac = ctx.client.call("vm.random_mac")
        try:
            result = ctx.write("vm.device.create", create_payload(spec, vm_id, ctx.caps, mac=mac), action=action)
        except TrueNASError as exc:
            ctx.action = "check whether %s is there now" % spec.describe()
            adopted = self._adopt_existing(ctx, vm_id, spec)
            ctx.action = action
            if not adopted:
                raise
            ctx.action = None
            if outcome_unknown(exc):
                # no answer, but the device is there: most likely this run's own add
                ctx.changed = True
                ctx.warn("%s: adding %s got no answer (%s); reading the VM back showed it, so this run reports it "
                         "as changed" % (ctx.what, spec.describe(), exc))
                return True
            return False
        spec.created_id = result.get("id") if isinstance(result, dict) else None
        if spec.created_id is None:
            return True
        self.claimed.add(spec.created_id)
        return self._drop_own_duplicate(ctx, vm_id, spec)

    def _fresh_devices(self, ctx, vm_id):
        raw = ctx.client.get_one("vm.query", [["id", "=", vm_id]])
        return [normalize_device(d) for d in (raw or {}).get("devices") or [] if isinstance(d, dict)]

    def _adopt_existing(self, ctx, vm_id, spec):
        """Whether a device matching ``spec`` that no other entry of the list stands for exists now
        (it is then claimed for ``spec``)."""
        for device in self._fresh_devices(ctx, vm_id):
            if matches(spec, device) and device.get("id") not in self.claimed:
                self.claimed.add(device.get("id"))
                return True
        return False

    def _drop_own_duplicate(self, ctx, vm_id, spec):
        """After adding: if another run added the same device meanwhile, keep the one with the
        lowest id; remove this run's device when it is not that one. True when this run's device stays."""
        listed = sum(1 for other in self.specs if other.state != "absent" and other.dtype == spec.dtype
                     and other.identity == spec.identity)
        alike = sorted(d.get("id") for d in self._fresh_devices(ctx, vm_id) if matches(spec, d))
        if len(alike) <= listed or spec.created_id in alike[:listed] or spec.extras.get("create_zvol"):
            return True
        ctx.write("vm.device.delete", spec.created_id, {"zvol": False, "raw_file": False, "force": False},
                  action="remove the %s this run added to VM '%s' a moment after another run did" % (
                      spec.describe(), ctx.params["name"]))
        self.claimed.discard(spec.created_id)
        keep = [i for i in alike if i != spec.created_id and i not in self.claimed]
        if keep:
            self.claimed.add(keep[0])
        spec.created_id = None
        return False

    def _after_device_failure(self, ctx, vm_id, done, failed):
        """Roll back a VM this task created; otherwise re-read it and say what was already done."""
        name = ctx.params["name"]
        if self.raw_before is None:
            try:
                for kind, spec, current in done:
                    if kind == "create" and spec.extras.get("create_zvol") and spec.created_id is not None:
                        ctx.write("vm.device.delete", spec.created_id, {"zvol": True, "raw_file": False, "force": True},
                                  action="roll back %s" % spec.describe())
                ctx.write("vm.delete", vm_id, {"zvols": False, "force": True}, action="roll back VM '%s'" % name)
            except TrueNASError as exc:
                ctx.action = "%s (rolling back failed too: %s; VM '%s' still exists)" % (failed, exc, name)
                self._reread_quietly(ctx, vm_id)
                return
            ctx.known = None
            ctx.changed = False
            ctx.action = "%s (rolled back: the VM '%s' this task created was deleted again)" % (failed, name)
            return
        self._reread_quietly(ctx, vm_id)
        steps = []
        options = sorted(ctx.changes(self.current)) if self.current is not None else []
        if options:
            steps.append("updated %s" % ", ".join(options))
        if done:
            for kind, spec, current in done:
                text = spec.describe() if spec is not None else _describe_current(current)
                steps.append("%s %s" % ({"create": "added", "update": "updated"}.get(kind, "removed"), text))
        ctx.action = "%s (already done: %s)" % (failed, "; ".join(steps)) if steps else failed

    def _reread_quietly(self, ctx, vm_id):
        try:
            raw = ctx.client.get_one("vm.query", [["id", "=", vm_id]])
        except TrueNASError:
            return
        ctx.known = self.normalize(raw, ctx.caps) if raw is not None else None

    # ---- power state -------------------------------------------------------------------------

    def _converge_power(self, ctx, after, definition_changed, stopped_for_devices=False):
        state = ctx.params.get("state") or "present"
        status = _state_of(after) or "STOPPED"
        steps = []
        if stopped_for_devices and state in ("present", "started"):
            # stopped to remove or change devices: started again, which applies the new definition too
            self.power_cycled = True
            steps = ["start"]
            if not ctx.check_mode:
                for step in steps:
                    self._power_step(ctx, after, step)
                return True, after
            return True, dict(after, status=dict(after.get("status") or {}, state="RUNNING"))
        if status == "ERROR" and state in ("started", "stopped", "restarted", "poweroff"):
            raise TrueNASError("%s is in state ERROR (TrueNAS cannot read its libvirt domain), so state %s cannot be "
                               "reached" % (ctx.what, state))
        if state in ("present", "started"):
            if state == "started":
                steps = {"STOPPED": ["start"], "SUSPENDED": ["resume"]}.get(status, [])
            if definition_changed and status in ACTIVE:
                if ctx.params.get("restart_if_needed"):
                    steps = ["restart"] if status == "RUNNING" else ["poweroff", "start"]
                else:
                    self.restart_required = True
        elif state == "stopped":
            steps = {"RUNNING": ["stop"], "SUSPENDED": ["poweroff"]}.get(status, [])
        elif state == "poweroff":
            steps = ["poweroff"] if status in ACTIVE else []
        elif state == "restarted":
            steps = {"RUNNING": ["restart"], "SUSPENDED": ["poweroff", "start"]}.get(status, ["start"])
        if not steps:
            return False, after
        target = "STOPPED" if steps[-1] in ("stop", "poweroff") else "RUNNING"
        if ctx.check_mode:
            return True, dict(after, status=dict(after.get("status") or {}, state=target))
        for step in steps:
            self._power_step(ctx, after, step)
        return True, after

    def _job_timeout(self, ctx, record):
        shutdown = record.get("shutdown_timeout") or DEFAULT_SHUTDOWN_TIMEOUT
        return max(ctx.params.get("wait_timeout") or 0, shutdown + JOB_MARGIN)

    def _power_step(self, ctx, after, step, wait=None):
        """One power action; waits for the state it leads to unless ``wait`` (default: the ``wait``
        option) is false."""
        vm_id = after["id"]
        action = "%s %s" % (step if step != "poweroff" else "power off", ctx.what)
        hint = ""
        if step == "start":
            ctx.write("vm.start", vm_id, action=action)
        elif step == "resume":
            ctx.write("vm.resume", vm_id, action=action)
        elif step == "poweroff":
            ctx.write("vm.poweroff", vm_id, action=action)
        elif step == "restart":
            ctx.write("vm.restart", vm_id, action=action, timeout=self._job_timeout(ctx, after))
        else:
            force_after_timeout = bool(ctx.params.get("force_after_timeout"))
            ctx.write("vm.stop", vm_id, {"force": False, "force_after_timeout": force_after_timeout}, action=action,
                      timeout=self._job_timeout(ctx, after))
            if not force_after_timeout:
                hint = ("the guest did not shut down after the ACPI request; set force_after_timeout: true to power it "
                        "off after shutdown_timeout, or use state: poweroff")
        target = "STOPPED" if step in ("stop", "poweroff") else "RUNNING"
        if not (ctx.params.get("wait", True) if wait is None else wait):
            return
        ctx.action = action
        try:
            ctx.waiter.wait(lambda: ctx.client.call("vm.status", vm_id),
                            lambda status: isinstance(status, dict) and status.get("state") == target,
                            ctx.params.get("wait_timeout") or 0, interval=POLL_INTERVAL,
                            what="%s to be %s" % (ctx.what, target))
        except TrueNASTimeoutError as exc:
            if hint:
                raise TrueNASTimeoutError("%s; %s" % (exc.message, hint))
            raise
        ctx.action = None

    # ---- errors ------------------------------------------------------------------------------

    def option_for(self, attribute):
        if self.device_call is not None:
            return option_for_attribute(attribute, self.device_call.dtype, self.device_call.where)
        return super(VmResource, self).option_for(attribute)


def _describe_current(device):
    dtype = device.get("dtype")
    if dtype in ("DISK", "RAW", "CDROM"):
        return "%s '%s'" % (dtype, device.get("path"))
    if dtype == "NIC":
        return "NIC '%s'" % device.get("mac")
    if dtype == "DISPLAY":
        return "%s display" % device.get("type")
    if dtype == "PCI":
        return "PCI '%s'" % device.get("pptdev")
    return "%s device %s" % (dtype, device.get("id"))


# ---- reading many (truenas_vm_info) ------------------------------------------------------------


def info_filters(name=None, name_prefix=None):
    """``vm.query`` filters selecting VMs by exact name or by name prefix (all VMs without either)."""
    if name:
        return [["name", "=", name]]
    if name_prefix:
        return [["name", "^", name_prefix]]
    return []


def display_ports(devices):
    """``[{type, port, web_port, bind, web}]`` of the DISPLAY devices among normalised ``devices``."""
    return [dict(type=device.get("type"), port=device.get("display_port"), web_port=device.get("web_port"),
                 bind=device.get("bind"), web=device.get("web"))
            for device in devices if device.get("dtype") == "DISPLAY"]


def vm_info(record, caps=None):
    """One ``vm.query`` entry in option vocabulary, with its devices and a ``displays`` summary."""
    vm = VmResource().normalize(record, caps)
    vm["displays"] = display_ports(vm.get("devices") or [])
    return vm


def gather_vms(client, params):
    """truenas_vm_info: VMs with status, devices and display ports, by ``name`` or ``name_prefix``."""
    require_vms(client.caps)
    records = client.query("vm.query", info_filters(params.get("name"), params.get("name_prefix")))
    return [vm_info(record, client.caps) for record in records if isinstance(record, dict)]
