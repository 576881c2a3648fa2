"""Command line of the TrueNAS simulator (``tests/simulator/truenas-sim`` or ``python -m tests.simulator``).

Once listening it prints one JSON line on stdout::

    {"url": "wss://127.0.0.1:PORT/api/current", "ca_file": "...", "username": "admin",
     "password": "...", "api_key": "1-...", "profile": "25.10"}

and runs until SIGTERM/SIGINT, until its parent process exits, or for ``--max-lifetime`` seconds.

With ``--print-env`` it prints shell lines instead, to paste into another shell (or ``eval``)::

    unset TRUENAS_HOST TRUENAS_PORT TRUENAS_PASSWORD TRUENAS_OTP_TOKEN TRUENAS_VALIDATE_CERTS
    export TRUENAS_URL='wss://127.0.0.1:PORT/api/current'
    export TRUENAS_USERNAME='admin'
    export TRUENAS_API_KEY='1-...'
    export TRUENAS_CA_PATH='/tmp/truenas-sim-.../ca.pem'
    # truenas-sim 25.10, pid N: stops on Ctrl-C or SIGTERM, when its parent process (pid P) exits, ...
"""
import argparse
import asyncio
import json
import logging
import os
import shlex
import signal
import sys

from . import profiles

PARENT_POLL = 1.0
# Connection variables the printed environment clears: each would otherwise compete with the
# simulator's (TRUENAS_HOST and TRUENAS_URL exclude each other; a password with an API key).
CLEARED_VARIABLES = ("TRUENAS_HOST", "TRUENAS_PORT", "TRUENAS_PASSWORD", "TRUENAS_OTP_TOKEN", "TRUENAS_VALIDATE_CERTS")


def env_lines(info, pid, parent, max_lifetime):
    """Shell lines that point the collection's modules at a running simulator (``--print-env``)."""
    values = [("TRUENAS_URL", info["url"]), ("TRUENAS_USERNAME", info["username"]),
              ("TRUENAS_API_KEY", info["api_key"])]
    cleared = list(CLEARED_VARIABLES)
    if info.get("ca_file"):
        values.append(("TRUENAS_CA_PATH", info["ca_file"]))
    else:
        cleared.append("TRUENAS_CA_PATH")
    lines = ["unset %s" % " ".join(cleared)]
    lines += ["export %s=%s" % (name, shlex.quote(str(value))) for name, value in values]
    lifetime = "after %g s (--max-lifetime)" % max_lifetime if max_lifetime else "never on its own"
    lines.append("# truenas-sim %s, pid %d: stops on Ctrl-C or SIGTERM, when its parent process (pid %d) exits, "
                 "or %s" % (info["profile"], pid, parent, lifetime))
    return lines


def _range(text):
    """``"1.5"`` -> ``(1.5, 1.5)``; ``"1-10"`` -> ``(1.0, 10.0)``."""
    try:
        parts = [float(p) for p in str(text).split("-", 1)]
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not SECONDS or LOW-HIGH" % text) from None
    low, high = (parts[0], parts[0]) if len(parts) == 1 else parts
    if low < 0 or high < low:
        raise argparse.ArgumentTypeError("%r: need 0 <= LOW <= HIGH" % text)
    return low, high


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number of seconds" % text) from None
    if value < 0:
        raise argparse.ArgumentTypeError("%r: seconds must not be negative" % text)
    return value


def _port(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a port number" % text) from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("%r: port must be 0..65535 (0 picks a free port)" % text)
    return value


def build_parser():
    p = argparse.ArgumentParser(
        prog="truenas-sim",
        description="A simulated TrueNAS SCALE middleware (WebSocket JSON-RPC 2.0) on 127.0.0.1.",
        epilog="Prints one JSON line {url, ca_file, username, password, api_key, profile} once listening.",
    )
    p.add_argument("--profile", choices=profiles.ALL_NAMES, default="25.10", help="TrueNAS release to behave as")
    p.add_argument("--port", type=_port, default=0, help="TCP port (0, the default, picks a free one)")
    p.add_argument("--seed", metavar="FILE", help="seed file (YAML); default tests/simulator/seed.yml")
    p.add_argument("--state", metavar="FILE",
                   help="persist the state to FILE after every change and restore it from FILE on start")
    p.add_argument("--tls", action=argparse.BooleanOptionalAction, default=True,
                   help="serve wss:// with a generated CA (default) or plain ws://")
    p.add_argument("--workdir", metavar="DIR",
                   help="where the generated CA and certificate go (default: a temporary directory)")
    p.add_argument("--treat-plain-as-remote", action="store_true",
                   help="count plain ws:// connections as remote (insecure transport), even from loopback")
    p.add_argument("--test-hooks", action="store_true", help="enable the test.* methods")
    p.add_argument("--job-duration", type=_seconds, default=0.2, metavar="SECONDS",
                   help="how long a simulated job runs (default 0.2)")
    p.add_argument("--idle-drop", type=_seconds, default=None, metavar="SECONDS",
                   help="drop connections after SECONDS without server->client traffic "
                        "(default: 60 on 25.04/25.10, 3600 on 26; 0 disables)")
    p.add_argument("--rate-limit", action=argparse.BooleanOptionalAction, default=True,
                   help="limit unauthenticated calls to 20 per method per IP per 60 s (default on)")
    p.add_argument("--rate-limit-delay", type=_range, default=(1.0, 10.0), metavar="LOW[-HIGH]",
                   help="seconds a rate-limited call waits before its EBUSY error (default 1-10)")
    p.add_argument("--fail-delay", type=_range, default=(1.0, 2.0), metavar="LOW[-HIGH]",
                   help="seconds a failed OTP or token login waits before answering (default 1-2)")
    p.add_argument("--max-lifetime", type=_seconds, default=3600.0, metavar="SECONDS",
                   help="stop after SECONDS (default 3600; 0 = no limit)")
    p.add_argument("--print-env", action="store_true",
                   help="print 'export TRUENAS_...' shell lines for the collection instead of the JSON line")
    p.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    return p


def _path(path):
    if path is None or os.path.isabs(path):
        return path
    return os.path.join(os.environ.get("TRUENAS_SIM_CWD") or os.getcwd(), path)


async def run(args):
    from .server import SimServer

    server = SimServer(
        args.profile, tls=args.tls, port=args.port, seed=_path(args.seed), state_file=_path(args.state),
        workdir=_path(args.workdir), treat_plain_as_remote=args.treat_plain_as_remote, test_hooks=args.test_hooks,
        job_duration=args.job_duration, idle_drop=args.idle_drop, rate_limit=args.rate_limit,
        rate_limit_delay=args.rate_limit_delay, fail_delay=args.fail_delay,
    )
    await server.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.max_lifetime:
        loop.call_later(args.max_lifetime, stop.set)
    parent = os.getppid()

    async def watch_parent():
        while not stop.is_set():
            await asyncio.sleep(PARENT_POLL)
            if os.getppid() != parent:
                logging.getLogger("tests.simulator").info("parent process %d went away; stopping", parent)
                stop.set()

    watcher = asyncio.ensure_future(watch_parent())
    if args.print_env:
        sys.stdout.write("\n".join(env_lines(server.info(), os.getpid(), parent, args.max_lifetime)) + "\n")
    else:
        sys.stdout.write(json.dumps(server.info()) + "\n")
    sys.stdout.flush()
    await stop.wait()
    watcher.cancel()
    await server.stop()


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for name in ("seed", "state"):
        path = _path(getattr(args, name))
        if name == "seed" and path is not None and not os.path.isfile(path):
            parser.error("--seed %s: no such file" % getattr(args, name))
        if name == "state" and path is not None and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            parser.error("--state %s: the directory does not exist" % getattr(args, name))
    try:
        asyncio.run(run(args))
    except ValueError as exc:
        sys.stderr.write("truenas-sim: error: %s\n" % exc)
        return 2
    except OSError as exc:
        sys.stderr.write("truenas-sim: error: cannot listen: %s\n" % exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
