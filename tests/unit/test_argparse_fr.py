"""The ``drane`` command's help and argument errors in French (argparse_fr.py, cli.py)."""

from __future__ import annotations

import argparse
import ast
import inspect
import re

import pytest

from drane_analysis import __version__, argparse_fr, cli

ENGLISH = re.compile(r"usage:|options:|positional arguments|show this help|error:|\binvalid\b|\brequired\b|"
                     r"\bexpected\b|choose from|unrecognized|default:")


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    with argparse_fr.french():
        parser = cli._parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_message_of_this_python_argparse_is_translated_or_about_the_program_itself():
    source = inspect.getsource(argparse)
    literal = ast.literal_eval  # a message split on two lines is two literals: one string
    singles = {literal(f"({m})") for m in re.findall(r"""\b_\(((?:\s*'[^']*')+|(?:\s*"[^"]*")+)\s*\)""", source)}
    plurals = {(literal(a), literal(b)) for a, b in re.findall(r"ngettext\(\s*('[^']*'),\s*('[^']*')", source)}
    assert len(singles) > 20 and plurals
    missing = sorted(m for m in singles if m not in argparse_fr.MESSAGES and m not in argparse_fr.AUTHOR_MESSAGES)
    assert not missing, f"argparse messages neither translated nor known to be for the program's author: {missing}"
    missing_plurals = [p for p in plurals if p not in argparse_fr.PLURALS and p[0] not in argparse_fr.AUTHOR_MESSAGES]
    assert not missing_plurals, missing_plurals
    for english, french in argparse_fr.MESSAGES.items():  # the same placeholders, or formatting fails
        assert sorted(re.findall(r"%\(\w+\)[sr]|%[sr]", english)) == sorted(re.findall(r"%\(\w+\)[sr]|%[sr]", french))


def test_build_help_is_french_and_complete(capsys):
    code, out, _ = _run(["build", "--help"], capsys)
    assert code == 0
    assert out.startswith("usage : drane build [-h] [--target CIBLE] [--academy PÉRIMÈTRE]")
    assert "\noptions :\n" in out and "afficher cette aide et quitter" in out
    for option in ("--target CIBLE", "--academy PÉRIMÈTRE", "--period ANNÉE", "--data DOSSIER", "--out DOSSIER",
                   "--jobs N", "--force", "--scheduler ADRESSE", "--quiet", "--log-dir DOSSIER"):
        assert f"  {option}" in out, option
    assert not ENGLISH.search(out), out


def test_every_subcommand_and_option_has_a_french_help(capsys):
    for name, parser in _subcommands().items():
        assert parser.description, name
        for action in parser._actions:
            assert action.help, (name, action.option_strings)
        code, out, _ = _run([name, "--help"], capsys)
        assert code == 0 and out.startswith(f"usage : drane {name}") and "options :" in out
        assert not ENGLISH.search(out), (name, out)
    code, out, _ = _run(["--help"], capsys)
    assert code == 0 and "commandes :" in out and "codes de sortie :" in out and "--version" in out
    assert not ENGLISH.search(out), out


@pytest.mark.parametrize(("argv", "message"), [
    (["build", "--jobs", "x"], "drane build : erreur : argument --jobs : valeur entière invalide : 'x'"),
    (["demo-data", "--out", "d", "--seed", "1.5"], "argument --seed : valeur entière invalide : '1.5'"),
    (["indicators", "--format", "xml"], "argument --format : choix invalide : 'xml' (choisir parmi 'table', 'csv', "
                                        "'json')"),
    (["share", "--target", "1.1"], "drane share : erreur : arguments requis manquants : --academy, --out"),
    ([], "drane : erreur : arguments requis manquants : commande"),
    (["bild"], "argument commande : choix invalide : 'bild'"),
    (["build", "--target"], "argument --target : une valeur attendue"),
    (["build", "--quiet=oui"], "argument --quiet : valeur ignorée : 'oui'"),
    (["sources", "--tout"], "drane : erreur : arguments non reconnus : --tout"),
])
def test_argument_errors_are_french_with_exit_code_2(argv, message, capsys):
    code, out, err = _run(argv, capsys)
    assert code == 2 and out == ""
    assert message in err, err
    assert err.startswith("usage : drane")
    assert not ENGLISH.search(err), err


def test_version(capsys):
    code, out, _ = _run(["--version"], capsys)
    assert code == 0 and out == f"drane-analysis {__version__}\n"


def test_argparse_speaks_english_again_outside_the_command(capsys):
    parser = argparse.ArgumentParser(prog="other")
    parser.add_argument("--n", type=int)
    with pytest.raises(SystemExit):
        cli.main(["build", "--jobs", "x"])
    with pytest.raises(SystemExit):
        parser.parse_args(["--n", "x"])
    err = capsys.readouterr().err
    assert "other: error: argument --n: invalid int value: 'x'" in err
