"""A real uvicorn serving the web app on a free loopback port, in a thread: for the tests that need a socket
(a browser, concurrent clients, streamed bodies) rather than the in-process test client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from wufei_docs.web.app import Config, create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(workspace: Path, **config: object) -> Iterator[str]:
    """The app over `workspace` on 127.0.0.1, its base URL for the length of the block."""
    port = free_port()
    app = create_app(Config(workspace, port=port, **config))  # type: ignore[arg-type]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
