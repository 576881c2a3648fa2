# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The examples of README.md and of the role's README run against the simulator as written.

- README.md, "A minimal playbook" (twice) and the "Ad hoc" commands, with the ``TRUENAS_*``
  variables its export line sets pointing at the simulator (host, port, CA, user, API key).
- roles/k8s_cluster_vms/README.md: its playbook, then each snippet of its "Examples" section in
  order over that playbook, and the removal playbook.

Only ``SUBSTITUTIONS`` differ from the text, each with its reason. The role's examples describe a
bigger system than the default simulated one (``ROLE_HOST``, set up before they run).
"""

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
DISPLAY_PASSWORD = "example-display-Passw0rd"

pytestmark = [pytest.mark.timeout(900), pytest.mark.sim_profiles("25.10")]

# (text, replacement, reason)
SUBSTITUTIONS = (
    ("host: nas.example.com", "host: 127.0.0.1",
     "the simulator listens on 127.0.0.1 only; its free port and generated CA come from TRUENAS_PORT and "
     "TRUENAS_CA_PATH, which the examples leave to the environment"),
)


def secrets(server):
    """Variables the examples expect from a vault: name -> value."""
    return {"vault_truenas_api_key": server.credentials["api_key"], "vault_k8s_display_password": DISPLAY_PASSWORD}


def env_for(server, truenas_env, tmp_path):
    """The environment a user sets for the examples, pointing at ``server`` by host and port."""
    env = dict((k, v) for k, v in truenas_env.items() if not k.startswith("TRUENAS_"))
    port = re.match(r"^wss?://127\.0\.0\.1:(\d+)/", server.url).group(1)
    env.update(TRUENAS_HOST="127.0.0.1", TRUENAS_PORT=port, TRUENAS_CA_PATH=server.ca_file,
               TRUENAS_USERNAME=server.credentials["username"], TRUENAS_API_KEY=server.credentials["api_key"],
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"), ANSIBLE_HOME=str(tmp_path / "ansible-home"))
    return env


def substituted(text):
    for old, new, _reason in SUBSTITUTIONS:
        text = text.replace(old, new)
    return text


def blocks(path, language):
    """``(heading, text before the block, block)`` of every fenced ``language`` block of ``path``."""
    result, heading, before = [], None, []
    lines = path.read_text().splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("#"):
            heading, before = line.lstrip("#").strip(), []
        elif line.strip() == "```%s" % language:
            end = lines.index("```", index + 1)
            result.append((heading, "\n".join(before).strip(), "\n".join(lines[index + 1:end]) + "\n"))
            before, index = [], end
        elif line.strip():
            before.append(line)
        index += 1
    return result


def run_playbook(path, env, cwd, *args):
    # No inventory, as a user runs the examples: the plays target the implicit localhost.
    proc = subprocess.run([str(BIN / "ansible-playbook"), str(path)] + list(args), env=env,
                          cwd=str(cwd), capture_output=True, text=True, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    recap = re.findall(r"^localhost\s*:\s*(.*)$", output, re.M)
    stats = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", recap[-1])) if recap else {}
    assert proc.returncode == 0 and stats.get("failed") == 0, "%s %s:\n%s" % (path.name, " ".join(args), output)
    assert DISPLAY_PASSWORD not in output
    return stats


def write(path, data):
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


# ---- README.md -----------------------------------------------------------------------------------


def test_readme_minimal_playbook(sim, truenas_env, tmp_path):
    (block,) = [text for heading, _before, text in blocks(ROOT / "README.md", "yaml") if heading == "A minimal playbook"]
    playbook = write(tmp_path / "minimal.yml", substituted(block))
    env = env_for(sim, truenas_env, tmp_path)
    extra = ["-e", json.dumps(secrets(sim))]
    first = run_playbook(playbook, env, tmp_path, *extra)
    assert first.get("changed") == 2
    assert run_playbook(playbook, env, tmp_path, *extra).get("changed") == 0
    assert int(sim.state_dump("datasets")["tank/media"]["props"]["quota"]) == 2 * 1024 ** 4
    assert [s["name"] for s in sim.state_dump("smb_shares").values()] == ["media"]


def test_readme_ad_hoc_commands(sim, truenas_env, tmp_path):
    (block,) = [text for heading, _before, text in blocks(ROOT / "README.md", "console") if heading == "Ad hoc"]
    commands = [line for line in block.splitlines() if line.startswith("ansible ")]
    assert len(commands) == 2
    env = env_for(sim, truenas_env, tmp_path)
    for command in commands:
        argv = [str(BIN / "ansible")] + shlex.split(command)[1:]
        proc = subprocess.run(argv, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300,
                              check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tank/scratch" in sim.state_dump("datasets")


# ---- roles/k8s_cluster_vms/README.md -------------------------------------------------------------

ROLE_README = ROOT / "roles" / "k8s_cluster_vms" / "README.md"
# The system the role's examples are written for: more memory than the default simulated 64 GiB
# (five workers of 8 GiB and three control plane nodes), and a pool "fast" with an ISO.
ROLE_HOST = {
    "physmem": 128 * 1024 ** 3,
    "pool": {"name": "fast", "created": "2025-01-03T00:00:00+00:00", "topology": {"data": [
        {"type": "DISK", "disks": ["sdf"]}]}},
    "datasets": [{"name": "fast/k8s"}, {"name": "fast/isos"}],
    "files": [{"path": "/mnt/fast/isos/ubuntu-24.04.iso", "size": 6203355136}],
}


def role_seed(tmp_path):
    seed = yaml.safe_load((ROOT / "tests" / "simulator" / "seed.yml").read_text())
    seed["system"]["physmem"] = ROLE_HOST["physmem"]
    seed["pools"].append(ROLE_HOST["pool"])
    seed["datasets"] += ROLE_HOST["datasets"]
    seed["files"] += ROLE_HOST["files"]
    return write(tmp_path / "seed.yml", seed)


def role_examples():
    """The role README's playbook, its example snippets by their lead sentence, and the removal."""
    found = blocks(ROLE_README, "yaml")
    playbook = [text for _heading, _before, text in found if "k8s_cluster_vms" in text and "roles:" in text]
    snippets = dict((before, text) for heading, before, text in found if heading == "Examples" and "roles:" not in text)
    removal = [text for heading, _before, text in found if heading == "Examples" and "state: absent" in text]
    return playbook[0], snippets, removal[0]


def running_nodes(server):
    return sorted(vm["name"] for vm in server.state_dump("vms").values())


def test_role_readme_examples(sim_factory, truenas_env, tmp_path):
    server = sim_factory("25.10", seed=str(role_seed(tmp_path)))
    env = env_for(server, truenas_env, tmp_path)
    playbook_text, snippets, removal_text = role_examples()
    assert list(snippets) == [
        "Scale the workers to five, with fixed MAC addresses for two of them:",
        "Scale down to two workers and remove `worker03`, `worker04` and `worker05` with their zvols:",
        "Nodes without displays, created stopped, on another pool and bridge:",
    ]
    scale_up, scale_down, no_displays = (write(tmp_path / ("example-%d.yml" % i), text)
                                         for i, text in enumerate(snippets.values()))
    playbook = write(tmp_path / "role.yml", substituted(playbook_text))
    removal = write(tmp_path / "remove.yml", substituted(removal_text))
    extra = ["-e", json.dumps(secrets(server))]

    run_playbook(playbook, env, tmp_path, *extra)
    assert running_nodes(server) == sorted(["controlplane01", "controlplane02", "controlplane03",
                                            "worker01", "worker02", "worker03"])
    assert run_playbook(playbook, env, tmp_path, *extra).get("changed") == 0

    run_playbook(playbook, env, tmp_path, "-e", "@%s" % scale_up, *extra)
    assert [n for n in running_nodes(server) if n.startswith("worker")] == ["worker%02d" % i for i in range(1, 6)]
    names = dict((vm["id"], vm["name"]) for vm in server.state_dump("vms").values())
    macs = dict((d["attributes"].get("mac"), names[d["vm"]]) for d in server.state_dump("vm_devices").values()
                if d["attributes"].get("dtype") == "NIC")
    assert (macs["00:a0:98:10:00:14"], macs["00:a0:98:10:00:15"]) == ("worker04", "worker05")

    run_playbook(playbook, env, tmp_path, "-e", "@%s" % scale_up, "-e", "@%s" % scale_down, *extra)
    assert [n for n in running_nodes(server) if n.startswith("worker")] == ["worker01", "worker02"]

    run_playbook(removal, env, tmp_path)
    assert running_nodes(server) == []

    # A different cluster, built new: applied to running nodes, this example would replace their
    # devices, which TrueNAS allows only on stopped VMs (the README's notes say so).
    run_playbook(playbook, env, tmp_path, "-e", "@%s" % no_displays, *extra)
    vms = server.state_dump("vms")
    assert len(vms) == 6
    devices = server.state_dump("vm_devices").values()
    assert not [d for d in devices if d["attributes"].get("dtype") == "DISPLAY"]
    assert set(d["attributes"].get("nic_attach") for d in devices if d["attributes"].get("dtype") == "NIC") == {"br1"}
    zvols = [name for name in server.state_dump("datasets") if name.startswith("fast/k8s/")]
    assert len(zvols) == 6, zvols
    assert run_playbook(playbook, env, tmp_path, "-e", "@%s" % no_displays, *extra).get("changed") == 0
    run_playbook(removal, env, tmp_path)
    assert running_nodes(server) == []
