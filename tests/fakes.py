"""Local stand-ins for outside services: an HTTP server for the Telegram and Twilio APIs,
and a real SMTP server (aiosmtpd), all on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)

    def form(self) -> dict:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class FakeApi:
    """Answers every request with the next queued (status, body); records what it got."""

    requests: list[Recorded] = field(default_factory=list)
    responses: list[tuple[int, dict]] = field(default_factory=list)
    default: tuple[int, dict] = (200, {"ok": True, "result": {"message_id": 1}})
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", 0))
                fake.requests.append(
                    Recorded("POST", self.path, dict(self.headers), self.rfile.read(length))
                )
                status, body = fake.responses.pop(0) if fake.responses else fake.default
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpSink:
    """A real SMTP server that keeps what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.quit_answer: str | None = None  # e.g. "421 Closing": QUIT answered oddly
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                from email import message_from_bytes
                from email.policy import default

                sink.messages.append(
                    (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default))
                )
                return "250 OK"

            async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
                if address.startswith("refused"):
                    return "550 No such user"
                if address.startswith("greylisted"):
                    return "450 4.2.0 Greylisted, try again later"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_QUIT(self, server, session, envelope):  # noqa: N802
                return sink.quit_answer or "221 Bye"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
