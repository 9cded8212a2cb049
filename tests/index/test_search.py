"""Hybrid search on the sample corpus with the real model; fusion and filter semantics."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pytest

from index import Embedder, IndexConfig, Passage, SearchFilters, Snapshot
from index.search import rrf_fuse

TROIB_155 = "Additionally, they requested launching charges for 155mm shells, according to the source."
SBS_155 = "The delegation even requested 155 mm artillery shell propellants"
AP_CAPTION = "South Korean protesters stage a rally against their government's plans"
AP_CAPTION_2 = "arrives at the Defense Ministry in Seoul"


def _passage(outlet: str | None, date: str | None) -> Passage:
    return Passage("p", "d", 0, "text", outlet, date, None, None, None, None)


# --- the snapshot of the sample corpus ----------------------------------------------------


def test_sample_snapshot_holds_no_debris(sample_snapshot: Snapshot) -> None:
    texts = [p.text for p in sample_snapshot.passages]
    for text in texts:
        assert text.strip().lower() != "close"
        assert not text.lower().startswith("close")
        for debris in ("Sections", "Read Full Article", "Other Matters of Interest", "Brotherhood in Arms"):
            assert debris not in text, (debris, text)
        for debris in ("WireNovember", "HYUNG-JIN KIM", "AP Photo", "AP Ahn Young-joon", "AP Uncredited"):
            assert debris not in text, (debris, text)
        assert len(text.split()) >= 4
    assert sum(AP_CAPTION in t for t in texts) == 1
    assert sum(AP_CAPTION_2 in t for t in texts) == 1
    # The sentence before "Read Full Article at RT.com" is real text and is kept.
    assert any(t.startswith("A Ukrainian delegation in Seoul has allegedly requested") for t in texts)
    assert len(sample_snapshot.manifest.outlets) == 4
    assert sample_snapshot.manifest.documents == 5


def test_155mm_propellant_from_both_outlets(sample_snapshot: Snapshot) -> None:
    hits = sample_snapshot.search("Ukraine requested 155mm propellant charges", 5)
    texts = [h.passage.text for h in hits]
    assert TROIB_155 in texts
    sbs = [h for h in hits if h.passage.text.startswith(SBS_155)]
    assert sbs and sbs[0].passage.outlet is None and sbs[0].passage.date == "2024-11-28"
    troib = next(h for h in hits if h.passage.text == TROIB_155)
    assert troib.passage.outlet == "TROIB News" and troib.passage.date is None
    assert troib.dense_rank is not None and troib.lexical_rank is not None
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_dense_side_finds_paraphrase_without_keyword_overlap(sample_snapshot: Snapshot) -> None:
    query = "demonstrators marched in the streets"  # no word in common with any passage
    hits = sample_snapshot.search(query, 2)
    assert all(h.lexical_rank is None for h in hits)
    assert [h.dense_rank for h in hits] == [1, 2]
    assert all("protest" in h.passage.text for h in hits)  # the AP caption and the TROIB report
    assert {h.passage.outlet for h in hits} == {"Associated Press", "TROIB News"}
    assert all(h.similarity > 0.3 for h in hits)


def test_lexical_side_finds_names(sample_snapshot: Snapshot) -> None:
    hits = sample_snapshot.search("KM-SAM", 3)
    assert "KM-SAM" in hits[0].passage.text and hits[0].lexical_rank == 1
    hits = sample_snapshot.search("Cheongung", 5)
    assert sum("Cheongung" in h.passage.text for h in hits) >= 4
    assert all(h.lexical_rank is not None for h in hits[:3])


def test_similarity_is_cosine_also_for_lexical_only_hits(
    sample_snapshot: Snapshot, embedder: Embedder
) -> None:
    query = "KM-SAM"
    hits = sample_snapshot.search(query, len(sample_snapshot))
    q = embedder.encode([query])[0]
    vectors = np.load(sample_snapshot.path / "vectors.npy")
    rows = {p.passage_id: i for i, p in enumerate(sample_snapshot.passages)}
    for hit in hits:
        expected = float(vectors[rows[hit.passage.passage_id]] @ q)
        assert hit.similarity == pytest.approx(expected, abs=1e-5)
    assert len(hits) == len(sample_snapshot)


def test_outlet_and_date_filters(sample_snapshot: Snapshot) -> None:
    query = "Ukraine asked South Korea for weapons"
    only = frozenset({"TROIB News", "Kyiv Post"})
    hits = sample_snapshot.search(query, 8, SearchFilters(outlets=only))
    assert len(hits) == 8 and {h.passage.outlet for h in hits} <= only
    day = datetime.date(2024, 11, 28)
    hits = sample_snapshot.search(query, 100, SearchFilters(date_from=day, date_to=day))
    assert hits and all(h.passage.date == "2024-11-28" for h in hits)
    # Unknown outlet (003) and unknown dates (001, 004) never match those filters.
    assert all(h.passage.outlet is not None for h in sample_snapshot.search(query, 100, SearchFilters(only)))
    expected = sum(p.date == "2024-11-28" for p in sample_snapshot.passages)
    assert len(hits) == expected
    none = SearchFilters(date_to=datetime.date(2024, 1, 1))
    assert sample_snapshot.search(query, 5, none) == []


def test_filters_grow_the_fetch_on_large_indexes(sample_index: Path, embedder: Embedder) -> None:
    # Pretend the sample is large: fetch 2 x k and grow, instead of scanning everything.
    snapshot = Snapshot.load(sample_index, embedder, config=IndexConfig(exhaustive_below=1, overfetch=2))
    kyiv = frozenset({"Kyiv Post"})
    hits = snapshot.search("Cheongung air defense", 4, SearchFilters(outlets=kyiv))
    assert len(hits) == 4 and {h.passage.outlet for h in hits} == {"Kyiv Post"}
    total = sum(p.outlet == "Kyiv Post" for p in snapshot.passages)
    assert len(snapshot.search("Cheongung", 1000, SearchFilters(outlets=kyiv))) == total


def test_degenerate_queries(sample_snapshot: Snapshot) -> None:
    assert sample_snapshot.search("   ", 5) == []
    assert sample_snapshot.search("Cheongung", 0) == []


# --- pure functions -----------------------------------------------------------------------


def test_rrf_fuse() -> None:
    fused = rrf_fuse([10, 11, 12], [12, 13], rrf_k=60)
    assert [f.row for f in fused] == [12, 10, 11, 13]
    top = fused[0]
    assert (top.dense_rank, top.lexical_rank) == (3, 1)
    assert top.score == pytest.approx(1 / 63 + 1 / 61)
    assert fused[-1].dense_rank is None and fused[-1].lexical_rank == 2
    assert rrf_fuse([], [], 60) == []


def test_filter_semantics() -> None:
    assert SearchFilters().matches(_passage(None, None))
    assert not SearchFilters().active and not SearchFilters(outlets=frozenset()).active
    outlet = SearchFilters(outlets=frozenset({"AP"}))
    assert outlet.matches(_passage("AP", None))
    assert not outlet.matches(_passage("ap", None)) and not outlet.matches(_passage(None, "2024-11-28"))
    assert SearchFilters(outlets=frozenset()).matches(_passage(None, None))  # empty set: no filter
    dates = SearchFilters(date_from=datetime.date(2024, 11, 1), date_to=datetime.date(2024, 11, 30))
    assert dates.matches(_passage(None, "2024-11-01")) and dates.matches(_passage(None, "2024-11-30"))
    assert not dates.matches(_passage(None, "2024-12-01")) and not dates.matches(_passage(None, None))
    assert not SearchFilters(date_from=datetime.date(2024, 1, 1)).matches(_passage("AP", None))
    with pytest.raises(ValueError, match="after"):
        SearchFilters(date_from=datetime.date(2024, 2, 1), date_to=datetime.date(2024, 1, 1))
