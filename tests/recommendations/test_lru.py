"""The small LRU map the web process keeps its recent query and sentence vectors in."""

from recommendations.lru import LRU


def test_the_least_recently_used_entry_goes_first():
    recent: LRU[str] = LRU(2)
    recent.put("a", "first")
    recent.put("b", "second")
    assert recent.get("a") == "first"  # now the most recent
    recent.put("c", "third")
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == ("first", None, "third")
    recent.clear()
    assert len(recent) == 0 and recent.get("a") is None


def test_a_size_of_zero_keeps_nothing():
    nothing: LRU[int] = LRU(0)
    nothing.put("a", 1)
    assert nothing.get("a") is None
