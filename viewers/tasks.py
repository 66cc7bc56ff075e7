from celery import shared_task

from viewers.services import anonymous_viewers_expire


@shared_task(name="viewers.expire_anonymous", ignore_result=True)
def expire_anonymous_viewers() -> dict[str, int]:
    return anonymous_viewers_expire()
