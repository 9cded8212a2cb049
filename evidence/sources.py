"""Who a report comes from: outlet names, the outlets a document relays, a passage's cited outlet.

A document *relays* another outlet when it says so: "according to broadcaster SBS", "SBS News
reported", "citing Bloomberg", "as quoted by The Korea Herald", "a report by Yonhap News Agency",
a dangling credit line ("South China Morning Post."), or a source credit the index kept aside
("Read Full Article at RT.com", `index.Passage.credits`). A name counts as an outlet only when it
is one of the index's outlets, a well-known news organisation (`KNOWN_OUTLETS`), looks like a
masthead ("... News", "... Post", "... Herald", "RT.com") or is introduced as one
("broadcaster SBS", "the newspaper Le Monde"): "the Ukrainian delegation reported that ..." is
reported speech, not a relay.

Names are compared by `outlet_key`: case, a leading "the", descriptors and a trailing
"News"/"News Agency"/".com" are ignored, and a few agencies' short and long names are one
("AP" = "Associated Press"), so "SBS", "SBS News" and "broadcaster SBS" are one source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: News organisations recognised by name alone (wire agencies, broadcasters, large papers).
KNOWN_OUTLETS: tuple[str, ...] = (
    "ABC News",
    "AFP",
    "Agence France-Presse",
    "Al Jazeera",
    "ANSA",
    "AP",
    "Associated Press",
    "Axios",
    "BBC",
    "Bloomberg",
    "CBS",
    "CNN",
    "Der Spiegel",
    "Deutsche Welle",
    "DPA",
    "EFE",
    "Financial Times",
    "France 24",
    "Interfax",
    "KBS",
    "Kyodo",
    "Le Monde",
    "MBC",
    "NBC",
    "Newsis",
    "NHK",
    "NPR",
    "Politico",
    "PTI",
    "Reuters",
    "RIA Novosti",
    "RT",
    "SBS",
    "South China Morning Post",
    "Sputnik",
    "TASS",
    "The Guardian",
    "The New York Times",
    "The Wall Street Journal",
    "The Washington Post",
    "Xinhua",
    "Yonhap",
)
# Short and long names of one organisation.
ALIASES: dict[str, str] = {
    "ap": "associated press",
    "afp": "agence france-presse",
    "agence france presse": "agence france-presse",
    "scmp": "south china morning post",
    "nyt": "new york times",
    "wsj": "wall street journal",
    "dw": "deutsche welle",
}
# Last words of a masthead.
MASTHEAD_WORDS = frozenset(
    {
        "news",
        "post",
        "times",
        "herald",
        "tribune",
        "journal",
        "gazette",
        "daily",
        "telegraph",
        "guardian",
        "independent",
        "observer",
        "express",
        "courier",
        "ledger",
        "wire",
        "agency",
        "press",
        "tv",
        "radio",
        "broadcasting",
        "broadcaster",
        "chronicle",
        "standard",
        "mirror",
        "ilbo",
        "shimbun",
        "pravda",
        "bulletin",
        "dispatch",
        "examiner",
        "inquirer",
        "monitor",
        "sentinel",
        "today",
        "weekly",
        "magazine",
    }
)
# Words that introduce an outlet ("broadcaster SBS", "news agency Yonhap").
DESCRIPTORS = (
    r"(?:state[- ]run |state |public |private |commercial |local |national |online |business |financial )?"
    r"(?:broadcaster|newspaper|news agency|news outlet|news site|news website|wire service|agency|daily|"
    r"outlet|channel|network|magazine|tabloid|website|media outlet|media|TV channel|radio station|"
    r"publication|paper)"
)
# A capitalised name: words starting upper-case (or digits), joined by "of", "the", "and", "&", "-".
_WORD = r"(?:[A-Z][\w&'’.-]*[\w]|[A-Z]|\d+)"
NAME = rf"(?:{_WORD}(?:\s+(?:(?:of|the|and|de|du|der|di|&)\s+)?{_WORD})*)"
_THE = r"(?:[Tt]he\s+)?"
# "Moscow's state news agency TASS": a possessor before the descriptor.
_POSSESSOR = r"[A-Z][\w.-]*['’]s\s+(?=(?:state|public|private|news|broadcaster|newspaper|agency))"
_DESC = rf"(?:{DESCRIPTORS}\s+)?"

# A cue, then the outlet's name.
_AFTER_CUE = re.compile(
    r"(?i:\baccording\s+to|\bciting|\bcited\s+by|\bas\s+(?:quoted|reported|cited|first\s+reported)\s+by|"
    r"\b(?:a|the|an)\s+(?:report|article|story|interview|broadcast)\s+(?:by|from|in|on|with)|"
    r"\b(?:told|to\s+tell)|\bin\s+an?\s+(?:interview|report|article)\s+(?:with|by|in|on|for)|"
    r"\b(?:originally|first)\s+(?:appeared|published|reported)\s+(?:in|on|by|at)|"
    r"\brepublished\s+(?:from|with\s+permission\s+(?:of|from))|\bcourtesy\s+of|"
    r"\b(?:read|see|view)\s+(?:the\s+)?full\s+(?:article|story|report)\s+(?:at|on)|"
    r"\binterview\s+with)"
    rf"\s+{_THE}(?:{_POSSESSOR})?(?P<desc>{_DESC})(?P<name>{NAME})"
)
# The outlet's name, then a verb of reporting.
_BEFORE_VERB = re.compile(
    rf"(?:^|[\s,;(])(?:{_THE}|The\s+)?(?P<desc>{_DESC})(?P<name>{NAME})(?:'s?|’s?)?"
    r"\s+(?:\w+\s+)?(?:reported|reports|has\s+reported|had\s+reported|was\s+reporting|wrote|"
    r"published|quoted|cited|broadcast|said\s+in\s+a\s+report|cited\s+sources)\b"
)
# "... , SBS News reported on 28 November." at the end of a sentence.
_LINE_CREDIT = re.compile(rf"^\s*{_THE}(?P<name>{NAME})\s*[.]?\s*$")
# An outlet introduced as one anywhere: "... with Moscow's state news agency TASS".
_INTRODUCED = re.compile(rf"\b(?P<desc>{DESCRIPTORS})\s+(?P<name>{NAME})")
# A dateline credit: "SEOUL (Reuters) -".
_DATELINE = re.compile(rf"^[A-Z][A-Z ,.'-]*\((?P<name>{NAME})\)\s*[-—–]")
_TRAILING_JUNK = re.compile(r"(?:\s+(?:on|in|at|of|the|and|&))+$")
_DOMAIN = re.compile(r"\.(?:com|net|org|co\.uk|co|news|tv|info)$", re.IGNORECASE)
_KEY_DROP_END = re.compile(
    r"(?:\s+news\s+agency|\s+news\s+service|\s+news|\s+agency|\s+newspaper|\s+tv|\s+broadcasting)$"
)


def outlet_key(name: str) -> str:
    """The identity of an outlet's name: 'SBS News', 'broadcaster SBS' and 'SBS' give 'sbs'."""
    key = " ".join(name.replace("’", "'").split()).lower()
    key = re.sub(rf"^(?:the\s+)?{DESCRIPTORS.lower()}\s+", "", key)
    key = _DOMAIN.sub("", key)
    key = re.sub(r"^the\s+", "", key)
    key = re.sub(r"'s?$", "", key)
    previous = None
    while previous != key:
        previous = key
        dropped = _KEY_DROP_END.sub("", key)
        key = dropped if dropped else key
    key = key.replace("-", " ")
    return ALIASES.get(key, ALIASES.get(key.replace(" ", "-"), key)).replace("-", " ")


def display_name(name: str) -> str:
    """The name as a reader should see it: descriptors and a web domain's suffix removed."""
    name = " ".join(name.split()).strip(" .,;:")
    name = re.sub(rf"^(?:the\s+)?{DESCRIPTORS}\s+", "", name, flags=re.IGNORECASE)
    return _DOMAIN.sub("", name)


@dataclass(frozen=True)
class Outlets:
    """The outlet names a text is judged against: the index's outlets plus `KNOWN_OUTLETS`.

    `names` maps each key to the spelling shown: the index's own where it has the outlet, else
    the well-known name ("SBS News" and "broadcaster SBS" both show as "SBS").
    """

    keys: frozenset[str]
    names: Mapping[str, str]

    @classmethod
    def of(cls, index_outlets: Iterable[str | None] = ()) -> Outlets:
        names: dict[str, str] = {}
        for name in [*(o for o in index_outlets if o), *KNOWN_OUTLETS]:
            names.setdefault(outlet_key(name), name)
        return cls(frozenset(names), names)

    def show(self, name: str) -> str:
        """The spelling to show for an outlet's name."""
        return self.names.get(outlet_key(name), display_name(name))

    def is_outlet(self, name: str, introduced: bool = False) -> bool:
        """True when `name` names a news organisation (see the module docstring)."""
        cleaned = _TRAILING_JUNK.sub("", name.strip())
        if not cleaned or (not cleaned[0].isupper() and not cleaned[0].isdigit()):
            return False
        if introduced:  # "broadcaster SBS"
            return True
        if outlet_key(cleaned) in self.keys or _DOMAIN.search(cleaned):
            return True
        words = cleaned.split()
        return len(words) >= 2 and words[-1].lower() in MASTHEAD_WORDS


def _clean_name(raw: str) -> str:
    name = _TRAILING_JUNK.sub("", raw.strip())
    # "SBS News reported on 28 November": the name ends before a lower-case word anyway; cut a
    # trailing month or weekday that the capitalised-words pattern swallowed.
    return re.sub(
        r"\s+(?:on|in)?\s*(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|"
        r"March|April|May|June|July|August|September|October|November|December)\b.*$",
        "",
        name,
    )


def cited_outlets(text: str, outlets: Outlets, own: str | None = None) -> list[str]:
    """The outlets a sentence says it relays, in order of appearance (its own outlet left out)."""
    own_key = outlet_key(own) if own else None
    found: list[tuple[int, str]] = []
    for pattern in (_AFTER_CUE, _BEFORE_VERB, _INTRODUCED):
        for match in pattern.finditer(text):
            name = _clean_name(match.group("name"))
            introduced = bool(match.group("desc"))
            # The sentence's first word is capitalised anyway: "Government sources said" is no name.
            if outlets.is_outlet(name, introduced):
                found.append((match.start("name"), outlets.show(name)))
    for pattern in (_LINE_CREDIT, _DATELINE):
        credit = pattern.search(text)
        if credit is not None and outlets.is_outlet(_clean_name(credit.group("name"))):
            found.append((credit.start("name"), outlets.show(_clean_name(credit.group("name")))))
    seen: set[str] = set()
    names: list[str] = []
    for _, name in sorted(found):
        key = outlet_key(name)
        if key and key != own_key and key not in seen:
            seen.add(key)
            names.append(name)
    return names


def relays(texts: Sequence[str], credits: Sequence[str], outlets: Outlets, own: str | None) -> list[str]:
    """The outlets a whole document relays: its source credits first, then every sentence's citations."""
    names: list[str] = []
    seen: set[str] = set()
    for text in [*credits, *texts]:
        for name in cited_outlets(text, outlets, own):
            key = outlet_key(name)
            if key not in seen:
                seen.add(key)
                names.append(name)
    return names


def republished(credits: Sequence[str], outlets: Outlets, own: str | None) -> str | None:
    """The outlet whose report the whole document republishes (its source credit), if it names one."""
    for credit in credits:
        names = cited_outlets(credit, outlets, own)
        if names:
            return names[0]
    return None
