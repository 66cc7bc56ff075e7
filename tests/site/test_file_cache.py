"""The laptop cache culls its folder on one write in CULL_EVERY, not on every write."""

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
