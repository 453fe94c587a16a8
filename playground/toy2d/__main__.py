"""Train a 2-D GAN without the UI and print its mode metrics.

    python -m playground.toy2d --list-presets
    python -m playground.toy2d --preset "Mode collapse" --seed 0 --json
    python -m playground.toy2d --preset "Cure: PacGAN" --seeds 0-7
    python -m playground.toy2d --dataset grid25 --loss wgan_gp --d-steps 5 --iterations 5000 --seeds 0-3 --json

Flags after ``--preset`` override the preset's settings (e.g. ``--preset "Mode collapse" --pack 4``).

    python -m playground.toy2d reproduce {veegan-table1,pacgan-table1} [--runs N] [--quick] [--data ring|grid]

trains the lab on a paper's benchmark and prints its table beside the published one
(:mod:`playground.toy2d.reproduce`).

Bad arguments print one line starting with "error:" and exit with code 2, checked before training.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import fields

import torch

from playground import cli_common, safe_input
from playground.errors import UserError
from playground.toy2d.config import SETTINGS, ToyConfig
from playground.toy2d.presets import PRESETS, make_trainer
from playground.toy2d.trainer import Trainer

SUMMARY_KEYS = ("modes_covered", "modes_hit", "modes_total", "high_quality", "reverse_kl")
MAX_SEEDS = 1000  # runs one call may ask for
MAX_SEED = 2**31 - 1  # as ToyConfig.seed
MAX_ITERATIONS = 10_000_000


def parse_seeds(text: str) -> list[int]:
    """ "3" -> [3]; "0-7" -> [0..7]; "1,4,9" -> [1, 4, 9]; at most MAX_SEEDS seeds, each 0 .. MAX_SEED
    (a range's size is checked before it is expanded)."""
    if len(text) > 10_000:
        raise UserError(f"--seeds is {len(text):,} characters long; give at most {MAX_SEEDS} seeds.")
    out: list[int] = []
    for part in text.split(","):
        try:
            a, b = (int(x) for x in part.split("-")) if "-" in part else (int(part),) * 2
        except ValueError:  # not numbers, or "1-2-3"
            raise UserError(f"--seeds must look like 0-7 or 1,2,5 (got {safe_input.quote(text, 40)}).") from None
        if not 0 <= a <= b <= MAX_SEED:
            raise UserError(f"--seeds {safe_input.quote(part.strip(), 30)}: seeds go from 0 to {MAX_SEED:,}, "
                            "ranges upwards.")
        if len(out) + (b - a + 1) > MAX_SEEDS:
            raise UserError(f"--seeds asks for more than {MAX_SEEDS} runs.")
        out += range(a, b + 1)
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m playground.toy2d", description=__doc__.split("\n")[0],
                                epilog="The papers' mode-collapse tables, ours beside theirs: "
                                       "python -m playground.toy2d reproduce --help")
    p.add_argument("--preset", help="a preset name (see --list-presets)")
    p.add_argument("--list-presets", action="store_true", help="print the presets and exit")
    p.add_argument("--seed", type=int, help="one seed (default: the preset's / 0)")
    p.add_argument("--seeds", help="several seeds, e.g. 0-7: prints mean and standard error")
    p.add_argument("--iterations", type=int, help="training iterations (default: the preset's, else 2000)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest for these tiny nets)")
    p.add_argument("--freeze-g", action="store_true", help="train D alone against a fixed G")
    for name, st in SETTINGS.items():  # one flag per declared setting, typed and explained by it
        if name == "seed":
            continue
        flag = "--" + name.replace("_", "-")
        if st.kind == "bool":  # --conditional / --no-conditional
            p.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=st.help)
            continue
        kind = {"int": int, "float": float}.get(st.kind, str)
        allowed = f" ({', '.join(st.choices)})" if st.choices else f" ({st.lo:g} .. {st.hi:g})"
        p.add_argument(flag, dest=name, type=kind, default=None, help=st.help + allowed)
    return p


def run_one(args, seed: int) -> dict:
    overrides = {f.name: getattr(args, f.name) for f in fields(ToyConfig) if f.name != "seed" and getattr(args, f.name) is not None}
    if args.preset:
        trainer, iterations = make_trainer(args.preset, seed=seed, **overrides)
    else:
        trainer, iterations = Trainer(ToyConfig(**{**overrides, "seed": seed}), log_every=0), 2000
    if args.freeze_g:
        trainer.freeze_g = True
    iterations = args.iterations if args.iterations is not None else iterations
    t0 = time.perf_counter()
    trainer.step(iterations)
    seconds = time.perf_counter() - t0
    m = trainer.metrics()
    out = {k: m[k] for k in SUMMARY_KEYS}
    out.update(per_mode=m["per_mode"], iterations=iterations, seconds=round(seconds, 3), seed=seed)
    if m.get("label_accuracy") is not None:  # a conditional G: its samples on the mode asked for
        out["label_accuracy"] = m["label_accuracy"]
    if trainer.freeze_g or (args.preset and PRESETS[args.preset]["freeze_g"]):
        out["d_star_mae"] = trainer.d_vs_d_star()["mae"]
    return out


def mean_se(values: list[float | None]) -> tuple[float | None, float | None]:
    v = [x for x in values if x is not None]
    if not v:
        return None, None
    m = sum(v) / len(v)
    se = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1) / len(v)) if len(v) > 1 else 0.0
    return m, se


def check_args(args) -> None:
    """Numbers argparse let through, checked before any training."""
    safe_input.integer(args.threads, "--threads", 1, os.cpu_count() or 1)
    if args.iterations is not None:
        safe_input.integer(args.iterations, "--iterations", 0, MAX_ITERATIONS)
    if args.seed is not None:
        safe_input.integer(args.seed, "--seed", 0, MAX_SEED)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["reproduce"]:
        return cli_common.run(lambda: _reproduce(argv[1:]))
    args = build_parser().parse_args(argv)
    return cli_common.run(lambda: _main(args))


class _OneLineParser(argparse.ArgumentParser):
    """argparse's complaints as a UserError: one line and exit code 2, like every other bad argument."""

    def error(self, message: str):
        raise UserError(message[:1].upper() + message[1:] + f" (see {self.prog} --help).")


def build_reproduce_parser() -> argparse.ArgumentParser:
    from playground.toy2d import reproduce

    p = _OneLineParser(prog="python -m playground.toy2d reproduce",
                       description="Train the lab on a paper's mode-collapse benchmark; print ours beside theirs.")
    p.add_argument("table", help=f"one of: {', '.join(reproduce.TABLES)}")
    p.add_argument("--runs", help="runs (seeds 0 .. N-1) per line (default: the table's; 1 .. 100)")
    p.add_argument("--quick", action="store_true", help="a short smoke test of each line's direction")
    p.add_argument("--data", help=f"only this data set: {', '.join(reproduce.BENCHMARKS)}")
    p.add_argument("--threads", default="1", help="torch threads (1 is fastest for these small nets)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return p


def _reproduce(argv: list[str]) -> int:
    from playground.toy2d import reproduce

    args = build_reproduce_parser().parse_args(argv)
    reproduce.check_table(args.table)
    if args.data is not None:
        reproduce.check_data(args.data)
    runs = None if args.runs is None else reproduce.check_runs(args.runs)
    torch.set_num_threads(safe_input.integer(args.threads, "--threads", 1, os.cpu_count() or 1))
    progress = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    t0 = time.perf_counter()
    results = reproduce.reproduce(args.table, runs=runs, quick=args.quick, data=args.data, progress=progress)
    print(reproduce.format_table(args.table, results, quick=args.quick, seconds=time.perf_counter() - t0))
    return 0


def _main(args) -> int:
    check_args(args)
    torch.set_num_threads(args.threads)
    if args.list_presets:
        if args.json:
            print(json.dumps({k: {"description": v["description"], "iterations": v["iterations"], "config": v["config"].to_dict()} for k, v in PRESETS.items()}))
        else:
            for name, p in PRESETS.items():
                print(f"{name}\n    {p['description']}\n    ({p['iterations']} iterations)")
        return 0
    if args.preset and args.preset not in PRESETS:
        raise UserError(f"Unknown preset {safe_input.quote(args.preset)}; choose one of: {', '.join(PRESETS)}.")
    seeds = parse_seeds(args.seeds) if args.seeds else [args.seed if args.seed is not None else 0]
    runs = [run_one(args, s) for s in seeds]
    if len(runs) == 1:
        result = runs[0]
    else:
        result = {"seeds": seeds, "runs": runs, "iterations": runs[0]["iterations"], "seconds": round(sum(r["seconds"] for r in runs), 3)}
        for k in ("modes_covered", "modes_hit", "high_quality", "reverse_kl", "d_star_mae"):
            if k in runs[0]:
                result[k], result[k + "_se"] = mean_se([r[k] for r in runs])
        result["modes_total"] = runs[0]["modes_total"]
        if "label_accuracy" in runs[0]:
            result["label_accuracy"], result["label_accuracy_se"] = mean_se([r["label_accuracy"] for r in runs])
    if args.json:
        print(json.dumps(result))
    else:
        print(_human(result, args.preset))
        if "label_accuracy" in result:
            se = f" ± {100 * result['label_accuracy_se']:.1f}%" if "label_accuracy_se" in result else ""
            print(f"  label accuracy {100 * result['label_accuracy']:.1f}%{se} (samples nearest the mode they were asked for)")
    return 0


def _human(r: dict, preset: str | None) -> str:
    head = f"{preset or 'custom config'}: {r['iterations']} iterations"
    if "runs" in r:
        lines = [head + f" x {len(r['runs'])} seeds ({r['seconds']:.1f} s)"]
        for run in r["runs"]:
            lines.append(f"  seed {run['seed']}: {run['modes_covered']}/{run['modes_total']} modes covered "
                         f"(hit {run['modes_hit']}), HQ {_pct(run['high_quality'])}")
        lines.append(f"  modes covered {r['modes_covered']:.2f} ± {r['modes_covered_se']:.2f} of {r['modes_total']}")
        lines.append(f"  modes hit {r['modes_hit']:.2f} ± {r['modes_hit_se']:.2f} (the papers' count: one sample)")
        if r.get("high_quality") is not None:
            lines.append(f"  high quality {100 * r['high_quality']:.1f}% ± {100 * r['high_quality_se']:.1f}%")
        if r.get("reverse_kl") is not None:
            lines.append(f"  mode-histogram KL {r['reverse_kl']:.3f} ± {r['reverse_kl_se']:.3f}")
        if "d_star_mae" in r:
            lines.append(f"  |D - D*| {r['d_star_mae']:.4f} ± {r['d_star_mae_se']:.4f}")
        return "\n".join(lines)
    kl = "n/a" if r["reverse_kl"] is None else f"{r['reverse_kl']:.3f}"
    s = (f"{head} ({r['seconds']:.1f} s): {r['modes_covered']}/{r['modes_total']} modes covered (hit {r['modes_hit']}), "
         f"HQ {_pct(r['high_quality'])}, mode-histogram KL {kl}")
    if "d_star_mae" in r:
        s += f", |D - D*| {r['d_star_mae']:.4f}"
    return s


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


if __name__ == "__main__":
    sys.exit(main())
