"""Run the collection against simulators in subprocesses: the machinery of the benchmark and of
the reliability tests.

``Simulator``
    ``tests/simulator/truenas-sim --port 0 --test-hooks`` in its own process (seeded with extra
    datasets on request, optionally persisting its state), plus one control connection for the
    ``test.*`` methods: ``counters()``, ``reset_counters()``, ``state()``, ``fault()``,
    ``call_log()``, ``set_job_duration()``. ``restart()`` stops it and starts it again on the
    same port, with the same state file and certificate directory.
``run_module`` / ``run_module_inprocess``
    One module run as Ansible does it (a Python subprocess fed ``ANSIBLE_MODULE_ARGS``), or in
    this process (for fuzzing: no interpreter start-up, exceptions surface as they are).
``run_playbook``
    ``ansible-playbook`` on ``localhost`` with the connection in ``TRUENAS_*`` variables; wall
    time, output and the PLAY RECAP numbers.
"""

import contextlib
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

from tests.integration.conftest import recap_stats
from tests.simulator.pytest_plugin import ConnectionDropped, RemoteClosed, SimClient, SimProcess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
COLLECTIONS = os.path.join(ROOT, ".venv", "collections")
DEFAULT_SEED = os.path.join(ROOT, "tests", "simulator", "seed.yml")
BENCH_PARENT = "tank/bench"
CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callbacks")
MODULE_PACKAGE = "ansible_collections.nasops.truenas.plugins.modules"
TRACEBACK = "Traceback (most recent call last)"


def ensure_collection_importable():
    """Put the directory holding ``ansible_collections/nasops/truenas`` on ``sys.path``."""
    if ROOT.rstrip(os.sep).endswith(os.path.join("ansible_collections", "nasops", "truenas")):
        base = os.path.dirname(os.path.dirname(os.path.dirname(ROOT)))
    else:
        base = COLLECTIONS
    if base not in sys.path:
        sys.path.insert(0, base)
    return base


def dataset_name(index, parent=BENCH_PARENT):
    """``tank/bench/d00042``: the name of the ``index``-th benchmark dataset."""
    return "%s/d%05d" % (parent, index)


def make_seed(path, datasets=0, parent=BENCH_PARENT, comments=None, extra=None):
    """Write a seed file: the default seed plus ``parent`` and ``datasets`` children of it.

    ``comments`` (text) is set on every benchmark dataset; ``extra`` maps seed sections to lists
    of entries appended to them. The file is JSON (the simulator reads seeds as YAML, a superset).
    """
    with open(DEFAULT_SEED, encoding="utf-8") as handle:
        seed = yaml.safe_load(handle)
    if datasets:
        entries = [{"name": parent}]
        for index in range(datasets):
            entry = {"name": dataset_name(index, parent)}
            if comments is not None:
                entry["comments"] = comments
            entries.append(entry)
        seed["datasets"] = list(seed.get("datasets") or []) + entries
    for section, entries in (extra or {}).items():
        seed[section] = list(seed.get(section) or []) + list(entries)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(seed, handle)
    return seed


def seed_secrets(seed):
    """Every password and API key (``<id>-<key>`` and the bare key) of a seed."""
    secrets = []
    for user in seed.get("users") or []:
        if user.get("password"):
            secrets.append(user["password"])
        for key in user.get("api_keys") or []:
            secrets.append("%s-%s" % (key["id"], key["key"]))
            secrets.append(key["key"])
    return secrets


class Simulator:
    """A simulator subprocess and a control connection to it; a context manager.

    ``datasets``: extra datasets under ``tank/bench`` in the seed. ``state_file``: persist the
    state there (``--state``). ``idle_drop``: seconds without server traffic before a connection
    is dropped (0: never, the benchmark default; None: the profile's value). ``rate_limit``:
    limit unauthenticated calls as TrueNAS does (on by default, as on a real NAS; module runs
    share one login through the session broker). ``extra_args``: more ``truenas-sim`` options.
    """

    def __init__(self, workdir, profile="25.10", datasets=0, comments=None, seed_extra=None, state_file=None,
                 idle_drop=0, rate_limit=True, job_duration=None, tls=True, max_lifetime=1800, verbose=False,
                 extra_args=()):
        self.workdir = workdir
        self.profile = profile
        self.state_file = state_file
        self.port = 0
        os.makedirs(workdir, exist_ok=True)
        self.seed_file = os.path.join(workdir, "seed.json")
        self.seed = make_seed(self.seed_file, datasets, comments=comments, extra=seed_extra)
        self.certs = os.path.join(workdir, "certs")
        self.base_args = ["--profile", profile, "--seed", self.seed_file, "--test-hooks", "--workdir", self.certs,
                          "--max-lifetime", str(max_lifetime), "--fail-delay", "0"]
        self.base_args.append("--tls" if tls else "--no-tls")
        self.base_args.append("--rate-limit" if rate_limit else "--no-rate-limit")
        if idle_drop is not None:
            self.base_args += ["--idle-drop", str(idle_drop)]
        if job_duration is not None:
            self.base_args += ["--job-duration", str(job_duration)]
        if state_file:
            self.base_args += ["--state", state_file]
        if verbose:
            self.base_args.append("-v")
        self.base_args += list(extra_args)
        self.process = None
        self.info = None
        self._control = None

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self):
        args = list(self.base_args) + ["--port", str(self.port)]
        self.process = SimProcess(args, timeout=60)
        self.info = self.process.info
        self.port = int(self.info["url"].split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        return self

    def stop(self, sig=signal.SIGTERM):
        """Stop the process (``sig``: SIGTERM saves the state; SIGKILL does not get the chance)."""
        self._close_control()
        if self.process is not None:
            self.process.stop(sig)
            self.process = None

    def restart(self, sig=signal.SIGTERM, pause=0.0):
        """Stop and start again on the same port (the state file, if any, carries the state over)."""
        self.stop(sig)
        if pause:
            time.sleep(pause)
        deadline = time.monotonic() + 15
        while True:
            try:
                return self.start()
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    @property
    def running(self):
        return self.process is not None and self.process.proc.poll() is None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ---- facts -------------------------------------------------------------------------------

    @property
    def url(self):
        return self.info["url"]

    @property
    def ca_file(self):
        return self.info["ca_file"]

    @property
    def credentials(self):
        return {k: self.info[k] for k in ("username", "password", "api_key")}

    def secrets(self):
        return seed_secrets(self.seed)

    def connection_args(self, **overrides):
        """Module options reaching this simulator with the admin API key."""
        args = {"url": self.url, "username": self.info["username"], "api_key": self.info["api_key"]}
        if self.ca_file:
            args["ca_path"] = self.ca_file
        args.update(overrides)
        return args

    def env(self, **extra):
        """Environment for ``ansible-playbook`` and module subprocesses reaching this simulator."""
        env = ansible_env()
        env.update({"TRUENAS_URL": self.url, "TRUENAS_USERNAME": self.info["username"],
                    "TRUENAS_API_KEY": self.info["api_key"]})
        if self.ca_file:
            env["TRUENAS_CA_PATH"] = self.ca_file
        env.update(extra)
        return env

    # ---- control connection (test.* methods need no login) -----------------------------------

    def _close_control(self):
        if self._control is not None:
            self._control.close()
            self._control = None

    def control(self):
        """The control connection (opened on first use)."""
        if self._control is None:
            self._control = SimClient(self.url, self.ca_file, timeout=60)
        return self._control

    def hook(self, method, *params):
        """Call a ``test.*`` method; reconnects once if the control connection was dropped."""
        for attempt in (1, 2):
            try:
                return self.control().request(method, *params)
            except (ConnectionDropped, RemoteClosed, OSError):
                self._close_control()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def counters(self):
        return self.hook("test.counters")

    def reset_counters(self):
        """Zero the counters and the call log. The control connection is opened first, so that
        it is not counted afterwards."""
        self.control()
        return self.hook("test.reset_counters")

    def state(self, kind=None):
        return self.hook("test.state") if kind is None else self.hook("test.state", kind)

    def fault(self, kind, **options):
        return self.hook("test.fault", kind, options)

    def set_job_duration(self, seconds, method=None):
        return self.hook("test.set_job_duration", seconds, method)

    def call_log(self, filters=None, options=None):
        return self.hook("test.call_log", filters or [], options or {})

    def reset(self):
        return self.hook("test.reset")

    def connections(self):
        """The methods each client connection called, in order: ``{connection id: [method, ...]}``.

        The control connection only calls ``test.*`` methods, which are not logged, so it never
        shows up here.
        """
        grouped = {}
        for entry in self.call_log():
            grouped.setdefault(entry["connection"], []).append(entry["method"])
        return grouped

    def calls(self, method):
        """The logged calls of ``method`` (params with secrets masked)."""
        return self.call_log([["method", "=", method]])

    def objects(self, kind, **match):
        """The records of state ``kind`` whose fields equal ``match``."""
        return [r for r in self.state(kind).values() if all(r.get(k) == v for k, v in match.items())]


def ansible_env(**extra):
    """Environment for running the collection from this checkout (no ``TRUENAS_*`` inherited)."""
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("TRUENAS_"))
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONPATH": COLLECTIONS,
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(extra)
    return env


def median(values):
    return statistics.median(values) if values else None


# ---- modules ---------------------------------------------------------------------------------


class ModuleRun:
    """One module run: ``result`` (dict, ``failed`` set), ``rc``, ``stdout``, ``stderr``, ``seconds``."""

    def __init__(self, result, rc, stdout, stderr, seconds):
        self.result = result
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds

    @property
    def changed(self):
        return bool(self.result.get("changed"))

    @property
    def failed(self):
        return bool(self.result.get("failed"))

    @property
    def output(self):
        return self.stdout + self.stderr

    def __repr__(self):
        return "ModuleRun(rc=%r, %.2f s, result=%r)" % (self.rc, self.seconds, self.result)


def module_payload(args, check=False, diff=False, verbosity=0):
    payload = dict(args)
    payload["_ansible_check_mode"] = check
    payload["_ansible_diff"] = diff
    payload["_ansible_verbosity"] = verbosity
    return payload


def run_module(name, args, env, workdir, check=False, diff=False, verbosity=0, timeout=300):
    """Run ``nasops.truenas.<name>`` in a subprocess; a ``ModuleRun`` (result parsed from stdout)."""
    fd, args_file = tempfile.mkstemp(prefix="args-", suffix=".json", dir=workdir)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": module_payload(args, check, diff, verbosity)}, handle)
    try:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "%s.%s" % (MODULE_PACKAGE, name), args_file], env=env,
                              capture_output=True, text=True, timeout=timeout, check=False, cwd=workdir)
        seconds = time.perf_counter() - start
    finally:
        os.unlink(args_file)
    try:
        result = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else None
    except ValueError:
        result = None
    if not isinstance(result, dict):
        raise AssertionError("module %s printed no JSON result (rc %s):\nstdout:\n%s\nstderr:\n%s"
                             % (name, proc.returncode, proc.stdout, proc.stderr))
    result.setdefault("failed", False)
    return ModuleRun(result, proc.returncode, proc.stdout, proc.stderr, seconds)


class UncaughtException(AssertionError):
    """The module raised instead of exiting with a result (Ansible would print a traceback)."""


def load_module(name):
    ensure_collection_importable()
    import importlib

    return importlib.import_module("%s.%s" % (MODULE_PACKAGE, name))


def run_module_inprocess(name, args, check=False, diff=False):
    """Run the module's ``main()`` in this process; its result dict.

    A Python exception escaping ``main()`` raises ``UncaughtException`` with the traceback text.
    Connection options must be in ``args`` (``Simulator.connection_args()``): the ``TRUENAS_*``
    variables of this process are not looked at.
    """
    ensure_collection_importable()
    from ansible.module_utils.testing import patch_module_args

    module = load_module(name)
    out = io.StringIO()
    exited = False
    with patch_module_args(module_payload(args, check, diff)):
        with contextlib.redirect_stdout(out):
            try:
                module.main()
            except SystemExit:
                exited = True
            except Exception as exc:  # the point: any escaping exception is a finding
                import traceback

                raise UncaughtException("%s raised %s for %r:\n%s" % (
                    name, type(exc).__name__, args, "".join(traceback.format_exception(exc)))) from None
    text = out.getvalue().strip()
    if not exited or not text:
        raise UncaughtException("%s ended without a result for %r (output %r)" % (name, args, text))
    result = json.loads(text.splitlines()[-1])
    result.setdefault("failed", False)
    return result


def run_module_quick(sim, name, args, check=False, diff=False):
    """``run_module_inprocess`` against ``sim``, as a ``ModuleRun`` (``rc`` 1 when it failed)."""
    start = time.perf_counter()
    saved = dict((k, os.environ.pop(k)) for k in list(os.environ) if k.startswith("TRUENAS_"))
    try:
        result = run_module_inprocess(name, dict(sim.connection_args(), **args), check=check, diff=diff)
    finally:
        os.environ.update(saved)
    return ModuleRun(result, 1 if result["failed"] else 0, json.dumps(result), "", time.perf_counter() - start)


# ---- playbooks -------------------------------------------------------------------------------


class PlaybookRun:
    """One ``ansible-playbook`` run: ``rc``, ``output`` (stdout then stderr), ``seconds``, ``stats``."""

    def __init__(self, rc, stdout, stderr, seconds):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.output = stdout + stderr
        self.seconds = seconds
        self.tasks = None
        self.stats = recap_stats(stdout)

    @property
    def changed(self):
        return self.stats.get("changed")

    @property
    def failed(self):
        return self.stats.get("failed")

    def __repr__(self):
        return "PlaybookRun(rc=%r, %.2f s, stats=%r)" % (self.rc, self.seconds, self.stats)


def write_playbook(path, plays):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("---\n")
        yaml.safe_dump(plays, handle, sort_keys=False, default_flow_style=False)
    return path


def run_playbook(path, env, workdir, extra_vars=None, verbosity=0, check=False, count_tasks=False, timeout=1800,
                 inventory="localhost,"):
    """Run ``ansible-playbook`` against ``localhost`` (connection local, this Python).

    ``count_tasks``: enable the ``bench_tasks`` callback; ``PlaybookRun.tasks`` is then
    ``{"executed", "changed", "failed"}`` with loop items counted one by one, skipped ones not.
    """
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", inventory, "-c", "local", path]
    evars = {"ansible_python_interpreter": sys.executable}
    evars.update(extra_vars or {})
    cmd += ["-e", json.dumps(evars)]
    if check:
        cmd.append("--check")
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    run_env = dict(env)
    run_env.setdefault("ANSIBLE_LOCAL_TEMP", os.path.join(workdir, "ansible-tmp"))
    run_env.setdefault("ANSIBLE_HOME", os.path.join(workdir, "ansible-home"))
    run_env.setdefault("XDG_CACHE_HOME", os.path.join(workdir, "cache"))  # the modules' compiled-code cache
    counts_file = None
    if count_tasks:
        fd, counts_file = tempfile.mkstemp(prefix="tasks-", suffix=".json", dir=workdir)
        os.close(fd)
        run_env.update(ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED="bench_tasks",
                       NASOPS_BENCH_TASKS_FILE=counts_file)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=run_env, capture_output=True, text=True, timeout=timeout, check=False, cwd=workdir)
    run = PlaybookRun(proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start)
    if counts_file:
        with open(counts_file, encoding="utf-8") as handle:
            text = handle.read()
        os.unlink(counts_file)
        run.tasks = json.loads(text) if text.strip() else None
    return run


def find_secrets(text, secrets):
    """The secrets (non-empty) that occur in ``text``."""
    return sorted(set(s for s in secrets if s and s in text))


@contextlib.contextmanager
def scratch_dir(prefix="nasops-bench-", keep=False):
    path = tempfile.mkdtemp(prefix=prefix)
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)
