"""A real HTTP server on 127.0.0.1 that serves fixture bytes and misbehaves on demand."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# (status, body), (status, body, extra headers), or a function that answers by itself (to hang,
# drop the connection, or lie about the length)
Answer = (
    tuple[int, bytes] | tuple[int, bytes, dict[str, str]] | Callable[[BaseHTTPRequestHandler], None]
)


class Script:
    """What the server answers, request after request: answers in order, the last one repeats."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[str] = []
        self.headers: list[dict[str, str]] = []  # each request's headers, names lower-cased
        self.posted: list[bytes] = []  # bodies of POST requests, in order

    def next(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        self.requests.append(path)
        self.headers.append(headers or {})
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@contextmanager
def serve(script: Script, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``script`` on a free port of ``host`` (a loopback address: 127.0.0.2 is another
    host than 127.0.0.1, for a cross-origin redirect); yield the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = script.next(self.path, {k.lower(): v for k, v in self.headers.items()})
            if callable(answer):
                answer(self)
                return
            status, body, *extra = answer
            headers = {"Content-Type": "text/csv; charset=utf-8", "Content-Length": str(len(body))}
            headers.update(*extra)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            script.posted.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.do_GET()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
