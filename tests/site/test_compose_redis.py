"""docker-compose gives the cache and the broker separate Redis servers with memory limits: the
cache evicts (allkeys-lru), the broker never does (noeviction), so a cache filled with
explanations cannot push queued tasks out."""

from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def redis_options(command: str) -> dict[str, str]:
    words = command.split()
    return {w[2:]: words[i + 1] for i, w in enumerate(words[:-1]) if w.startswith("--")}


def test_cache_and_broker_are_separate_redis_servers_with_memory_limits():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    cache, broker = services["redis-cache"], services["redis-broker"]

    assert redis_options(cache["command"])["maxmemory-policy"] == "allkeys-lru"
    assert redis_options(broker["command"])["maxmemory-policy"] == "noeviction"
    for server in (cache, broker):
        assert redis_options(server["command"])["maxmemory"].endswith("mb")
        assert server["mem_limit"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["REDIS_URL"].startswith("redis://redis-cache:")
        assert env["CELERY_BROKER_URL"].startswith("redis://redis-broker:")
        assert env["CELERY_RESULT_BACKEND"].startswith("redis://redis-broker:")
