"""Hide intents against a service that does not answer: kept, then given up after a day."""

from __future__ import annotations

import time

import aiohttp

from commentwatch.act.hide import GIVE_UP_AFTER_S, Hider
from commentwatch.record.store import Record
from commentwatch.sources.client import CommentServiceClient
from commentwatch.values import Action, Comment, HideIntent, HideOutcome, Kind, Verdict, Video
from tests.helpers import free_port


def _intent(record: Record, item_id: str, *, age_s: float) -> HideIntent:
    comment = Comment(id=item_id, text="加我QQ", video=Video(id="v1"), kind=Kind.COMMENT)
    verdict = Verdict(comment_id=item_id, action=Action.HIDE, score=0.9)
    (intent,) = record.record_page([comment], [verdict], lexicon_version="L", hide_keys=[f"comment:{item_id}"],
                                   now=time.time() - age_s)
    return intent


async def test_an_outage_keeps_the_intent_until_a_day_has_passed(tmp_path):
    record = Record(tmp_path / "r.db")
    try:
        async with aiohttp.ClientSession() as session:
            # Nothing listens there: every try fails at once with a connection error.
            client = CommentServiceClient(f"http://127.0.0.1:{free_port()}", "t", session=session, max_retries=0)
            hider = Hider(client, record, reason="test")
            recent = _intent(record, "c1", age_s=600)
            outcomes = {await hider.execute(recent) for _ in range(60)}  # a sweep every 5 s for five minutes
            assert outcomes == {HideOutcome.PENDING}
            assert record.action_state("comment:c1") == "intent"

            stale = _intent(record, "c2", age_s=GIVE_UP_AFTER_S + 60)
            assert await hider.execute(stale) is HideOutcome.FAILED
        ((state, detail, attempts),) = record.db.execute(
            "select state, detail, attempts from actions where key = 'comment:c2'").fetchall()
        assert state == "failed" and detail.startswith("gave up: ") and attempts == 1
        assert record.db.execute("select attempts from actions where key = 'comment:c1'").fetchone()[0] == 60
    finally:
        record.close()
