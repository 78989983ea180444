"""argparse in French: usage, section titles, generated help and error messages.

argparse passes every message it prints through ``gettext`` (``argparse._`` and
``argparse.ngettext``, looked up when the message is made). :func:`french` puts a
translation table in their place while the ``drane`` command builds its parser and parses
its arguments, then restores them: ``usage :``, ``options :``, ``arguments positionnels``,
``argument --jobs : valeur entière invalide : 'x'``, ``choix invalide``, ``arguments requis
manquants``… with argparse's exit code 2 unchanged. A message missing from the table stays
in English (a newer Python's new message): ``tests/unit/test_argparse_fr.py`` lists every
message of the running Python's argparse and fails on one that is neither translated nor
known to concern only the program's author.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

#: argparse's messages in French. Section titles end with a space: argparse adds the colon
#: (« options : », French typography).
MESSAGES: dict[str, str] = {
    "usage: ": "usage : ",
    "positional arguments": "arguments positionnels ",
    "options": "options ",
    "show this help message and exit": "afficher cette aide et quitter",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "the following arguments are required: %s": "arguments requis manquants : %s",
    "one of the arguments %s is required": "l'un des arguments %s est requis",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "ignored explicit argument %r": "valeur ignorée : %r (cette option n'en prend pas)",
    "expected one argument": "une valeur attendue",
    "expected at most one argument": "au plus une valeur attendue",
    "expected at least one argument": "au moins une valeur attendue",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut être %(matches)s",
    "unexpected option string: %s": "option inattendue : %s",
    "invalid %(type)s value: %(value)r": "valeur invalide pour le type %(type)s : %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (choisir parmi %(choices)s)",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "commande inconnue %(parser_name)r (choix : %(choices)s)",
    "can't open '%(filename)s': %(error)s": "impossible d'ouvrir « %(filename)s » : %(error)s",
    'argument "-" with mode %r': "argument « - » (entrée ou sortie standard) impossible en mode %r",
}

#: argparse's messages with a plural: (singular, plural) → (singulier, pluriel).
PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("expected %s argument", "expected %s arguments"): ("%s valeur attendue", "%s valeurs attendues"),
}

#: Messages about a mistake in the program's parser, never in a user's command (left in English).
AUTHOR_MESSAGES = frozenset({
    ".__call__() not defined", "conflicting subparser: %s", "conflicting subparser alias: %s",
    "cannot merge actions - two groups are named %r", "'required' is an invalid argument for positionals",
    "invalid option string %(option)r: must start with a character %(prefix_chars)r",
    "dest= is required for options like %r", "invalid conflict_resolution value: %r",
    "mutually exclusive arguments must be optional", "cannot have multiple subparser arguments",
    "%r is not callable", "conflicting option string: %s", "conflicting option strings: %s",
})


def _gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    one, many = PLURALS.get((singular, plural), (singular, plural))
    return one if n == 1 else many


@contextlib.contextmanager
def french() -> Iterator[None]:
    """argparse speaks French inside this block (build the parser and parse in it)."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = _gettext, _ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


def integer(text: str) -> int:
    """An ``int`` argument, refused in French (``valeur entière invalide : 'x'``)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"valeur entière invalide : {text!r}") from None
