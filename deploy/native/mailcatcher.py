"""The native stack's mail catcher: an SMTP sink that keeps every message, and a web page to read them.

``make dev`` starts it beside the services (``stack.py``) and points the worker's ``SMTP_HOST`` /
``SMTP_PORT`` at it, so the password-reset and verification mails of a local stack can be opened and
their links followed. Nothing is ever delivered further.

Why this and not maildev or Mailpit: it is a few lines on ``aiosmtpd`` (already in the workspace's
lock file), so ``make install`` installs it with everything else; no Node.js package tree or
second binary to fetch, pin and audit, and the same code runs in the end-to-end tests. Compose runs
Mailpit, whose page does the same job.

Each message is one ``.eml`` file in ``--dir`` (named by arrival, so the listing is in order); the
web side reads that directory on every request:

    GET    /                       the messages, newest first (HTML)
    GET    /messages/<id>          one message: its headers and text, links clickable (HTML)
    GET    /api/messages           JSON list: id, from, to, subject, date, received, text (``?to=``)
    GET    /api/messages/<id>      one message as JSON
    GET    /api/messages/<id>.eml  the raw message
    DELETE /api/messages           forget every message
    GET    /health                 200 once both sides listen

    python deploy/native/mailcatcher.py --smtp-port 8007 --web-port 8008 --dir .dev/mail/8000
"""

from __future__ import annotations

import argparse
import html
import json
import re
import signal
import threading
import time
import uuid
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

__all__ = ["Catcher", "Store", "main"]

_ID = re.compile(r"^[0-9]{19}-[0-9a-f]{32}$")
_URL = re.compile(r"https?://[^\s<>\"']+")
# The pages carry no script and load nothing; a mail's content can never run here.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"  # noqa: E501
_STYLE = "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em .8em;text-align:left}</style>"


class Store:
    """The messages, one file each."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def add(self, content: bytes) -> str:
        ident = f"{time.time_ns():019d}-{uuid.uuid4().hex}"
        partial = self.directory / f".{ident}.part"
        partial.write_bytes(content)
        partial.rename(self.directory / f"{ident}.eml")  # a reader never sees half a message
        return ident

    def ids(self) -> list[str]:
        return sorted((p.stem for p in self.directory.glob("*.eml") if _ID.match(p.stem)), reverse=True)

    def raw(self, ident: str) -> bytes | None:
        if not _ID.match(ident):
            return None
        path = self.directory / f"{ident}.eml"
        return path.read_bytes() if path.exists() else None

    def clear(self) -> None:
        for path in self.directory.glob("*.eml"):
            path.unlink(missing_ok=True)

    def summary(self, ident: str) -> dict[str, Any] | None:
        raw = self.raw(ident)
        if raw is None:
            return None
        message = message_from_bytes(raw, _class=EmailMessage, policy=default)
        body = message.get_body(preferencelist=("plain", "html"))
        return {
            "id": ident,
            "from": str(message["From"] or ""),
            "to": [address for _, address in getaddresses([str(v) for v in message.get_all("To", [])])],
            "subject": str(message["Subject"] or ""),
            "date": str(message["Date"] or ""),
            "received": datetime.fromtimestamp(int(ident[:19]) / 1e9, UTC).isoformat(timespec="seconds"),
            "text": body.get_content() if body is not None else "",
        }


class _SMTPHandler:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.store.add(envelope.original_content or envelope.content)
        return "250 OK: kept"


def _page(title: str, body: str) -> bytes:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"{_STYLE}</head><body>{body}</body></html>"
    ).encode()


def _linked(text: str) -> str:
    """The text, escaped, with its web addresses as links (what a mail client shows)."""
    parts, last = [], 0
    for found in _URL.finditer(text):
        parts.append(html.escape(text[last : found.start()]))
        url = html.escape(found.group(0))
        parts.append(f'<a href="{url}">{url}</a>')
        last = found.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts)


def _handler(store: Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "mailcatcher"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", _CSP)
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, value: Any) -> None:
            self._send(status, json.dumps(value).encode(), "application/json")

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            path = url.path
            if path == "/favicon.ico":
                return self._send(204, b"", "image/x-icon")
            if path == "/health":
                return self._json(200, {"status": "ok"})
            if path == "/api/messages":
                wanted = parse_qs(url.query).get("to", [None])[0]
                items = [s for i in store.ids() if (s := store.summary(i)) is not None]
                if wanted:
                    items = [s for s in items if wanted.lower() in (a.lower() for a in s["to"])]
                return self._json(200, items)
            if path.startswith("/api/messages/"):
                ident = path.removeprefix("/api/messages/")
                if ident.endswith(".eml"):
                    raw = store.raw(ident.removesuffix(".eml"))
                    if raw is not None:
                        return self._send(200, raw, "message/rfc822")
                elif (summary := store.summary(ident)) is not None:
                    return self._json(200, summary)
                return self._json(404, {"detail": "no such message"})
            if path == "/":
                rows = "".join(
                    f'<tr><td><a href="/messages/{s["id"]}">'
                    f"{html.escape(s['subject'] or '(no subject)')}</a></td>"
                    f"<td>{html.escape(', '.join(s['to']))}</td><td>{html.escape(s['received'])}</td></tr>"
                    for i in store.ids()
                    if (s := store.summary(i)) is not None
                )
                table = (
                    f"<table><tr><th>subject</th><th>to</th><th>received</th></tr>{rows}</table>"
                    if rows
                    else "<p>No mail yet.</p>"
                )
                return self._send(
                    200, _page("Mail", f"<h1>Mail caught by the dev stack</h1>{table}"), "text/html"
                )
            if path.startswith("/messages/") and (s := store.summary(path.removeprefix("/messages/"))):
                head = "".join(
                    f"<tr><th>{name}</th><td>{html.escape(value)}</td></tr>"
                    for name, value in (
                        ("From", s["from"]),
                        ("To", ", ".join(s["to"])),
                        ("Received", s["received"]),
                    )
                )
                body = (
                    f'<p><a href="/">all mail</a> · <a href="/api/messages/{s["id"]}.eml">raw</a></p>'
                    f"<h1>{html.escape(s['subject'])}</h1><table>{head}</table>"
                    f'<pre id="body">{_linked(s["text"])}</pre>'
                )
                return self._send(200, _page(s["subject"], body), "text/html")
            return self._json(404, {"detail": "Not Found"})

        def do_DELETE(self) -> None:
            if urlsplit(self.path).path == "/api/messages":
                store.clear()
                return self._send(204, b"", "application/json")
            return self._json(404, {"detail": "Not Found"})

    return Handler


class Catcher:
    """Both sides, started and stopped together (used by ``main`` and in tests)."""

    def __init__(self, store: Store, *, host: str, smtp_port: int, web_port: int) -> None:
        self.store = store
        self.smtp = Controller(_SMTPHandler(store), hostname=host, port=smtp_port)
        self.web = ThreadingHTTPServer((host, web_port), _handler(store))
        self.web.daemon_threads = True
        self._thread = threading.Thread(target=self.web.serve_forever, name="mail-web", daemon=True)

    def start(self) -> None:
        self.smtp.start()
        self._thread.start()

    def stop(self) -> None:
        self.web.shutdown()
        self.web.server_close()
        self.smtp.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--web-port", type=int, default=1080)
    parser.add_argument("--dir", type=Path, required=True, help="where the messages are kept")
    args = parser.parse_args(argv)
    catcher = Catcher(Store(args.dir), host=args.host, smtp_port=args.smtp_port, web_port=args.web_port)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    catcher.start()
    try:
        while not stopped.wait(1.0):
            pass
    finally:
        catcher.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
