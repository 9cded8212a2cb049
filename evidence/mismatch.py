"""Mismatch flags: the passage gives another value for something the claim states.

`find_mismatches(claim, passage)` compares what both texts quantify:

- `number`: the same kind of thing counted or measured in the same unit, another value
  (`105 mm` vs `155 mm`; `12,000 troops` vs `10,000 soldiers`);
- `unit`: the same dimension in another unit, and the values differ once converted
  (`two hours` vs `30 minutes`; `2 hours` vs `120 minutes` is no mismatch);
- `date`: another year (`2023` vs `2024`), another day of the same month, another month;
- `name`: the same office held by another person (`Defense Minister Shin` vs `Defense Minister Kim`).

A value is only compared with values of the same kind (unit dimension, currency, counted noun,
office), and any agreeing value in the passage clears it: a passage that mentions 2022 and 2024
does not contradict a claim about 2024. "More than", "about", "up to" and the like are honoured
(`more than 10,000` agrees with `12,000`). The flags describe the passage; whether they count as
contradiction evidence is the pipeline's decision (README, "Evidence a fact-checker can trust").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum


class MismatchKind(StrEnum):
    NUMBER = "number"
    DATE = "date"
    UNIT = "unit"
    NAME = "name"


@dataclass(frozen=True)
class Mismatch:
    """What the claim says and what the passage says instead, as written."""

    kind: MismatchKind
    claim: str
    passage: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind.value, "claim": self.claim, "passage": self.passage}


# --- numbers -------------------------------------------------------------------------------------

_SMALL = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}
_MULTIPLIERS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9, "m": 1e6}
# unit -> (dimension, factor to the dimension's base unit)
UNITS: dict[str, tuple[str, float]] = {
    "second": ("duration", 1 / 60),
    "minute": ("duration", 1.0),
    "min": ("duration", 1.0),
    "hour": ("duration", 60.0),
    "hr": ("duration", 60.0),
    "day": ("duration", 1440.0),
    "week": ("duration", 10080.0),
    "fortnight": ("duration", 20160.0),
    "month": ("duration", 43800.0),
    "year": ("duration", 525600.0),
    "decade": ("duration", 5256000.0),
    "mm": ("length", 1.0),
    "millimetre": ("length", 1.0),
    "millimeter": ("length", 1.0),
    "cm": ("length", 10.0),
    "centimetre": ("length", 10.0),
    "centimeter": ("length", 10.0),
    "metre": ("length", 1e3),
    "meter": ("length", 1e3),
    "km": ("length", 1e6),
    "kilometre": ("length", 1e6),
    "kilometer": ("length", 1e6),
    "mile": ("length", 1.609344e6),
    "inch": ("length", 25.4),
    "foot": ("length", 304.8),
    "feet": ("length", 304.8),
    "kg": ("mass", 1.0),
    "kilogram": ("mass", 1.0),
    "gram": ("mass", 1e-3),
    "tonne": ("mass", 1e3),
    "ton": ("mass", 1e3),
    "pound": ("mass", 0.4536),
    "hectare": ("area", 1.0),
    "acre": ("area", 0.4047),
    "litre": ("volume", 1.0),
    "liter": ("volume", 1.0),
    "gallon": ("volume", 3.785),
    "barrel": ("volume", 159.0),
    "percent": ("percent", 1.0),
    "per cent": ("percent", 1.0),
    "%": ("percent", 1.0),
    "percentage point": ("points", 1.0),
    "point": ("points", 1.0),
    "degree": ("temperature", 1.0),
    "megawatt": ("power", 1.0),
    "mw": ("power", 1.0),
    "gigawatt": ("power", 1e3),
    "gw": ("power", 1e3),
    "vote": ("votes", 1.0),
    "seat": ("seats", 1.0),
}
CURRENCIES = {
    "euro": "EUR",
    "€": "EUR",
    "dollar": "USD",
    "$": "USD",
    "pound": "GBP",
    "£": "GBP",
    "won": "KRW",
    "yen": "JPY",
    "¥": "JPY",
    "yuan": "CNY",
    "rouble": "RUB",
    "ruble": "RUB",
    "franc": "CHF",
    "krona": "SEK",
    "kronor": "SEK",
    "krone": "NOK",
    "zloty": "PLN",
    "rupee": "INR",
    "hryvnia": "UAH",
}
# Counted nouns that name the same thing.
SYNONYMS = {
    "soldier": "troop",
    "troop": "troop",
    "personnel": "troop",
    "round": "shell",
    "shell": "shell",
    "people": "person",
    "person": "person",
    "resident": "person",
    "job": "job",
    "post": "job",
    "worker": "worker",
    "employee": "worker",
    "staff": "worker",
    "lawmaker": "lawmaker",
    "deputy": "lawmaker",
    "mp": "lawmaker",
    "legislator": "lawmaker",
}
# Words after a number that are not what is counted.
_NOT_NOUNS = frozenset(
    {
        "of",
        "and",
        "or",
        "to",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "the",
        "a",
        "an",
        "more",
        "less",
        "than",
        "new",
        "other",
        "additional",
        "extra",
        "such",
        "as",
        "per",
        "each",
        "its",
        "their",
        "his",
        "her",
        "that",
        "which",
        "were",
        "was",
        "are",
        "is",
        "had",
        "have",
        "has",
        "would",
        "will",
    }
)
# Words that end a counted noun phrase ("300 officers took part").
_VERBS = frozenset(
    [
        "took",
        "taken",
        "take",
        "made",
        "make",
        "went",
        "go",
        "left",
        "came",
        "were",
        "was",
        "are",
        "is",
        "be",
        "been",
        "had",
        "have",
        "has",
        "got",
        "get",
        "gave",
        "held",
        "hold",
        "ran",
        "run",
        "won",
        "lost",
        "needed",
        "said",
        "say",
        "told",
        "could",
        "would",
        "will",
        "can",
        "may",
        "might",
        "must",
        "should",
    ]
)
_FRACTIONS = frozenset(
    {"half", "third", "quarter", "fifth", "tenth", "fraction", "few", "couple", "number", "lot"}
)
_NUMBER_WORD = "|".join(sorted(_SMALL, key=len, reverse=True))
_NUM = re.compile(
    r"(?P<prefix>(?:more\s+than|over|above|at\s+least|nearly|almost|about|around|roughly|some|approximately|"
    r"up\s+to|at\s+most|less\s+than|fewer\s+than|under|below|just\s+over|just\s+under|close\s+to)\s+)?"
    r"(?P<half>half\s+)?(?P<cur>[€$£¥])?\s?"
    r"(?P<num>(?<![\w.,-])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d])|(?<![\w.,-])\d+(?:\.\d+)?(?![\d,]\d)|"
    rf"\b(?:{_NUMBER_WORD})\b)"
    r"(?:[\s-]*(?P<mult>thousand|million|billion|trillion|bn|m)\b)?"
    # what follows, looked at but not consumed: "more than 150" after "Nordlys-2 cost" is a match too
    r"(?=(?P<rest>(?:[\s-]*[^\s,.;:()“”\"]+){0,3}))",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<![\w,.])(?:19|20)\d{2}(?!\w|,\d|\.\d)")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | {"sept": 9}
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" \
    r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"  # fmt: skip
_DAY_MONTH = re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH})(?![a-z])")
_MONTH_DAY = re.compile(rf"\b(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*(?:%|mm|km))")
_MONTH_ONLY = re.compile(
    rf"\b(?:in|since|until|by|from|during|last|early|late|mid-?|of)\s+(?P<month>{_MONTH})\b"
)


@dataclass(frozen=True)
class Quantity:
    text: str  # as written
    value: float
    kind: str  # a unit dimension, "money:EUR", or "count:<noun>"
    unit: str | None  # the unit as normalised ("hour"), None for counts
    relation: str  # "=", ">=", "<=", "~"
    start: int
    nouns: frozenset[str] = frozenset()  # what a measure is of: "155 mm shells" -> {"shell"}


def _singular(word: str) -> str:
    word = word.lower().strip("'’")
    if word in ("feet", "staff", "personnel", "people", "series", "news"):
        return word
    for suffix, repl in (("ies", "y"), ("ves", "f"), ("ches", "ch"), ("shes", "sh"), ("ses", "s"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + repl
    return word


def _relation(prefix: str | None) -> str:
    if not prefix:
        return "="
    p = " ".join(prefix.lower().split())
    if p in ("more than", "over", "above", "at least", "just over"):
        return ">="
    if p in ("up to", "at most", "less than", "fewer than", "under", "below", "just under"):
        return "<="
    return "~"


def _number(raw: str) -> float | None:
    raw = raw.lower().replace(",", "")
    if raw in _SMALL:
        return float(_SMALL[raw])
    try:
        return float(raw)
    except ValueError:
        return None


def quantities(text: str) -> list[Quantity]:
    """The quantities a text states (years and dates are `dates`, not quantities)."""
    out: list[Quantity] = []
    for m in _NUM.finditer(text):
        raw = m.group("num")
        value = _number(raw)
        if value is None:
            continue
        is_word = not raw[0].isdigit()
        rest_words = [w for w in re.split(r"[\s-]+", m.group("rest") or "") if w]
        mult = (m.group("mult") or "").lower()
        if mult == "m" and rest_words and rest_words[0].lower() in ("and", "to"):
            mult = ""
        if mult:
            value *= _MULTIPLIERS[mult]
        if not mult and not m.group("cur") and _YEAR.fullmatch(raw) and not _counted_next(rest_words):
            continue  # a year
        if is_word and raw.lower() in ("a", "an") and (not rest_words or rest_words[0].lower() in _FRACTIONS):
            continue  # "a third of the shells"
        if m.group("half"):
            value *= 0.5
        kind, unit, used = _kind(m.group("cur"), rest_words)
        if kind is None:
            continue
        if is_word and raw.lower() in ("a", "an") and not kind.startswith(("duration", "count")):
            continue
        if is_word and raw.lower() in ("a", "an", "one") and kind.startswith("count"):
            continue  # "a source", "one of the lawmakers"
        if unit is not None:
            value *= UNITS[unit][1]
        end = m.end("num") if not used else _end_of(m, used)
        written = text[m.start("cur") if m.group("cur") else m.start("num") : end].strip()
        if m.group("prefix"):
            written = text[m.start("prefix") : end].strip()
        nouns = frozenset(_nouns(rest_words[used:])) if unit is not None else frozenset()
        out.append(Quantity(written, value, kind, unit, _relation(m.group("prefix")), m.start(), nouns))
    return out


def _end_of(m: re.Match[str], used: int) -> int:
    rest = m.group("rest") or ""
    words = list(re.finditer(r"[^\s-]+", rest))
    if used > len(words):
        return m.end()
    return m.start("rest") + words[used - 1].end()


def _counted_next(words: list[str]) -> bool:
    return bool(words) and words[0].isalpha() and words[0].islower() and words[0] not in _NOT_NOUNS


def _kind(currency: str | None, words: list[str]) -> tuple[str | None, str | None, int]:
    """(kind, unit, words of `rest` used) for a number followed by `words`."""
    if currency:
        return f"money:{CURRENCIES[currency]}", None, 0
    lowered = [w.lower().strip(".") for w in words]
    if lowered and lowered[0] in ("%",):
        return "percent", "%", 1
    two = " ".join(lowered[:2])
    for phrase in ("per cent", "percentage point", "percentage points"):
        if two == phrase:
            return UNITS[phrase.rstrip("s")][0], phrase.rstrip("s"), 2
    for i, word in enumerate(lowered[:2]):
        single = _singular(word)
        if single in CURRENCIES:
            return f"money:{CURRENCIES[single]}", None, i + 1
        if single in UNITS and (i == 0 or lowered[0] in ("more", "extra", "additional")):
            return UNITS[single][0], single, i + 1
        if word.endswith("mm") and word[:-2].isdigit():
            return "length", "mm", i + 1
    # a count: the next noun-like words ("40,000 artillery shells" -> artillery, shell)
    nouns = _nouns(lowered)
    if nouns:
        return "count:" + "|".join(nouns), None, len(nouns)
    return None, None, 0


def _nouns(words: Sequence[str]) -> list[str]:
    """The noun-like words that open `words` (at most three), singular, synonyms merged."""
    nouns = []
    for raw in words[:3]:
        word = raw.lower().strip(".")
        if (
            not word.isalpha()
            or word in _NOT_NOUNS
            or word in _VERBS
            or (word.endswith("ed") and len(word) > 4)
        ):
            break
        nouns.append(SYNONYMS.get(_singular(word), _singular(word)))
    return nouns


def _comparable(a: Quantity, b: Quantity) -> bool:
    if a.kind.startswith("count:") and b.kind.startswith("count:"):
        return bool(set(a.kind[6:].split("|")) & set(b.kind[6:].split("|")))
    if a.kind != b.kind:
        return False
    # "155mm propellant charges" and "240 mm rocket launchers" measure different things.
    return not (a.nouns and b.nouns and not a.nouns & b.nouns)


def _agrees(a: Quantity, b: Quantity) -> bool:
    x, y = a.value, b.value
    if abs(x - y) <= 1e-9 * max(abs(x), abs(y), 1.0):
        return True
    for q, v, other in ((a, x, y), (b, y, x)):
        if q.relation == ">=" and other >= v:
            return True
        if q.relation == "<=" and other <= v:
            return True
        if q.relation == "~" and abs(other - v) <= 0.1 * max(abs(v), 1.0):
            return True
    return False


# --- dates -------------------------------------------------------------------------------------


def _month_number(name: str) -> int:
    key = name.lower().rstrip(".")
    if key in _MONTHS:
        return _MONTHS.index(key) + 1
    return _MONTH_ABBR.get(key[:4] if key.startswith("sept") else key[:3], 0)


def years(text: str) -> list[tuple[str, int]]:
    return [(m.group(0), int(m.group(0))) for m in _YEAR.finditer(text)]


def days(text: str) -> list[tuple[str, tuple[int, int]]]:
    """(written, (month, day)) of every day-of-month date."""
    found = []
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        for m in pattern.finditer(text):
            month, day = _month_number(m.group("month")), int(m.group("day"))
            if month and 1 <= day <= 31:
                found.append((m.group(0), (month, day)))
    return found


def months(text: str) -> list[tuple[str, int]]:
    found = [(m.group("month"), _month_number(m.group("month"))) for m in _MONTH_ONLY.finditer(text)]
    found += [(w, md[0]) for w, md in days(text)]
    return [(w, n) for w, n in found if n]


# --- names -------------------------------------------------------------------------------------

_OFFICES = (
    r"Prime\s+Minister|Minister|President|Chancellor|Premier|Secretary|Governor|Mayor|Ambassador|"
    r"Spokesman|Spokeswoman|Spokesperson|Chief\s+Executive|CEO|Chairman|Chairwoman|Chair|Director|"
    r"Commander|Coach|Judge|Prosecutor|Envoy|Adviser|Advisor|Speaker|Senator|Leader|Commissioner|"
    r"Attorney\s+General|General|Admiral"
)
_PORTFOLIO = (
    r"(?:(?:Deputy|Vice|Acting|Former|Interim|First|Foreign|Defen[cs]e|Finance|Trade|Health|Interior|Justice|"
    r"Economy|Economic|Education|Labou?r|Energy|Agriculture|Environment|Transport|Culture|Home|"
    r"National\s+Security|Security|Industry|Digital|Science|Housing|Budget|Treasury|Fisheries|Sport|"
    r"Regional|Opposition|Party|Senate|Assembly|Army|Navy|Police|Central\s+Bank|Coalition)\s+)*"
)
_NAME = r"(?P<name>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2})"
_TITLED = re.compile(
    rf"\b(?P<role>{_PORTFOLIO}(?:{_OFFICES})(?:\s+of\s+(?:National\s+)?(?P<of>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?))?)"
    rf"\s+{_NAME}"
)
_WORD_RE = re.compile(r"[\w'’]+")


@dataclass(frozen=True)
class Office:
    written: str
    role: frozenset[str]
    name: frozenset[str]


def _role_key(role: str, of: str | None) -> frozenset[str]:
    words = {w.lower() for w in _WORD_RE.findall(role)} - {"of", "national", "former", "acting", "interim"}
    if of:
        words |= {w.lower() for w in _WORD_RE.findall(of)}
    return frozenset("defense" if w == "defence" else "labor" if w == "labour" else w for w in words)


def offices(text: str) -> list[Office]:
    out = []
    for m in _TITLED.finditer(text):
        name_words = [w for w in _WORD_RE.findall(m.group("name")) if w.lower() not in ("said", "says")]
        # "President-elect", "Minister Kim Said" etc. are cut by the capitalised-words pattern anyway.
        if not name_words:
            continue
        out.append(
            Office(
                written=m.group(0),
                role=_role_key(m.group("role"), m.group("of")),
                name=frozenset(w.lower().replace("’", "'") for w in name_words),
            )
        )
    return out


# --- comparison --------------------------------------------------------------------------------


def _name_tokens(text: str) -> set[str]:
    return {w.lower().replace("’", "'") for w in _WORD_RE.findall(text)}


def _mismatched_quantities(claim: str, passage: str) -> Iterator[Mismatch]:
    mine, theirs = quantities(claim), quantities(passage)
    for q in mine:
        same = [p for p in theirs if _comparable(q, p)]
        if not same or any(_agrees(q, p) for p in same):
            continue
        other = same[0]
        kind = MismatchKind.UNIT if q.unit and other.unit and q.unit != other.unit else MismatchKind.NUMBER
        yield Mismatch(kind, q.text, other.text)


def _mismatched_dates(claim: str, passage: str) -> Iterator[Mismatch]:
    claim_years, passage_years = years(claim), years(passage)
    passage_year_values = {y for _, y in passage_years}
    for written, year in claim_years:
        if passage_years and year not in passage_year_values:
            yield Mismatch(MismatchKind.DATE, written, passage_years[0][0])
    claim_days, passage_days = days(claim), days(passage)
    for written, (month, day) in claim_days:
        same_month = [(w, md) for w, md in passage_days if md[0] == month]
        if same_month and all(md[1] != day for _, md in same_month):
            yield Mismatch(MismatchKind.DATE, written, same_month[0][0])
    claim_months, passage_months = months(claim), months(passage)
    passage_month_values = {n for _, n in passage_months}
    for written, month in claim_months:
        if passage_months and month not in passage_month_values:
            yield Mismatch(MismatchKind.DATE, written, passage_months[0][0])


def _mismatched_names(claim: str, passage: str) -> Iterator[Mismatch]:
    passage_words = _name_tokens(passage)
    theirs = offices(passage)
    for mine in offices(claim):
        if mine.name & passage_words:
            continue  # the claim's person is named in the passage
        for other in theirs:
            if other.role == mine.role and not (other.name & mine.name):
                yield Mismatch(MismatchKind.NAME, mine.written, other.written)
                break


def find_mismatches(claim: str, passage: str) -> list[Mismatch]:
    """Every value the claim states that the passage gives differently (see the module docstring)."""
    found: list[Mismatch] = []
    for flag in (
        *_mismatched_quantities(claim, passage),
        *_mismatched_dates(claim, passage),
        *_mismatched_names(claim, passage),
    ):
        if flag not in found:
            found.append(flag)
    return found
