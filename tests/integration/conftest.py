"""Helpers for integration tests: run modules and playbooks of the collection against the simulator.

Fixtures
--------
``truenas_env``
    The environment a module or playbook needs to reach the ``sim`` fixture's server: the
    collection path, ``TRUENAS_URL``, ``TRUENAS_USERNAME``, ``TRUENAS_API_KEY`` and
    ``TRUENAS_CA_PATH``.
``run_module``
    ``run_module(name, args, check=False, diff=False, env=None)`` runs
    ``nasops.truenas.<name>`` as Ansible does (a subprocess fed ``ANSIBLE_MODULE_ARGS``) and
    returns its result dict. Quick: no ``ansible`` start-up.
``run_playbook``
    ``run_playbook(path, extra_vars=None, check=False, diff=False, verbosity=0, env=None)`` runs
    ``ansible-playbook`` on ``localhost`` and returns a :class:`PlaybookRun` with ``rc``,
    ``output`` and ``stats`` (the PLAY RECAP numbers of ``localhost``).

State is asserted out of band through ``sim.state_dump()`` and friends, never through the
module under test.
"""
import contextlib
import importlib
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
COLLECTIONS = os.path.join(ROOT, ".venv", "collections")
PLAYBOOKS = os.path.join(ROOT, "tests", "integration", "playbooks")
RECAP = re.compile(r"^localhost\s*:\s*(.*)$", re.M)


def recap_stats(output):
    """The numbers of the last ``localhost`` line of a PLAY RECAP in ``output`` (``{}`` if none)."""
    stats = {}
    found = RECAP.findall(output)
    if found:
        for item in found[-1].split():
            key, _sep, value = item.partition("=")
            if value.isdigit():
                stats[key] = int(value)
    return stats


SESSION_METHODS = ("auth.mechanism_choices", "auth.login_ex", "auth.login_with_api_key", "auth.login_ex_continue",
                   "system.version_short")


def module_calls(sim):
    """The methods modules called on ``sim`` since its counters were reset, without the session's
    own login and version check: module runs share one login through the session broker, so
    whether a run logged in depends on whether an earlier run had already done so (the broker
    tests count logins)."""
    return [c["method"] for c in sim.calls() if c["method"] not in SESSION_METHODS]


class PlaybookRun:
    """The outcome of one ansible-playbook run."""

    def __init__(self, rc, output):
        self.rc = rc
        self.output = output
        self.stats = recap_stats(output)

    @property
    def changed(self):
        return self.stats.get("changed")

    @property
    def failed(self):
        return self.stats.get("failed")

    def __repr__(self):
        return "PlaybookRun(rc=%r, stats=%r)" % (self.rc, self.stats)


def base_env(sim=None):
    """Environment for running the collection from the checkout."""
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("TRUENAS_"):
            del env[key]
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
        "PYTHONPATH": COLLECTIONS,
    })
    if sim is not None:
        env.update({
            "TRUENAS_URL": sim.url,
            "TRUENAS_USERNAME": sim.credentials["username"],
            "TRUENAS_API_KEY": sim.credentials["api_key"],
            "TRUENAS_CA_PATH": sim.ca_file,
        })
    return env


@pytest.fixture
def truenas_env(sim):
    return base_env(sim)


def module_runner(env_factory, tmp_path):
    counter = [0]

    def run(name, args, check=False, diff=False, env=None):
        payload = dict(args)
        payload["_ansible_check_mode"] = check
        payload["_ansible_diff"] = diff
        payload.setdefault("_ansible_verbosity", 0)
        counter[0] += 1
        args_file = tmp_path / ("args-%d.json" % counter[0])
        args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": payload}))
        run_env = env_factory()
        if env:
            run_env.update(env)
        proc = subprocess.run(
            [sys.executable, "-m", "ansible_collections.nasops.truenas.plugins.modules.%s" % name, str(args_file)],
            env=run_env, capture_output=True, text=True, timeout=300, check=False,
        )
        try:
            result = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError("module %s printed no JSON result (rc %s):\nstdout:\n%s\nstderr:\n%s"
                                 % (name, proc.returncode, proc.stdout, proc.stderr))
        result.setdefault("failed", False)
        result["_stderr"] = proc.stderr
        return result

    return run


@pytest.fixture
def run_module(sim, tmp_path):
    return module_runner(lambda: base_env(sim), tmp_path)


@pytest.fixture
def run_playbook(sim, tmp_path):
    def run(path, extra_vars=None, check=False, diff=False, verbosity=0, env=None):
        if not os.path.isabs(path):
            path = os.path.join(PLAYBOOKS, path)
        cmd = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", path]
        evars = {"ansible_python_interpreter": sys.executable, "truenas_profile": sim.profile.name}
        evars.update(extra_vars or {})
        cmd += ["-e", json.dumps(evars)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        run_env = base_env(sim)
        run_env["ANSIBLE_LOCAL_TEMP"] = str(tmp_path / "ansible-tmp")
        if env:
            run_env.update(env)
        # Playbooks run against a server that limits logins as TrueNAS does (20 a minute).
        limited, sim.rate_limit = sim.rate_limit, True
        try:
            proc = subprocess.run(cmd, env=run_env, capture_output=True, text=True, timeout=900, check=False)
        finally:
            sim.rate_limit = limited
        return PlaybookRun(proc.returncode, proc.stdout + proc.stderr)

    return run


@pytest.fixture
def run_inproc(sim, capsys, monkeypatch):
    """``run_inproc(module, args, check=False, diff=False)``: the module's ``main()`` in this process.

    Faster than ``run_module`` (no interpreter start-up); the connection goes to ``sim`` with the
    admin API key. Use ``run_module`` at least once per module, to run it as Ansible does.
    """
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)
    from ansible.module_utils.common import warnings as ansible_warnings
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core before data tagging
        from unittest import mock

        from ansible.module_utils import basic

        @contextlib.contextmanager
        def patch_module_args(args=None):
            with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()):
                yield

    for name in list(os.environ):
        if name.startswith("TRUENAS_"):
            monkeypatch.delenv(name)

    def run(module, args, check=False, diff=False):
        for store in ("_global_warnings", "_global_deprecations"):
            if isinstance(getattr(ansible_warnings, store, None), (dict, list)):
                monkeypatch.setattr(ansible_warnings, store, type(getattr(ansible_warnings, store))())
        payload = {"url": sim.url, "username": sim.credentials["username"], "api_key": sim.credentials["api_key"],
                   "ca_path": sim.ca_file, "_ansible_check_mode": check, "_ansible_diff": diff}
        payload.update(args)
        main = importlib.import_module("ansible_collections.nasops.truenas.plugins.modules.%s" % module).main
        capsys.readouterr()
        with patch_module_args(payload):
            with pytest.raises(SystemExit):
                main()
        result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        result.setdefault("failed", False)
        return result

    return run
