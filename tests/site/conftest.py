"""The site-wide tests share the indexed search catalogue of tests/recommendations."""

import sys

from tests.recommendations.conftest import chroma_dir, films  # noqa: F401


def pytest_terminal_summary(terminalreporter) -> None:
    """How many requests the fuzzing over every URL pattern sent (issue 21 asks for it)."""
    fuzz = sys.modules.get("tests.site.test_fuzz")
    if fuzz is not None and fuzz.ROUTE_CASES:
        cases = fuzz.ROUTE_CASES
        terminalreporter.write_line(
            f"route fuzzing: {sum(cases.values())} requests over {len(cases)} URL patterns"
        )
