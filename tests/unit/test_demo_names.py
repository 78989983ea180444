"""The names of the demo data's fake people come from lists shipped with the generator."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pandas as pd

from drane_analysis.demo.world import NAMES_FILE, World, french_names

# The digest of the three lists: editing them changes the bytes of every demo data set (and the
# pseudonymous person numbers the Pix loader makes from names), so it is changed on purpose only.
LISTS_SHA256 = "02b283ec753aba5c1c1049f75dba1992b03335d7799179d3ce19a72577cb5082"


def _world() -> World:
    return World(1, {}, [], pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame())


def test_the_shipped_lists_are_the_ones_the_demo_data_were_made_with():
    names = french_names()
    assert {k: len(v) for k, v in names.items()} == {"first_names_female": 131, "first_names_male": 88,
                                                     "last_names": 400}
    digest = hashlib.sha256(json.dumps(names, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    assert digest == LISTS_SHA256
    raw = json.loads(NAMES_FILE.read_text(encoding="utf-8"))
    assert "Faker" in raw["source"] and "Permission is hereby granted" in raw["licence"]  # MIT: notice kept


def test_fake_people_draw_by_index_the_same_names_for_a_seed():
    people = _world().fake_people(np.random.default_rng(7), 4)
    assert people.to_dict("records") == [
        {"first_name": "Thomas", "last_name": "Henry", "sex": "M"},
        {"first_name": "Adrien", "last_name": "Loiseau", "sex": "M"},
        {"first_name": "Jean", "last_name": "Morin", "sex": "M"},
        {"first_name": "Sophie", "last_name": "Poulain", "sex": "F"},
    ]
    many = _world().fake_people(np.random.default_rng(1), 2000, girls_share=0.7)
    names = french_names()
    girls = many[many["sex"] == "F"]
    assert girls["first_name"].isin(names["first_names_female"]).all()
    assert many.loc[many["sex"] == "M", "first_name"].isin(names["first_names_male"]).all()
    assert many["last_name"].isin(names["last_names"]).all()
    assert 0.65 < len(girls) / len(many) < 0.75


def test_the_generator_needs_no_faker():
    code = ("import sys, numpy as np, pandas as pd\n"
            "from drane_analysis.demo.world import World\n"
            "World(1, {}, [], *[pd.DataFrame()] * 4).fake_people(np.random.default_rng(0), 3)\n"
            "print('faker' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
