"""Settings, read from the environment once, here, with defaults that need no external service.

Every runtime file (database, vector store, broker queue, trained models, uploads) lives under
RECSYS_DATA_DIR (default ``var/``), made at start-up (recsys_site/apps.py), not here.
Environment variables switch the embedded defaults to real services: DATABASE_URL
(PostgreSQL), REDIS_URL (broker, results, cache), RECSYS_CHROMA_URL (a Chroma server).

One name each (recsys_site/env.py): the project's settings are RECSYS_X, read from the variable
RECSYS_X; Django's read DJANGO_X; Celery's and DATABASE_URL/REDIS_URL keep their usual names.
Every variable is read through `env`, which checks choices and records each for the table in
docs/architecture.md (`python -m recsys_site.env` rewrites it; a test keeps it current).
The test suite's additions are in tests/settings.py.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from recsys_site.env import EnvReader, refuse_retired_names

BASE_DIR = Path(__file__).resolve().parent.parent

environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
refuse_retired_names(os.environ)
env = EnvReader(environ.Env())

RECSYS_DATA_DIR = env.path(
    "RECSYS_DATA_DIR",
    BASE_DIR / "var",
    "every runtime file: database, vector store, broker queue, cache, models, uploads",
    shown="`var/`",
)

# Off unless asked for: `make run` and the test suite (pyproject's [tool.pytest_env]) set
# DJANGO_DEBUG=true. Without debug, a real DJANGO_SECRET_KEY is required: the development key
# below is public, so it is refused there.
DEBUG = env.bool(
    "DJANGO_DEBUG", False, "development mode; `make run` and the test suite set it", setting="DEBUG"
)
DEV_SECRET_KEY = "dev-only-insecure-key-set-DJANGO_SECRET_KEY"
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY",
    DEV_SECRET_KEY if DEBUG else "",
    "required without debug (the development key is public, so refused there)",
    shown="none (a public key in debug)",
    setting="SECRET_KEY",
)
if not DEBUG and (not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY):
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY to a long random value (or DJANGO_DEBUG=true for development)."
    )
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS",
    # testserver: the host name of Django's test client, which the benchmarks use too
    ["127.0.0.1", "localhost", "testserver"],
    "host names the site answers to, comma-separated",
    setting="ALLOWED_HOSTS",
)
CSRF_TRUSTED_ORIGINS = env.list(
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    [],
    "origins trusted for POSTs across hosts (`https://example.com`)",
    setting="CSRF_TRUSTED_ORIGINS",
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "recsys_site",  # start-up: the runtime folders (apps.py)
    "template_partials",
    "jobs",
    "movies",
    "recommendations",
    "scraping",
    "viewers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "recsys_site.ratelimit.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "recsys_site.admin_params.EmptyToFieldMiddleware",
]

ROOT_URLCONF = "recsys_site.urls"
WSGI_APPLICATION = "recsys_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        f"sqlite:///{RECSYS_DATA_DIR / 'db.sqlite3'}",
        "the database, e.g. `postgres://user@127.0.0.1:5432/recsys`",
        shown="SQLite in `RECSYS_DATA_DIR`",
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = RECSYS_DATA_DIR / "staticfiles"  # made at start-up (recsys_site/apps.py)
MEDIA_URL = "media/"
MEDIA_ROOT = RECSYS_DATA_DIR / "media"

LOGIN_URL = "admin:login"
# Viewers log in on their own pages and land on the home rows (viewers app).
LOGIN_REDIRECT_URL = "recommendations:home"
LOGOUT_REDIRECT_URL = "recommendations:home"

# --- Redis: broker, results and cache when REDIS_URL is set -------------------------------
REDIS_URL = env.str(
    "REDIS_URL",
    "",
    "Celery broker + results and Django's cache; empty = SQLite-file broker, file cache "
    "(`recsys_site/file_cache.py`)",
)
RECSYS_CACHE_PREFIX = env.str(
    "RECSYS_CACHE_PREFIX", "recsys", "key prefix of the Redis cache (processes sharing one Redis)"
)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": RECSYS_CACHE_PREFIX,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "recsys_site.file_cache.FileCache",
            "LOCATION": str(RECSYS_DATA_DIR / "cache"),
        }
    }

# --- Celery -------------------------------------------------------------------------------
# Without Redis, kombu's SQLAlchemy transport keeps the queue in a SQLite file: no service to
# run, and a short polling interval so a queued task starts within about 100 ms.
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL",
    REDIS_URL or f"sqlitequeue+sqlite:///{RECSYS_DATA_DIR / 'celery-broker.sqlite3'}",
    "the task queue",
    shown="`REDIS_URL`, else a SQLite file in `RECSYS_DATA_DIR`",
)
# Redis hands an unacknowledged task (its worker was killed) to another worker after this long;
# index batches take seconds, so minutes are plenty.
RECSYS_BROKER_VISIBILITY_TIMEOUT = env.int(
    "RECSYS_BROKER_VISIBILITY_TIMEOUT",
    600,
    "Redis broker: seconds before a task whose worker died is handed to another",
)
RECSYS_BROKER_POLLING_INTERVAL = env.float(
    "RECSYS_BROKER_POLLING_INTERVAL", 0.02, "embedded (SQLite) broker: seconds between polls"
)
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": RECSYS_BROKER_VISIBILITY_TIMEOUT}
    if REDIS_URL
    else {"polling_interval": RECSYS_BROKER_POLLING_INTERVAL}
)
CELERY_RESULT_BACKEND = (
    env.str("CELERY_RESULT_BACKEND", REDIS_URL, "task results", shown="`REDIS_URL`") or None
)
CELERY_TASK_IGNORE_RESULT = not CELERY_RESULT_BACKEND
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", False, "run tasks in the calling process (no worker)"
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", "recsys", "the Celery queue")
CELERY_BROKER_CONNECTION_TIMEOUT = 2  # a dead broker must not hang a curator's request
CELERY_BEAT_SCHEDULE: dict = {
    "jobs-redispatch": {"task": "jobs.redispatch", "schedule": 30.0},
}
CELERY_TIMEZONE = TIME_ZONE

# --- Vector store -------------------------------------------------------------------------
RECSYS_CHROMA_URL = env.str(
    "RECSYS_CHROMA_URL",
    "",
    "a Chroma server (`http://127.0.0.1:8001`); empty = Chroma under `RECSYS_DATA_DIR/chroma` "
    "(`runstack` serves it to web and worker)",
)
RECSYS_CHROMA_PATH = RECSYS_DATA_DIR / "chroma"
RECSYS_CHROMA_COLLECTION_PREFIX = env.str(
    "RECSYS_CHROMA_COLLECTION_PREFIX", "movies", "name prefix of the Chroma collections"
)
# `runstack` starts a Chroma server when RECSYS_CHROMA_URL is unset and writes its address here,
# so that every process (web, worker, commands) shares one server instead of opening the files.
RECSYS_CHROMA_LOCAL_SERVER_FILE = RECSYS_DATA_DIR / "chroma-server.json"

# --- Index sync (recommendations.indexing) ------------------------------------------------
RECSYS_INDEX_BATCH_SIZE = env.int("RECSYS_INDEX_BATCH_SIZE", 64, "films per index task")
RECSYS_INDEX_SWEEP_SECONDS = env.float(
    "RECSYS_INDEX_SWEEP_SECONDS", 60, "how often beat runs the sweep (picks up pending films)"
)
RECSYS_INDEX_SWEEP_GRACE_SECONDS = env.float(
    "RECSYS_INDEX_SWEEP_GRACE_SECONDS",
    30,
    "a pending film is swept only after this long, so work already queued for it runs first",
)
RECSYS_INDEX_TASK_MAX_RETRIES = env.int(
    "RECSYS_INDEX_TASK_MAX_RETRIES", 8, "retries of a failed index batch"
)
RECSYS_INDEX_RETRY_BACKOFF_MAX = env.int(
    "RECSYS_INDEX_RETRY_BACKOFF_MAX", 300, "longest wait between those retries, in seconds"
)
RECSYS_INDEX_ENQUEUE_RETRIES = env.int(
    "RECSYS_INDEX_ENQUEUE_RETRIES", 1, "broker retries when a save queues its sync (kept short)"
)
RECSYS_INDEX_STORED_SENTENCES = env.int(
    "RECSYS_INDEX_STORED_SENTENCES",
    16,
    'sentences per film encoded on its first "why this?" panel and kept until its text changes '
    "(0: none kept; the rest are encoded when a panel asks)",
)

# --- Recommender retraining (recommendations.recommenders) -----------------------------------
RECSYS_RECOMMENDER_RETRAIN_CHECK_SECONDS = env.float(
    "RECSYS_RECOMMENDER_RETRAIN_CHECK_SECONDS",
    300,
    "how often beat checks whether enough new feedback came in to retrain the recommender",
)
RECSYS_RECOMMENDER_RETRAIN_MIN_FEEDBACK = env.int(
    "RECSYS_RECOMMENDER_RETRAIN_MIN_FEEDBACK",
    50,
    "new likes and dislikes since the active recommender was trained that queue a retrain",
)

# --- Models -------------------------------------------------------------------------------
RECSYS_MODELS_DIR = RECSYS_DATA_DIR / "models"
RECSYS_EMBEDDING_BATCH_SIZE = env.int(
    "RECSYS_EMBEDDING_BATCH_SIZE",
    8,
    "texts per batch when the index embeds films in fp32 (batches of 64 cost 1.5x the CPU a film; "
    "docs/benchmarks.md)",
)
RECSYS_QUERY_MAX_CHUNKS = env.int(
    "RECSYS_QUERY_MAX_CHUNKS",
    4,
    "a query is read as at most this many 160-word chunks (one model pass each): past the cap, "
    "its beginning and its last 160 words (docs/security.md)",
)
RECSYS_QUERY_ENCODER = env.choice(
    "RECSYS_QUERY_ENCODER",
    ("onnx", "torch"),
    "onnx",
    "how queries are encoded: the model exported to ONNX Runtime (several times faster on a "
    "short text) or torch",
)
RECSYS_INDEX_ENCODER = env.choice(
    "RECSYS_INDEX_ENCODER",
    ("onnx", "torch"),
    "onnx",
    "how the indexing workers encode film texts: the query encoder's ONNX export on every core, "
    "in batches of similar length, or torch",
)
RECSYS_QUERY_ENCODER_PRECISION = env.choice(
    "RECSYS_QUERY_ENCODER_PRECISION",
    ("auto", "fp32", "int8", "int8-per-token"),
    "auto",
    "weights of the ONNX query encoder. int8-per-token: int8 with each token's activations "
    "scaled alone (batch-free; on a CPU with VNNI about half fp32's CPU a query; tomt-dev "
    "nDCG@10 fused within noise of fp32's, 0.0006 lower on validation, 95% interval across "
    "zero); fp32: as exported; int8: one activation scale a run (0.001-0.005 lower; its kernel "
    "saturates without VNNI); auto: int8-per-token where this CPU multiplies int8 exactly and "
    'fast, fp32 elsewhere (docs/benchmarks.md, "int8 per token as the default")',
)
RECSYS_INDEX_ENCODER_PRECISION = env.choice(
    "RECSYS_INDEX_ENCODER_PRECISION",
    ("auto", "fp32", "int8", "int8-per-token"),
    "fp32",
    "weights of the ONNX encoder the indexing workers use: fp32; int8 (one text a run, 2.8x the "
    "films per CPU second); int8-per-token (batched; on a CPU with VNNI 1.9x the films per CPU "
    "second, tomt-dev nDCG@10 fused 0.002 lower on validation); auto: int8-per-token where "
    "queries' auto is, fp32 elsewhere. Part of the index fingerprint (auto as resolved), so "
    "changing it re-embeds every film",
)
RECSYS_SERVING_THREADS = env.int(
    "RECSYS_SERVING_THREADS",
    1,
    "threads a web process gives one request's numeric work (BLAS, torch, OpenMP): a search's "
    "products are too small to split, and idle pool threads spin on the cores other workers need",
)
RECSYS_ACTIVE_MODEL_CHECK_SECONDS = env.float(
    "RECSYS_ACTIVE_MODEL_CHECK_SECONDS",
    2.0,
    "seconds a process trusts its view of which trained model versions are active before "
    "reading the registry again: an activation shows in every process within this time (at once "
    "in the one that made it)",
)
RECSYS_SEARCH_CACHE_SIZE = env.int(
    "RECSYS_SEARCH_CACHE_SIZE",
    256,
    "searches (query, filters, page) whose ranked results a web process keeps for repeated "
    "queries, dropped when the catalogue, the index or an active model changes (0: none)",
)
RECSYS_SEARCH_CACHE_SECONDS = env.float(
    "RECSYS_SEARCH_CACHE_SECONDS", 300.0, "...and for at most this many seconds each"
)
RECSYS_FILM_CACHE_SIZE = env.int(
    "RECSYS_FILM_CACHE_SIZE",
    2000,
    "films a web process keeps for result cards after reading them once, dropped when the "
    "catalogue changes: most cards of a new search are films shown before (0: none)",
)
RECSYS_DENSE_SEARCH = env.choice(
    "RECSYS_DENSE_SEARCH",
    ("auto", "exact", "mmap", "approximate", "binary", "int8"),
    "auto",
    "how search scores film vectors: `exact` in each web process's memory, `mmap` (exact, over "
    "files every process maps once for all), `approximate` (Chroma's HNSW candidates, scored "
    "from those files), `binary` (a shortlist by Hamming distance between sign bits, scored "
    "from those files; opt-in), `int8` (a shortlist by an int8 product, scored from those "
    "files); `auto`: exact below RECSYS_DENSE_INT8_FROM films, int8 from there, approximate "
    "from RECSYS_DENSE_APPROXIMATE_FROM",
)
RECSYS_DENSE_INT8_FROM = env.int(
    "RECSYS_DENSE_INT8_FROM",
    36_000,
    "films from which `auto` dense search scores int8 codes for a shortlist instead of every "
    "film's float vector: at 36,248 real films the int8 stage cost 2.6 ms of CPU against exact's "
    "7.1 with the same top 200; at 4,803 it was no cheaper; sizes between were not measured "
    '(docs/benchmarks.md, issue 20, "int8 dense codes")',
)
RECSYS_DENSE_APPROXIMATE_FROM = env.int(
    "RECSYS_DENSE_APPROXIMATE_FROM",
    50_000,
    "films from which `auto` dense search turns approximate: where exact scoring starts to cost "
    "more CPU per search than a Chroma server's HNSW (docs/benchmarks.md, issue 20)",
)
RECSYS_LOG_FORMAT = env.choice(
    "RECSYS_LOG_FORMAT", ("text", "json"), "text", "the log format; json for structured logs"
)
RECSYS_LOG_LEVEL = env.choice(
    "RECSYS_LOG_LEVEL",
    ("debug", "info", "warning", "error", "critical"),
    "info",
    "the root logger's level",
).upper()

# --- Explanations ("why this?") ------------------------------------------------------------
RECSYS_LLM_PROVIDER = env.choice(
    "RECSYS_LLM_PROVIDER",
    ("none", "ollama", "openai"),
    "none",
    'who writes "why this?": the offline grounded explainer, an Ollama server, or any '
    "OpenAI-compatible server (OpenAI, llama.cpp, vLLM) at `RECSYS_LLM_BASE_URL`; a slow or "
    "failing provider falls back to the offline explainer",
)
RECSYS_LLM_BASE_URL = env.str("RECSYS_LLM_BASE_URL", "", "the LLM server's address")
RECSYS_LLM_MODEL = env.str(
    "RECSYS_LLM_MODEL",
    {"ollama": "llama3.2", "openai": "gpt-4o-mini"}.get(RECSYS_LLM_PROVIDER, ""),
    "the LLM's model name",
    shown="`llama3.2` (ollama), `gpt-4o-mini` (openai)",
)
RECSYS_LLM_API_KEY = env.str("RECSYS_LLM_API_KEY", "", "the LLM server's API key")
RECSYS_LLM_TIMEOUT = env.float(
    "RECSYS_LLM_TIMEOUT", 10.0, "seconds one whole LLM call may take (a slow stream included)"
)
RECSYS_LLM_MAX_CONCURRENT = env.int(
    "RECSYS_LLM_MAX_CONCURRENT",
    4,
    "LLM calls in flight per web process; past it, panels use the offline explainer at once",
)
RECSYS_LLM_CALLS_PER_MINUTE_PER_CLIENT = env.int(
    "RECSYS_LLM_CALLS_PER_MINUTE_PER_CLIENT",
    20,
    "LLM calls one client may cause a minute; past it, the offline explainer answers",
)
RECSYS_LLM_REST_AFTER_FAILURE = env.float(
    "RECSYS_LLM_REST_AFTER_FAILURE",
    30.0,
    "seconds the provider is left alone after a failure (panels use the fallback)",
)
RECSYS_EXPLAIN_CACHE_SECONDS = env.int(
    "RECSYS_EXPLAIN_CACHE_SECONDS", 24 * 3600, "how long explanations are cached"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": RECSYS_LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": RECSYS_LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "chromadb": {"level": "WARNING"},
    },
}

# --- Static files -------------------------------------------------------------------------
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security -----------------------------------------------------------------------------
# A policy that htmx works under: no inline script and no eval (we use no hx-on or js: values;
# htmx's own indicator <style> is turned off in base.html). Inline style attributes are
# allowed: the generated poster placeholders set their colours that way.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Without debug, https only; each can be turned off (a plain-http demo). Never in debug.
_https_only = {
    "SECURE_SSL_REDIRECT": env.bool(
        "DJANGO_SECURE_SSL_REDIRECT",
        True,
        "without debug: redirect http to https",
        setting="SECURE_SSL_REDIRECT",
    ),
    "SESSION_COOKIE_SECURE": env.bool(
        "DJANGO_SESSION_COOKIE_SECURE",
        True,
        "without debug: the session cookie is sent over https only",
        setting="SESSION_COOKIE_SECURE",
    ),
    "CSRF_COOKIE_SECURE": env.bool(
        "DJANGO_CSRF_COOKIE_SECURE",
        True,
        "without debug: the CSRF cookie is sent over https only",
        setting="CSRF_COOKIE_SECURE",
    ),
}
_hsts_seconds = env.int(
    "DJANGO_SECURE_HSTS_SECONDS",
    60 * 60 * 24 * 365,
    "without debug: how long browsers keep to https (HSTS)",
    setting="SECURE_HSTS_SECONDS",
)
if not DEBUG:
    SECURE_SSL_REDIRECT = _https_only["SECURE_SSL_REDIRECT"]
    SESSION_COOKIE_SECURE = _https_only["SESSION_COOKIE_SECURE"]
    CSRF_COOKIE_SECURE = _https_only["CSRF_COOKIE_SECURE"]
    SECURE_HSTS_SECONDS = _hsts_seconds
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# X-Forwarded-Proto says "https" only when a proxy that sets it (and strips a client's) is the
# only way in: DJANGO_SECURE_PROXY_SSL_HEADER=true says so (docker-compose's nginx does).
if env.bool(
    "DJANGO_SECURE_PROXY_SSL_HEADER",
    False,
    "`true` believes the proxy's `X-Forwarded-Proto: https` (only when that proxy is the only "
    "way in and strips a client's)",
    setting="SECURE_PROXY_SSL_HEADER",
):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Request limits (recsys_site/ratelimit.py, docs/security.md) --------------------------
# Fixed windows per client address, in cost units a minute (0 turns that budget off): search
# costs one unit per RECSYS_RATELIMIT_WORDS_PER_UNIT words the model encodes (encoding time
# grows with length, docs/security.md); the "why this?" panels, pages that read the database,
# and log-in/sign-up POSTs (each one a password hash) each have their own budget.
RECSYS_RATELIMIT_ENABLED = env.bool(
    "RECSYS_RATELIMIT_ENABLED", True, "`false` turns every request budget below off"
)
RECSYS_RATELIMIT_PER_MINUTE = env.int(
    "RECSYS_RATELIMIT_PER_MINUTE",
    300,
    "search budget per client a minute (the page, the query and similar APIs), in units of "
    "`RECSYS_RATELIMIT_WORDS_PER_UNIT` words the model encodes, at least 1 a query (0: off)",
)
RECSYS_RATELIMIT_WORDS_PER_UNIT = env.int(
    "RECSYS_RATELIMIT_WORDS_PER_UNIT", 8, "words of a query one search unit pays for"
)
RECSYS_RATELIMIT_EXPLAIN_PER_MINUTE = env.int(
    "RECSYS_RATELIMIT_EXPLAIN_PER_MINUTE", 600, '"why this?" panels per client a minute'
)
RECSYS_RATELIMIT_PAGES_PER_MINUTE = env.int(
    "RECSYS_RATELIMIT_PAGES_PER_MINUTE",
    600,
    "other pages that read the database (and `/readyz`) per client a minute",
)
RECSYS_RATELIMIT_LOGIN_PER_MINUTE = env.int(
    "RECSYS_RATELIMIT_LOGIN_PER_MINUTE", 10, "log-in and sign-up POSTs per client a minute"
)
RECSYS_TRUSTED_PROXIES = env.list(
    "RECSYS_TRUSTED_PROXIES",
    [],
    "addresses/CIDRs of the proxies whose `X-Forwarded-For` is believed: the client is the "
    "right-most address in it that is not one of them (empty: `REMOTE_ADDR` is the client)",
)
RECSYS_READYZ_TOKEN = env.str(
    "RECSYS_READYZ_TOKEN",
    "",
    "a probe sending `Authorization: Bearer <token>` reads `/readyz`'s per-part details "
    "(staff always do)",
)

# --- Catalogue import from the admin (movies/) ----------------------------------------------
# Larger uploads are refused with a clear error; the import then runs as a background Job
# from files saved under RECSYS_IMPORT_UPLOAD_DIR.
RECSYS_IMPORT_MAX_MB = env.int(
    "RECSYS_IMPORT_MAX_MB", 100, "megabytes of all files of one admin import upload together"
)
RECSYS_IMPORT_UPLOAD_DIR = RECSYS_DATA_DIR / "imports"
FILE_UPLOAD_HANDLERS = [
    "movies.uploads.SizeLimitUploadHandler",  # first: counts before anything is stored
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Anonymous feedback (viewers/; docs/security.md) ----------------------------------------
# An anonymous viewer's likes shape its own rows at once, and everyone's (training, popularity)
# only once it is trusted. Accounts are trusted.
RECSYS_ANONYMOUS_TRUST_MIN_AGE_HOURS = env.float(
    "RECSYS_ANONYMOUS_TRUST_MIN_AGE_HOURS",
    72,
    "an anonymous viewer's feedback counts for everyone once it came back this long after its "
    "first feedback...",
)
RECSYS_ANONYMOUS_TRUST_MIN_FEEDBACK = env.int(
    "RECSYS_ANONYMOUS_TRUST_MIN_FEEDBACK",
    5,
    "...and gave at least this much feedback (likes, dislikes, list changes)",
)
RECSYS_ANONYMOUS_VIEWER_IDLE_DAYS = env.float(
    "RECSYS_ANONYMOUS_VIEWER_IDLE_DAYS",
    30,
    "an anonymous viewer with no feedback for this long is deleted with its feedback",
)
RECSYS_ANONYMOUS_EXPIRE_SECONDS = env.float(
    "RECSYS_ANONYMOUS_EXPIRE_SECONDS", 24 * 3600, "how often beat deletes those viewers"
)
RECSYS_FEEDBACK_PER_MINUTE_PER_VIEWER = env.int(
    "RECSYS_FEEDBACK_PER_MINUTE_PER_VIEWER", 30, "feedback POSTs of one anonymous viewer a minute"
)
RECSYS_FEEDBACK_PER_MINUTE_PER_ADDRESS = env.int(
    "RECSYS_FEEDBACK_PER_MINUTE_PER_ADDRESS", 60, "anonymous feedback POSTs per address a minute"
)
RECSYS_NEW_ANONYMOUS_VIEWERS_PER_MINUTE_PER_ADDRESS = env.int(
    "RECSYS_NEW_ANONYMOUS_VIEWERS_PER_MINUTE_PER_ADDRESS",
    5,
    "POSTs without a session cookie (each would create a viewer) per address a minute",
)
CELERY_BEAT_SCHEDULE["viewers-expire-anonymous"] = {
    "task": "viewers.expire_anonymous",
    "schedule": RECSYS_ANONYMOUS_EXPIRE_SECONDS,
}

# --- IMDb scraping (scraping/) ------------------------------------------------------------
RECSYS_SCRAPE_BASE_URL = env.str(
    "RECSYS_SCRAPE_BASE_URL", "https://www.imdb.com", "where the scraper reads IMDb"
)
RECSYS_SCRAPE_ALLOWED_HOSTS = env.list(
    "RECSYS_SCRAPE_ALLOWED_HOSTS",
    ["imdb.com"],
    "hosts the scraper may reach (each with its subdomains), checked before every navigation "
    "and after every redirect, and enforced in the browser by its host resolver",
)
RECSYS_SCRAPE_USER_AGENT = env.str(
    "RECSYS_SCRAPE_USER_AGENT",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36 NetflixRecSys/0.1",
    "the scraper's User-Agent",
    shown="a Chrome user agent naming NetflixRecSys",
)
RECSYS_SCRAPE_FETCHER = env.choice(
    "RECSYS_SCRAPE_FETCHER",
    ("auto", "http", "browser"),
    "auto",
    "how pages are fetched: plain HTTP, headless Chromium, or HTTP first",
)
RECSYS_SCRAPE_TIMEOUT = env.float("RECSYS_SCRAPE_TIMEOUT", 20.0, "seconds per page")
RECSYS_SCRAPE_RETRIES = env.int("RECSYS_SCRAPE_RETRIES", 2, "retries of a page after the first")
RECSYS_SCRAPE_BACKOFF = env.float(
    "RECSYS_SCRAPE_BACKOFF", 2.0, "seconds before the first retry, doubling"
)
RECSYS_SCRAPE_MIN_INTERVAL = env.float(
    "RECSYS_SCRAPE_MIN_INTERVAL", 3.0, "seconds between two requests to one host"
)
RECSYS_SCRAPE_MAX_CAST = env.int("RECSYS_SCRAPE_MAX_CAST", 18, "cast members kept per film")
RECSYS_SCRAPE_QUEUE = env.str(
    "RECSYS_SCRAPE_QUEUE",
    CELERY_TASK_DEFAULT_QUEUE,
    "Celery queue of the scrape task",
    shown="`CELERY_TASK_DEFAULT_QUEUE`",
)
RECSYS_CHROMIUM_PATH = env.str("RECSYS_CHROMIUM_PATH", "/usr/bin/chromium", "the browser")
RECSYS_CHROMEDRIVER_PATH = env.str(
    "RECSYS_CHROMEDRIVER_PATH", "/usr/bin/chromedriver", "its driver"
)

# --- Reranker -----------------------------------------------------------------------------
RECSYS_RERANKER_TRAINING_QUERIES = env.str(
    "RECSYS_RERANKER_TRAINING_QUERIES",
    "",
    "labelled known-item queries (JSON lines like tomt-dev.jsonl) the admin's \"Train "
    'reranker" adds to the queries generated from the catalogue (empty: none)',
)
RECSYS_FUSION_TRAINING_QUERIES = env.str(
    "RECSYS_FUSION_TRAINING_QUERIES",
    "",
    "labelled known-item queries (JSON lines like tomt-dev.jsonl) the admin's \"Train learned "
    'fusion" learns from (empty: the action says so and starts nothing)',
)
RECSYS_RERANKER_RECIPE = env.choice(
    "RECSYS_RERANKER_RECIPE",
    ("default", "tiny"),
    "default",
    "the recipe the admin trains (tiny: seconds; demos, CI)",
)
RECSYS_RETRIEVER_RECIPE = env.choice(
    "RECSYS_RETRIEVER_RECIPE",
    ("default", "tiny"),
    "default",
    'the recipe the admin\'s "Train retriever" fine-tunes the bi-encoder with (tiny: seconds; '
    "demos, CI); it trains on RECSYS_RERANKER_TRAINING_QUERIES too",
)
RECSYS_RERANKER_RUNTIME = env.choice(
    "RECSYS_RERANKER_RUNTIME",
    ("tensorflow", "onnx", "onnx-int8"),
    "onnx-int8",
    "how search runs the active cross-encoder: the Keras model, ONNX Runtime fp32, or ONNX "
    "Runtime with int8 weights (made on first load and checked; the fastest, as good on "
    "held-out queries, docs/benchmarks.md)",
)
RECSYS_RERANKER_THREADS = env.int(
    "RECSYS_RERANKER_THREADS", 0, "ONNX Runtime threads of the reranker (0: one per core)"
)
RECSYS_RERANKER_COST = env.choice(
    "RECSYS_RERANKER_COST",
    ("chosen", "full"),
    "chosen",
    "how much the active cross-encoder reads and reorders: the rerank depth and token lengths "
    "its version chose on validation (serving.json; as trained without one), or its full "
    "setting (to measure what the choice saves)",
)

# --- Admin dashboard and evaluation (recommendations/) -------------------------------------
RECSYS_SEARCH_LATENCY_FLUSH_EVERY = env.int(
    "RECSYS_SEARCH_LATENCY_FLUSH_EVERY",
    50,
    "searches whose response times a process keeps in memory before writing them as one row "
    "(the dashboard's latency percentiles)...",
)
RECSYS_SEARCH_LATENCY_FLUSH_SECONDS = env.float(
    "RECSYS_SEARCH_LATENCY_FLUSH_SECONDS", 30.0, "...or seconds, whichever comes first"
)
RECSYS_EVALUATION_QUERIES = env.str(
    "RECSYS_EVALUATION_QUERIES",
    "",
    'the known-item queries (tomt-dev.jsonl format) the admin\'s "Evaluate search" runs '
    "(empty: the action says so and starts nothing)",
)
RECSYS_EVALUATION_MOVIELENS_DIR = env.str(
    "RECSYS_EVALUATION_MOVIELENS_DIR",
    str(BASE_DIR.parent / "shared" / "data" / "movielens"),
    'the MovieLens-format directory the admin\'s "Evaluate recommenders" runs on',
    shown="`../shared/data/movielens`",
)
