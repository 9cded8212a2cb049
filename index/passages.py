"""Sentence-level passages: pysbd segmentation, short-fragment filter, in-article dedupe."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import pysbd

from index.articles import Article
from index.cleaning import clean_text, normalize_key, source_credits, word_count
from index.config import IndexConfig
from index.schema import Passage


def passage_id(document_id: str, sentence_index: int, text: str) -> str:
    """Deterministic id: the same article text always yields the same ids."""
    digest = hashlib.sha256(f"{document_id}\x1f{sentence_index}\x1f{text}".encode())
    return digest.hexdigest()[:20]


class Segmenter:
    """pysbd English sentence splitter (one per build; not shared between threads)."""

    def __init__(self) -> None:
        self._seg: Any = pysbd.Segmenter(language="en", clean=False)

    def split(self, paragraph: str) -> list[str]:
        return [s.strip() for s in self._seg.segment(paragraph) if s.strip()]


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def dedupe(sentences: Iterable[str], threshold: float) -> list[str]:
    """Keep the first of exact or near duplicates (token-set Jaccard >= threshold)."""
    kept: list[str] = []
    keys: set[str] = set()
    token_sets: list[frozenset[str]] = []
    for sentence in sentences:
        key = normalize_key(sentence)
        if key in keys:
            continue
        tokens = frozenset(key.split())
        if any(_jaccard(tokens, other) >= threshold for other in token_sets):
            continue
        keys.add(key)
        token_sets.append(tokens)
        kept.append(sentence)
    return kept


def article_sentences(article: Article, segmenter: Segmenter, config: IndexConfig) -> list[str]:
    """The article's passage texts in order: cleaned, split, short ones dropped, deduplicated."""
    sentences: list[str] = []
    for paragraph in clean_text(article.text, article.title):
        for sentence in segmenter.split(paragraph):
            sentence = " ".join(sentence.split())
            if word_count(sentence) >= config.min_passage_words:
                sentences.append(sentence)
    return dedupe(sentences, config.near_duplicate_jaccard)


def make_passages(article: Article, sentences: Sequence[str]) -> list[Passage]:
    """Wrap an article's sentences as passages with metadata and neighbouring context."""
    credits = source_credits(article.text)
    return [
        Passage(
            passage_id=passage_id(article.document_id, i, text),
            document_id=article.document_id,
            sentence_index=i,
            text=text,
            outlet=article.outlet,
            date=article.date,
            title=article.title,
            url=article.url,
            context_before=sentences[i - 1] if i > 0 else None,
            context_after=sentences[i + 1] if i + 1 < len(sentences) else None,
            credits=credits,
        )
        for i, text in enumerate(sentences)
    ]


def article_passages(article: Article, segmenter: Segmenter, config: IndexConfig) -> list[Passage]:
    return make_passages(article, article_sentences(article, segmenter, config))
