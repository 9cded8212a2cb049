"""Removal of scraping debris from article text, before sentence splitting.

Rules, applied line by line (a scraped line is a paragraph, a caption or debris):

- navigation words alone on a line ("close", "Sections", "Menu", ...);
- "Read Full Article at ..." and similar trailing link fragments (the text before is kept; the
  fragments that name where the article comes from are kept aside by `source_credits`, as
  provenance for `evidence`, which reports the outlet an article republishes);
- photo credit tails glued after a caption ("(AP Photo/X)AP X", "(... via AP)AP Uncredited")
  and photo credit parentheses ("(AP Photo/X)", "(Yonhap)"), so repeated captions become
  identical and are kept once;
- teaser blocks for other articles: a marker line ("Other Matters of Interest", "Related",
  "Read more", ...), the headline lines around it and the blurb paragraph after it;
- lines repeating the article's title, and repeated lines;
- short lines with no sentence punctuation: headlines, bylines, datelines ("WireNovember 28,
  2024", "HYUNG-JIN KIM Associated Press", "X contributed to this report").
"""

from __future__ import annotations

import re
import unicodedata

NAV_WORDS = frozenset(
    {
        "advertisement",
        "close",
        "comments",
        "email",
        "home",
        "log in",
        "menu",
        "more",
        "next",
        "previous",
        "print",
        "search",
        "sections",
        "share",
        "share this article",
        "sign in",
        "skip to content",
        "subscribe",
        "toggle navigation",
    }
)
TEASER_MARKERS = re.compile(
    r"(?:other matters of interest|related(?: articles| stories| news| content)?|read more|"
    r"read also|also read|more stories|more from .{1,40}|recommended(?: for you)?|"
    r"you may also like|editor'?s picks|trending(?: now)?|most read)\s*:?",
    re.IGNORECASE,
)
_READ_FULL = re.compile(
    r"\s*\b(?:read|see|view) (?:the )?full (?:article|story|report)\b(?: (?:at|on|here)\b.*)?$",
    re.IGNORECASE,
)
_AGENCIES = r"AP|Reuters|AFP|EPA|Getty Images|Yonhap|Xinhua|Newsis|Bloomberg"
# "(AP Photo/Ahn Young-joon)AP Ahn Young-joon": a credit repeated after the caption.
_CREDIT_TAIL = re.compile(rf"\)\s*(?:{_AGENCIES})(?:\s+[A-Z][\w.'’-]*)+\s*$")
_CREDIT_PAREN = re.compile(
    rf"\s*\((?:[^()]*\bPhoto\b[^()]*|[^()]*\bvia (?:{_AGENCIES})|(?:{_AGENCIES})(?: Photo)?)\)"
)
_SENTENCE_END = re.compile(r"[.!?:;…\"'”’)\]]$")
_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")
#: Lines with at most this many words and no sentence punctuation are not prose.
MAX_FRAGMENT_WORDS = 12
#: A headline-like line (no sentence punctuation) longer than this is treated as prose.
MAX_HEADLINE_WORDS = 25


def normalize_key(text: str) -> str:
    """Lowercase words only: the key under which two lines or sentences are 'the same'."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).lower()))


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def is_prose(line: str) -> bool:
    """True when a line ends like a sentence (or is long enough to be one without punctuation)."""
    return bool(_SENTENCE_END.search(line)) or word_count(line) > MAX_FRAGMENT_WORDS


def _is_headline(line: str) -> bool:
    return not _SENTENCE_END.search(line) and word_count(line) <= MAX_HEADLINE_WORDS


def source_credits(text: str) -> tuple[str, ...]:
    """The link fragments `clean_line` cuts that name a place ("Read Full Article at RT.com"), in order.

    They are debris for the passages but provenance for the article: they say whose report it
    republishes. Kept verbatim (spaces normalised), each once.
    """
    found: list[str] = []
    for raw in text.split("\n"):
        match = _READ_FULL.search(_SPACES.sub(" ", raw).strip())
        if match is not None:
            fragment = match.group(0).strip()
            if re.search(r"\b(?:at|on)\s+\S", fragment, re.IGNORECASE) and fragment not in found:
                found.append(fragment)
    return tuple(found)


def clean_line(line: str) -> str:
    """Strip inline debris from one line: link fragments and photo credits."""
    line = _SPACES.sub(" ", line).strip()
    line = _READ_FULL.sub("", line).strip()
    line = _CREDIT_TAIL.sub(")", line)
    line = _CREDIT_PAREN.sub("", line).strip()
    return line


def _join_wrapped(lines: list[str]) -> list[str]:
    """Rejoin hard-wrapped paragraphs: a line not ending a sentence followed by a lowercase start."""
    out: list[str] = []
    for line in lines:
        if out and out[-1] and line and line[0].islower() and not _SENTENCE_END.search(out[-1]):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def _drop_teasers(lines: list[str]) -> list[str]:
    keep = [True] * len(lines)
    for i, line in enumerate(lines):
        if not TEASER_MARKERS.fullmatch(line):
            continue
        keep[i] = False
        j = i - 1
        while j >= 0 and _is_headline(lines[j]):
            keep[j] = False
            j -= 1
        j = i + 1
        headlines = 0
        while j < len(lines) and _is_headline(lines[j]):
            keep[j] = False
            headlines += 1
            j += 1
        # A teaser headline is followed by its blurb: one paragraph, then the article resumes.
        if headlines and j < len(lines):
            keep[j] = False
    return [line for line, k in zip(lines, keep, strict=True) if k]


def clean_text(text: str, title: str | None = None) -> list[str]:
    """Return the article's prose paragraphs, debris removed, in order."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [clean_line(raw) for raw in text.split("\n")]
    lines = _join_wrapped([line for line in lines if line])
    lines = [line for line in lines if line.lower().rstrip(":") not in NAV_WORDS]
    lines = _drop_teasers(lines)
    title_key = normalize_key(title) if title else None
    seen: set[str] = set()
    out: list[str] = []
    for line in lines:
        key = normalize_key(line)
        if not key or key == title_key or key in seen:
            continue
        seen.add(key)
        if is_prose(line):
            out.append(line)
    return out
