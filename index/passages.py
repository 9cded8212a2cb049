"""Sentence-level passages: segmentation (plain ends, then pysbd), short-fragment filter, dedupe."""

from __future__ import annotations

import hashlib
import re
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


# Words that end in a full stop without ending a sentence, lowercase ("Gen. Smith", "approx. 40").
# fmt: off
_ABBREVIATIONS = frozenset((
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "sgt", "cmdr", "adm",
    "gov", "sen", "rep", "rev", "st", "mt", "ft", "jr", "sr", "inc", "ltd", "co", "corp", "no",
    "nos", "vol", "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "approx", "est", "vs", "etc", "al", "dept", "univ", "pres", "hon", "messrs",
    "op", "art", "sec", "ch", "pp", "cf", "ca", "mln", "bn", "ave", "blvd", "rd", "cong", "assn",
    "bros", "intl", "natl", "govt", "sq", "km", "mi", "lb", "oz", "min", "max", "nr", "viz", "seq",
    "ibid",
))
# fmt: on
# An unambiguous sentence end: a lowercase word of 3+ letters, a full stop, a space, a capital.
_PLAIN_END = re.compile(r"(?<=\s)([a-z]{3,})\.\s+(?=[A-Z])")
_ANY_END = re.compile(r"[.!?]")


class Segmenter:
    """English sentence splitter: plain sentence ends split directly, the rest by pysbd.

    pysbd gets abbreviations, initials, decimals and quotations right but costs about a
    millisecond per sentence (a third of an index build's time on news text). Most sentence
    ends are plain ("... the deal was signed. The minister ..."): those are cut first, outside
    quotations, and pysbd only sees the pieces that still hold a full stop, question or
    exclamation mark inside them. One per build; not shared between threads.
    """

    def __init__(self) -> None:
        self._seg: Any = pysbd.Segmenter(language="en", clean=False)

    def split(self, paragraph: str) -> list[str]:
        pieces: list[str] = []
        start = 0
        for match in _PLAIN_END.finditer(paragraph):
            if match.group(1) in _ABBREVIATIONS or _inside_quote(paragraph[start : match.start()]):
                continue
            pieces.append(paragraph[start : match.end(1) + 1])
            start = match.end()
        pieces.append(paragraph[start:])
        sentences: list[str] = []
        for piece in pieces:
            piece = piece.strip()
            if not piece:
                continue
            if _ANY_END.search(piece.rstrip(".!?\"”’')] ")):
                sentences.extend(s.strip() for s in self._seg.segment(piece) if s.strip())
            else:
                sentences.append(piece)
        return sentences


def _inside_quote(text: str) -> bool:
    """True when `text` leaves a quotation open (more “ than ”, or an odd number of ")."""
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1


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
