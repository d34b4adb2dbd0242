"""An HTTP server on 127.0.0.1 for tests: serves a folder (the real data in ../shared/data),
counts requests per path and can answer planned failures first."""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

#: the real datasets beside the checkout (see its README.md); never copied into the repo
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


class CountingHandler(SimpleHTTPRequestHandler):
    """Serves a folder; counts GETs per path; can answer planned failures first.

    ``server.plan[path]`` is a list consumed one item per request: an HTTP
    status code (answered as an error), ``"truncate"`` (full Content-Length,
    half the body, then hang up) or ``"stall"`` (say nothing for a while).
    """

    def do_GET(self):
        path = urlsplit(self.path).path
        with self.server.lock:
            self.server.requests[path] += 1
            plan = self.server.plan.get(path)
            action = plan.pop(0) if plan else None
        if isinstance(action, int):
            self.send_error(action)
        elif action == "truncate":
            body = (Path(self.directory) / path.lstrip("/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        elif action == "stall":
            time.sleep(1.0)
            self.close_connection = True
        else:
            super().do_GET()

    def log_message(self, format, *args):  # keep the test output quiet
        pass


class Server:
    """ThreadingHTTPServer on 127.0.0.1:<free port> serving ``root`` from a daemon thread."""

    def __init__(self, root: Path):
        handler = functools.partial(CountingHandler, directory=str(root))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.lock = threading.Lock()
        self.httpd.requests = Counter()
        self.httpd.plan = {}
        # A client that timed out leaves the handler writing to a closed socket.
        self.httpd.handle_error = lambda request, address: None
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/{path}"

    def requests(self, path: str) -> int:
        return self.httpd.requests["/" + path]

    def fail_first(self, path: str, *actions) -> None:
        self.httpd.plan["/" + path] = list(actions)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
