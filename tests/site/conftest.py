"""The site-wide tests share the indexed search catalogue of tests/recommendations."""

from tests.recommendations.conftest import chroma_dir, films  # noqa: F401
