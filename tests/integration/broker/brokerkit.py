"""Helpers of the session broker tests: settings for a simulator, client processes, and looking at
broker processes from outside."""
import json
import os
import subprocess
import sys
import tempfile
import time

from tests.bench import harness

harness.ensure_collection_importable()
COLLECTIONS = harness.COLLECTIONS

from ansible_collections.nasops.truenas.plugins.module_utils._client import ConnectionSettings  # noqa: E402

# Runs one client in its own process (as a module run would) and prints what it saw.
CLIENT_SCRIPT = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from ansible_collections.nasops.truenas.plugins.module_utils import _broker
from ansible_collections.nasops.truenas.plugins.module_utils._client import ConnectionSettings
job = json.loads(sys.stdin.read())
settings = ConnectionSettings.from_mapping(job["settings"])
if job.get("start_at"):
    time.sleep(max(job["start_at"] - time.time(), 0))
client = _broker.open_client(settings)
out = {"type": type(client).__name__, "pid": getattr(client, "broker_pid", None),
       "started": getattr(client, "started_broker", False), "results": []}
for index in range(job.get("queries", 1)):
    out["results"].append(len(client.query("pool.dataset.query", [], {"select": ["name"]})))
if job.get("job"):
    out["job"] = client.call("test.job", {"result": job["job"]}, job=True)
client.close()
print(json.dumps(out))
"""


def short_runtime_dir():
    """A runtime directory short enough for unix socket paths."""
    path = tempfile.mkdtemp(prefix="nb-", dir="/tmp")
    os.chmod(path, 0o700)
    return path


def settings_for(sim, **overrides):
    options = dict(url=sim.url, username=sim.credentials["username"], api_key=sim.credentials["api_key"],
                   ca_path=sim.ca_file)
    options.update(overrides)
    return ConnectionSettings.from_mapping(options)


def broker_pids(env):
    """The pids of the brokers whose socket directory is below ``env``'s runtime directory."""
    pids = []
    base = env["XDG_RUNTIME_DIR"]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                cmdline = handle.read()
            if b"nasops.truenas session broker" not in cmdline:
                continue
            with open("/proc/%s/environ" % entry, "rb") as handle:
                environ = handle.read().split(b"\0")
        except OSError:
            continue
        if ("XDG_RUNTIME_DIR=%s" % base).encode() in environ:
            pids.append(int(entry))
    return pids


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pid, timeout):
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def run_clients(sim, env, count, queries=1, job=None, settings=None, together=True):
    """Start ``count`` client processes at the same moment; their parsed outputs."""
    options = settings or dict(url=sim.url, username=sim.credentials["username"], api_key=sim.credentials["api_key"],
                               ca_path=sim.ca_file)
    start_at = time.time() + 1.5 if together else None
    procs = []
    for _index in range(count):
        proc = subprocess.Popen([sys.executable, "-c", CLIENT_SCRIPT, COLLECTIONS], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        proc.stdin.write(json.dumps({"settings": options, "start_at": start_at, "queries": queries, "job": job}))
        proc.stdin.close()
        procs.append(proc)
    outputs = []
    for proc in procs:
        out = proc.stdout.read()
        err = proc.stderr.read()
        proc.wait(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out))
    return outputs
