"""Demo ``territoires/grille_densite_communes.csv`` (INSEE density grid, 4 levels)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .formats import write_plain_csv
from .world import World


def write(world: World, out: Path) -> list[Path]:
    c = world.communes
    frame = pd.DataFrame({
        "CODGEO": c["commune_code"], "LIBGEO": c["commune_name"], "DENS": c["density"],
        "LIBDENS": c["density_label"], "PMUN": c["population"],
    })
    path = out / "territoires" / "grille_densite_communes.csv"
    write_plain_csv(frame, path)
    return [path]
