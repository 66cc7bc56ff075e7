"""TEST DOUBLE: a stand-in for an OpenAI-compatible LLM server (llama.cpp server, vLLM, OpenAI),
the one thing a user brings from outside. A real HTTP server on a free loopback port that
implements POST /v1/chat/completions, records each request body, and answers as told: a reply,
a delay longer than the client's timeout, a slow stream (the answer sent a few bytes at a time,
each read well inside the client's per-read timeout, the whole far past it), or an HTTP error."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Behaviour:
    reply: str = "A reply from the fake server."
    delay_seconds: float = 0.0
    status: int = 200
    trickle_seconds: float = 0.0  # pause between chunks of the answer (0: sent at once)
    trickle_chunks: int = 12


@dataclass
class FakeOpenAIServer:
    behaviour: Behaviour = field(default_factory=Behaviour)
    requests: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "FakeOpenAIServer":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "body": body})
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                time.sleep(fake.behaviour.delay_seconds)
                if fake.behaviour.status != 200:
                    error = {"message": "the fake server was told to fail", "type": "server_error"}
                    return self._send(fake.behaviour.status, {"error": error})
                self._send(200, completion(body.get("model", "fake"), fake.behaviour.reply))

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self._write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timed out) first

            def _write(self, data: bytes) -> None:
                pause, chunks = fake.behaviour.trickle_seconds, fake.behaviour.trickle_chunks
                if not pause:
                    self.wfile.write(data)
                    return
                size = -(-len(data) // chunks)
                for start in range(0, len(data), size):
                    self.wfile.write(data[start : start + size])
                    self.wfile.flush()
                    time.sleep(pause)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def last_messages(self) -> list[dict[str, str]]:
        return self.requests[-1]["body"]["messages"]


def completion(model: str, content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }
