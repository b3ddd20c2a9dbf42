"""The ``verify`` sub-command: check every claim the prediction implies against simulation.

Role: parse the options into a :class:`theory.verify.VerifyConfig` (changes to the default or
``--quick`` configuration), refuse worker counts the machine cannot use (:data:`MAX_WORKERS`),
run :func:`theory.verify.verify` and print its report; exit 0 when every implied claim passed,
1 otherwise.  No mathematics lives here.
"""
from __future__ import annotations

from theory.cli.common import (CommandError, UsageError, add_json_flag, add_rule_options, emit, float_arg, int_in,
                               rule_from_args)
from theory.errors import TheoryInputError

__all__ = ["add_parser", "run", "MAX_WORKERS"]

#: Hard ceiling on ``--workers`` even with ``--force-workers`` (an internal limit).
MAX_WORKERS = 64


def add_parser(sub):
    """Add ``verify`` to the sub-parsers ``sub`` of the ``theory`` CLI; returns its parser.

    Examples
    --------
    >>> from theory.cli.common import Parser
    >>> parser = Parser(prog="theory")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["verify", "--quick"])
    >>> (args.quick, args.d, args.workers)
    (True, None, None)
    """
    p = sub.add_parser("verify", help="check the theorem's predictions against simulation (default: Figure 1 case)",
                       description="Check every claim the theorem's prediction implies against simulation. Exit "
                                   "status 0 when every implied claim was measured and passed, 1 when one failed "
                                   "or could not be measured (SKIP), 2 on bad input.")
    add_rule_options(p, verify=True)
    p.add_argument("--d", type=int_in(8, 100_000, "--d"), nargs="+", default=None,
                   help="dimensions for the scaling fits, at least 3 distinct (integers in 8..100000; default "
                        "25 50 100 200 400, with --quick 25 50 100)")
    p.add_argument("--runs", type=int_in(10, 100_000, "--runs"), default=None,
                   help="runs per point (an integer in 10..100000; default 100, with --quick 48)")
    p.add_argument("--kappa", type=float_arg("--kappa", positive=True, upper=64), default=None,
                   help="step-size constant of every point (0 < kappa <= 64; default 0.125)")
    p.add_argument("--seed", type=int_in(0, 2**63 - 1, "--seed"), default=None,
                   help="base seed; each point seeds itself from all its parameters (an integer in 0..2^63-1; "
                        "default 20251021)")
    p.add_argument("--start", choices=["uniform", "positive", "fixed"], default=None,
                   help="initialisation (default positive: uniform on the hemisphere of theta)")
    p.add_argument("--signed", action="store_true",
                   help="weak recovery means m >= 0.5, not |m| >= 0.5 (default: off)")
    p.add_argument("--quick", action="store_true",
                   help="smaller sizes: d = 25 50 100, 48 runs, no tuned-gamma or diffusion tables (default: off; "
                        "the same as --profile quick)")
    p.add_argument("--d-large", type=int_in(8, 100_000, "--d-large"), nargs="+", default=None,
                   help="dimensions of the large-eta exponent fit when they differ from --d, at least 3 distinct "
                        "(default: those of --d)")
    p.add_argument("--eta-top", type=float_arg("--eta-top", positive=True, upper=1), default=None,
                   help="largest eta simulated, as a fraction c of the top of the valid range (batch reuse: "
                        "eta d = c; 0 < c <= 1; default 1)")
    p.add_argument("--profile", choices=["default", "quick", "large"], default=None,
                   help="named sizes: default; quick (as --quick); large: the phase transition in raw samples, "
                        "swept at the smallest d where the finite-d prediction has the best large eta 10x below "
                        "small eta (2400 for the default case), threshold sweeps from d = 50 up to it, 80 runs "
                        "(10 null runs) from d = 1000 on; 7.6 minutes on a 2-core machine (default: default)")
    p.add_argument("--out", default=None,
                   help="output folder for records, report.json and figure1.png (default: "
                        "results/verify-<case>-<hash of the configuration>); a folder holding another "
                        "configuration is refused")
    p.add_argument("--resume", action="store_true",
                   help="reuse points saved in the output folder after checking them against the configuration "
                        "(default: off, recompute everything)")
    p.add_argument("--workers", type=int_in(1, 10**6, "--workers"), default=None,
                   help="worker processes (an integer from 1 to the number of available cores; default: one per "
                        "available core; each holds its own SymPy and NumPy, about 200 MB). The records are "
                        "identical for any number of workers")
    p.add_argument("--dask-scheduler", default=None, metavar="ADDRESS",
                   help="run the sweeps on an existing dask.distributed scheduler (for example "
                        "tcp://10.0.0.5:8786) instead of local processes; the records are identical to a local run "
                        "(needs the distributed package, and this package importable on the workers; default: "
                        "local)")
    p.add_argument("--force-workers", action="store_true",
                   help=f"allow --workers above the number of cores (at most {MAX_WORKERS}; default: off)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr (default: shown, "
                   "except with --json)")
    add_json_flag(p)
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    """Run the verification ``args`` describe and print its report; returns 0 if it passed, else 1."""
    import dataclasses

    from theory.simulate.sweep import SweepError, available_cores
    from theory.verify import DEFAULT, QUICK, verify

    cores = available_cores()
    if args.force_workers and args.workers is None:
        raise UsageError("--force-workers needs --workers")
    if args.workers is not None and args.workers > MAX_WORKERS:
        raise UsageError(f"--workers {args.workers}: at most {MAX_WORKERS} worker processes (an internal limit; "
                         f"this machine has {cores} available core(s))")
    if args.workers is not None and args.workers > cores and not args.force_workers:
        raise UsageError(f"--workers {args.workers} is more than the {cores} CPU core(s) available: extra workers "
                         f"add memory (each holds its own SymPy and NumPy, about 200 MB), not speed; pass "
                         f"--force-workers to use them anyway")
    if args.profile is not None and args.quick and args.profile != "quick":
        raise UsageError(f"--quick and --profile {args.profile} ask for different sizes; give one")
    if args.profile == "large" and args.d is not None:
        raise UsageError("--profile large chooses its own dimensions: --d does not apply")
    cfg = QUICK if args.quick or args.profile == "quick" else DEFAULT
    # make_rule sees exactly the options given, so it can refuse those that do not apply
    rule_from_args(args, default_rule=cfg.rule, default_target=cfg.target)
    changes = {k: getattr(args, k) for k in ("rule", "target", "student", "loss", "a", "order", "psi", "noise",
                                             "runs", "kappa", "seed", "start") if getattr(args, k) is not None}
    if args.d_large is not None:
        if len(set(args.d_large)) < 3:
            raise UsageError("--d-large needs at least 3 distinct dimensions for a fit")
        changes["ds_large"] = tuple(sorted(set(args.d_large)))
    if args.eta_top is not None:
        changes["eta_top_fraction"] = args.eta_top
    if args.keep_a:
        changes["keep_a"] = True
    if getattr(args, "depth", None) is not None:  # make_rule above has checked it
        from theory.rules.alternating import depth_option

        changes["depth"] = depth_option(args.depth)
    if args.signed:
        changes["signed"] = True
    if args.d is not None:
        if len(set(args.d)) < 3:
            raise UsageError("--d needs at least 3 distinct dimensions for a fit")
        ds = tuple(sorted(set(args.d)))
        changes.update(ds_scaling=ds, ds_threshold=ds, fig_d=50 if 50 in ds else ds[len(ds) // 2])
    cfg = dataclasses.replace(cfg, **changes)
    if args.dask_scheduler is not None and (args.workers is not None or args.force_workers):
        raise UsageError("--dask-scheduler runs on the cluster's workers: --workers and --force-workers do not apply")
    executor, client = None, None
    if args.dask_scheduler is not None:
        client = _dask_client(args.dask_scheduler)
        executor = client.get_executor()
    else:
        from theory.simulate.sweep import SerialExecutor, one_native_thread, worker_pool

        one_native_thread()  # one worker is one core, this process included (see one_native_thread)
        workers = args.workers if args.workers is not None else cores
        # one worker means this process, not a pool sized by the sweep
        executor = worker_pool(workers) if workers > 1 else SerialExecutor()
    try:
        transition = None
        if args.profile == "large":
            from theory.verify.profiles import profile_config

            cfg, transition = profile_config("large", cfg, executor)
            if args.runs is not None:
                cfg = dataclasses.replace(cfg, runs=args.runs)
        report = verify(cfg, out_dir=args.out, executor=executor, resume=args.resume,
                        progress=not args.no_progress and not args.json, transition=transition)
    except OSError as exc:  # a file of the output folder could not be written (disk full, permissions)
        name = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        raise CommandError(f"verify: cannot write{name}: {exc.strerror or exc}") from None
    except SweepError as exc:
        if isinstance(exc.__cause__, TheoryInputError):
            raise CommandError(f"verify: {exc.__cause__}") from None
        raise
    finally:
        if executor is not None:
            executor.shutdown()
        if client is not None:
            client.close()
    emit(report.to_dict(), args.json, report.table())
    return 0 if report.passed else 1


def _dask_client(address: str):
    """A ``dask.distributed`` client connected to ``address``, or a one-line error naming it."""
    try:
        from distributed import Client
    except ImportError:
        raise CommandError("--dask-scheduler needs the 'distributed' package (pip install \"dask[distributed]\")") \
            from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise CommandError(f"--dask-scheduler {address!r}: cannot connect ({exc})") from None
