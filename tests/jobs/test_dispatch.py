"""task_send: the one way a task reaches the broker (jobs/dispatch.py)."""

import base64
import json
import uuid

import pytest
import redis

from jobs.dispatch import BrokerUnreachable, task_send
from tests.brokers import DEAD_BROKER_URL, celery_broker
from tests.conftest import REDIS_TEST_DB


@pytest.fixture
def queue_on_redis():
    """Celery pointed at this run's Redis database and a queue nobody consumes."""
    url, queue = f"redis://127.0.0.1:6379/{REDIS_TEST_DB}", f"test-dispatch-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(url)
    with celery_broker(url, queue=queue):
        yield client, queue
    client.delete(queue)


def test_a_task_is_sent_by_name_with_its_arguments_to_the_queue(queue_on_redis):
    client, queue = queue_on_redis
    task_send("recsys.example", args=[1, 2], kwargs={"mode": "sync"})
    message = json.loads(client.lpop(queue))
    assert message["headers"]["task"] == "recsys.example"
    body = json.loads(base64.b64decode(message["body"]))
    assert body[0] == [1, 2] and body[1] == {"mode": "sync"}


def test_an_unreachable_broker_raises_one_error_naming_the_task():
    with (
        celery_broker(DEAD_BROKER_URL),
        pytest.raises(BrokerUnreachable, match=r"recsys\.example was not sent"),
    ):
        task_send("recsys.example", kwargs={}, retries=1)
