"""The ``drane`` command.

::

    drane demo-data --out DIR [--seed N] [--scale regional|national]   write the demo data (real export formats)
    drane validate [--data DIR] [--detail]       check every file, list every problem
    drane indicators [--academy A] [--period P] [--target T] [--format table|csv|json] [--data DIR] [--jobs N]
    drane build [--target T…] [--academy A…] [--period P…] [--data DIR] [--out DIR] [--jobs N]
                [--force] [--scheduler ADDRESS]
    drane sources                                the declared sources and their folders
    drane fetch-open-data [--data DIR] [--dataset NAME…] [--list]   real open data of the region
    drane share --target T --academy A [--period P] --out FILE.zip   a partner lab's bundle (share.py)

Exit codes: 0 success; 1 a report failed to build, or ``validate`` found problems;
2 wrong arguments; 3 unusable data (a source is missing or broken); 4 another build is
running on the same output folder; 5 unexpected error (traceback in the build's log), or
the output folder cannot be written (a full disk: nothing published, the previous reports
stay). An error of the project (:class:`~drane_analysis.errors.DraneError`) stops the
command with its French message and its own ``exit_code``, without a traceback.
``drane build`` takes ``--quiet`` (print only problems) and writes a log file per build
(``OUT/journaux/``): see :mod:`drane_analysis.schedule`. Bad data never
prints a traceback: every problem is named (file, line, column, what was expected).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import warnings
from pathlib import Path

from .errors import EXIT_DATA, EXIT_FAILED, EXIT_OK, EXIT_USAGE, DraneError


def _parser() -> argparse.ArgumentParser:
    """The command's parser; build it and parse inside :func:`.argparse_fr.french` (argparse in French)."""
    from . import __version__
    from .argparse_fr import integer

    p = argparse.ArgumentParser(prog="drane", description="Observatoire des usages du numérique éducatif "
                                                          "(région académique Nouvelle-Aquitaine).",
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="codes de sortie :\n"
                                       "  0  succès\n"
                                       "  1  un rapport a échoué (l'index le signale) ou « validate » a trouvé des "
                                       "problèmes\n"
                                       "  2  arguments invalides\n"
                                       "  3  données inutilisables (lancer « drane validate »)\n"
                                       "  4  une autre construction est en cours sur le même dossier de sortie\n"
                                       "  5  erreur inattendue, ou dossier de sortie impossible à écrire (disque plein) : "
                                       "rien n'est publié, le détail est dans le journal de la construction\n\n"
                                       "Aide d'une commande : drane COMMANDE --help. Sur un terminal, une barre de "
                                       "progression montre le temps écoulé et le temps restant estimé.")
    p.add_argument("--version", action="version", version=f"drane-analysis {__version__}",
                   help="afficher la version et quitter")
    sub = p.add_subparsers(dest="command", required=True, metavar="commande",
                           title="commandes ")  # argparse adds the colon: « commandes : »

    demo = sub.add_parser("demo-data", help="écrire les données de démonstration",
                          description="Écrire les données de démonstration (formats réels des exports, "
                                      "déterministes : même graine, mêmes octets).")
    demo.add_argument("--out", required=True, type=Path, metavar="DOSSIER",
                      help="dossier à écrire (vide ou déjà de démonstration)")
    demo.add_argument("--seed", type=integer, default=None, metavar="N", help="graine (défaut : 2021)")
    demo.add_argument("--scale", choices=["regional", "national"], default="regional",
                      help="regional (défaut) ou national : le reste du pays en plus dans les jeux nationaux "
                           "(annuaire, IPS, effectifs, spécialités ; environ 60 000 établissements)")

    val = sub.add_parser("validate", help="contrôler tous les fichiers d'un dossier de données",
                         description="Contrôler tous les fichiers d'un dossier de données : chaque problème est "
                                     "nommé (fichier, ligne, colonne, ce qui était attendu), source par source.")
    val.add_argument("--data", default="", metavar="DOSSIER",
                     help="dossier de données (défaut : data/raw s'il est rempli, sinon data/demo)")
    val.add_argument("--detail", action="store_true", help="un problème par fichier, sans regroupement")
    val.add_argument("--source", action="append", metavar="SOURCE",
                     help="ne contrôler que cette source (répétable ; « drane sources » les liste)")

    ind = sub.add_parser("indicators", help="afficher la table des indicateurs",
                         description="Afficher la table des indicateurs (valeur, intervalle, objectif, statut).")
    ind.add_argument("--academy", action="append", metavar="PÉRIMÈTRE",
                     help="bordeaux, limoges, poitiers ou region (répétable)")
    ind.add_argument("--period", action="append", metavar="ANNÉE",
                     help="année scolaire, ex. 2022-2023, ou latest (répétable)")
    ind.add_argument("--target", action="append", metavar="CIBLE", help="cible, ex. 1.1 (répétable)")
    ind.add_argument("--format", choices=["table", "csv", "json"], default="table",
                     help="table (défaut) pour lire, csv ou json pour un autre outil")
    ind.add_argument("--data", default="", metavar="DOSSIER", help="dossier de données")
    ind.add_argument("--jobs", type=integer, default=None, metavar="N",
                     help="processus calculant les cibles en parallèle (défaut : nombre de cœurs)")

    b = sub.add_parser("build", help="construire les rapports HTML et l'index",
                       description="Construire les rapports HTML et l'index : seulement ce qui a changé depuis la "
                                   "dernière construction (--force : tout).")
    b.add_argument("--target", action="append", metavar="CIBLE",
                   help="cible (répétable ; défaut : toutes celles qui ont un notebook)")
    b.add_argument("--academy", action="append", metavar="PÉRIMÈTRE",
                   help="bordeaux, limoges, poitiers ou region (répétable ; défaut : les quatre)")
    b.add_argument("--period", action="append", metavar="ANNÉE",
                   help="année scolaire, ex. 2024-2025 (répétable ; défaut : la plus récente)")
    b.add_argument("--data", default="", metavar="DOSSIER", help="dossier de données")
    b.add_argument("--out", default="", metavar="DOSSIER", help="dossier de sortie (défaut : outputs/)")
    b.add_argument("--jobs", type=integer, default=None, metavar="N",
                   help="processus en parallèle (défaut : nombre de cœurs)")
    b.add_argument("--force", action="store_true",
                   help="reconstruire tous les rapports demandés, même ceux qui sont à jour")
    b.add_argument("--scheduler", default=None, metavar="ADRESSE",
                   help="construire sur une grappe Dask distributed (ex. tcp://hote:8786) dont les workers "
                        "voient les mêmes dossiers de données et de sortie")
    # Unattended runs (cron, systemd timer): see schedule.py and docs/guide-analyste.md.
    b.add_argument("--quiet", action="store_true",
                   help="n'afficher que les problèmes, sans barre de progression (pour cron ou un timer "
                        "systemd) ; tout va au journal")
    b.add_argument("--log-dir", default="", metavar="DOSSIER", help="dossier des journaux (défaut : SORTIE/journaux)")

    sub.add_parser("sources", help="lister les sources déclarées",
                   description="Lister les sources déclarées, leurs dossiers et leurs formats.")

    # Partner-lab bundles (share.py): notebook, pseudonymised extract, library, params, README.
    sh = sub.add_parser("share", help="préparer le lot d'un rapport pour un laboratoire partenaire (Inria, CeRCA)",
                        description="Préparer le lot d'un rapport pour un laboratoire partenaire : notebook, extrait "
                                    "pseudonymisé, bibliothèque, paramètres, hypothèses et limites.")
    sh.add_argument("--target", required=True, metavar="CIBLE", help="cible, ex. 1.1")
    sh.add_argument("--academy", required=True, metavar="PÉRIMÈTRE", help="bordeaux, limoges, poitiers ou region")
    sh.add_argument("--period", default="latest", metavar="ANNÉE",
                    help="année scolaire, ex. 2025-2026 (défaut : la plus récente)")
    sh.add_argument("--out", required=True, type=Path, metavar="FICHIER", help="fichier .zip à écrire")
    sh.add_argument("--data", default="", metavar="DOSSIER", help="dossier de données (exports d'origine)")
    sh.add_argument("--outputs", default="", metavar="DOSSIER",
                    help="dossier des rapports publiés (défaut : outputs/), pour la référence")

    fod = sub.add_parser("fetch-open-data", help="télécharger les données ouvertes réelles de la région",
                         description="Télécharger les données ouvertes réelles de la région depuis "
                                     "data.education.gouv.fr, chaque fichier contrôlé avant de remplacer le précédent.")
    fod.add_argument("--data", default="", metavar="DOSSIER", help="dossier de données à remplir (défaut : data/raw)")
    fod.add_argument("--dataset", action="append", metavar="JEU",
                     help="ne télécharger que ce jeu (répétable ; --list pour les voir)")
    fod.add_argument("--list", action="store_true", help="lister les jeux de données et leurs adresses")
    fod.add_argument("--base-url", default="", help=argparse.SUPPRESS)  # tests: a local copy of the portal
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the ``drane`` command with ``argv`` (default: the command line); return its exit code."""
    from . import progress
    from .argparse_fr import french

    with french():
        args = _parser().parse_args(argv)
    # A live progress bar when standard error is a terminal, plain lines otherwise (logs, cron).
    if not getattr(args, "quiet", False):
        progress.enable()
    shown = warnings.showwarning
    warnings.showwarning = functools.partial(_show_warning, shown)
    try:
        return {
            "demo-data": _demo_data, "validate": _validate, "indicators": _indicators, "build": _build,
            "sources": _sources, "fetch-open-data": _fetch_open_data, "share": _share,
        }[args.command](args)
    except DraneError as exc:  # every error of the project: its French message and its exit code
        _err(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrompu", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = shown
        progress.disable()
        if argv is None:  # the command line's process, about to exit
            # Its last garbage collections would walk every object pandas and pyarrow made
            # (0.2-0.4 s at the end of each command, for memory the exit gives back anyway).
            import gc

            gc.freeze()


def _show_warning(others, message, category, filename, lineno, file=None, line=None) -> None:
    """A data warning (a Windows-1252 file read…) as the command's other messages: « drane :
    avertissement — fichier, ligne : … » on standard error, not Python's file and line;
    ``others`` shows any other warning."""
    if category.__name__ == "DataWarning" and category.__module__ == "drane_analysis.sources.base":
        from . import progress

        progress.echo(f"drane : {message}", sys.stderr)
        return
    others(message, category, filename, lineno, file, line)


def _err(message: str) -> None:
    print(f"drane : {message}", file=sys.stderr)


def _demo_data(args: argparse.Namespace) -> int:
    from .demo import DEFAULT_SEED, generate

    files = generate(args.out, seed=args.seed if args.seed is not None else DEFAULT_SEED,
                     progress=lambda m: print(f"  {m}", flush=True), scale=args.scale)
    print(f"{len(files)} fichiers écrits dans {args.out}")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from . import progress, sources
    from .paths import resolve_data_dir
    from .sources.base import summarise

    base = resolve_data_dir(args.data)
    if not base.is_dir():
        _err(f"dossier de données introuvable : {base}")
        return EXIT_USAGE
    try:
        names = [sources.contract(n).name for n in args.source] if args.source else sources.names()
    except KeyError as exc:
        _err(str(exc.args[0]))
        return EXIT_USAGE
    total = warned = 0
    progress.echo(f"Contrôle de {base}")
    results = sources.validate_each(base, only=names)
    # Each source's result as soon as it is read; on a terminal, a bar under them, in bytes
    # read (the time left follows the sizes: the Pix Certif exports are most of it).
    sizes = {n: _size(sources.contract(n).files(base)) for n in names} if progress.active() else {}
    with progress.bar(max(1, sum(sizes.values())), "Contrôle", in_bytes=True, tick=True) as bar:
        for k, name in enumerate(names, 1):
            bar.describe(f"Contrôle {k}/{len(names)} : {name:<32}")
            _, res = next(results)
            bar.update(sizes.get(name, 0))
            c = sources.contract(name)
            if not res.files:
                progress.echo(f"  · {name:<32} aucun fichier ({c.folder}/)")
                continue
            errors = res.errors
            warnings_ = [p for p in res.problems if p.severity == "warning"]
            total += len(errors)
            warned += len(warnings_)
            state = "ok" if not errors else f"{len(errors)} problème(s)"
            if warnings_:
                state += f", {len(warnings_)} avertissement(s)"
            progress.echo(f"  {'✓' if not errors else '✗'} {name:<32} {len(res.files)} fichier(s), {state}")
            lines = [p.format() for p in res.problems] if args.detail else summarise(res.problems)
            for line in lines:
                progress.echo(f"      - {line}")
    if total:
        progress.echo(f"{total} problème(s) : corrigez les fichiers signalés puis relancez « drane validate ».")
        return EXIT_FAILED
    progress.echo("Aucun problème." if not warned else
                  f"Aucun problème ; {warned} avertissement(s) ci-dessus : les fichiers sont lus quand même.")
    return EXIT_OK


def _size(files: list[Path]) -> int:
    """Total size of ``files`` (a partner-lab extract lists files it does not hold: 0)."""
    return sum(f.stat().st_size for f in files if f.is_file())


def _indicators(args: argparse.Namespace) -> int:
    from . import referential
    from .data import Data
    from .paths import resolve_data_dir
    from .targets import indicator_table

    base = resolve_data_dir(args.data)
    if not base.is_dir():
        _err(f"dossier de données introuvable : {base}")
        return EXIT_USAGE
    try:
        for a in args.academy or []:
            referential.check_scope(a)
        data = Data(base)
        periods = [data.resolve_period(p) for p in (args.period or ["latest"])]
        table = indicator_table(data, targets=args.target, scopes=args.academy, periods=periods,
                                jobs=args.jobs or os.cpu_count() or 1)
    except DraneError:
        raise  # its own exit code (main), even when it is also a ValueError
    except ValueError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except KeyError as exc:
        _err(str(exc.args[0]))
        return EXIT_USAGE
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        sys.stdout.write(table.to_json(orient="records", force_ascii=False, indent=1) + "\n")
    else:
        import pandas as pd

        from .coverage import format_share
        from .coverage import rules as coverage_rules
        from .formatting import fmt_interval, fmt_value

        view = pd.DataFrame({
            "cible": table["target"], "indicateur": table["indicator"], "périmètre": table["academy"],
            "année": table["period"],
            "valeur": [fmt_value(v, u) for v, u in zip(table["value"], table["unit"], strict=True)],
            "IC 95 %": [fmt_interval(lo, hi, u) for lo, hi, u in zip(table["ci_low"], table["ci_high"],
                                                                     table["unit"], strict=True)],
            "objectif": table["objective_label"].replace("", "—"), "statut": table["status_label"],
            "écart comblé": [fmt_value(g, "percent") for g in table["gap_closed"]],
            "lecture": table["reading"].replace("", "—"),
            "couverture": [format_share(c) for c in table["coverage"]],
        })
        with pd.option_context("display.max_rows", None, "display.max_colwidth", 60, "display.width", 200):
            print(view.to_string(index=False))
        notes = [f"- {t} {i} {a} {p} : {n}" for t, i, a, p, n in zip(
            table["target"], table["indicator"], table["academy"], table["period"], table["coverage_note"],
            strict=True) if n]
        if notes:
            print("\nCouverture des rapprochements entre sources (statut suspendu sous "
                  f"{format_share(coverage_rules().min_coverage)}) :")
            print("\n".join(notes))
    return EXIT_OK


def _build(args: argparse.Namespace) -> int:
    from .build import build
    from .paths import outputs_dir
    from .schedule import Journal, run_logged

    out = Path(args.out) if args.out else outputs_dir()

    def job(journal: Journal) -> int:
        try:
            summary = build(targets=args.target, academies=args.academy, periods=args.period, data_dir=args.data,
                            out_dir=out, jobs=args.jobs, say=journal.say, force=args.force,
                            scheduler=args.scheduler)
        except DraneError as exc:  # bad arguments, unusable data, a full disk…: said, no traceback
            journal.error(str(exc))
            return exc.exit_code
        except ValueError as exc:
            journal.error(str(exc))
            return EXIT_USAGE
        if args.quiet:
            for res in summary.failed:
                j = res.job
                first = "\n  ".join(res.message.splitlines()[:6]) if res.message else "erreur"
                journal.error(f"échec du rapport cible {j.target} {j.academy} {j.period} : {first}")
        journal.say(f"Index : {summary.index.absolute()}")  # not resolved: the link readers open
        return summary.exit_code

    return run_logged(job, out, quiet=args.quiet, log_dir=Path(args.log_dir) if args.log_dir else None,
                      command=" ".join(["drane", *sys.argv[1:]]) if sys.argv else "drane build")


def _sources(args: argparse.Namespace) -> int:
    from . import sources

    for name in sources.names():
        c = sources.contract(name)
        kind = "format public" if c.public_format else "contrat du projet"
        print(f"{name:<32} {c.folder + '/':<34} {kind:<18} {c.title}")
    return EXIT_OK


def _share(args: argparse.Namespace) -> int:
    from . import progress
    from .share import share

    result = share(args.target, args.academy, args.period, args.out, data_dir=args.data,
                   outputs=args.outputs or None, say=progress.echo)
    print(f"{len(result.sources)} source(s) pseudonymisée(s) ; la clé reste dans data/secret/ (jamais dans un lot)")
    return EXIT_OK


def _fetch_open_data(args: argparse.Namespace) -> int:
    from . import progress
    from .opendata import DATASETS, fetch
    from .paths import raw_data_dir

    if args.list:
        for d in DATASETS.values():
            print(f"{d.name:<34} {d.folder + '/':<14} {d.title}")
        return EXIT_OK
    target = Path(args.data).expanduser() if args.data else raw_data_dir()
    try:
        results = fetch(target, only=args.dataset, base_url=args.base_url or None, say=progress.echo)
    except KeyError as exc:
        _err(str(exc.args[0]))
        return EXIT_USAGE
    failed = [r for r in results if not r.ok]
    for r in failed:
        _err(r.message)
    print(f"{len(results) - len(failed)} jeu(x) de données à jour dans {target}, {len(failed)} échec(s) ; "
          f"provenance : {target / 'provenance-donnees-ouvertes.json'}")
    return EXIT_OK if not failed else EXIT_DATA


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
