"""Alert sinks (formats, delivery, e-mail) and per-author rate limiting, on real servers."""

from __future__ import annotations

import asyncio
import email
import email.header
import shutil

import aiohttp
import pytest
from aiosmtpd.controller import Controller

from commentwatch.act.alerter import Alerter
from commentwatch.act.ratelimit import RedisAlertGate, SqliteAlertGate
from commentwatch.act.sinks import (
    AlertMessage,
    EmailSink,
    SinkError,
    WebhookSink,
    webhook_payload,
)
from commentwatch.record.store import Record
from commentwatch.values import Action, Comment, Evidence, Verdict, Video
from tests.helpers import WebhookReceiver, free_port, redis_server

VIDEO = Video(id="v9", title="六一儿童节表演", featuring_minors=True)


def flagged(i: int, author: str = "u1") -> tuple[Comment, Verdict]:
    comment = Comment(id=f"c{i}", text=f"小妹妹多大了 加我v {i}", video=VIDEO, author_id=author)
    verdict = Verdict(comment_id=comment.id, action=Action.ALERT, score=0.6, categories=("grooming",),
                      evidence=(Evidence(category="grooming", term="多大", start=3, end=5, source="rule",
                                         detail="age_question_then_private_contact"),),
                      minors_policy=True)
    return comment, verdict


@pytest.fixture
async def receiver():
    r = WebhookReceiver()
    await r.start()
    yield r
    await r.stop()


@pytest.fixture
def redis_url(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    with redis_server(tmp_path) as url:
        yield url


MESSAGE = AlertMessage(type="alert", title="needs review: grooming", lines=("text: 小妹妹多大了", "score 0.60"),
                       data={"comment": {"id": "c1"}})


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("json", lambda p: p["type"] == "alert" and p["comment"] == {"id": "c1"} and "小妹妹" in p["text"]),
        ("dingtalk", lambda p: p["msgtype"] == "markdown" and p["markdown"]["title"] == MESSAGE.title
         and "小妹妹" in p["markdown"]["text"]),
        ("feishu", lambda p: p["msg_type"] == "text" and "小妹妹" in p["content"]["text"]),
        ("wecom", lambda p: p["msgtype"] == "markdown" and "小妹妹" in p["markdown"]["content"]),
        ("slack", lambda p: "小妹妹" in p["text"] and p["blocks"][0]["type"] == "header"),
    ],
)
async def test_webhook_delivers_each_format(receiver, fmt, check):
    async with aiohttp.ClientSession() as session:
        await WebhookSink(fmt, receiver.url, fmt, session=session).send(MESSAGE)
    assert len(receiver.received) == 1
    assert check(receiver.received[0]), receiver.received[0]


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown webhook format"):
        webhook_payload("telegram", MESSAGE)


async def test_webhook_errors_name_the_sink_and_the_reason():
    failing = WebhookReceiver(status=500)
    await failing.start()
    rejecting = WebhookReceiver(answer={"errcode": 310000, "errmsg": "keywords not in content"})
    await rejecting.start()
    try:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(SinkError, match="webhook ops: HTTP 500"):
                await WebhookSink("ops", failing.url, "json", session=session).send(MESSAGE)
            with pytest.raises(SinkError, match="rejected with code 310000"):
                await WebhookSink("ding", rejecting.url, "dingtalk", session=session).send(MESSAGE)
            with pytest.raises(SinkError, match="webhook gone"):
                await WebhookSink("gone", f"http://127.0.0.1:{free_port()}/x", "json", session=session).send(MESSAGE)
    finally:
        await failing.stop()
        await rejecting.stop()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        self.rcpt = list(envelope.rcpt_tos)
        return "250 OK"


async def test_email_reaches_a_real_smtp_server():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        sink = EmailSink("mods", host="127.0.0.1", port=controller.port, sender="cw@example.org",
                         to=("mod1@example.org", "mod2@example.org"))
        await sink.send(MESSAGE)
    finally:
        controller.stop()
    (mail,) = inbox.messages
    assert mail["Subject"] == "[commentwatch] needs review: grooming"
    assert inbox.rcpt == ["mod1@example.org", "mod2@example.org"]
    assert "小妹妹多大了" in mail.get_payload(decode=True).decode("utf-8")


async def test_email_to_a_closed_port_fails_with_a_clear_error():
    sink = EmailSink("mods", host="127.0.0.1", port=free_port(), sender="a@b.c", to=("d@e.f",), timeout_s=2)
    with pytest.raises(SinkError, match="email mods: ConnectionRefusedError"):
        await sink.send(MESSAGE)


async def test_email_over_ssl_refuses_a_certificate_it_cannot_verify(tmp_path):
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), ssl_context=context)
    controller.start()
    try:
        sink = EmailSink("mods", host="127.0.0.1", port=controller.port, sender="a@b.c", to=("d@e.f",),
                         password="secret", username="cw", security="ssl", timeout_s=5)
        with pytest.raises(SinkError, match="email mods: SSLCertVerificationError"):
            await sink.send(MESSAGE)
    finally:
        controller.stop()
    assert inbox.messages == []


async def _gate_contract(gate):
    assert await gate.admit("v1:u1", 0.5) is True
    assert await gate.admit("v1:u1", 0.5) is False
    assert await gate.admit("v1:u2", 0.5) is True  # another author has its own window
    await gate.hold("v1:u1", {"id": "c2"})
    await gate.hold("v1:u1", {"id": "c3"})
    assert await gate.due() == {}  # window still open
    await asyncio.sleep(0.6)
    assert await gate.due() == {"v1:u1": [{"id": "c2"}, {"id": "c3"}]}
    assert await gate.due() == {}  # taken once only
    assert await gate.admit("v1:u1", 0.5) is True  # a new window


async def test_sqlite_gate_limits_per_author_and_video(tmp_path):
    await _gate_contract(SqliteAlertGate(Record(tmp_path / "r.db")))


async def test_redis_gate_limits_per_author_and_video(redis_url):
    gate = RedisAlertGate(redis_url, prefix="t1:")
    try:
        await _gate_contract(gate)
    finally:
        await gate.close()


async def test_redis_gate_is_shared_between_workers(redis_url):
    first, second = RedisAlertGate(redis_url, prefix="t2:"), RedisAlertGate(redis_url, prefix="t2:")
    try:
        results = await asyncio.gather(*(g.admit("v1:u1", 5) for g in (first, second, first, second)))
        assert sorted(results) == [False, False, False, True]
        await first.hold("v1:u1", {"id": "c9"})
        await first.redis.delete("t2:window:v1:u1")  # the window closes
        taken = await asyncio.gather(first.due(), second.due())
        assert sorted(map(len, taken)) == [0, 1]  # exactly one worker sends the summary
    finally:
        await first.close()
        await second.close()


async def test_alerter_sends_one_alert_per_window_then_a_summary(tmp_path, receiver, redis_url):
    record = Record(tmp_path / "r.db")
    async with aiohttp.ClientSession() as session:
        alerter = Alerter(sinks=[WebhookSink("hook", receiver.url, "json", session=session)],
                          gate=RedisAlertGate(redis_url, prefix="t3:"), record=record, window_s=0.5)
        outcomes = [await alerter.alert(*flagged(i)) for i in range(3)]
        outcomes.append(await alerter.alert(*flagged(0)))  # the same comment again (a replayed page)
        outcomes.append(await alerter.alert(*flagged(7, author="u2")))
        assert outcomes == ["sent", "held", "held", "already", "sent"]
        assert await alerter.flush_summaries() == 0
        await asyncio.sleep(0.6)
        assert await alerter.flush_summaries() == 1
        await alerter.gate.close()
    alerts = [p for p in receiver.received if p["type"] == "alert"]
    (summary,) = [p for p in receiver.received if p["type"] == "summary"]
    assert [a["comment"]["id"] for a in alerts] == ["c0", "c7"]
    assert alerts[0]["verdict"]["evidence"][0]["term"] == "多大"
    assert summary["count"] == 2 and [i["id"] for i in summary["items"]] == ["c1", "c2"]
    statuses = record.db.execute("select type, status from alerts order by id").fetchall()
    assert statuses == [("alert", "sent"), ("alert", "held"), ("alert", "held"), ("alert", "sent"),
                        ("summary", "sent")]


async def test_alerter_records_a_failed_delivery(tmp_path):
    record = Record(tmp_path / "r.db")
    async with aiohttp.ClientSession() as session:
        dead = WebhookSink("dead", f"http://127.0.0.1:{free_port()}/x", "json", session=session)
        alerter = Alerter(sinks=[dead], gate=SqliteAlertGate(record), record=record, window_s=60)
        assert await alerter.alert(*flagged(1)) == "failed"
    status, error = record.db.execute("select status, error from alerts").fetchone()
    assert status == "failed" and "webhook dead" in error


async def test_a_failed_alert_is_sent_again_when_the_webhook_is_back(tmp_path, receiver):
    record = Record(tmp_path / "r.db")
    receiver.status = 500  # the chat service is down
    async with aiohttp.ClientSession() as session:
        alerter = Alerter(sinks=[WebhookSink("hook", receiver.url, "json", session=session)],
                          gate=SqliteAlertGate(record), record=record, window_s=60)
        assert await alerter.alert(*flagged(1)) == "failed"
        assert await alerter.retry_failed() == 0  # still down: tried again, still failed
        receiver.status = 200
        assert await alerter.retry_failed() == 1
        assert await alerter.retry_failed() == 0  # delivered once, never again
    # Every try reached the receiver; the last one carried the whole message.
    assert len(receiver.received) == 3
    delivered = receiver.received[-1]
    assert delivered["type"] == "alert" and delivered["comment"]["id"] == "c1" and "小妹妹" in delivered["text"]
    status, attempts = record.db.execute("select status, attempts from alerts").fetchone()
    assert (status, attempts) == ("sent", 3)
    record.close()


async def test_failed_alerts_are_retried_only_for_so_long(tmp_path):
    record = Record(tmp_path / "r.db")
    async with aiohttp.ClientSession() as session:
        dead = WebhookSink("dead", f"http://127.0.0.1:{free_port()}/x", "json", session=session)
        alerter = Alerter(sinks=[dead], gate=SqliteAlertGate(record), record=record, window_s=60)
        await alerter.alert(*flagged(1))
        for _ in range(3):
            await alerter.retry_failed(max_attempts=3)
    assert record.db.execute("select attempts from alerts").fetchone()[0] == 3
    record.close()


async def test_digest_counts_the_last_day(tmp_path, receiver):
    record = Record(tmp_path / "r.db")
    comment, verdict = flagged(1)
    record.record_page([comment], [verdict], lexicon_version="L", hide_keys=[])
    async with aiohttp.ClientSession() as session:
        alerter = Alerter(sinks=[WebhookSink("hook", receiver.url, "wecom", session=session)],
                          gate=SqliteAlertGate(record), record=record, window_s=60)
        message = await alerter.digest()
    assert message.data["counts"]["by_action"] == {"alert": 1}
    (payload,) = receiver.received
    assert "comments seen: 1" in payload["markdown"]["content"]
    assert "grooming 1" in payload["markdown"]["content"]


async def test_sinks_built_from_config_reach_webhook_and_smtp(tmp_path, receiver, monkeypatch):
    from commentwatch.config import load_config
    from commentwatch.daemon.run import build_sinks
    from commentwatch.daemon.secrets import read_secrets

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    config_path = tmp_path / "c.toml"
    config_path.write_text(
        '[service]\ntoken_env = "CW_T"\n'
        '[[alerts.webhooks]]\nname = "slack-mods"\nformat = "slack"\nurl_env = "CW_SLACK"\n'
        f'[[alerts.email]]\nhost = "127.0.0.1"\nport = {controller.port}\nsender = "cw@example.org"\n'
        'to = ["mods@example.org"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("CW_T", "t")
    monkeypatch.setenv("CW_SLACK", receiver.url)
    config = load_config(config_path)
    try:
        async with aiohttp.ClientSession() as session:
            sinks = build_sinks(config.alerts, read_secrets(config), session)
            assert [s.name for s in sinks] == ["slack-mods", "email-0"]
            record = Record(tmp_path / "r.db")
            alerter = Alerter(sinks=sinks, gate=SqliteAlertGate(record), record=record, window_s=60)
            assert await alerter.alert(*flagged(1)) == "sent"
    finally:
        controller.stop()
    assert "小妹妹多大了" in receiver.received[0]["text"]
    subject = str(email.header.make_header(email.header.decode_header(inbox.messages[0]["Subject"])))
    assert subject == "[commentwatch] alert: grooming on “六一儿童节表演”"
