"""Where alerts go: a JSON webhook, the chat tools moderators use, or e-mail.

Each chat tool wants its own payload shape, so one ``AlertMessage`` is
rendered per sink format here and nowhere else. Senders raise ``SinkError``
on failure so the caller can record which sink failed and why.
"""

from __future__ import annotations

import asyncio
import json
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

import aiohttp

from commentwatch.errors import SinkError


@dataclass(frozen=True)
class AlertMessage:
    #: "alert" (one comment), "summary" (aggregated follow-ups) or "digest" (daily).
    type: str
    title: str
    lines: tuple[str, ...] = ()
    #: Structured detail for machine consumers (the generic JSON webhook).
    data: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return "\n".join((self.title, *self.lines))

    def markdown(self) -> str:
        return "\n\n".join((f"### {self.title}", *self.lines))


def webhook_payload(fmt: str, message: AlertMessage) -> dict[str, Any]:
    """The request body each webhook format expects."""
    if fmt == "json":
        return {"type": message.type, "title": message.title, "text": message.text(), **message.data}
    if fmt == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": message.title, "text": message.markdown()}}
    if fmt == "feishu":
        return {"msg_type": "text", "content": {"text": message.text()}}
    if fmt == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": message.markdown()}}
    if fmt == "slack":
        return {
            "text": message.text(),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(message.lines)[:3000] or " "}},
            ],
        }
    raise ValueError(f"unknown webhook format {fmt!r}")


class Sink(Protocol):
    name: str

    async def send(self, message: AlertMessage) -> None: ...


class WebhookSink:
    def __init__(self, name: str, url: str, fmt: str, *, session: aiohttp.ClientSession, timeout_s: float = 10.0):
        self.name = name
        self.url = url
        self.fmt = fmt
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def send(self, message: AlertMessage) -> None:
        payload = webhook_payload(self.fmt, message)
        try:
            async with self.session.post(self.url, json=payload, timeout=self.timeout) as response:
                body = await response.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SinkError(f"webhook {self.name}: {type(exc).__name__}: {exc}") from exc
        if response.status >= 300:
            raise SinkError(f"webhook {self.name}: HTTP {response.status}: {body[:200]}")
        # DingTalk, WeCom and Feishu answer 200 with an error code in the body.
        try:
            answer = json.loads(body) if body.strip() else {}
        except ValueError:
            return
        code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0))) if isinstance(answer, dict) else 0
        if code not in (0, None, "0"):
            raise SinkError(f"webhook {self.name}: rejected with code {code}: {body[:200]}")


class EmailSink:
    """SMTP e-mail; smtplib blocks, so each send runs in a thread."""

    def __init__(
        self, name: str, *, host: str, port: int, sender: str, to: tuple[str, ...],
        username: str = "", password: str = "", security: str = "none", timeout_s: float = 10.0,
    ) -> None:
        self.name = name
        self.host, self.port = host, port
        self.sender, self.to = sender, to
        self.username, self.password = username, password
        self.security = security
        self.timeout_s = timeout_s

    def build(self, message: AlertMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.to)
        mail["Subject"] = f"[commentwatch] {message.title}"
        mail.set_content(message.text())
        return mail

    def _send_blocking(self, mail: EmailMessage) -> None:
        # Verify the server's certificate either way: smtplib's own default
        # context for SMTP_SSL does not, and the password goes over this line.
        context = ssl.create_default_context()
        if self.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(mail)

    async def send(self, message: AlertMessage) -> None:
        try:
            await asyncio.to_thread(self._send_blocking, self.build(message))
        except (smtplib.SMTPException, OSError) as exc:
            raise SinkError(f"email {self.name}: {type(exc).__name__}: {exc}") from exc
