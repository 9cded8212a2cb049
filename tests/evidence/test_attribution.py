"""Attribution on the hand-labelled news sentences (tests/evidence/data/attribution.jsonl)."""

from __future__ import annotations

from evidence import AttributionKind, attribute
from evidence.__main__ import main
from evidence.labelled import ATTRIBUTION_FILE, read_jsonl, score_attribution, speaker_matches

ROWS = read_jsonl(ATTRIBUTION_FILE)
HERALD_DENIAL = (
    "Minister of National Defense Kim Yong-hyun, who spoke with his visiting Ukrainian counterpart Rustem "
    "Umerov for 30 minutes on Wednesday, said he “did not receive any proposals” from the delegation about "
    "buying the Cheongung air defense system, as some reports had speculated."
)


def test_the_labelled_set_is_large_enough_and_covers_every_kind() -> None:
    assert len(ROWS) >= 150
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    kinds = {k.value: sum(r["kind"] == k.value for r in ROWS) for k in AttributionKind}
    assert all(n >= 30 for n in kinds.values()), kinds
    for row in ROWS:
        assert row["text"].strip() and row["part"] in {"dev", "heldout", "final"}
        # a speaker is labelled exactly when someone is quoted or reported
        assert (row["kind"] == "outlet") == (row["speakers"] is None), row["id"]
    assert sum(r["part"] == "heldout" for r in ROWS) >= 100


def test_precision_per_kind_on_the_labelled_sentences() -> None:
    report = score_attribution(ROWS)
    assert report.sentences == len(ROWS)
    for kind in AttributionKind:
        score = report.kinds[kind.value]
        assert score.predicted > 0
        assert score.precision >= 0.95, (kind, score, report.errors)
        assert score.recall >= 0.95, (kind, score, report.errors)
    assert report.speaker_accuracy >= 0.9, report.lines()


def test_held_out_sentences_stay_precise() -> None:
    report = score_attribution([r for r in ROWS if r["part"] != "dev"])
    assert report.sentences >= 140
    assert all(k.precision >= 0.9 for k in report.kinds.values()), report.lines()


def test_the_ministers_denial_is_his_quote_not_the_outlets_voice() -> None:
    got = attribute(HERALD_DENIAL)
    assert got.kind is AttributionKind.QUOTE
    assert got.speaker is not None and "Kim Yong-hyun" in got.speaker


def test_a_pronoun_speaker_is_resolved_from_the_sentence_before() -> None:
    before = (
        "Continuing, Kim said South Korea was “responding in solidarity with the international community”."
    )
    got = attribute("“I’m not supposed to give more details,” he added.", before)
    assert got == attribute("“I’m not supposed to give more details,” he added.", before)
    assert got.kind is AttributionKind.QUOTE and got.speaker == "Kim"
    assert attribute("“I’m not supposed to give more details,” he added.").speaker is None


def test_reported_speech_names_who_said_it() -> None:
    cases = {
        "The government is reportedly hesitant to approve the sale, according to broadcaster SBS.": "SBS",
        "The licence was suspended, not refused, two officials at the trade ministry said on Wednesday.": (
            "two officials at the trade ministry"
        ),
        "Shin, the national security adviser, said last week that Russia supplied missile systems.": "Shin",
    }
    for text, speaker in cases.items():
        got = attribute(text)
        assert got.kind is AttributionKind.REPORTED_SPEECH, text
        assert speaker_matches(got.speaker, [speaker]), (text, got)


def test_the_outlets_own_voice_has_no_speaker() -> None:
    for text in (
        "The South Korean statement didn’t say whether the two sides discussed weapons supplies.",
        "India's embassy in Prague declined to comment.",
        "Multiple defense industry representatives reportedly received contact from Ukrainians.",
        "Unions have called a nationwide strike for March 20 in protest.",
    ):
        assert attribute(text).kind is AttributionKind.OUTLET, text
        assert attribute(text).speaker is None


def test_the_cli_prints_precision_per_kind(capsys: object) -> None:
    assert main(["attribution"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "[heldout]" in out and "quote" in out and "precision" in out
