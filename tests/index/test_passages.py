"""Sentence segmentation (pysbd), short fragments, in-article dedupe, ids and context."""

from __future__ import annotations

from pathlib import Path

from index.articles import Article
from index.config import IndexConfig
from index.passages import Segmenter, article_passages, dedupe, passage_id


def _article(text: str, **meta: str | None) -> Article:
    return Article(document_id="doc", text=text, source="doc.txt", **meta)  # type: ignore[arg-type]


def test_pysbd_keeps_abbreviations_inside_sentences() -> None:
    seg = Segmenter()
    text = "Protesters rallied in Seoul, Wednesday, Nov. 27, 2024. The U.S. and Kyiv disagreed."
    assert seg.split(text) == [
        "Protesters rallied in Seoul, Wednesday, Nov. 27, 2024.",
        "The U.S. and Kyiv disagreed.",
    ]


def test_short_fragments_are_not_passages() -> None:
    text = "Rudenko said on Sunday. he said. Aid to Ukraine. The ministry declined to comment."
    texts = [p.text for p in article_passages(_article(text), Segmenter(), IndexConfig())]
    assert texts == ["Rudenko said on Sunday.", "The ministry declined to comment."]
    assert [p.text for p in article_passages(_article("Only three words."), Segmenter(), IndexConfig())] == []


def test_exact_and_near_duplicates_kept_once() -> None:
    sentences = [
        "South Korean protesters stage a rally against weapons to Ukraine in Seoul on Wednesday.",
        "South Korean protesters stage a rally against weapons to Ukraine in Seoul on Wednesday.",
        "south korean protesters stage a rally against weapons to Ukraine in Seoul on Wednesday!",
        "South Korean protesters stage a rally against weapons to Ukraine in Seoul on Wednesday, AP.",
        "A different sentence about the defence minister's visit to Seoul.",
    ]
    assert dedupe(sentences, 0.9) == [sentences[0], sentences[4]]


def test_passage_metadata_context_and_ids() -> None:
    text = "First sentence about the visit. Second sentence about the request.\nThird sentence about Seoul."
    article = _article(text, outlet="Wire", date="2024-11-28", title="T", url="https://x")
    passages = article_passages(article, Segmenter(), IndexConfig())
    assert [p.sentence_index for p in passages] == [0, 1, 2]
    first, second, third = passages
    assert (first.context_before, first.context_after) == (None, second.text)
    assert (second.context_before, second.context_after) == (first.text, third.text)
    assert third.context_after is None
    assert {p.outlet for p in passages} == {"Wire"} and {p.date for p in passages} == {"2024-11-28"}
    assert first.title == "T" and first.url == "https://x"
    assert first.passage_id == passage_id("doc", 0, first.text)
    assert len({p.passage_id for p in passages}) == 3
    again = article_passages(article, Segmenter(), IndexConfig())
    assert [p.passage_id for p in again] == [p.passage_id for p in passages]


def test_unknown_metadata_stays_none_on_passages() -> None:
    article = _article("A sentence with no known metadata at all.")
    passages = article_passages(article, Segmenter(), IndexConfig())
    assert passages[0].outlet is None and passages[0].date is None and passages[0].title is None


def test_plain_sentence_ends_are_cut_without_pysbd_and_the_rest_as_pysbd_does() -> None:
    seg = Segmenter()
    text = (
        "The ministry signed the deal on Monday. Gen. Park said the U.S. side agreed. "
        "“Talks went well. We expect more,” Kim said. The order covers 4.5 million rounds."
    )
    assert seg.split(text) == [
        "The ministry signed the deal on Monday.",
        "Gen. Park said the U.S. side agreed.",
        "“Talks went well. We expect more,” Kim said.",  # a quotation stays whole, as pysbd keeps it
        "The order covers 4.5 million rounds.",
    ]


def test_the_fast_path_splits_the_news_set_exactly_as_pysbd() -> None:
    """Every article of data/nli-news (431 of them, quotes, titles, numbers) comes out as pysbd's."""
    import json

    import pysbd

    reference = pysbd.Segmenter(language="en", clean=False)
    seg = Segmenter()
    events = sorted((Path(__file__).parents[2] / "data" / "nli-news" / "events").glob("*.json"))
    assert len(events) >= 80
    for path in events:
        for article in json.loads(path.read_text(encoding="utf-8"))["articles"]:
            text = " ".join(article["sentences"])
            assert seg.split(text) == [s.strip() for s in reference.segment(text) if s.strip()], path.name


def test_a_corpus_split_in_worker_processes_is_the_same_as_in_one() -> None:
    """`split_corpus` (a build's split, one spawned process per core) gives every article of the
    news set the same passages, ids and order as splitting them in this process."""
    import json

    from index.store import split_articles, split_corpus

    events = sorted((Path(__file__).parents[2] / "data" / "nli-news" / "events").glob("*.json"))
    articles = [
        Article(
            document_id=f"{path.stem}-{i}",
            text=" ".join(article["sentences"]),
            outlet=article.get("outlet"),
            source=path.name,
        )
        for path in events
        for i, article in enumerate(json.loads(path.read_text(encoding="utf-8"))["articles"])
    ]
    config = IndexConfig()
    alone = split_articles(articles, config)
    assert sum(map(len, alone)) > 3000
    assert split_corpus(articles, config, workers=2, min_articles=0) == alone
