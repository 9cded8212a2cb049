"""Who is speaking in a news sentence: the outlet itself, a direct quote, or reported speech.

`attribute(text, context_before)` gives an `Attribution(kind, speaker)`:

- `quote`: the sentence reproduces someone's words in quotation marks (two words or more),
  `“The war ... is an illegal invasion,” Kim said.` or `Kim said he “did not receive any
  proposals”`; a sentence that is all quotation and names no speaker takes the speaker of the
  sentence before it;
- `reported_speech`: the sentence attributes its content to a speaker without quoting
  (`Kim said South Korea was ...`, `..., the company said on Tuesday.`, `according to SBS`);
- `outlet`: neither: the outlet states it in its own voice (`reportedly` alone names no one).

The speaker is the attributed noun phrase as written (`Minister of National Defense Kim
Yong-hyun`, `the company`, `SBS`), without a relative clause or an appositive in commas; a
pronoun (`he added`) is resolved to the speaker of the sentence before when that one has a named
speaker, else it is null. Rules, not a model: they are measured on the hand-labelled sentences in
`tests/evidence/data/attribution.jsonl` (README, "Evidence a fact-checker can trust").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .sources import DESCRIPTORS, display_name


class AttributionKind(StrEnum):
    """Whose voice a sentence is in."""

    OUTLET = "outlet"
    QUOTE = "quote"
    REPORTED_SPEECH = "reported_speech"


@dataclass(frozen=True)
class Attribution:
    """The kind of voice and, when the sentence names one, the speaker."""

    kind: AttributionKind
    speaker: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind.value, "speaker": self.speaker}


# Verbs that attribute what follows (or what precedes) to their subject.
_VERBS = (
    r"said|says|say|told|tells|added|adds|stated|states|noted|notes|explained|explains|announced|"
    r"announces|warned|warns|claimed|claims|insisted|insists|denied|denies|confirmed|confirms|"
    r"acknowledged|acknowledges|argued|argues|asserted|asserts|maintained|"
    r"maintains|reported|wrote|writes|tweeted|posted|suggested|suggests|predicted|predicts|"
    r"estimated|estimates|believes|believed|believe|urged|urges|described|describes|"
    r"admitted|admits|recalled|stressed|stresses|emphasised|emphasized|pointed\s+out|mentioned|"
    r"highlighted|indicated|indicates|revealed|alleged|alleges|accused|testified|complained|"
    r"promised|pledged|vowed|cautioned|cautions|replied|responded|commented|disclosed|conceded|"
    r"contended|countered|assured|dismissed|expressed|attributed|worry|worries|worried|fear|fears|"
    r"feared|hope|hopes|hoped|doubt|doubts|thinks|think|concluded|threatened|threatens|"
    r"projected|forecast|forecasts|quoted|cited|signalled|signaled|objected|rejected|disputed|"
    r"repeated|reiterated|blamed|blames|shows|showed|show|"
    r"(?:rule|rules|ruled)\s+out|declared\s+that|declares\s+that|"
    # "called for", "called on", "called the vote \"a responsible choice\"", not "called a strike".
    r"(?:called|calls|call)\s+(?:for|on|upon)|(?:called|calls)\s+[^“”\",.]{1,40}[“\"]|"
    # "Management put the figure at 300": an estimate is someone's statement too.
    r"(?:put|puts|places|placed)\s+(?:the|its|their|his|her)\s+(?:[\w'’-]+\s+){1,5}?(?:at|closer\s+to)\s+"
    r"(?:about\s+|around\s+|some\s+|nearly\s+|roughly\s+)?[$€£]?\d[\d,.]*\d|"
    r"(?:put|puts|places|placed)\s+(?:the|its|their|his|her)\s+(?:[\w'’-]+\s+){1,5}?(?:at|closer\s+to)\s+"
    r"(?:about\s+|around\s+|some\s+|nearly\s+|roughly\s+)?[$€£]?\d"
)
_AUX = (
    r"(?:(?:also|later|previously|earlier|repeatedly|has|have|had|was|were|is|are|would|will|"
    r"publicly|reportedly|separately|again|then|further|first|now|once|recently|"
    r"privately|officially|openly|initially|subsequently|already|still|even|not|did|does|do|could|"
    r"didn['’]t|doesn['’]t|hasn['’]t|haven['’]t|wouldn['’]t|won['’]t|can['’]t|couldn['’]t)\s+)*"
)
# Negated speech asserts nothing: "didn't say whether", "declined to say".
_NEGATED = re.compile(
    r"\b(?:did\s+not|didn['’]t|does\s+not|doesn['’]t|would\s+not|wouldn['’]t|could\s+not|couldn['’]t|"
    r"will\s+not|won['’]t|has\s+not|hasn['’]t|have\s+not|haven['’]t|declined\s+to|refused\s+to|"
    r"made\s+no|never)\s*$",
    re.IGNORECASE,
)
# A wire dateline before the sentence: "SEOUL, South Korea — ", "PRAGUE (Reuters) - ".
_DATELINE = re.compile(r"^[A-Z][A-Z .'’-]+(?:,\s*[A-Z][\w .'’-]*?)?(?:\s*\([^)]{1,30}\))?\s*[—–-]+\s+")
_PRONOUNS = frozenset({"he", "she", "they", "it", "him", "her", "them", "we", "i"})
# A short noun phrase: no sentence punctuation, at most this many words.
MAX_SPEAKER_WORDS = 12

_QUOTE_PAIR = re.compile(r"[“\"]([^“”\"]+)[”\"]")
_QUOTE_OPEN = re.compile(r"[“\"]([^“”\"]+)$")
_WORDS = re.compile(r"[\w'’-]+")

# "..., according to X[,.]" : X up to the next comma, semicolon or end.
_ACCORDING = re.compile(
    r"(?i:\baccording\s+to)\s+(?P<speaker>[^,;.:“”\"]+?(?:\.(?:com|[A-Z]\.)[^,;:“”\"]*?)?)\s*(?:[,;.:]|$)"
)
# "“...,” Kim said on Thursday." / "..., the company said." / "..., said Kim." at a clause end.
_TRAILING = re.compile(
    r"(?:[,?!][”\"]|[”\"][,?!]?|,)\s+(?P<speaker>[^,;“”\"]{1,90}?)(?:,\s+[^,;“”\"]{1,120},)?\s+"
    + _AUX
    + r"(?P<verb>"
    + _VERBS
    + r")\b(?P<tail>[^,“”\"]{0,120}?)(?:[.!?][”\"]?)?\s*$"
)
_TRAILING_INVERTED = re.compile(
    r"(?:[,?!][”\"]|,)\s+(?:said|says|added|wrote|told\s+reporters)\s+(?P<speaker>[^,;“”\"]{1,90}?)"
    r"(?:,[^“”\"]*)?[.!?]?\s*$"
)
# Mid-sentence "“...,” Doo added, noting that ...".
_QUOTE_THEN_VERB = re.compile(
    r"[,?!][”\"]\s+(?P<speaker>[^,;“”\"]{1,90}?)\s+" + _AUX + r"(?P<verb>" + _VERBS + r")\b"
)
# Leading adverbials before the subject: "On Thursday, ", "Continuing, ", "In October, ".
_LEAD = r"(?P<lead>(?:(?:[A-Z][^,“”\"]{0,60}|[Aa]lso [^,“”\"]{0,40}),\s+)??)"  # lazy: no lead first
# "Kim said ...", "Shin, the national security adviser, said ...", "X, who ..., said ...".
_LEADING = re.compile(
    r"^" + _LEAD + r"(?P<speaker>[^,;:“”\"]{1,110}?)"
    r"(?P<apposition>,\s+[^,;“”\"]{1,170},)?"
    r"\s+" + _AUX + r"(?P<verb>" + _VERBS + r")\b"
)
# "A statement released by X said", "X said in a statement ... that" are covered by _LEADING;
# "X released a statement indicating / saying that" is not.
_STATEMENT = re.compile(
    r"^" + _LEAD + r"(?P<speaker>[^,;:“”\"]{1,80}?)\s+" + _AUX
    + r"(?:released|issued|published|put\s+out|sent)\s+(?:a|an)\s+(?:statement|report|letter|note)\s+"
    r"(?:\w+\s+){0,3}?(?P<verb>saying|indicating|stating|claiming|warning|confirming|announcing|denying)\b"
)  # fmt: skip
# "Activists organized protests, arguing that ...": the main clause's subject is the speaker. The
# subject ends before its verb, taken as the first lower-case word ending in -ed.
_PARTICIPLE = re.compile(
    r"^" + _LEAD + r"(?P<speaker>(?:[A-Za-z][\w'’.-]*\s+){0,8}?)(?P<verb>[a-z]+ed)\b[^“”\"]*?,\s+"
    r"(?:arguing|saying|claiming|insisting|warning|stating|noting|adding)\b"
)
# "X happened, but the port authority said Y": the second clause is attributed.
_CLAUSE_SAID = re.compile(
    r",\s+(?:but|and|while|though|although)\s+(?P<speaker>(?:the|a|an|its|[A-Z])[^,;“”\"]{0,60}?)\s+"
    + _AUX
    + r"(?P<verb>said|says|insisted|insists|maintained|maintains|argued|argues|denied|denies)\b"
)
# "..., with Ukraine and the U.S. saying that ...".
_WITH_SAYING = re.compile(
    r"\bwith\s+(?P<speaker>[^,;“”\"]{1,60}?)\s+(?P<verb>saying|claiming|warning|insisting|arguing|reporting)\s+"
    r"(?:that\b)?"
)
_TIME_TAIL = re.compile(
    r"\s+(?:on|last|this|late|early|in|at|during)\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
    r"Sunday|week|month|year|night|morning|evening|[A-Z][a-z]+\.?\s*\d*).*$"
)
_WEEKDAY_TAIL = re.compile(r"\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b.*$")
_NOT_SUBJECT = re.compile(
    r"^(?:that|which|and|but|or|as|while|when|if|because|so|to|whether|noting|adding|saying|citing)\b",
    re.IGNORECASE,
)
_CLAUSE_WORDS = re.compile(
    r"\b(?:is|are|was|were|has|have|had|will|would|could|should|can|may|might|did|does|do)\b"
    r"(?!\s+(?:also|later|previously|earlier|repeatedly)?\s*(?:" + _VERBS + r")\b)"
)


def _quoted(text: str) -> list[str]:
    spans = _QUOTE_PAIR.findall(text)
    stripped = _QUOTE_PAIR.sub(" ", text)
    spans += _QUOTE_OPEN.findall(stripped)
    return spans


def quote_words(text: str) -> int:
    """Words inside quotation marks (the longest span); 0 when the sentence quotes nothing."""
    return max((len(_WORDS.findall(span)) for span in _quoted(text)), default=0)


def _mostly_quoted(text: str) -> bool:
    inside = sum(len(_WORDS.findall(span)) for span in _quoted(text))
    total = len(_WORDS.findall(text))
    return total > 0 and inside / total >= 0.6


def _clean_speaker(raw: str) -> str | None:
    speaker = " ".join(raw.split()).strip(" ,;:-—–")
    speaker = _TIME_TAIL.sub("", speaker)
    speaker = _WEEKDAY_TAIL.sub("", speaker)
    speaker = re.sub(r"^(?:and|but|while|as|so)\s+", "", speaker, flags=re.IGNORECASE)
    speaker = speaker.strip(" ,;:-—–")
    if not speaker or _NOT_SUBJECT.match(speaker):
        return None
    words = speaker.split()
    if len(words) > MAX_SPEAKER_WORDS:
        return None
    if re.match(rf"^(?:the\s+)?{DESCRIPTORS}\s+[A-Z]", speaker, re.IGNORECASE):
        speaker = display_name(speaker)  # "broadcaster SBS" -> "SBS"
    return speaker


def _is_pronoun(speaker: str) -> bool:
    return speaker.lower() in _PRONOUNS


def _plausible_subject(speaker: str) -> bool:
    """A leading speaker must read like a noun phrase, not a clause ("The report comes as X")."""
    if _CLAUSE_WORDS.search(speaker):
        return False
    first = speaker.split()[0]
    return first[0].isupper() or first.lower() in {
        "a",
        "an",
        "the",
        "two",
        "three",
        "several",
        "many",
        "some",
    }


def _inverted_speaker(speaker: str) -> bool:
    """ ", said government spokeswoman Clara Idris.": a name after the verb, not the reported clause."""
    words = speaker.split()
    return (
        len(words) <= 8
        and not _CLAUSE_WORDS.search(speaker)
        and not re.search(r"\b(?:that|which|who|whether)\b", speaker)
        and words[0].lower()
        not in {"last", "on", "this", "in", "at", "yesterday", "earlier", "today", "later"}
    )


def _cue(text: str) -> tuple[str, bool] | None:
    """(raw speaker, is_outermost) of the sentence's attribution, or None when it has none."""
    match = _ACCORDING.search(text)
    if match is not None:
        return match.group("speaker"), True
    # An attribution at the end is the outermost one ("X said Y ..., his office said").
    for pattern in (_TRAILING, _TRAILING_INVERTED):
        match = pattern.search(text)
        if match is not None and not _NEGATED.search(text[: match.start("speaker")]):
            speaker = match.group("speaker").strip()
            if (
                speaker
                and not _NOT_SUBJECT.match(speaker)
                and len(speaker.split()) <= MAX_SPEAKER_WORDS
                and (pattern is _TRAILING or _inverted_speaker(speaker))
            ):
                return speaker, True
    match = _QUOTE_THEN_VERB.search(text)
    if match is not None:
        return match.group("speaker"), True
    match = _WITH_SAYING.search(text)
    if match is not None and _plausible_subject(match.group("speaker").strip()):
        return match.group("speaker"), True
    match = _CLAUSE_SAID.search(text)
    if match is not None and not _CLAUSE_WORDS.search(match.group("speaker")):
        return match.group("speaker"), True
    for pattern in (_LEADING, _STATEMENT, _PARTICIPLE):
        match = pattern.match(text)
        if match is None:
            continue
        speaker = match.group("speaker")
        before_verb = text[: match.start("verb")]
        ruled_out = re.match(r"rules?|ruled", match.group("verb"))
        if (_NEGATED.search(before_verb) and not ruled_out) or not _plausible_subject(speaker.strip()):
            continue
        return speaker, False
    return None


def attribute(text: str, context_before: str | None = None) -> Attribution:
    """The sentence's `Attribution` (see the module docstring); `context_before` resolves pronouns."""
    return _attribute(text, context_before, 0)


def _attribute(text: str, context_before: str | None, depth: int) -> Attribution:
    text = _DATELINE.sub("", " ".join(text.split()))
    quoted = quote_words(text) >= 2
    cue = _cue(text)
    speaker: str | None = None
    if cue is not None:
        speaker = _clean_speaker(cue[0])
    if speaker is not None and _is_pronoun(speaker):
        speaker = _previous_speaker(context_before, depth)
    if cue is not None and (speaker is not None or cue[0].strip().lower() in _PRONOUNS):
        kind = AttributionKind.QUOTE if quoted else AttributionKind.REPORTED_SPEECH
        return Attribution(kind, speaker)
    if quoted:
        # All quotation and no speaker named: the speaker of the sentence before goes on talking.
        if _mostly_quoted(text):
            return Attribution(AttributionKind.QUOTE, _previous_speaker(context_before, depth))
        return Attribution(AttributionKind.QUOTE, None)
    return Attribution(AttributionKind.OUTLET, None)


def _previous_speaker(context_before: str | None, depth: int) -> str | None:
    if not context_before or depth > 0:
        return None
    previous = _attribute(context_before, None, depth + 1)
    if previous.speaker is None or _is_pronoun(previous.speaker):
        return None
    return previous.speaker
