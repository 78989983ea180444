"""A Data keeps its sources, its memos and the memos' sources in three stores."""

from __future__ import annotations

import pandas as pd
import pytest

from drane_analysis import data as data_module
from drane_analysis.data import Data, preload, track_sources

ANNUAIRE = pd.DataFrame({"uai": ["0330001A", "0870002B"], "academy": ["bordeaux", "limoges"]})


@pytest.fixture
def no_preload(monkeypatch):
    """Each test's preloads stay its own."""
    monkeypatch.setattr(data_module, "_PRELOADED", {})


def _count(data: Data) -> pd.DataFrame:
    return data.source("annuaire").groupby("academy", as_index=False).size()


def test_a_memo_is_kept_apart_from_the_sources_with_the_sources_it_read():
    data = Data.from_frames({"annuaire": ANNUAIRE})
    counts = data.memo("annuaire_count", lambda: _count(data))
    assert set(data._sources) == {"annuaire"} and data._memos == {"annuaire_count": counts}
    assert data._deps == {"annuaire_count": frozenset({"annuaire"})}
    assert not data.has("annuaire_count")  # a memo is no source
    with track_sources() as names:
        assert data.memo("annuaire_count", lambda: pytest.fail("computed twice")) is counts
    assert names == {"annuaire"}  # served again: its sources are recorded again


def test_inline_names_the_sources_given_and_is_read_only(tmp_path):
    data = Data.from_frames({"annuaire": ANNUAIRE, "communes": pd.DataFrame()})
    assert data.inline == frozenset({"annuaire", "communes"})
    assert data.has("communes") and not data.has("pix_orga")
    data.memo("annuaire_count", lambda: _count(data))
    assert data.inline == frozenset({"annuaire", "communes"})  # memos do not change it
    assert Data(tmp_path).inline is None
    with pytest.raises(AttributeError):
        data.inline = None  # type: ignore[misc]


def test_preload_shares_sources_and_memos_with_later_data_of_the_folder(make_demo, no_preload, tmp_path):
    folder = make_demo("annuaire")
    template = Data(folder)
    annuaire = template.source("annuaire")
    counts = template.memo("annuaire_count", lambda: _count(template))
    preload(template)
    later = template.memo("later", lambda: pd.DataFrame({"x": [1]}))  # after preload: shared too

    kernel = Data(folder)
    assert kernel.source("annuaire") is annuaire
    with track_sources() as names:
        assert kernel.memo("annuaire_count", lambda: pytest.fail("computed again")) is counts
        assert kernel.memo("later", lambda: pytest.fail("computed again")) is later
    assert names == {"annuaire"}  # the dependencies came with the memos
    kernel.memo("own", lambda: pd.DataFrame())
    assert "own" not in template._memos and "own" not in Data(folder)._memos  # a kernel's memos stay its own
    assert Data(tmp_path / "other")._memos == {}  # another folder: nothing shared


def test_a_data_of_one_academy_shares_no_scoped_source_and_no_memo(make_demo, no_preload):
    folder = make_demo("annuaire")
    template = Data(folder)
    template.source("annuaire")
    template._sources["pix_certification"] = pd.DataFrame({"uai": ["0330001A"]})  # as if read, for the region
    template.memo("annuaire_count", lambda: _count(template))
    preload(template)

    for scoped in (Data(folder, academy="limoges"), Data(folder).for_academy("limoges")):
        assert scoped.academy == "limoges"
        assert set(scoped._sources) == {"annuaire"}  # read whole: shared
        assert scoped._memos == {} and scoped._deps == {}  # a memo may rest on a scoped source
    assert "pix_certification" in Data(folder)._sources  # the region's Data gets it
