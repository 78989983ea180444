"""No personal data in any output, small cells secret, partner-lab bundles that reproduce the report.

A copy of the demo data gets canaries — fake names, e-mails, birth places and free text in
the columns real exports fill with personal data (Pix candidates and jury comments, the
teachers' certification, trainers, relays, module titles) — and a tiny cell: one collège of
the Limoges academy with 2 pupils in 3e (1 certified) in a commune missing from the density
grid, so that it forms its own « Non renseigné » group in the territorial breakdown of the
Pix certification rate. Three reports are built (targets 1.1, 1.2 and 3.2, Limoges), with
their index, manifest and exports, and two partner-lab bundles (1.1 and 1.2). Then:

- no produced file (HTML report, executed notebook, index, manifest, CSV / xlsx / Parquet
  exports, every file of the bundles, Parquet included) contains a canary;
- the tiny group shows « s » (secret statistique) for its count, its numerator and its
  rate, and another group is hidden too (secondary suppression);
- a bundle holds no UAI, no establishment or commune name and no free text, and its
  notebook, re-run with the stock papermill on the bundle's extract, gives the same tables
  as the published report.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("privacy")]

BIN = Path(sys.executable).parent
DRANE = str(BIN / "drane")
PAPERMILL = str(BIN / "papermill")
PERIOD = "2025-2026"
CANARIES = {
    "first_name": "Zoëllinette",
    "last_name": "CANARIXOS",
    "birth_place": "Canaryville-sur-Test",
    "external_id": "CANARY-EXT-0042",
    "jury": "commentaire canari très confidentiel",
    "teacher": "PIAFFETTI",
    "trainer": "Canarius FORMATORIX",
    "relay_name": "Canarelli",
    "relay_mail": "piaf.canarelli@ac-limoges.fr",
    "module": "Module canari à ne jamais publier",
}


# --------------------------------------------------------------------------- planting


def _read(path: Path) -> tuple[list[str], list[list[str]], bool]:
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=";") if r]
    return rows[0], rows[1:], text.lstrip().startswith('"')


def _write(path: Path, header: list[str], rows: list[list[str]], quoted: bool) -> None:
    """Write a CSV in place of a hard link: the shared demo data are never touched."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n" if quoted else "\n",
                   quoting=csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL)
    w.writerow(header)
    w.writerows(rows)
    path.unlink(missing_ok=True)
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))


def _set(path: Path, edit) -> None:
    header, rows, quoted = _read(path)
    edit(header, rows)
    _write(path, header, rows, quoted)


@dataclass
class Planted:
    data: Path
    tiny_uai: str


def _plant(demo_dir: Path, data: Path) -> Planted:
    shutil.copytree(demo_dir, data, copy_function=os.link)
    # --- the tiny cell: a public collège of Limoges with a Pix folder and 2 pupils in 3e
    annuaire = data / "annuaire" / "fr-en-annuaire-education.csv"
    header, rows, quoted = _read(annuaire)
    col = {h: k for k, h in enumerate(header)}
    effectifs = data / "effectifs" / "fr-en-college-effectifs-niveau-sexe-lv.csv"
    e_header, e_rows, e_quoted = _read(effectifs)
    e_col = {h: k for k, h in enumerate(e_header)}
    with_2025 = {r[e_col["numero_college"]] for r in e_rows if r[e_col["rentree_scolaire"]] == "2025"}
    tiny = next(r[col["Identifiant_de_l_etablissement"]] for r in rows
                if r[col["Type_etablissement"]] == "Collège" and r[col["Code_academie"]] == "22"
                and r[col["Statut_public_prive"]] == "Public"
                and r[col["Identifiant_de_l_etablissement"]] in with_2025
                and (data / "pix" / "certification" / r[col["Identifiant_de_l_etablissement"]]).is_dir())
    for r in rows:
        if r[col["Identifiant_de_l_etablissement"]] == tiny:
            r[col["Code_commune"]] = r[col["Code_departement"]][1:] + "999"  # not in the density grid
    _write(annuaire, header, rows, quoted)
    for r in e_rows:
        if r[e_col["numero_college"]] == tiny and r[e_col["rentree_scolaire"]] == "2025":
            r[e_col["3eme_total"]], r[e_col["3eme_filles"]], r[e_col["3emes_garcons"]] = "2", "1", "1"
    _write(effectifs, e_header, e_rows, e_quoted)
    folder = data / "pix" / "certification" / tiny
    sessions = sorted(folder.glob("*.csv"))
    header, rows, quoted = _read(sessions[-1])  # the current export format
    for s in sessions:
        if s.name[:8] >= "20250901":
            s.unlink()
    c = {h: k for k, h in enumerate(header)}
    row = list(rows[0])
    row[c["Prénom"]], row[c["Nom"]] = CANARIES["first_name"], CANARIES["last_name"]
    row[c["Lieu de naissance"]], row[c["Identifiant Externe"]] = CANARIES["birth_place"], CANARIES["external_id"]
    row[c["Statut"]], row[c["Score en Pix"]] = "Validée", "190"
    row[c["Commentaire jury pour l’organisation"]] = CANARIES["jury"]
    row[c["Numéro de certification"]], row[c["Session"]] = "99999001", "999001"
    row[c["Date de passage de la certification"]] = "12/05/2026"
    _write(folder / "20260512_1000_resultats_session_999001.csv", header, [row], quoted)
    # --- canaries in every personal or free-text column of the other reports' sources
    for path in sorted((data / "pix" / "certification").glob("*/*.csv"))[:40]:
        _set(path, lambda h, rs: [r.__setitem__(h.index("Prénom"), CANARIES["first_name"]) for r in rs[:3]])
    for path in sorted((data / "pix" / "certification-enseignants" / "limoges").glob("*.csv")):
        _set(path, lambda h, rs: [(r.__setitem__(h.index("Nom"), CANARIES["teacher"]),
                                   r.__setitem__(h.index("Commentaire jury pour l’organisation"), CANARIES["jury"]))
                                  for r in rs])
    for path in sorted((data / "formations" / "limoges").glob("*.csv")):
        _set(path, lambda h, rs: [(r.__setitem__(h.index("Formateur"), CANARIES["trainer"]),
                                   r.__setitem__(h.index("Libellé module"), CANARIES["module"])) for r in rs])
    relais = data / "relais" / "relais_numeriques.csv"
    _set(relais, lambda h, rs: [(r.__setitem__(h.index("Nom"), CANARIES["relay_name"]),
                                 r.__setitem__(h.index("Courriel"), CANARIES["relay_mail"]))
                                for r in rs if r[h.index("UAI couvert")][:3] in ("019", "023", "087")])
    return Planted(data, tiny)


# --------------------------------------------------------------------------- the build and the bundles


@dataclass
class Outputs:
    planted: Planted
    out: Path
    bundles: dict[str, Path]
    secret: Path
    build_log: str


@pytest.fixture(scope="module")
def outputs(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    root = tmp_path_factory.mktemp("privacy")
    planted = _plant(demo_dir, root / "data")
    out = root / "out"
    env = {**os.environ, "DRANE_SECRET_DIR": str(root / "secret")}
    done = subprocess.run([DRANE, "build", "--target", "1.1", "--target", "1.2", "--target", "3.2",
                           "--academy", "limoges", "--period", PERIOD, "--data", str(planted.data), "--out", str(out),
                           "--jobs", "2"], capture_output=True, text=True, timeout=1800, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    bundles = {}
    for target, name in (("1.1", "pix-limoges.zip"), ("1.2", "enseignants-limoges.zip")):
        shared = subprocess.run([DRANE, "share", "--target", target, "--academy", "limoges", "--period", PERIOD,
                                 "--data", str(planted.data), "--outputs", str(out), "--out", str(root / "lots" / name)],
                                capture_output=True, text=True, timeout=900, env=env)
        assert shared.returncode == 0, shared.stdout + shared.stderr
        assert "Traceback" not in shared.stderr
        bundles[target] = root / "lots" / name  # a folder that did not exist: made
    return Outputs(planted, out, bundles, root / "secret", done.stdout)


def _frame_text(frame: pd.DataFrame) -> str:
    """Every value of a frame as text, whole — column names, index, then each column's
    cells one per line: what a search for a name, a code or a canary looks through (the same
    values as the frame printed whole, without the seconds its alignment costs)."""
    parts = ["\t".join(map(str, frame.columns)), "\n".join(map(str, frame.index))]
    parts += ["\n".join(map(str, frame.iloc[:, k].tolist())) for k in range(frame.shape[1])]
    return "\n".join(parts)


@functools.cache
def _texts_of_zip(path: Path) -> dict[str, str]:
    """Every entry of a zip as text (Parquet files read and their values written out whole),
    read once for the tests that search them; the result is not to be changed."""
    out = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            if name.endswith(".parquet"):
                out[name] = _frame_text(pd.read_parquet(io.BytesIO(data)))
            elif name.endswith((".xlsx", ".zip")):
                out.update({f"{name}/{k}": v for k, v in _texts_of_zip_bytes(data).items()})
            else:
                out[name] = data.decode("utf-8", errors="replace")
    return out


def _texts_of_zip_bytes(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n).decode("utf-8", errors="replace") for n in zf.namelist()}


def _output_files(out: Path) -> list[Path]:
    """Every file of the output folder, through its symbolic links (``OUT/2025-2026`` →
    ``current/2025-2026``, …: ``Path.rglob`` does not follow them) and in the generations."""
    return sorted(Path(d) / name for d, _, names in os.walk(out, followlinks=True) for name in names)


def _embedded_downloads(text: str) -> dict[str, str]:
    """The files a report page offers for download (the charts' CSV as ``data:`` links, their
    SVG gzip-packed): base64 inside the page, so a canary there would not show in its text."""
    import base64
    import gzip

    out = {}
    for k, b64 in enumerate(re.findall(r"data:text/csv;charset=utf-8;base64,([A-Za-z0-9+/=]+)", text)):
        out[f"csv-{k}"] = base64.b64decode(b64).decode("utf-8-sig", errors="replace")
    for k, b64 in enumerate(re.findall(r'data-drane-svgz=\\?"([A-Za-z0-9+/=]+)', text)):
        out[f"svg-{k}"] = gzip.decompress(base64.b64decode(b64)).decode("utf-8", errors="replace")
    return out


def _every_text(o: Outputs) -> dict[str, str]:
    texts: dict[str, str] = {}
    for path in _output_files(o.out):
        rel = path.relative_to(o.out).as_posix()
        if path.suffix == ".parquet":
            texts[rel] = _frame_text(pd.read_parquet(path))
        elif path.suffix == ".xlsx":
            texts.update({f"{rel}/{k}": v for k, v in _texts_of_zip_bytes(path.read_bytes()).items()})
        else:
            texts[rel] = path.read_bytes().decode("utf-8", errors="replace")
            texts.update({f"{rel}/{k}": v for k, v in _embedded_downloads(texts[rel]).items()})
    for target, bundle in o.bundles.items():
        texts.update({f"lot {target}/{k}": v for k, v in _texts_of_zip(bundle).items()})
    return texts


def test_no_canary_in_any_output(outputs: Outputs):
    texts = _every_text(outputs)
    kinds = {Path(k.split("/")[0]).suffix or k.split("/")[0] for k in texts}
    assert any(k.endswith(".html") for k in texts) and any(k.endswith(".ipynb") for k in texts)
    assert "manifest.json" in texts and "index.html" in texts and f"{PERIOD}/1.1-pix/limoges.html" in texts
    assert any(k.startswith("donnees/indicateurs") for k in texts), kinds  # the exports were written
    assert any(".parquet" in k for k in texts if k.startswith("lot "))
    for path, text in texts.items():
        low = text.casefold()
        for what, canary in CANARIES.items():
            assert canary.casefold() not in low, f"{what} ({canary}) leaked into {path}"


def _table(html: str, caption: str) -> list[list[str]]:
    """The rows (cell texts) of the table with this caption."""
    for table in re.findall(r"<table.*?</table>", html, flags=re.S):
        if caption in table:
            rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
            return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, flags=re.S)]
                    for r in rows]
    raise AssertionError(f"no table « {caption} »")


def test_the_tiny_group_is_secret_with_secondary_suppression(outputs: Outputs):
    html = (outputs.out / PERIOD / "1.1-pix" / "limoges.html").read_text(encoding="utf-8")
    rows = _table(html, "Taux de certification en 3e — territoire")
    header, body = rows[0], rows[1:]
    by_label = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    tiny = by_label["Non renseigné"]
    assert tiny["Valeur"] == "s" and tiny["Numérateur"] == "s" and tiny["Élèves de 3e"] == "s", tiny
    assert tiny["Intervalle à 95 %"] == "s"
    others = [r for label, r in by_label.items() if label != "Non renseigné"]
    assert any(r["Élèves de 3e"] == "s" for r in others), "no secondary suppression: the total gives the cell back"
    assert any(r["Élèves de 3e"] != "s" for r in others), "everything hidden: too much suppression"
    assert "secret statistique" in html
    # the executed notebook holds the same secret table (it is published too)
    nb = (outputs.out / PERIOD / "1.1-pix" / "limoges.ipynb").read_text(encoding="utf-8")
    assert "Non renseigné</td><td class=num>s</td>" in nb.replace("\\n", "")


def test_tiny_counts_never_appear_next_to_their_group(outputs: Outputs):
    """Whatever the table, the « Non renseigné » territory group never shows 1 or 2 pupils."""
    pages = [p for p in _output_files(outputs.out) if p.suffix == ".html"]
    assert any(p.relative_to(outputs.out).as_posix() == f"{PERIOD}/1.1-pix/limoges.html" for p in pages)
    for path in pages:
        html = path.read_text(encoding="utf-8")
        for table in re.findall(r"<table.*?</table>", html, flags=re.S):
            for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S):
                cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
                if cells and cells[0] == "Non renseigné":
                    assert not {"1", "2"} & set(cells[1:]), (path.name, cells)


def _any_of(words: set[str]) -> re.Pattern:
    """A pattern matching wherever one of ``words`` occurs, built as the tree of their common
    prefixes (the regular expression engine then tries a few characters at each position, not
    every word); the longest word wins where several start at one position."""
    tree: dict = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here

    def pattern(node: dict) -> str:
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return re.compile(pattern(tree))


def test_bundle_identifies_no_establishment_and_no_person(outputs: Outputs):
    from drane_analysis import sources

    annuaire = sources.load("annuaire", outputs.planted.data)
    uais = set(annuaire["uai"])
    names = {n for n in annuaire["name"].dropna().unique() if len(n) > 12}
    communes = sources.load("communes", outputs.planted.data)
    commune_names = {n for n in communes["commune_name"].dropna().unique() if len(n) > 10}
    # One pass of one pattern per text (thousands of names searched one by one took minutes, and
    # so did one flat alternation of them): the names as a tree of their common prefixes.
    any_of_names, any_of_communes = (_any_of(found) for found in (names, commune_names))
    for target, bundle in outputs.bundles.items():
        texts = _texts_of_zip(bundle)
        listing = json.loads(next(v for k, v in texts.items() if k.endswith("donnees/extrait-drane.json")))
        assert listing["sources"], target
        with zipfile.ZipFile(bundle) as zf:
            assert not any("secret" in n or n.endswith(".key") for n in zf.namelist())
        data_texts = {k: v for k, v in texts.items() if "/donnees/" in k or "/notebooks/" in k or k.endswith(".md")}
        for path, text in data_texts.items():
            assert not re.search(r"\b\d{7}[A-Z]\b", text), f"a UAI in {path}"
            found_names = any_of_names.findall(text)
            assert not found_names, f"establishment names in {path}: {found_names[:3]}"
            found_communes = any_of_communes.findall(text)
            assert not found_communes, f"commune names in {path}: {found_communes[:3]}"
        assert not (uais & set(re.findall(r"\b\d{7}[A-Z]\b", "\n".join(texts.values()))))
        # free text (module titles) is gone, the key is not in the bundle
        key = (outputs.secret / "cle-pseudonymisation.key").read_text().strip()
        assert all(key not in t for t in texts.values())
        readme = next(v for k, v in texts.items() if k.endswith("LISEZMOI.md"))
        assert "Ce qui a été retiré" in readme and "papermill" in readme and "secret statistique" in readme.lower()
    with zipfile.ZipFile(outputs.bundles["1.2"]) as zf:
        name = next(n for n in zf.namelist() if n.endswith("donnees/formations.parquet"))
        formations = pd.read_parquet(io.BytesIO(zf.read(name)))
    assert "module_title" not in formations.columns and "trainer" not in formations.columns


def _tables(nb_path: Path) -> list[str]:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            html = o.get("data", {}).get("text/html")
            if html:
                html = "".join(html)
                out += [re.sub(r"\s+", " ", t) for t in re.findall(r"<table.*?</table>", html, flags=re.S)]
    return out


def test_the_lab_reruns_the_bundle_with_stock_tools_and_gets_the_published_tables(outputs: Outputs, tmp_path: Path):
    lab = tmp_path / "lab"
    with zipfile.ZipFile(outputs.bundles["1.1"]) as zf:
        zf.extractall(lab)
    bundle = next(lab.iterdir())
    requirements = (bundle / "requirements.txt").read_text()
    assert requirements.count("==") > 20 and requirements.count("--hash=sha256:") > 20  # pinned, with hashes
    assert "pytest==" not in requirements and "jupyterlab==" not in requirements  # the runtime lock only
    assert (bundle / "pyproject.toml").is_file() and (bundle / "src" / "drane_analysis" / "privacy.py").is_file()
    # The lab's environment: the bundle's library (not this repository's), its params, no access to our data.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRANE_")}
    env.update(PYTHONPATH=str(bundle / "src"), DRANE_CACHE="off", HOME=str(tmp_path))
    done = subprocess.run([PAPERMILL, "notebooks/1.1-pix.ipynb", str(tmp_path / "resultat.ipynb"),
                           "--log-level", "ERROR"], cwd=bundle, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    check = subprocess.run([sys.executable, "-c", "import drane_analysis; print(drane_analysis.__file__)"],
                           cwd=bundle, capture_output=True, text=True, env=env)
    assert str(bundle / "src") in check.stdout
    published = _tables(outputs.out / PERIOD / "1.1-pix" / "limoges.ipynb")
    rerun = _tables(tmp_path / "resultat.ipynb")
    assert len(published) >= 5
    assert rerun == published
    assert any(">s<" in t for t in rerun)  # the secret cells are secret in the lab as well
    # the published report is in the bundle, for the lab to compare
    assert (bundle / "reference" / "limoges.html").is_file()


def test_share_refuses_bad_arguments_without_traceback(outputs: Outputs, tmp_path: Path):
    env = {**os.environ, "DRANE_SECRET_DIR": str(outputs.secret)}
    done = subprocess.run([DRANE, "share", "--target", "9.9", "--academy", "limoges", "--data",
                           str(outputs.planted.data), "--out", str(tmp_path / "x.zip")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr and not (tmp_path / "x.zip").exists()
    done = subprocess.run([DRANE, "share", "--target", "1.1", "--academy", "toulouse", "--data",
                           str(outputs.planted.data), "--out", str(tmp_path / "x.zip")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
