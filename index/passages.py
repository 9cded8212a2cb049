"""Sentence-level passages: segmentation (plain ends, then pysbd), short-fragment filter, dedupe."""

from __future__ import annotations

import functools
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
# A sentence end cut without pysbd: a word of 2+ letters that is not an abbreviation, or a
# number (with commas, a trailing %), then a full stop and a space. pysbd splits there too.
_PLAIN_END = re.compile(r"(?<!\S)([A-Za-z]{2,}|\d[\d,]*%?)\.\s+(?=\S)")
# What pysbd could still split at inside a piece: an end mark (closing quotes or brackets after
# it) followed by a space. A piece without one is a single sentence ("4.5 million", "U.S.-made").
_CANDIDATE_END = re.compile(r"[.!?][\"”’')\]]*\s")


# pysbd builds its patterns from strings at each call, one set per abbreviation it meets: 765
# distinct over the 100k-passage bench corpus, more than the 512 compiled patterns Python's `re`
# keeps (`re._MAXCACHE`, CPython 3.11), so it recompiled some for every paragraph. A bounded
# 2,048 holds them all: 6.7 -> 6.3 s of splitting there.
_REGEX_CACHE = 2048


def _roomy_regex_cache() -> None:
    if getattr(re, "_MAXCACHE", _REGEX_CACHE) < _REGEX_CACHE:
        setattr(re, "_MAXCACHE", _REGEX_CACHE)  # noqa: B010 (a private name mypy does not know)


@functools.cache
def _abbreviations() -> frozenset[str]:
    """Ours and pysbd's abbreviation lists, lowercase (built once per process)."""
    from pysbd.lang.english import English

    known = English.Abbreviation
    return _ABBREVIATIONS | frozenset(
        word.strip().lower()
        for word in (*known.ABBREVIATIONS, *known.PREPOSITIVE_ABBREVIATIONS, *known.NUMBER_ABBREVIATIONS)
    )


class Segmenter:
    """English sentence splitter: plain sentence ends split directly, the rest by pysbd.

    pysbd gets abbreviations, initials, decimals and quotations right but costs about a
    millisecond per call (most of a build's splitting time). Most sentence ends are plain ("...
    signed in 2023. The minister ..."): those are cut first, outside quotations, unless the word
    before the stop is an abbreviation (ours or pysbd's lists); pysbd then only sees the pieces
    that still hold an end mark followed by a space. Same sentences as pysbd on every article of
    data/nli-news (a test checks it). One per build; not shared between threads.
    """

    def __init__(self) -> None:
        _roomy_regex_cache()
        self._seg: Any = pysbd.Segmenter(language="en", clean=False)
        self._abbreviations = _abbreviations()

    def split(self, paragraph: str) -> list[str]:
        pieces: list[str] = []
        start = 0
        for match in _PLAIN_END.finditer(paragraph):
            word = match.group(1).lower()
            if word in self._abbreviations or _inside_quote(paragraph[start : match.start()]):
                continue
            pieces.append(paragraph[start : match.end(1) + 1])
            start = match.end()
        pieces.append(paragraph[start:])
        sentences: list[str] = []
        for piece in pieces:
            piece = piece.strip()
            if not piece:
                continue
            if _CANDIDATE_END.search(piece):
                sentences.extend(s.strip() for s in self._pysbd(piece) if s.strip())
            else:
                sentences.append(piece)
        return sentences

    def _pysbd(self, text: str) -> list[str]:
        r"""`pysbd.Segmenter.segment(text)`, with its sentences found in `text` by plain search.

        pysbd finds each sentence it made back in the original text with a regex built from the
        sentence (`re.escape(sentence) + r"\s*"`): one new pattern per sentence, compiled once and
        never reused, which also pushes pysbd's own patterns out of Python's 512-pattern regex
        cache, so they are compiled again for every paragraph: 70% of a build's splitting time in a
        profile of the 10k-passage bench corpus. The same search without regexes: for each
        sentence, its first occurrence (with the whitespace after it) ending past the previous one,
        scanning as `re.finditer` does.
        """
        out: list[str] = []
        prior_end = 0
        for sent in self._seg.processor(text).process():
            if not sent:
                continue
            start = text.find(sent)
            while start != -1:
                end = start + len(sent)
                while end < len(text) and text[end].isspace():
                    end += 1
                if end > prior_end:
                    out.append(text[start:end])
                    prior_end = end
                    break
                start = text.find(sent, end)
        return out


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
        size = len(tokens)
        # Jaccard is at most the smaller set's size over the larger's: most pairs stop there
        if any(
            min(size, len(other)) + 1e-9 >= threshold * max(size, len(other))
            and _jaccard(tokens, other) >= threshold
            for other in token_sets
        ):
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
