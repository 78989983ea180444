"""The ``drane`` command.

::

    drane demo-data --out DIR [--seed N]         write the demo data (real export formats)
    drane validate [--data DIR] [--detail]       check every file, list every problem
    drane indicators [--academy A] [--period P] [--target T] [--format table|csv|json] [--data DIR]
    drane build [--target T…] [--academy A…] [--period P…] [--data DIR] [--out DIR] [--jobs N]
    drane sources                                the declared sources and their folders

Exit codes: 0 success; 1 a report failed to build, or ``validate`` found problems;
2 wrong arguments; 3 unusable data (a source is missing or broken). Bad data never
prints a traceback: every problem is named (file, line, column, what was expected).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DATA = 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="drane", description="Observatoire des usages du numérique éducatif "
                                                          "(région académique Nouvelle-Aquitaine).")
    sub = p.add_subparsers(dest="command", required=True, metavar="commande")

    demo = sub.add_parser("demo-data", help="écrire les données de démonstration")
    demo.add_argument("--out", required=True, type=Path, help="dossier à écrire (vide ou déjà de démonstration)")
    demo.add_argument("--seed", type=int, default=None, help="graine (défaut : 2021)")

    val = sub.add_parser("validate", help="contrôler tous les fichiers d'un dossier de données")
    val.add_argument("--data", default="", help="dossier de données (défaut : data/raw s'il est rempli, sinon data/demo)")
    val.add_argument("--detail", action="store_true", help="un problème par fichier, sans regroupement")
    val.add_argument("--source", action="append", help="ne contrôler que cette source (répétable)")

    ind = sub.add_parser("indicators", help="afficher la table des indicateurs")
    ind.add_argument("--academy", action="append", help="bordeaux, limoges, poitiers ou region (répétable)")
    ind.add_argument("--period", action="append", help="année scolaire, ex. 2022-2023, ou latest (répétable)")
    ind.add_argument("--target", action="append", help="cible, ex. 1.1 (répétable)")
    ind.add_argument("--format", choices=["table", "csv", "json"], default="table")
    ind.add_argument("--data", default="", help="dossier de données")

    b = sub.add_parser("build", help="construire les rapports HTML et l'index")
    b.add_argument("--target", action="append", help="cible (répétable ; défaut : toutes celles qui ont un notebook)")
    b.add_argument("--academy", action="append", help="périmètre (répétable ; défaut : les quatre)")
    b.add_argument("--period", action="append", help="année scolaire (répétable ; défaut : la plus récente)")
    b.add_argument("--data", default="", help="dossier de données")
    b.add_argument("--out", default="", help="dossier de sortie (défaut : outputs/)")
    b.add_argument("--jobs", type=int, default=None, help="processus en parallèle (défaut : nombre de cœurs)")

    sub.add_parser("sources", help="lister les sources déclarées")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {
            "demo-data": _demo_data, "validate": _validate, "indicators": _indicators, "build": _build,
            "sources": _sources,
        }[args.command](args)
    except KeyboardInterrupt:
        print("interrompu", file=sys.stderr)
        return 130


def _err(message: str) -> None:
    print(f"drane : {message}", file=sys.stderr)


def _demo_data(args: argparse.Namespace) -> int:
    from .demo import DEFAULT_SEED, DemoDataError, generate

    try:
        files = generate(args.out, seed=args.seed if args.seed is not None else DEFAULT_SEED,
                         progress=lambda m: print(f"  {m}", flush=True))
    except DemoDataError as exc:
        _err(str(exc))
        return EXIT_USAGE
    print(f"{len(files)} fichiers écrits dans {args.out}")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from . import sources
    from .paths import resolve_data_dir
    from .sources.base import summarise

    base = resolve_data_dir(args.data)
    if not base.is_dir():
        _err(f"dossier de données introuvable : {base}")
        return EXIT_USAGE
    try:
        results = sources.validate(base, only=args.source)
    except KeyError as exc:
        _err(str(exc.args[0]))
        return EXIT_USAGE
    total = 0
    print(f"Contrôle de {base}")
    for name, res in results.items():
        c = sources.contract(name)
        errors = res.errors
        if not res.files:
            print(f"  · {name:<32} aucun fichier ({c.folder}/)")
            continue
        total += len(errors)
        state = "ok" if not errors else f"{len(errors)} problème(s)"
        print(f"  {'✓' if not errors else '✗'} {name:<32} {len(res.files)} fichier(s), {state}")
        lines = [p.format() for p in errors] if args.detail else summarise(errors)
        for line in lines:
            print(f"      - {line}")
    if total:
        print(f"{total} problème(s) : corrigez les fichiers signalés puis relancez « drane validate ».")
        return EXIT_FAILED
    print("Aucun problème.")
    return EXIT_OK


def _indicators(args: argparse.Namespace) -> int:
    from . import referential
    from .data import Data
    from .indicators import indicator_table
    from .paths import resolve_data_dir
    from .sources import DataError

    base = resolve_data_dir(args.data)
    if not base.is_dir():
        _err(f"dossier de données introuvable : {base}")
        return EXIT_USAGE
    try:
        for a in args.academy or []:
            referential.check_scope(a)
        data = Data(base)
        periods = [data.resolve_period(p) for p in (args.period or ["latest"])]
        table = indicator_table(data, targets=args.target, scopes=args.academy, periods=periods)
    except ValueError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except KeyError as exc:
        _err(str(exc.args[0]))
        return EXIT_USAGE
    except DataError as exc:
        _err(str(exc))
        return EXIT_DATA
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        sys.stdout.write(table.to_json(orient="records", force_ascii=False, indent=1) + "\n")
    else:
        from .report import fmt_interval, fmt_value

        import pandas as pd

        view = pd.DataFrame({
            "cible": table["target"], "indicateur": table["indicator"], "périmètre": table["academy"],
            "année": table["period"],
            "valeur": [fmt_value(v, u) for v, u in zip(table["value"], table["unit"], strict=True)],
            "IC 95 %": [fmt_interval(lo, hi, u) for lo, hi, u in zip(table["ci_low"], table["ci_high"],
                                                                     table["unit"], strict=True)],
            "objectif": table["objective_label"].replace("", "—"), "statut": table["status_label"],
        })
        with pd.option_context("display.max_rows", None, "display.max_colwidth", 60, "display.width", 200):
            print(view.to_string(index=False))
    return EXIT_OK


def _build(args: argparse.Namespace) -> int:
    from .build import BuildError, build

    try:
        summary = build(targets=args.target, academies=args.academy, periods=args.period, data_dir=args.data,
                        out_dir=args.out or None, jobs=args.jobs, say=lambda m: print(m, flush=True))
    except BuildError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except ValueError as exc:
        _err(str(exc))
        return EXIT_USAGE
    print(f"Index : {summary.index.resolve()}")
    return summary.exit_code


def _sources(args: argparse.Namespace) -> int:
    from . import sources

    for name in sources.names():
        c = sources.contract(name)
        kind = "format public" if c.public_format else "contrat du projet"
        print(f"{name:<32} {c.folder + '/':<34} {kind:<18} {c.title}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
