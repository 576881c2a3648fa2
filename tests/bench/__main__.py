"""``python -m tests.bench``: run the benchmark, print the table, write ``bench-results.json``.

Exit status: 0 when every figure was measured (targets missed or not), 1 with ``--strict`` when
a target was missed, 2 when a measurement could not be made.
"""

import argparse
import dataclasses
import os
import sys

from tests.bench import harness, report, scenarios

MEASUREMENTS = scenarios.NAMES


def build_parser():
    p = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes and one repetition (a smoke run)")
    size.add_argument("--tiny", action="store_true", help="the smallest sizes (what the test suite runs)")
    p.add_argument("--only", metavar="NAMES",
                   help="comma-separated subset of: %s" % ", ".join(MEASUREMENTS))
    p.add_argument("--reps", type=_positive, metavar="N", help="repetitions of every timed comparison")
    p.add_argument("--output", default=os.path.join(harness.ROOT, "bench-results.json"), metavar="FILE",
                   help="where the results go (default: bench-results.json in the repository root)")
    p.add_argument("--write-doc", nargs="?", const=os.path.join(harness.ROOT, "docs", "performance.md"),
                   metavar="FILE", help="also write the performance page (default docs/performance.md)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--keep", action="store_true", help="keep the scratch directory (its path is printed)")
    p.add_argument("-v", "--verbose", action="store_true", help="say what is being measured")
    return p


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a whole number" % text) from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def choose_config(args):
    config = scenarios.TINY if args.tiny else scenarios.QUICK if args.quick else scenarios.FULL
    if args.reps:
        config = dataclasses.replace(config, overhead_reps=args.reps, scale_reps=args.reps, role_reps=args.reps,
                                     sim_reps=args.reps)
    return config


def selected(args, parser):
    if not args.only:
        return list(MEASUREMENTS)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in MEASUREMENTS]
    if unknown or not names:
        parser.error("--only: unknown measurement %s (choose from %s)"
                     % (", ".join(unknown) or "''", ", ".join(MEASUREMENTS)))
    return names


def run(config, names, log=None, keep=False):
    """Measure ``names`` with ``config``; the results document."""
    started = report.now()
    env_before = report.environment()
    with harness.scratch_dir(keep=keep) as workdir:
        if keep and log:
            log("scratch directory: %s" % workdir)
        bench = scenarios.Bench(config, workdir, log=log)
        try:
            bench.run(names)
        finally:
            bench.close()
    return report.results(config, bench.figures, started, report.now(), env_before, report.environment())


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    names = selected(args, parser)
    config = choose_config(args)
    log = (lambda message: sys.stderr.write("bench: %s\n" % message)) if args.verbose else None
    data = run(config, names, log=log, keep=args.keep)
    report.write_json(args.output, data)
    report.out(report.table(data["figures"]))
    report.out("")
    report.out("results: %s" % args.output)
    if args.write_doc:
        with open(args.write_doc, "w", encoding="utf-8") as handle:
            handle.write(report.markdown(data))
        report.out("performance page: %s" % args.write_doc)
    counts = data["summary"]
    if counts["errors"]:
        return 2
    if args.strict and counts["missed"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
