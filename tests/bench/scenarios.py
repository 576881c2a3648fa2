"""The measurements of the benchmark.

Every figure is a dict::

    {"id": "task_overhead", "title": "...", "value": 1.12, "unit": "ratio", "target": "<= 1.25",
     "passed": True, "details": {...}, "error": None}

``passed`` is None for figures without a target and False with ``error`` set when the
measurement itself could not be made. Wall times are medians of ``reps`` runs; runs that are
compared with each other are interleaved, so that drifting machine load hits both sides.
"""

import dataclasses
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

from tests.bench import harness

PROFILE = "25.10"
BENCH_COMMENT = "bench"
ROLE_PLAYBOOK = os.path.join(harness.ROOT, "playbooks", "k8s_cluster.yml")
DISPLAY_PASSWORD = "bench-Display-pw1"
CODE_CACHE_ENV = "NASOPS_TRUENAS_CODE_CACHE"
ROLE_VARS = {"k8s_cluster_vms_display_password": DISPLAY_PASSWORD}
VM_ARGS = {
    "name": "benchvm", "description": "benchmark VM", "vcpus": 1, "cores": 2, "threads": 1, "memory": "2G",
    "bootloader": "UEFI", "state": "started",
    "devices": [
        {"dtype": "DISK", "zvol": "tank/vms/benchvm-root", "create_zvol": True, "size": "10G", "bus": "VIRTIO"},
        {"dtype": "CDROM", "path": "/mnt/tank/isos/talos-1.8.iso"},
        {"dtype": "NIC", "nic_attach": "br0", "type": "VIRTIO"},
        {"dtype": "DISPLAY", "type": "SPICE", "bind": "0.0.0.0", "display_password": DISPLAY_PASSWORD},
    ],
}


@dataclasses.dataclass(frozen=True)
class Config:
    """Sizes and repetitions of one benchmark run."""

    name: str = "full"
    overhead_tasks: int = 100
    overhead_reps: int = 3
    parallel_playbooks: int = 5
    parallel_tasks: int = 50
    scale_small: int = 10
    scale_large: int = 10000
    scale_reps: int = 15
    role_reps: int = 2
    ping_calls: int = 3000
    query_calls: int = 300
    sim_reps: int = 3


FULL = Config()
QUICK = Config(name="quick", overhead_tasks=10, overhead_reps=1, parallel_playbooks=3, parallel_tasks=5,
               scale_reps=3, role_reps=1, ping_calls=500, query_calls=50, sim_reps=1)
TINY = Config(name="tiny", overhead_tasks=2, overhead_reps=1, parallel_playbooks=2, parallel_tasks=2, scale_small=3,
              scale_large=60, scale_reps=1, role_reps=1, ping_calls=20, query_calls=5, sim_reps=1)
BROKER_OFF = {"TRUENAS_BROKER_IDLE_TIMEOUT": "0"}
RATE_LIMITED = "Rate Limit Exceeded"


def figure(fid, title, value=None, unit="", target=None, passed=None, details=None, error=None):
    return {"id": fid, "title": title, "value": value, "unit": unit, "target": target, "passed": passed,
            "details": details or {}, "error": error}


def at_most(value, limit):
    return None if value is None else value <= limit


def ratio(a, b):
    return None if not a or not b else round(a / b, 3)


class MeasurementError(Exception):
    """A run the measurement depends on did not do what it should (failed, or changed something)."""


def ping_playbook(path, count):
    tasks = [{"name": "ping %d" % i, "ansible.builtin.ping": {}} for i in range(count)]
    return harness.write_playbook(path, [{"name": "ping tasks", "hosts": "localhost", "gather_facts": False,
                                          "tasks": tasks}])


def dataset_playbook(path, count):
    tasks = [{"name": "dataset %d" % i,
              "nasops.truenas.truenas_dataset": {"name": harness.dataset_name(i), "comments": BENCH_COMMENT,
                                                 "compression": "LZ4"}}
             for i in range(count)]
    return harness.write_playbook(path, [{"name": "unchanged datasets", "hosts": "localhost", "gather_facts": False,
                                          "tasks": tasks}])


def user_playbook(path, count):
    tasks = [{"name": "user %d" % i,
              "nasops.truenas.truenas_user": {"name": "bench%03d" % i, "full_name": "Bench user %d" % i,
                                              "password_disabled": True, "smb": False}}
             for i in range(count)]
    return harness.write_playbook(path, [{"name": "unchanged users", "hosts": "localhost", "gather_facts": False,
                                          "tasks": tasks}])


def dataset_loop_playbook(path, count):
    names = [harness.dataset_name(i) for i in range(count)]
    task = {"name": "datasets in a loop", "loop": names,
            "nasops.truenas.truenas_dataset": {"name": "{{ item }}", "comments": BENCH_COMMENT, "compression": "LZ4"}}
    return harness.write_playbook(path, [{"name": "unchanged datasets, one loop", "hosts": "localhost",
                                          "gather_facts": False, "tasks": [task]}])


def startup_playbook(path, count):
    """The dataset tasks, each refused before connecting (a bad name): Ansible's and the module's
    start-up without any server work."""
    tasks = [{"name": "refused dataset %d" % i, "ignore_errors": True,
              "nasops.truenas.truenas_dataset": {"name": "refused!name%d" % i}}
             for i in range(count)]
    return harness.write_playbook(path, [{"name": "refused datasets", "hosts": "localhost", "gather_facts": False,
                                          "tasks": tasks}])


def expect(run, changed=0, what="playbook"):
    """Fail the measurement unless ``run`` succeeded with ``changed`` changes (None: any)."""
    if run.rc != 0 or run.failed:
        if isinstance(run, harness.ModuleRun):
            detail = run.result.get("msg") or run.stderr[-3000:]
        else:
            detail = run.output[-3000:]
        raise MeasurementError("%s failed (rc %s): %s" % (what, run.rc, detail))
    actual = run.changed if isinstance(run, harness.PlaybookRun) else int(run.changed)
    if changed is not None and actual != changed:
        raise MeasurementError("%s reported %s changes, expected %s" % (what, actual, changed))
    return run


class Bench:
    """One benchmark run: simulators, scratch space, the figures measured so far."""

    def __init__(self, config, workdir, log=None):
        self.config = config
        self.workdir = workdir
        self.log = log or (lambda message: None)
        self.figures = []
        self.sims = {}

    # ---- plumbing ----------------------------------------------------------------------------

    def sim(self, key, **options):
        """A simulator process, started once per key, limiting logins as TrueNAS does."""
        options.setdefault("rate_limit", True)
        if key not in self.sims:
            self.log("starting simulator %s %s" % (key, options))
            sim = harness.Simulator(os.path.join(self.workdir, "sim-" + key), profile=PROFILE, **options)
            self.sims[key] = sim.start()
        return self.sims[key]

    def close(self):
        for sim in self.sims.values():
            sim.stop()
        self.sims.clear()
        if getattr(self, "_runtime", None):
            shutil.rmtree(self._runtime, ignore_errors=True)
            self._runtime = None

    def path(self, name):
        return os.path.join(self.workdir, name)

    def playbook(self, sim, path, env=None, **kwargs):
        kwargs.setdefault("count_tasks", True)
        env = dict(env or {})
        env.setdefault("XDG_RUNTIME_DIR", self.runtime)
        return harness.run_playbook(path, sim.env(**env), self.workdir, **kwargs)

    def fresh_runtime(self):
        """A new runtime directory: no session broker yet (the previous ones exit, their sockets gone)."""
        if getattr(self, "_runtime", None):
            shutil.rmtree(self._runtime, ignore_errors=True)
        self._runtime = tempfile.mkdtemp(prefix="nb-", dir="/tmp")
        return self._runtime

    @property
    def runtime(self):
        return getattr(self, "_runtime", None) or self.fresh_runtime()

    def module(self, sim, name, args, **kwargs):
        return harness.run_module(name, args, sim.env(XDG_RUNTIME_DIR=self.runtime), self.workdir, **kwargs)

    def measure(self, fids, title, fn):
        """Run ``fn()`` (returns a list of figures); on an exception record failed figures."""
        started = time.perf_counter()
        self.log("measuring: %s" % title)
        try:
            figures = fn()
        except Exception as exc:  # a broken measurement is reported, the others still run
            text = "%s: %s" % (type(exc).__name__, exc)
            self.log(traceback.format_exc())
            figures = [figure(fid, title, passed=False, error=text) for fid in fids]
        for item in figures:
            item["details"].setdefault("seconds_spent", round(time.perf_counter() - started, 1))
        self.figures.extend(figures)
        return figures

    # ---- 1. per-task overhead (the session broker, the login rate limit on) --------------------

    def task_overhead(self):
        cfg = self.config
        n = cfg.overhead_tasks
        sim = self.sim("datasets", datasets=max(n, cfg.scale_small), comments=BENCH_COMMENT)
        dataset = dataset_playbook(self.path("datasets-%d.yml" % n), n)
        runs = {  # kind: (playbook, extra environment)
            "ping": (ping_playbook(self.path("ping-%d.yml" % n), n), {}),
            "dataset": (dataset, {}),
            "loop": (dataset_loop_playbook(self.path("loop-%d.yml" % n), n), {}),
            "startup": (startup_playbook(self.path("startup-%d.yml" % n), n), {}),
            "uncached": (dataset, {CODE_CACHE_ENV: "0"}),
            "user": (user_playbook(self.path("users-%d.yml" % n), n), {}),
        }
        expect(self.playbook(sim, dataset), 0, "dataset playbook (warm-up)")
        expect(self.playbook(sim, runs["user"][0]), n, "user playbook (creates the users)")
        times = dict((kind, []) for kind in runs)
        logins = dict((kind, []) for kind in runs)
        for rep in range(cfg.overhead_reps):
            order = sorted(runs)
            if rep % 2:
                order.reverse()
            for kind in order:
                path, extra_env = runs[kind]
                sim.reset_counters()
                run = expect(self.playbook(sim, path, env=extra_env), 0, "%s playbook" % kind)
                counters = sim.counters()
                if kind == "startup" and (run.stats.get("ignored") != n or counters["connections"]):
                    raise MeasurementError("the start-up playbook should refuse %d tasks without connecting: %r, %r"
                                           % (n, run.stats, counters))
                times[kind].append(run.seconds)
                logins[kind].append(counters["logins"])
        # the direct path, once: every task logs in, and TrueNAS allows 20 logins a minute
        sim.reset_counters()
        direct = expect(self.playbook(sim, dataset, env=BROKER_OFF), 0, "dataset playbook without the broker")
        direct_logins = sim.counters()["logins"]
        medians = dict((kind, harness.median(values)) for kind, values in times.items())
        value = ratio(medians["dataset"], medians["ping"])
        loop_value = ratio(medians["loop"], medians["ping"])
        user_value = ratio(medians["user"], medians["ping"])
        direct_value = ratio(direct.seconds, medians["ping"])

        def per_task(slow, fast):
            return round((medians[slow] - medians[fast]) * 1000.0 / n, 1)

        common = {"tasks": n, "reps": cfg.overhead_reps, "rate_limit": "on",
                  "ping_seconds": rounded(times["ping"]), "ping_median": round(medians["ping"], 3)}
        return [
            figure("task_overhead", "%d unchanged truenas_dataset tasks / %d ansible.builtin.ping tasks" % (n, n),
                   value, "ratio", "<= 1.1", at_most(value, 1.1), dict(
                       common, dataset_seconds=rounded(times["dataset"]), startup_seconds=rounded(times["startup"]),
                       uncached_seconds=rounded(times["uncached"]), dataset_median=round(medians["dataset"], 3),
                       startup_median=round(medians["startup"], 3), uncached_median=round(medians["uncached"], 3),
                       uncached_ratio=ratio(medians["uncached"], medians["ping"]),
                       ratio_per_rep=[ratio(d, p) for d, p in zip(times["dataset"], times["ping"])],
                       logins_per_run=logins["dataset"],
                       extra_ms_per_task=per_task("dataset", "ping"), startup_ms_per_task=per_task("startup", "ping"),
                       server_ms_per_task=per_task("dataset", "startup"),
                       code_cache_saves_ms_per_task=per_task("uncached", "dataset"))),
            figure("loop_overhead", "a loop of %d unchanged truenas_dataset items / %d ansible.builtin.ping tasks"
                   % (n, n), loop_value, "ratio", "<= 1.0", at_most(loop_value, 1.0), dict(
                       common, loop_seconds=rounded(times["loop"]), loop_median=round(medians["loop"], 3),
                       ratio_per_rep=[ratio(d, p) for d, p in zip(times["loop"], times["ping"])],
                       logins_per_run=logins["loop"])),
            figure("user_overhead", "%d unchanged truenas_user tasks / %d ansible.builtin.ping tasks" % (n, n),
                   user_value, "ratio", "<= 1.1", at_most(user_value, 1.1), dict(
                       common, user_seconds=rounded(times["user"]), user_median=round(medians["user"], 3),
                       ratio_per_rep=[ratio(d, p) for d, p in zip(times["user"], times["ping"])],
                       logins_per_run=logins["user"])),
            figure("direct_overhead", "the same %d tasks with the broker off (broker_idle_timeout=0) / %d ping tasks"
                   % (n, n), direct_value, "ratio", None, None, dict(
                       common, direct_seconds=round(direct.seconds, 3), logins=direct_logins,
                       rate_limited_waits=direct.output.count("waited for the next minute"))),
        ]

    def logins(self):
        """Logins of a playbook with no broker running yet, and of a second one right after."""
        cfg = self.config
        n = cfg.parallel_tasks
        sim = self.sim("datasets", datasets=max(cfg.overhead_tasks, cfg.scale_small, n), comments=BENCH_COMMENT)
        path = dataset_playbook(self.path("logins-%d.yml" % n), n)
        self.fresh_runtime()
        sim.reset_counters()
        expect(self.playbook(sim, path), 0, "first playbook")
        first = sim.counters()["logins"]
        sim.reset_counters()
        expect(self.playbook(sim, path), 0, "second playbook")
        second = sim.counters()["logins"]
        return [figure("logins_per_playbook", "logins of a playbook of %d TrueNAS tasks (of a second one right "
                       "after: %d)" % (n, second), first, "logins", "1 (then 0)", first == 1 and second == 0,
                       {"first": first, "second": second, "tasks": n})]

    def parallel(self):
        """Several playbooks at once, all through one session."""
        cfg = self.config
        count, n = cfg.parallel_playbooks, cfg.parallel_tasks
        sim = self.sim("datasets", datasets=max(cfg.overhead_tasks, cfg.scale_small, n), comments=BENCH_COMMENT)
        path = dataset_playbook(self.path("parallel-%d.yml" % n), n)
        self.fresh_runtime()
        sim.reset_counters()
        env = sim.env(XDG_RUNTIME_DIR=self.runtime)
        cmd = [os.path.join(harness.VENV_BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", path,
               "-e", "ansible_python_interpreter=%s" % sys.executable]
        started = time.perf_counter()
        procs = [subprocess.Popen(cmd, env=env, cwd=self.workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True) for _index in range(count)]
        outputs = [proc.communicate(timeout=1800)[0] for proc in procs]
        seconds = time.perf_counter() - started
        failed = [proc.returncode for proc in procs if proc.returncode != 0]
        if failed:
            raise MeasurementError("%d of %d playbooks failed: %s" % (len(failed), count, outputs[0][-2000:]))
        counters = sim.counters()
        busy = sum(out.count(RATE_LIMITED) + out.count("waited for the next minute") for out in outputs)
        return [figure("parallel_playbooks", "%d playbooks of %d TrueNAS tasks at once: logins (rate-limit waits)"
                       % (count, n), counters["logins"], "logins", "1, no EBUSY",
                       counters["logins"] == 1 and busy == 0,
                       {"playbooks": count, "tasks": n, "seconds": round(seconds, 2), "rate_limit_answers": busy,
                        "calls": sum(counters["calls"].values())})]

    # ---- 2. calls per unchanged task ---------------------------------------------------------

    def noop_calls(self, sim, module, args):
        """Counters of one unchanged run of ``module`` after another (the session broker is then up):
        (calls total, connections, calls by method)."""
        expect(self.module(sim, module, args), 0, "%s no-op run" % module)
        sim.reset_counters()
        expect(self.module(sim, module, args), 0, "%s no-op run" % module)
        counters = sim.counters()
        return sum(counters["calls"].values()), counters["connections"], counters["calls"]

    def calls_dataset(self):
        cfg = self.config
        sim = self.sim("datasets", datasets=max(cfg.overhead_tasks, cfg.scale_small), comments=BENCH_COMMENT)
        args = {"name": harness.dataset_name(0), "comments": BENCH_COMMENT, "compression": "LZ4"}
        calls, connections, by_method = self.noop_calls(sim, "truenas_dataset", args)
        return [figure(
            "calls_dataset_noop", "JSON-RPC calls (new connections) per unchanged truenas_dataset task", calls,
            "calls", "0 connections, 1 call", connections == 0 and calls == 1,
            {"connections": connections, "calls": by_method})]

    def calls_vm(self):
        sim = self.sim("vm")
        expect(self.module(sim, "truenas_vm", VM_ARGS), 1, "truenas_vm creation")
        calls, connections, by_method = self.noop_calls(sim, "truenas_vm", VM_ARGS)
        return [figure(
            "calls_vm_noop", "JSON-RPC calls (new connections) per unchanged truenas_vm task (running, 4 devices)",
            calls, "calls", "0 connections, 1 call", connections == 0 and calls == 1,
            {"connections": connections, "calls": by_method})]

    # ---- 3. scale ----------------------------------------------------------------------------

    def scale(self):
        cfg = self.config
        small = self.sim("datasets", datasets=max(cfg.overhead_tasks, cfg.scale_small), comments=BENCH_COMMENT)
        large = self.sim("many", datasets=cfg.scale_large, comments=BENCH_COMMENT)
        target = harness.dataset_name(cfg.scale_small // 2)
        args = {"name": target, "comments": BENCH_COMMENT, "compression": "LZ4"}
        for sim in (small, large):
            expect(self.module(sim, "truenas_dataset", args), 0, "truenas_dataset (warm-up)")
        times = {"small": [], "large": []}
        for rep in range(cfg.scale_reps):
            order = [("small", small), ("large", large)]
            if rep % 2:
                order.reverse()
            for key, sim in order:
                times[key].append(expect(self.module(sim, "truenas_dataset", args), 0, "truenas_dataset").seconds)
        small_median, large_median = harness.median(times["small"]), harness.median(times["large"])
        value = ratio(large_median, small_median)
        return [figure(
            "scale_datasets", "unchanged truenas_dataset task with %d datasets / with %d (module run)"
            % (cfg.scale_large, cfg.scale_small), value, "ratio", "<= 1.1", at_most(value, 1.1),
            {"reps": cfg.scale_reps, "datasets_large": cfg.scale_large, "datasets_small": cfg.scale_small,
             "large_seconds": rounded(times["large"]), "small_seconds": rounded(times["small"]),
             "large_median": round(large_median, 3), "small_median": round(small_median, 3)})]

    # ---- 4. the role -------------------------------------------------------------------------

    def role(self):
        cfg = self.config
        if not os.path.exists(ROLE_PLAYBOOK):
            raise MeasurementError("%s does not exist" % ROLE_PLAYBOOK)
        sim = self.sim("role")
        converge_times, noop_times, ping_converge, ping_noop = [], [], [], []
        counts = {}
        for rep in range(cfg.role_reps):
            sim.reset()
            converge = expect(self.playbook(sim, ROLE_PLAYBOOK, extra_vars=ROLE_VARS), None, "role playbook (from empty)")
            sim.reset_counters()
            noop = expect(self.playbook(sim, ROLE_PLAYBOOK, extra_vars=ROLE_VARS), 0, "role playbook (no-op rerun)")
            logins = sim.counters()["logins"]
            vms = sim.state("vms")
            if len(vms) != 6:
                raise MeasurementError("the role left %d VMs, expected 3 + 3" % len(vms))
            counts["converge"], counts["converge_changed"] = converge.tasks["executed"], converge.tasks["changed"]
            counts["noop"], counts["noop_changed"] = noop.tasks["executed"], noop.tasks["changed"]
            counts["noop_logins"] = logins
            if counts["converge_changed"] == 0:
                raise MeasurementError("the converging run changed nothing")
            converge_times.append(converge.seconds)
            noop_times.append(noop.seconds)
            for key, bucket in (("converge", ping_converge), ("noop", ping_noop)):
                path = ping_playbook(self.path("ping-role-%s.yml" % key), counts[key])
                bucket.append(expect(self.playbook(sim, path), 0, "ping playbook").seconds)
        details = {"reps": cfg.role_reps, "vms": 6, "task_executions": counts,
                   "converge_seconds": rounded(converge_times), "noop_seconds": rounded(noop_times),
                   "ping_converge_seconds": rounded(ping_converge), "ping_noop_seconds": rounded(ping_noop)}
        converge = ratio(harness.median(converge_times), harness.median(ping_converge))
        noop = ratio(harness.median(noop_times), harness.median(ping_noop))
        return [
            figure("role_converge", "k8s_cluster.yml: 3+3 VMs from empty / ping playbook of as many tasks (%d)"
                   % counts["converge"], converge, "ratio", None, None,
                   dict(details, median_seconds=round(harness.median(converge_times), 2))),
            figure("role_noop", "k8s_cluster.yml: no-op rerun / ping playbook of as many tasks (%d)" % counts["noop"],
                   noop, "ratio", None, None, dict(details, median_seconds=round(harness.median(noop_times), 2))),
        ]

    # ---- 5. the simulator --------------------------------------------------------------------

    def simulator(self):
        cfg = self.config
        large = self.sim("many", datasets=cfg.scale_large, comments=BENCH_COMMENT)
        client = harness.SimClient(large.url, large.ca_file, timeout=60)
        try:
            client.login(large.info["username"], large.info["password"])
            rates = []
            for dummy in range(cfg.sim_reps):
                start = time.perf_counter()
                for dummy in range(cfg.ping_calls):
                    client.request("core.ping")
                rates.append(cfg.ping_calls / (time.perf_counter() - start))
            latencies = []
            target = harness.dataset_name(cfg.scale_large // 2)
            options = {"extra": {"retrieve_children": False}}
            for dummy in range(cfg.query_calls):
                start = time.perf_counter()
                found = client.request("pool.dataset.query", [["name", "=", target]], options)
                latencies.append((time.perf_counter() - start) * 1000.0)
                if len(found) != 1:
                    raise MeasurementError("pool.dataset.query found %d datasets named %s" % (len(found), target))
        finally:
            client.close()
        latencies.sort()
        p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
        return [
            figure("sim_ping_rate", "simulator: sequential core.ping calls per second on one connection",
                   round(harness.median(rates)), "calls/s", None, None,
                   {"calls": cfg.ping_calls, "reps": cfg.sim_reps, "rates": [round(r) for r in rates]}),
            figure("sim_query_latency", "simulator: pool.dataset.query by name with %d datasets (median)"
                   % cfg.scale_large, round(statistics.median(latencies), 2), "ms", None, None,
                   {"calls": cfg.query_calls, "p95_ms": round(p95, 2), "min_ms": round(latencies[0], 2)}),
        ]

    # ---- all ---------------------------------------------------------------------------------

    def run(self, names=None):
        """Measure every figure (or only the measurements ``names``, see ``MEASUREMENTS``)."""
        for name, fids, title, method in MEASUREMENTS:
            if names is None or name in names:
                self.measure(fids, title, getattr(self, method))
        return self.figures


# (measurement name, figure ids, title, Bench method), in the order of the report
MEASUREMENTS = (
    ("task_overhead", ["task_overhead", "loop_overhead", "user_overhead", "direct_overhead"], "per-task overhead",
     "task_overhead"),
    ("logins", ["logins_per_playbook"], "logins per playbook", "logins"),
    ("parallel", ["parallel_playbooks"], "parallel playbooks", "parallel"),
    ("calls", ["calls_dataset_noop"], "calls per unchanged truenas_dataset task", "calls_dataset"),
    ("calls", ["calls_vm_noop"], "calls per unchanged truenas_vm task", "calls_vm"),
    ("scale", ["scale_datasets"], "scale", "scale"),
    ("role", ["role_converge", "role_noop"], "the k8s_cluster_vms role", "role"),
    ("simulator", ["sim_ping_rate", "sim_query_latency"], "the simulator", "simulator"),
)
NAMES = tuple(sorted(set(m[0] for m in MEASUREMENTS), key=[m[0] for m in MEASUREMENTS].index))


def rounded(values):
    return [round(v, 3) for v in values]
