"""The one way the project sends a Celery task: by its name, through `task_send`.

Work that must survive a broker outage is recorded first and sent after commit: a Job through
`jobs.services.job_enqueue` (the job stays queued and `jobs_redispatch` sends it again), the
index's film syncs by their pending films (the film-changed receivers flush once per
transaction after commit; the sweep picks up what could not be sent). A task that fans out
more work from inside a worker (index batches) lets the error rise, so that Celery retries it.

jobs imports no other project app: the Celery app is the current one (recsys_site/celery.py).
"""

import logging
from collections.abc import Sequence

from celery import current_app

logger = logging.getLogger(__name__)


class BrokerUnreachable(Exception):
    """The task could not be handed to the broker."""


def task_send(
    task_name: str,
    *,
    args: Sequence = (),
    kwargs: dict | None = None,
    queue: str = "",
    retries: int = 0,
) -> None:
    """Publish the task now (to `queue`, or the default queue). With `retries`, kombu tries to
    reconnect that many times, 0.1 s apart at first; then BrokerUnreachable."""
    try:
        current_app.send_task(
            task_name,
            args=list(args),
            kwargs=kwargs or {},
            queue=queue or None,
            retry=retries > 0,
            retry_policy={"max_retries": retries, "interval_start": 0.1},
        )
    except Exception as exc:  # kombu raises several types for an unreachable broker
        raise BrokerUnreachable(f"{task_name} was not sent: {exc}") from exc
