"""Benchmarks: development tools, run with debug settings unless a script or the caller says
otherwise (settings default to production, which needs a secret key)."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")
