"""Output of the benchmark: the console table, ``bench-results.json`` and ``docs/performance.md``."""

import datetime
import json
import os
import platform
import sys

RESULTS_VERSION = 1
FIGURE_KEYS = ("id", "title", "value", "unit", "target", "passed", "details", "error")


def environment():
    """What the numbers depend on: interpreter, ansible-core, CPUs, load."""
    try:
        from ansible.release import __version__ as ansible_version
    except ImportError:  # pragma: no cover - the venv always has ansible-core
        ansible_version = None
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        load = None
    return {"python": platform.python_version(), "ansible_core": ansible_version, "cpus": os.cpu_count(),
            "platform": platform.platform(), "loadavg": load}


def results(config, figures, started, finished, env_before, env_after):
    return {
        "version": RESULTS_VERSION,
        "config": config.name,
        "sizes": {k: v for k, v in vars(config).items() if k != "name"},
        "started": started.isoformat(timespec="seconds"),
        "seconds": round((finished - started).total_seconds(), 1),
        "environment": env_before,
        "loadavg_after": env_after.get("loadavg"),
        "figures": figures,
        "summary": summary(figures),
    }


def summary(figures):
    counts = {"passed": 0, "missed": 0, "no_target": 0, "errors": 0}
    for item in figures:
        if item.get("error"):
            counts["errors"] += 1
        elif item.get("passed") is None:
            counts["no_target"] += 1
        elif item["passed"]:
            counts["passed"] += 1
        else:
            counts["missed"] += 1
    return counts


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=False)
        handle.write("\n")
    os.replace(tmp, path)


def show_value(item):
    value = item.get("value")
    if value is None:
        return "-"
    if item["id"].startswith("calls_"):
        return "%s (%s conn.)" % (value, item["details"].get("connections"))
    unit = item.get("unit") or ""
    if unit == "ratio":
        return "%.2f" % value
    return "%s %s" % (value, unit)


def verdict(item):
    if item.get("error"):
        return "ERROR"
    if item.get("passed") is None:
        return "-"
    return "pass" if item["passed"] else "MISS"


def table(figures):
    """The figures as a plain-text table."""
    rows = [("figure", "value", "target", "result")]
    for item in figures:
        rows.append((item["title"], show_value(item), item.get("target") or "-", verdict(item)))
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    errors = [item for item in figures if item.get("error")]
    for item in errors:
        lines.append("")
        lines.append("%s: %s" % (item["id"], item["error"].strip().splitlines()[0][:300]))
    return "\n".join(lines)


def markdown(data):
    """``docs/performance.md`` from a results document."""
    env = data["environment"]
    lines = [
        "# Performance",
        "",
        "Measured with `make bench` (`python -m tests.bench`) against the TrueNAS simulator",
        "(`tests/simulator/truenas-sim`, profile 25.10, TLS on, running in its own process on",
        "127.0.0.1) with its login rate limit **on**, as on a real TrueNAS (20 logins a minute from one",
        "address). Modules reach it through the session broker (one login shared by the module runs)",
        "unless a figure says otherwise. Every wall time is the median of several runs; runs that are",
        "compared are interleaved. The figures are ratios where the machine's speed cancels out;",
        "absolute times are in `bench-results.json`.",
        "",
        "| figure | measured | target | result |",
        "|---|---|---|---|",
    ]
    for item in data["figures"]:
        cells = (item["title"], show_value(item), item.get("target") or "-", verdict(item))
        lines.append("| %s | %s | %s | %s |" % cells)
    lines += [
        "",
        "Run of %s, configuration `%s`, %s s in all; Python %s, ansible-core %s, %s CPUs, load average"
        % (data["started"][:10], data["config"], data["seconds"], env["python"], env["ansible_core"], env["cpus"]),
        "%s before and %s after." % (_load(env.get("loadavg")), _load(data.get("loadavg_after"))),
        "",
        "## What is measured",
        "",
        "1. **Per-task overhead**: wall time of `ansible-playbook` with %d unchanged" % data["sizes"]["overhead_tasks"],
        "   `nasops.truenas.truenas_dataset` tasks (name, comments, compression) divided by the same",
        "   playbook with `ansible.builtin.ping` tasks; the same for unchanged `truenas_user` tasks; then",
        "   the same datasets as one task with a loop,",
        "   and, once, the separate tasks with the broker off (`TRUENAS_BROKER_IDLE_TIMEOUT=0`), where",
        "   every task opens a TLS WebSocket and logs in, so that from the 21st task within a minute",
        "   each login waits for the next minute. A playbook of the same tasks with a name the module",
        "   refuses before connecting splits the extra time per task into start-up (Ansible and the",
        "   module, no server) and server work. The dataset playbook runs once more with the modules'",
        "   compiled-code cache off (`NASOPS_TRUENAS_CODE_CACHE=0`), to show what the cache saves.%s"
        % _split(data),
        "   **Logins per playbook**: a playbook of %d TrueNAS tasks with no broker running yet, then"
        % data["sizes"]["parallel_tasks"],
        "   the same playbook again within the broker's idle time. **Parallel playbooks**: %d such"
        % data["sizes"]["parallel_playbooks"],
        "   playbooks started at the same moment: logins, and answers of the rate limit in their output.",
        "2. **Calls per unchanged task**: the simulator's counters around one no-op run of",
        "   `truenas_dataset` and of `truenas_vm` (a running VM with disk, CD-ROM, NIC and display",
        "   devices), run after an earlier run has started the session broker: every JSON-RPC call",
        "   counts, and so would a login or a new connection.",
        "3. **Scale**: one unchanged `truenas_dataset` module run against a server holding %d"
        % data["sizes"]["scale_large"],
        "   benchmark datasets, divided by the same run against %d. The module asks for one dataset by"
        % data["sizes"]["scale_small"],
        "   name, so the size of the server should not matter.",
        "4. **The role**: `playbooks/k8s_cluster.yml` (role `k8s_cluster_vms`, 3 control plane and 3",
        "   worker VMs with zvols, ISO, NIC and SPICE display) from an empty server, then the no-op",
        "   rerun, each divided by a playbook of as many `ping` tasks as the run executed (loop items",
        "   counted one by one).",
        "5. **Simulator**: sequential `core.ping` calls per second on one authenticated connection,",
        "   and the latency of `pool.dataset.query` filtered by name with %d datasets."
        % data["sizes"]["scale_large"],
        "",
        "## Reproduce",
        "",
        "```",
        "make bench                                   # full run, about 15 minutes on 2 CPUs",
        ".venv/bin/python -m tests.bench --quick      # smaller sizes, one repetition",
        ".venv/bin/python -m tests.bench --write-doc  # also rewrite this page from the results",
        "```",
        "",
        "`--only task_overhead,scale` runs a subset; `--reps N` overrides the repetitions. The results",
        "go to `bench-results.json` in the repository root (not committed).",
        "",
        "## Notes",
        "",
        "- Without the session broker (`broker_idle_timeout: 0`) every module run logs in once, and",
        "  TrueNAS refuses the 21st login from one address within 60 s (protocol reference, 3.6): from",
        "  then on each task waits for the next minute (figure `direct_overhead`).",
        "- Ratios close to 1 mean the TrueNAS modules cost little more than Ansible's own per-task work;",
        "  the extra milliseconds per task are in `details.extra_ms_per_task` of `task_overhead`.",
        "- A loop can come out below 1: Ansible does less work per loop item than per task, and a",
        "  TrueNAS module's process leaves Python's last garbage collection out before it ends (about",
        "  14 ms), which a `ping` process does not. What a TrueNAS task adds is its own code and the",
        "  session broker: about 2 ms of scrypt to name the socket, 1 ms to attach, 2 ms for the call.",
        "- On a machine shared with other jobs the spread between repetitions is large (the load",
        "  average above says how busy it was); the samples behind every median are in",
        "  `bench-results.json`. Compare runs made on the same machine at the same load.",
        "",
    ]
    return "\n".join(lines)


def _split(data):
    for item in data["figures"]:
        if item["id"] == "task_overhead" and not item.get("error"):
            d = item["details"]
            text = "\n   Measured: %s ms extra per task, of which %s ms start-up and %s ms server work" % (
                d["extra_ms_per_task"], d["startup_ms_per_task"], d["server_ms_per_task"])
            if d["startup_ms_per_task"] < 0:
                text += ("\n   (a negative start-up: a TrueNAS module's process, from start to end, costs less than"
                         "\n   ping's, because it leaves Python's last garbage collection out; see docs/architecture.md)")
            if d["server_ms_per_task"] < 0:
                text += "\n   (a negative share: the split is within the noise of this run)"
            text += "."
            if d.get("ratio_per_rep"):
                text += "\n   The ratio of each repetition: %s." % ", ".join("%.2f" % r for r in d["ratio_per_rep"])
            if d.get("uncached_ratio") is not None:
                text += ("\n   With the code cache off: ratio %.2f; the cache saves %s ms per task."
                         % (d["uncached_ratio"], d["code_cache_saves_ms_per_task"]))
            return text
    return ""


def _load(values):
    return "/".join(str(v) for v in values) if values else "unknown"


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def out(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
