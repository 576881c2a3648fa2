"""The command line: tests/simulator/truenas-sim."""
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from tests.simulator.pytest_plugin import SIM_SCRIPT, SimClient

KEYS = ["api_key", "ca_file", "password", "profile", "url", "username"]


def run(*args, cwd=None, timeout=30):
    return subprocess.run([SIM_SCRIPT] + list(args), capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          check=False)


def port_of(url):
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def port_closed(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def gone(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return any(line.startswith("State:") and "Z" in line.split(":", 1)[1] for line in f)
    except FileNotFoundError:
        return True


def test_help():
    result = run("--help")
    assert result.returncode == 0
    for option in ("--profile", "--port", "--seed", "--state", "--tls", "--no-tls", "--treat-plain-as-remote",
                   "--test-hooks", "--job-duration", "--idle-drop", "--max-lifetime"):
        assert option in result.stdout


def test_default_start_and_sigterm(sim_process):
    proc = sim_process()
    info = proc.info
    assert sorted(info) == KEYS
    assert info["profile"] == "25.10"
    assert info["url"].startswith("wss://127.0.0.1:") and info["url"].endswith("/api/current")
    assert os.path.isfile(info["ca_file"])
    assert (info["username"], info["password"]) == ("admin", "sim-admin-Passw0rd")
    assert info["api_key"].startswith("1-") and len(info["api_key"]) == 66
    client = SimClient(info["url"], info["ca_file"])
    assert client.request("auth.login_ex", {"mechanism": "API_KEY_PLAIN", "username": info["username"],
                                            "api_key": info["api_key"]})["response_type"] == "SUCCESS"
    assert client.request("system.version_short") == "25.10.5"
    assert client.call("test.counters")["error"]["code"] == -32601
    client.close()
    assert proc.stop(signal.SIGTERM) == 0
    assert port_closed(port_of(info["url"]))
    assert not os.path.exists(info["ca_file"])


def test_no_tls_profile_26_and_sigint(sim_process):
    proc = sim_process("--profile", "26", "--no-tls", "--test-hooks", "--job-duration", "0.01")
    info = proc.info
    assert info["url"].startswith("ws://127.0.0.1:")
    assert (info["ca_file"], info["profile"]) == (None, "26")
    client = SimClient(info["url"])
    client.login(info["username"], info["password"])
    assert client.request("system.version") == "TrueNAS-26.0.0"
    assert client.request("test.counters")["logins"] == 1
    client.close()
    assert proc.stop(signal.SIGINT) == 0


def test_fixed_port_and_workdir(sim_process, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = sim_process("--port", str(port), "--workdir", str(tmp_path))
    assert port_of(proc.info["url"]) == port
    assert proc.info["ca_file"] == str(tmp_path / "ca.pem")
    assert proc.stop() == 0
    assert (tmp_path / "ca.pem").exists()


def test_treat_plain_as_remote(sim_process):
    proc = sim_process("--no-tls", "--treat-plain-as-remote", "--test-hooks")
    client = SimClient(proc.info["url"])
    assert client.request("auth.login_ex", {"mechanism": "API_KEY_PLAIN", "username": "admin",
                                            "api_key": proc.info["api_key"]}) == {"response_type": "EXPIRED"}
    assert client.request("test.counters")["api_keys_presented"] == {"1": {"count": 1, "tls": 0, "plain": 1}}
    client.close()


def test_state_persists_across_restarts(sim_process, tmp_path):
    state = tmp_path / "state.json"
    proc = sim_process("--state", str(state), "--no-tls")
    client = SimClient(proc.info["url"])
    client.login("admin", proc.info["password"])
    created = client.request("api_key.create", {"name": "persisted", "username": "admin"})
    assert client.request("api_key.delete", 2) is True
    client.close()
    assert proc.stop() == 0
    doc = json.loads(state.read_text())
    assert doc["format"] == 1
    assert sorted(doc["data"]["api_keys"]) == ["1", "3"]
    assert not [p for p in os.listdir(tmp_path) if p != "state.json"]

    again = sim_process("--state", str(state), "--no-tls")
    client = SimClient(again.info["url"])
    assert client.request("auth.login_ex", {"mechanism": "API_KEY_PLAIN", "username": "admin",
                                            "api_key": created["key"]})["response_type"] == "SUCCESS"
    assert [k["name"] for k in client.request("api_key.query", [], {"order_by": ["id"]})] == ["ansible", "persisted"]
    assert client.request("api_key.create", {"name": "next", "username": "admin"})["id"] == 4
    client.close()


def test_relative_paths_resolve_against_the_callers_directory(tmp_path, sim_process):
    seed = tmp_path / "mini.yml"
    seed.write_text("users:\n  - {username: root, password: pw-root-1, roles: [FULL_ADMIN]}\n")
    proc = subprocess.Popen([SIM_SCRIPT, "--seed", "mini.yml", "--no-tls", "--max-lifetime", "20"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        assert (info["username"], info["password"], info["api_key"]) == ("root", "pw-root-1", None)
        client = SimClient(info["url"])
        client.login("root", "pw-root-1")
        assert client.request("pool.query") == []
        client.close()
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_max_lifetime(sim_process):
    proc = sim_process("--no-tls", "--max-lifetime", "0.5")
    assert proc.proc.wait(timeout=10) == 0


def test_stops_when_its_parent_dies(tmp_path):
    out = tmp_path / "info.json"
    parent = subprocess.run(
        ["bash", "-c", '"$0" --no-tls --max-lifetime 60 > "$1" 2>/dev/null & echo $!; '
                       'for i in $(seq 100); do [ -s "$1" ] && break; sleep 0.1; done', SIM_SCRIPT, str(out)],
        capture_output=True, text=True, timeout=30, check=False)
    pid = int(parent.stdout.strip())
    info = json.loads(out.read_text())
    deadline = time.monotonic() + 10
    while not gone(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the simulator outlived its parent")
        time.sleep(0.1)
    assert port_closed(port_of(info["url"]))


@pytest.mark.parametrize("args,message", [
    (["--profile", "24.10"], "argument --profile: invalid choice: '24.10'"),
    (["--port", "70000"], "argument --port: '70000': port must be 0..65535 (0 picks a free port)"),
    (["--job-duration", "-1"], "argument --job-duration: '-1': seconds must not be negative"),
    (["--idle-drop", "soon"], "argument --idle-drop: 'soon' is not a number of seconds"),
    (["--seed", "/nonexistent/seed.yml"], "--seed /nonexistent/seed.yml: no such file"),
    (["--state", "/nonexistent/dir/state.json"], "--state /nonexistent/dir/state.json: the directory does not exist"),
    (["--fail-delay", "3-1"], "argument --fail-delay: '3-1': need 0 <= LOW <= HIGH"),
])
def test_bad_arguments(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content,message", [
    ("users: [", "is not valid YAML"),
    ("- a\n- b\n", "must hold a mapping of sections"),
    ("users:\n  - {username: x}\n", "seed section users[0]: username and password are required"),
    ("system: {colour: red}\n", "seed section system: unknown keys colour"),
])
def test_bad_seed_files(tmp_path, content, message):
    seed = tmp_path / "seed.yml"
    seed.write_text(content)
    result = run("--seed", str(seed), "--no-tls")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("truenas-sim: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_state_file(tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{not json")
    result = run("--state", str(state), "--no-tls")
    assert result.returncode == 2
    assert "truenas-sim: error: state file %s is not readable" % state in result.stderr


def read_lines_until_comment(stream, timeout=30):
    """The lines ``--print-env`` prints, up to and including its closing comment."""
    import select
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([stream], [], [], 0.1)[0]:
            # The simulator writes every line with one flush: read them all, blocking.
            for line in stream:
                lines.append(line.rstrip("\n"))
                if line.startswith("#"):
                    return lines
            break
    raise AssertionError("no complete --print-env output: %r" % lines)


def test_print_env_lines_configure_the_modules(tmp_path):
    """The printed lines, pasted into a shell, are all a module needs to reach the simulator."""
    proc = subprocess.Popen([SIM_SCRIPT, "--print-env", "--max-lifetime", "120"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        lines = read_lines_until_comment(proc.stdout)
        assert lines[0] == "unset TRUENAS_HOST TRUENAS_PORT TRUENAS_PASSWORD TRUENAS_OTP_TOKEN TRUENAS_VALIDATE_CERTS"
        assert [line.split("=", 1)[0] for line in lines[1:-1]] == [
            "export TRUENAS_URL", "export TRUENAS_USERNAME", "export TRUENAS_API_KEY", "export TRUENAS_CA_PATH"]
        assert lines[-1].startswith("# truenas-sim 25.10, pid %d: stops on Ctrl-C or SIGTERM, when its parent "
                                    "process (pid %d) exits" % (proc.pid, os.getpid()))
        script = tmp_path / "env.sh"
        script.write_text("\n".join(lines) + "\n")
        root = os.path.dirname(os.path.dirname(os.path.dirname(SIM_SCRIPT)))
        env = dict(os.environ, TRUENAS_HOST="nas.example.com", TRUENAS_PASSWORD="stale",
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(root, ".venv", "collections"),
                   ANSIBLE_CONFIG=os.path.join(root, "ansible.cfg"), ANSIBLE_HOME=str(tmp_path / "ansible-home"),
                   ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_NOCOLOR="1")
        ansible = os.path.join(root, ".venv", "bin", "ansible")
        result = subprocess.run(["bash", "-c", '. "$1" && exec "$2" localhost -m nasops.truenas.truenas_system_info',
                                 "sh", str(script), ansible], env=env, capture_output=True, text=True,
                                timeout=120, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert '"version": "25.10.5"' in result.stdout or "25.10.5" in result.stdout, result.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_print_env_without_tls_clears_the_ca_path():
    proc = subprocess.Popen([SIM_SCRIPT, "--print-env", "--no-tls", "--max-lifetime", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        lines = read_lines_until_comment(proc.stdout)
        assert "TRUENAS_CA_PATH" in lines[0].split()
        assert [line for line in lines if line.startswith("export TRUENAS_URL=")][0].startswith("export TRUENAS_URL=ws://")
        assert not any(line.startswith("export TRUENAS_CA_PATH") for line in lines)
        assert lines[-1].endswith("or never on its own")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_make_sim_prints_the_environment_and_stops_with_make():
    root = os.path.dirname(os.path.dirname(os.path.dirname(SIM_SCRIPT)))
    env = dict((k, v) for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL"))
    make = subprocess.Popen(["make", "--no-print-directory", "-s", "-C", root, "sim", "SIM_ARGS=--no-tls --profile 26"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                            start_new_session=True)
    try:
        lines = read_lines_until_comment(make.stdout, timeout=120)
        url = [line for line in lines if line.startswith("export TRUENAS_URL=")][0].split("=", 1)[1].strip("'")
        pid = int(lines[-1].split("pid ", 1)[1].split(":", 1)[0])
        assert lines[-1].startswith("# truenas-sim 26, pid %d: stops on Ctrl-C or SIGTERM, when its parent "
                                    "process (pid %d) exits" % (pid, make.pid))
        assert not port_closed(port_of(url))
        make.kill()  # make goes away without passing anything on: the simulator notices and stops
        make.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not gone(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                pytest.fail("the simulator outlived make")
            time.sleep(0.1)
        assert port_closed(port_of(url))
    finally:
        if make.poll() is None:
            make.kill()
            make.wait(timeout=10)
        make.stdout.close()
