"""The process's Chroma client when threads ask for it together (embedded Chroma, no server)."""

import threading

from recommendations import vector_store

THREADS, ROUNDS = 4, 10


def test_threads_asking_for_the_client_at_once_all_get_a_working_one(settings, tmp_path):
    """Chroma's set-up is not safe from two threads at once: before get_client took a lock,
    four threads failed inside chromadb in 7 rounds of 10 (a fresh path each round)."""
    settings.RECSYS_CHROMA_URL = ""
    errors: list[str] = []
    try:
        for round_number in range(ROUNDS):
            settings.RECSYS_CHROMA_PATH = tmp_path / f"chroma-{round_number}"
            vector_store.get_client.cache_clear()
            start = threading.Barrier(THREADS)

            def ask(start: threading.Barrier = start) -> None:
                start.wait()
                try:
                    vector_store.get_client().list_collections()
                except Exception as error:  # what the race raises varies: all are failures
                    errors.append(f"{type(error).__name__}: {error}")

            threads = [threading.Thread(target=ask) for _ in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        vector_store.get_client.cache_clear()
    assert errors == []
