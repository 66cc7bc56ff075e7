"""The laptop cache culls its folder on one write in CULL_EVERY, not on every write, and writes
an entry whole with fewer system calls than Django's, stored rather than deflated."""

import shutil

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
