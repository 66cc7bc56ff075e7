"""Run the whole app on one machine: the web server, a Celery worker with beat and, unless
RECSYS_CHROMA_URL points at one, a Chroma server; all stop together on Ctrl-C.

Chroma's embedded mode cannot share its files between processes (a reader never sees another
process's new vectors), so the web server and the worker both talk to one local server.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recommendations.vector_store import local_server_url

GRACE_SECONDS = 15


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Command(BaseCommand):
    help = "Start the web server, a Celery worker with beat and a local Chroma server together."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=1, help="worker processes")

    def handle(self, *args, host: str, port: int, concurrency: int, **options) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.stopping = False
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        env = dict(os.environ)
        try:
            if not settings.RECSYS_CHROMA_URL and not local_server_url():
                env["RECSYS_CHROMA_URL"] = self._start_chroma()
            manage = str(Path(settings.BASE_DIR) / "manage.py")
            # runserver has no hook before traffic: the web process warms up beside it
            web_env = {**env, "RECSYS_WARM_UP_IN_BACKGROUND": "1"}
            self._start(
                "web",
                [sys.executable, manage, "runserver", f"{host}:{port}", "--noreload"],
                web_env,
            )
            self._start(
                "worker",
                [
                    *(sys.executable, "-m", "celery", "-A", "recsys_site", "worker", "-B"),
                    *("-s", str(settings.RECSYS_DATA_DIR / "celerybeat-schedule")),
                    *("-c", str(concurrency), "-l", "INFO"),
                ],
                env,
            )
            self.stdout.write(
                self.style.SUCCESS(f"Running on http://{host}:{port}/ (Ctrl-C stops)")
            )
            while not self.stopping:
                for name, process in self.children:
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with {process.returncode}; stopping")
                        self.stopping = True
                time.sleep(0.2)
        finally:
            self._stop_all()

    def _on_signal(self, signum, frame) -> None:
        self.stopping = True

    def _start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        # Own session: Ctrl-C reaches this process only, which then stops children in order.
        process = subprocess.Popen(args, env=env, start_new_session=True)
        self.children.append((name, process))
        return process

    def _start_chroma(self) -> str:
        port = _free_port()
        settings.RECSYS_CHROMA_PATH.mkdir(parents=True, exist_ok=True)
        chroma = str(Path(sys.executable).parent / "chroma")
        args = [chroma, "run", "--path", str(settings.RECSYS_CHROMA_PATH), "--host", "127.0.0.1"]
        log = (settings.RECSYS_DATA_DIR / "chroma-server.log").open("ab")
        process = subprocess.Popen(
            [*args, "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.children.append(("chroma", process))
        deadline = time.monotonic() + 60
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise CommandError("the Chroma server did not start: see var/chroma-server.log")
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        settings.RECSYS_CHROMA_LOCAL_SERVER_FILE.write_text(
            json.dumps({"url": url, "pid": process.pid})
        )
        self.stdout.write(f"Chroma server at {url} (data in {settings.RECSYS_CHROMA_PATH})")
        return url

    def _stop_all(self) -> None:
        # Web first, then the worker (it finishes its task), the Chroma server last.
        for name, process in reversed(self.children):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    self.stderr.write(f"{name} did not stop in {GRACE_SECONDS}s; killing it")
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        settings.RECSYS_CHROMA_LOCAL_SERVER_FILE.unlink(missing_ok=True)
