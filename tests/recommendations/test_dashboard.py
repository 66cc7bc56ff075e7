"""The admin dashboard: every chart drawn from rows the project records (films, jobs, trained
models, saved evaluations, search latency), checked in the page's data and, in a real headless
Chromium, in the Chart.js charts themselves. RECSYS_SCREENSHOT_DIR=docs saves a PNG."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job
from movies.models import Movie
from recommendations.embedding import index_fingerprint
from recommendations.lab.evaluation_records import evaluation_save_search
from recommendations.lab.search_evaluation import EvaluationReport
from recommendations.latency import search_latency_flush, search_latency_note
from recommendations.models import SearchLatencyBatch, TrainedModel
from tests.factories import MovieFactory

STAGES = {"baseline": 0.21}


def _record_everything(settings) -> None:
    MovieFactory.create_batch(3)  # pending
    for film in MovieFactory.create_batch(4):
        Movie.objects.filter(pk=film.pk).update(
            index_state="indexed", indexed_model=index_fingerprint()
        )
    Movie.objects.filter(pk=MovieFactory().pk).update(index_state="indexed", indexed_model="old")
    now = timezone.now()
    for seconds, status in [(30, "succeeded"), (90, "succeeded"), (12, "failed")]:
        Job.objects.create(
            kind=Job.Kind.REBUILD,
            status=status,
            started_at=now - timedelta(seconds=seconds),
            finished_at=now,
        )
    for version, reranked, last_loss in [("v1", 0.264, 1.1), ("v2", 0.294, 1.07)]:
        TrainedModel.objects.create(
            kind="reranker",
            version=version,
            path=version,
            is_active=version == "v2",
            metrics={
                "held_out": {
                    "baseline": {"ndcg@10": STAGES["baseline"], "queries": 372},
                    "cross-encoder": {"ndcg@10": reranked},
                    "ndcg@10 ratio": 1.25,
                },
                "loss_curve": [1.9, 1.4, last_loss],
            },
        )
    stages = {s: {"ndcg@10": v, "mrr@10": v} for s, v in [("fused", 0.31), ("reranked", 0.37)]}
    evaluation_save_search(report=EvaluationReport(stages, 120, 3, "reranker v2"))
    settings.RECSYS_SEARCH_LATENCY_FLUSH_EVERY = 5
    settings.RECSYS_SEARCH_LATENCY_FLUSH_SECONDS = 3600  # a batch by count only, not by the clock
    search_latency_flush()  # what earlier searches in this process left in its buffer
    SearchLatencyBatch.objects.all().delete()
    for ms in [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]:
        search_latency_note(ms)
    search_latency_flush()


@pytest.mark.django_db
def test_the_dashboard_carries_the_recorded_figures(admin_client, settings):
    _record_everything(settings)
    assert SearchLatencyBatch.objects.count() == 2  # written once per 5 searches

    response = admin_client.get(reverse("admin:recommendations_dashboard"))

    figures = response.context["figures"]
    assert figures["catalogue"]["values"] == [3, 5, 0] and figures["catalogue"]["stale"] == 1
    assert figures["jobs"]["finished"][-1] == 2 and figures["jobs"]["failed"][-1] == 1
    assert figures["jobs"]["kind_median_s"] == [30.0]
    assert figures["reranker"]["ndcg"]["cross-encoder"] == [0.264, 0.294]
    assert figures["reranker"]["versions"] == ["v1", "v2 (active)"]
    assert figures["evaluations"]["search_ndcg"] == {"fused": [0.31], "reranked": [0.37]}
    assert figures["latency"]["overall"] == {"count": 10, "p50": 55.0, "p95": 95.5, "p99": 99.1}
    html = response.content.decode()
    assert 'id="dashboard-data"' in html and "<script>" not in html  # data only, no inline JS
    assert "8 films" in html and "1 indexed with an older model" in html
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:recommendations_dashboard") in index


@pytest.mark.slow
def test_the_dashboard_draws_its_charts_in_a_browser(live_server, transactional_db, settings):
    from django.contrib.auth import get_user_model
    from selenium.webdriver.common.by import By

    from tests.conftest import chromium_driver, emulate_phone
    from tests.scraping.conftest import wait_for

    _record_everything(settings)
    get_user_model().objects.create_superuser("curator", "c@example.com", "pw")
    base = live_server.url.replace("://localhost", "://127.0.0.1")
    with chromium_driver(window_size="1400,2200") as driver:
        driver.get(f"{base}/admin/login/?next={reverse('admin:recommendations_dashboard')}")
        driver.find_element(By.NAME, "username").send_keys("curator")
        driver.find_element(By.NAME, "password").send_keys("pw")
        driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        wait_for(lambda: driver.execute_script("return document.body.dataset.chartsReady"), 20)

        def chart(name):
            return driver.execute_script(
                "const canvas = document.querySelector(`canvas[data-chart='${arguments[0]}']`);"
                "const c = Chart.getChart(canvas);"
                "return c && {labels: c.data.labels,"
                " data: c.data.datasets.map(d => [d.label, d.data])};",
                name,
            )

        assert chart("catalogue")["data"] == [["films", [3, 5, 0, 1]]]
        reranker = chart("reranker")
        assert reranker["labels"] == ["v1", "v2 (active)"]
        assert ["cross-encoder", [0.264, 0.294]] in reranker["data"]
        assert ["v2", [1.9, 1.4, 1.07]] in chart("loss")["data"]
        assert ["reranked", [0.37]] in chart("eval-search")["data"]
        latency = dict(chart("latency")["data"])
        assert (latency["p50"][-1], latency["p95"][-1]) == (55, 95.5)  # this 5 minutes
        assert chart("jobs")["data"][1][1][-1] == 1  # today's failure
        for canvas in driver.find_elements(By.CSS_SELECTOR, "canvas[data-chart]"):
            assert canvas.size["height"] > 100  # drawn, not collapsed
        assert not [
            e
            for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and "favicon" not in e["message"]
        ]  # no CSP refusal, no script error
        if folder := os.environ.get("RECSYS_SCREENSHOT_DIR"):
            driver.save_screenshot(str(Path(folder) / "admin-dashboard.png"))

        # On a phone the cards stack: nothing wider than the screen, every chart inside it
        emulate_phone(driver)
        driver.refresh()
        wait_for(lambda: driver.execute_script("return document.body.dataset.chartsReady"), 20)
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0
        for canvas in driver.find_elements(By.CSS_SELECTOR, "canvas[data-chart]"):
            assert 100 < canvas.size["width"] <= 390, canvas.get_attribute("data-chart")


@pytest.mark.slow
def test_rebuild_asks_for_confirmation_with_the_last_duration(live_server, transactional_db):
    from django.contrib.auth import get_user_model
    from selenium.webdriver.common.by import By

    from bench.processes import free_port
    from tests.conftest import celery_app_using, chromium_driver
    from tests.scraping.conftest import wait_for

    MovieFactory.create_batch(2)
    now = timezone.now()
    Job.objects.create(
        kind=Job.Kind.REBUILD,
        status="succeeded",
        started_at=now - timedelta(seconds=125),
        finished_at=now,
    )
    get_user_model().objects.create_superuser("curator", "c@example.com", "pw")
    base = live_server.url.replace("://localhost", "://127.0.0.1")
    # No broker: the job is recorded and waits, queued (the page says so); nothing runs.
    with (
        celery_app_using(f"redis://127.0.0.1:{free_port()}/0", "nowhere"),
        chromium_driver(window_size="1280,1000") as driver,
    ):
        driver.get(f"{base}/admin/login/?next={reverse('admin:movies_movie_changelist')}")
        driver.find_element(By.NAME, "username").send_keys("curator")
        driver.find_element(By.NAME, "password").send_keys("pw")
        driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        # Not "/movies/movie/" in the address: the log-in page's own ?next= holds that, and CI
        # once went on before the log-in had been sent.
        wait_for(lambda: "/admin/login/" not in driver.current_url, 20)

        confirm_url = reverse("admin:recommendations_heavy_action", args=["rebuild-index"])
        link = f'.object-tools a[href^="{confirm_url}"]'
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, link), 20)[0].click()

        usual = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "[data-field=usual]"), 20)
        usual = usual[0].text
        assert "Last time it took 2 min 05 s" in usual
        assert not Job.objects.filter(status="queued").exists()  # nothing started by looking
        driver.find_element(By.NAME, "confirm").click()
        wait_for(lambda: "/jobs/job/" in driver.current_url, 20)
        job = Job.objects.get(status="queued")
        assert job.kind == Job.Kind.REBUILD and job.created_by.username == "curator"
        title_field = wait_for(
            lambda: driver.find_elements(By.CSS_SELECTOR, '[data-field="title"]'), 20
        )[0]
        title = title_field.text
        assert title == f"Rebuild index #{job.pk}\nQueued"
        assert "from an admin action" in driver.find_element(By.ID, "job-panel").text
