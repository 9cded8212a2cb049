"""BM25 side: tokenisation of numbers and hyphenated names, ranking, save and load."""

from __future__ import annotations

from pathlib import Path

from index.lexical import LexicalIndex, Tokenizer


def test_digit_letter_boundaries_and_hyphens() -> None:
    tok = Tokenizer()
    assert tok("155mm") == tok("155 mm") == ["155", "mm"]
    assert set(tok("KM-SAM")) == {"kmsam", "km", "sam"}
    assert "kmsam" in tok("KMSAM systems")
    assert tok("12,000 troops") == ["12000", "troop"]
    assert tok("the Cheongung system") == ["cheongung", "system"]
    assert tok("Korea’s president") == tok("Korea's president") == ["korea", "presid"]


def test_rank_matches_names_and_numbers(tmp_path: Path) -> None:
    texts = [
        "They requested launching charges for 155mm shells.",
        "The delegation requested 155 mm artillery shell propellants.",
        "Kiev wants KM-SAM systems and radars.",
        "The weather in Seoul was cold.",
    ]
    lexical = LexicalIndex.build(texts)
    assert {row for row, _ in lexical.rank("155mm propellant", 10)} == {0, 1}
    assert [row for row, _ in lexical.rank("KM-SAM", 10)] == [2]
    assert lexical.rank("unrelated words entirely", 10) == []
    assert lexical.rank("", 10) == []
    lexical.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert loaded.size == 4
    assert loaded.rank("KM-SAM", 10) == lexical.rank("KM-SAM", 10)


def test_top_is_the_head_of_the_full_ranking_ties_by_row() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    scores = rng.integers(0, 6, size=2000).astype(np.float32)  # many exact ties, many zeros
    positive = np.flatnonzero(scores > 0)
    full = positive[np.argsort(-scores[positive], kind="stable")].tolist()
    for limit in (1, 7, 100, 999, len(full), len(full) + 10):
        assert LexicalIndex.top(scores, limit) == full[:limit]
    assert LexicalIndex.top(np.zeros(5, dtype=np.float32), 3) == []
