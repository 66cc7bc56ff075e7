"""Real service processes for tests and benchmarks: a Celery worker, a Chroma server and a
Redis server, each started as a child process on a free loopback port and stopped cleanly.

Importable from tests (see the fixtures in tests/conftest.py) and from bench/ scripts.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_until(condition, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll condition() until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout:.0f}s")
        time.sleep(interval)


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (those that ended: none)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def tree_of(pid: int) -> list[int]:
    """The process and its children (gunicorn's master and its workers)."""
    return [pid, *children_of(pid)]


class ChildProcess:
    """A child process in its own session, with its output in a log file."""

    def __init__(self, args: list[str], *, log_path: Path, env: dict | None = None):
        self.args, self.log_path, self.env = args, log_path, env
        self.process: subprocess.Popen | None = None

    def start(self) -> "ChildProcess":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def kill(self) -> None:
        if self.alive():
            assert self.process is not None
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


class RedisServer(ChildProcess):
    def __init__(self, *, port: int, log_path: Path):
        super().__init__(
            [
                *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(log_path.parent)),
            ],
            log_path=log_path,
        )
        self.port = port

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> "RedisServer":
        super().start()
        wait_until(lambda: port_open(self.port), timeout=timeout, what="redis-server listening")
        return self


class ChromaServer(ChildProcess):
    def __init__(self, *, path: Path, port: int, log_path: Path):
        super().__init__(
            [
                *(str(BIN / "chroma"), "run", "--path", str(path)),
                *("--host", "127.0.0.1", "--port", str(port)),
            ],
            log_path=log_path,
        )
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "ChromaServer":
        super().start()
        wait_until(lambda: port_open(self.port), timeout=timeout, what="chroma run listening")
        return self


class CeleryWorker(ChildProcess):
    """`celery -A recsys_site worker` (prefork, one child) on one queue, optionally with beat.

    env: settings for the worker (DATABASE_URL, RECSYS_DATA_DIR, RECSYS_CHROMA_URL, ...), on top of
    this process's environment.
    """

    def __init__(
        self,
        *,
        queue: str,
        broker_url: str,
        env: dict[str, str],
        log_path: Path,
        beat: bool = False,
        pool: str = "prefork",
    ):
        args = [sys.executable, "-m", "celery", "-A", "recsys_site", "worker"]
        args += ["-Q", queue, "-n", f"{queue}@%h", "--pool", pool, "-c", "1", "-l", "INFO"]
        args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        if beat:
            args += ["-B", "-s", str(log_path.with_suffix(".beat-schedule"))]
        full_env = {
            **os.environ,
            **env,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "PYTHONUNBUFFERED": "1",
        }
        super().__init__(args, log_path=log_path, env=full_env)
        self.queue = queue

    def start(self, timeout: float = 60) -> "CeleryWorker":
        offset = len(self.log())
        super().start()
        wait_until(
            lambda: " ready." in self.log()[offset:] or not self.alive(),
            timeout=timeout,
            what="celery worker ready",
        )
        if not self.alive():
            raise RuntimeError(f"celery worker exited:\n{self.log()[-4000:]}")
        return self

    def pool_children(self) -> list[int]:
        return children_of(self.pid)
