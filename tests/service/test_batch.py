"""`python -m service.batch`: one line per claim, bad lines as error records, resumable after Ctrl-C."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from service_fakes import FakeEmbedder, FakeSnapshot, FakeStance, default_rows

from service.batch import Item, Summary, completed_ids, plan_chunks, read_claims, run
from service.pipeline import Thresholds
from service.runtime import Loaded
from stance.model import NLIScores


class InterruptingStance(FakeStance):
    """Raises KeyboardInterrupt on the n-th claim, like a Ctrl-C in the middle of a run."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    def predict(self, pairs: Sequence[tuple[str, str]]) -> list[NLIScores]:
        if len(self.calls) == self.after:
            raise KeyboardInterrupt
        return super().predict(pairs)


def loaded(stance: Any) -> Loaded:
    return Loaded(FakeSnapshot("snap-1", default_rows()), FakeEmbedder(), stance, Path("snap-1"), 0.0)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_txt_ids_are_line_numbers(tmp_path: Path) -> None:
    claims = tmp_path / "claims.txt"
    claims.write_text("first claim\n\nthird line claim\n")
    items = list(read_claims(claims))
    assert [(i.id, i.options and i.options["claim"]) for i in items] == [
        ("1", "first claim"),
        ("3", "third line claim"),
    ]


def test_bad_jsonl_lines_become_error_records(tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_text(
        '{"id": "a", "claim": "one", "outlets": ["Outlet B"]}\n'
        "not json\n"
        '{"id": "c", "top_k": 3}\n'
        '["a list"]\n'
        '{"claim": "no id", "top_k": 1}\n'
    )
    out = tmp_path / "out.jsonl"
    summary = run(list(read_claims(claims)), out, loaded(FakeStance()), Thresholds(), progress=False)
    records = lines(out)
    assert [r["id"] for r in records] == ["a", "2", "c", "4", "5"]
    assert records[0]["verdict"] == "refuted" and records[0]["index"]["snapshot"] == "snap-1"
    assert records[1]["error"]["detail"].startswith("line 2 is not JSON")
    assert "claim" in records[2]["error"]["errors"]
    assert len(records[4]["supporting"]) == 1
    assert (summary.verified, summary.skipped, summary.errors) == (2, 0, 3)
    assert summary.line() == "verified 2, skipped 0 (already in OUT), errors 3"


def test_interrupted_run_resumes_where_it_stopped(tmp_path: Path) -> None:
    claims = tmp_path / "claims.txt"
    claims.write_text("".join(f"claim number {n}\n" for n in range(1, 6)))
    out = tmp_path / "out.jsonl"
    items = list(read_claims(claims))
    with pytest.raises(KeyboardInterrupt):  # chunks of one: a line per claim as it is done
        run(items, out, loaded(InterruptingStance(after=2)), Thresholds(), progress=False, chunk=1)
    assert [r["id"] for r in lines(out)] == ["1", "2"]
    with out.open("a") as f:  # a crash in the middle of a write leaves half a line
        f.write('{"id": "3", "claim": "claim numb')
    assert completed_ids(out) == {"1", "2"}
    assert out.read_text().endswith("}\n")  # the torn line was cut off
    summary = run(items, out, loaded(FakeStance()), Thresholds(), progress=False)
    assert (summary.verified, summary.skipped, summary.errors) == (3, 2, 0)
    assert [r["id"] for r in lines(out)] == ["1", "2", "3", "4", "5"]
    again = run(items, out, loaded(FakeStance()), Thresholds(), progress=False)
    assert (again.verified, again.skipped) == (0, 5)


def test_batch_records_match_the_http_body(tmp_path: Path, client: Any) -> None:
    claims = tmp_path / "claims.jsonl"
    item = {"id": "x", "claim": "Ukraine asked for propellant charges"}
    claims.write_text(json.dumps(item) + "\n")
    out = tmp_path / "out.jsonl"
    run(list(read_claims(claims)), out, loaded(FakeStance()), Thresholds(), progress=False)
    (record,) = lines(out)
    http = client.post(
        "/verify/batch", json={"claims": [{"id": "x", "claim": "Ukraine asked for propellant charges"}]}
    )
    assert record == http.get_json()["results"][0]


def test_a_resumed_run_reads_each_claim_with_the_same_batch_mates() -> None:
    """Chunks are cut by input position and verified whole, so a resumed run writes what an
    uninterrupted one writes (in bf16 a score moves with the claims sharing its stance batch)."""
    items = [Item(str(n), {"claim": f"claim {n}"}) for n in range(1, 8)]
    summary = Summary(done={"1", "2", "3"})
    plan = plan_chunks(items, summary, 3)  # the first chunk is all done: not verified at all
    assert [([i.id for i in part], write) for part, write in plan] == [
        (["4", "5", "6"], [True, True, True]),
        (["7"], [True]),
    ]
    summary = Summary(done={"1", "2", "4"})
    plan = plan_chunks(items, summary, 3)  # done claims are read again with their chunk, not written
    assert [([i.id for i in part], write) for part, write in plan] == [
        (["1", "2", "3"], [False, False, True]),
        (["4", "5", "6"], [False, True, True]),
        (["7"], [True]),
    ]
    assert summary.skipped == 3
