"""The laptop cache culls its folder on one write in CULL_EVERY, not on every write, and writes
an entry whole with fewer system calls than Django's, stored rather than deflated."""

import shutil
import threading
import time

import pytest

from recsys_site import file_cache
from recsys_site.file_cache import CULL_EVERY, FileCache


def entries(cache: FileCache) -> int:
    return len(cache._list_cache_files())


def test_the_cache_overshoots_by_less_than_cull_every_then_culls_back(tmp_path, monkeypatch):
    listings = []
    monkeypatch.setattr(
        file_cache.FileBasedCache,
        "_list_cache_files",
        lambda self: listings.append(1) or sorted(map(str, tmp_path.glob("*.djcache"))),
    )
    cache = FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 10, "CULL_FREQUENCY": 2}})

    for i in range(CULL_EVERY - 1):
        cache.set(f"key-{i}", i)
    assert listings == [] and entries(cache) == CULL_EVERY - 1  # no listing yet, over the max

    cache.set("one-more", 0)  # the CULL_EVERY-th write lists the folder and halves it
    assert len(listings) == 2  # the cull's listing, and entries()'s
    assert entries(cache) == CULL_EVERY // 2 + 1
    assert cache.get("one-more") == 0


class Unpicklable:
    def __reduce__(self):
        raise TypeError("not today")


def test_a_write_replaces_the_entry_whole_and_leaves_no_temporary_file(tmp_path):
    cache = FileCache(str(tmp_path), {})
    cache.set("key", {"films": [1, 2]}, 60)
    cache.set("key", {"films": [3]}, 60)

    with pytest.raises(TypeError):
        cache.set("key", Unpicklable(), 60)

    assert cache.get("key") == {"films": [3]}  # the failed write left the entry as it was
    assert [p.suffix for p in tmp_path.iterdir()] == [".djcache"]
    assert cache.add("new", 1, 60) and cache.incr("new", 2) == 3


def test_a_write_after_the_folder_was_deleted_makes_it_again(tmp_path):
    folder = tmp_path / "cache"
    cache = FileCache(str(folder), {})
    shutil.rmtree(folder)

    cache.set("key", "value", 60)

    assert cache.get("key") == "value"


def test_an_entry_is_stored_not_deflated_and_django_s_own_file_cache_reads_it(tmp_path):
    from django.core.cache.backends.filebased import FileBasedCache

    value = {"query_vector": bytes(range(256)) * 4, "films": {1: {"matched_fields": {}}}}
    FileCache(str(tmp_path), {}).set("key", value, 60)

    (path,) = tmp_path.glob("*.djcache")
    assert bytes(range(256)) * 4 in path.read_bytes()  # stored as it is: no deflate pass
    assert FileBasedCache(str(tmp_path), {}).get("key") == value
    assert FileCache(str(tmp_path), {}).get("key") == value


def test_counters_add_up_across_processes_and_threads_and_start_again_when_they_expire(
    tmp_path, monkeypatch
):
    from recsys_site.file_cache import COUNTER_SUFFIX

    # Two caches on one folder stand for two processes; each thread adds 1, 100 times
    caches = [FileCache(str(tmp_path), {}), FileCache(str(tmp_path), {})]
    totals: list[int] = []

    def spend(cache: FileCache) -> None:
        totals.extend(
            cache.add_to("ratelimit:search:10.0.0.1:7", 1, timeout=120) for _ in range(100)
        )

    threads = [threading.Thread(target=spend, args=(caches[i % 2],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(totals) == list(range(1, 601))  # no addition lost, no total given twice
    assert caches[0].add_to("ratelimit:search:10.0.0.1:7", 5, timeout=120) == 605
    assert caches[1].add_to("ratelimit:search:10.0.0.2:7", 2, timeout=120) == 2
    assert entries(caches[0]) == 0  # not entries: Django's get, listing and cull skip them
    assert caches[0].get("ratelimit:search:10.0.0.1:7") is None

    later = time.time() + 121
    monkeypatch.setattr(file_cache.time, "time", lambda: later)
    assert caches[0].add_to("ratelimit:search:10.0.0.1:7", 3, timeout=120) == 3  # expired

    caches[0].clear()
    assert not list(tmp_path.glob(f"*{COUNTER_SUFFIX}"))
    assert caches[1].add_to("ratelimit:search:10.0.0.1:7", 1, timeout=120) == 1


def test_expired_counters_are_dropped_as_new_ones_start(tmp_path, monkeypatch):
    cache = FileCache(str(tmp_path), {})
    for window in range(3):
        cache.add_to(f"ratelimit:pages:10.0.0.1:{window}", 1, timeout=120)
    later = time.time() + 121
    monkeypatch.setattr(file_cache.time, "time", lambda: later)

    live = [
        cache.add_to(f"ratelimit:pages:10.0.0.9:{i}", 1, timeout=120) for i in range(CULL_EVERY)
    ]

    assert live == [1] * CULL_EVERY
    assert len(list(tmp_path.glob("*.count"))) == CULL_EVERY  # the 3 expired ones dropped


def test_a_writer_waiting_on_a_counter_dropped_meanwhile_counts_in_a_new_file(tmp_path):
    """_drop_expired_counters removes a file under its lock; a writer that opened the file
    before and waited for the lock must not add to the removed file (its addition lost)."""
    from django.core.files import locks

    cache = FileCache(str(tmp_path), {})
    key = "ratelimit:search:10.0.0.1:7"
    assert cache.add_to(key, 1, timeout=120) == 1
    (path,) = tmp_path.glob("*.count")
    totals: list[int] = []
    with open(path, "rb") as held:
        locks.lock(held, locks.LOCK_EX)  # as the dropper holds it
        writer = threading.Thread(target=lambda: totals.append(cache.add_to(key, 2, 120)))
        writer.start()
        time.sleep(0.3)  # the writer has opened the file and waits for the lock
        path.unlink()  # dropped as expired, under the lock
        locks.unlock(held)
    writer.join(timeout=10)

    assert totals == [2]  # a new counter, started by this addition
    assert path.read_bytes().split()[1] == b"2"  # and kept in the file that is there
