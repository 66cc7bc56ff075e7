"""Settings, read from the environment once, here, with defaults that need no external service.

Every runtime file (database, vector store, broker queue, trained models, uploads) lives under
RECSYS_DATA_DIR (default ``var/``). Environment variables switch the embedded defaults to real
services: DATABASE_URL (PostgreSQL), REDIS_URL (broker, results, cache), RECSYS_CHROMA_URL (a Chroma
server). See docs/architecture.md for the full list.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

RECSYS_DATA_DIR = Path(env.str("RECSYS_DATA_DIR", default=str(BASE_DIR / "var"))).resolve()
RECSYS_DATA_DIR.mkdir(parents=True, exist_ok=True)

# Off unless asked for: `make run` and the test suite (pyproject's [tool.pytest_env]) set
# DJANGO_DEBUG=true. Without debug, a real DJANGO_SECRET_KEY is required: the development key
# below is public, so it is refused there.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
DEV_SECRET_KEY = "dev-only-insecure-key-set-DJANGO_SECRET_KEY"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY):
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY to a long random value (or DJANGO_DEBUG=true for development)."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
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
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{RECSYS_DATA_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file test database, so that a real Celery worker process can see what tests write.
    DATABASES["default"]["TEST"] = {"NAME": str(RECSYS_DATA_DIR / "test-db.sqlite3")}
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
STATIC_ROOT = RECSYS_DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing directory otherwise
MEDIA_URL = "media/"
MEDIA_ROOT = RECSYS_DATA_DIR / "media"

LOGIN_URL = "admin:login"
# Viewers log in on their own pages and land on the home rows (viewers app).
LOGIN_REDIRECT_URL = "viewers:home"
LOGOUT_REDIRECT_URL = "viewers:home"

# --- Redis: broker, results and cache when REDIS_URL is set -------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("RECSYS_CACHE_PREFIX", default="recsys"),
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
    default=REDIS_URL or f"sqlitequeue+sqlite:///{RECSYS_DATA_DIR / 'celery-broker.sqlite3'}",
)
# Redis hands an unacknowledged task (its worker was killed) to another worker after this long;
# index batches take seconds, so minutes are plenty.
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": env.int("RECSYS_BROKER_VISIBILITY_TIMEOUT", default=600)}
    if REDIS_URL
    else {"polling_interval": env.float("RECSYS_BROKER_POLLING_INTERVAL", default=0.02)}
)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None) or None
CELERY_TASK_IGNORE_RESULT = not CELERY_RESULT_BACKEND
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="recsys")
CELERY_BROKER_CONNECTION_TIMEOUT = 2  # a dead broker must not hang a curator's request
CELERY_BEAT_SCHEDULE: dict = {
    "jobs-redispatch": {"task": "jobs.redispatch", "schedule": 30.0},
}
CELERY_TIMEZONE = TIME_ZONE

# --- Vector store -------------------------------------------------------------------------
RECSYS_CHROMA_URL = env.str(
    "RECSYS_CHROMA_URL", default=""
)  # e.g. http://127.0.0.1:8001; empty = embedded
RECSYS_CHROMA_PATH = RECSYS_DATA_DIR / "chroma"
RECSYS_CHROMA_COLLECTION_PREFIX = env.str("RECSYS_CHROMA_COLLECTION_PREFIX", default="movies")

# --- Index sync (recommendations.indexing) ------------------------------------------------
RECSYS_INDEX_BATCH_SIZE = env.int("RECSYS_INDEX_BATCH_SIZE", default=64)  # films per task
RECSYS_INDEX_SWEEP_SECONDS = env.float(
    "RECSYS_INDEX_SWEEP_SECONDS", default=60
)  # beat: pick up pending films
# A pending film is swept only after this long, so work already queued for it runs first.
RECSYS_INDEX_SWEEP_GRACE_SECONDS = env.float("RECSYS_INDEX_SWEEP_GRACE_SECONDS", default=30)
# --- Recommender retraining (recommendations.recommenders) -----------------------------------
# Beat checks this often whether enough new likes and dislikes came in since the active
# recommender was trained, and then queues one retrain (a Job).
RECSYS_RECOMMENDER_RETRAIN_CHECK_SECONDS = env.float(
    "RECSYS_RECOMMENDER_RETRAIN_CHECK_SECONDS", default=300
)
RECSYS_RECOMMENDER_RETRAIN_MIN_FEEDBACK = env.int(
    "RECSYS_RECOMMENDER_RETRAIN_MIN_FEEDBACK", default=50
)
RECSYS_INDEX_TASK_MAX_RETRIES = env.int("RECSYS_INDEX_TASK_MAX_RETRIES", default=8)
RECSYS_INDEX_RETRY_BACKOFF_MAX = env.int("RECSYS_INDEX_RETRY_BACKOFF_MAX", default=300)  # seconds
RECSYS_INDEX_ENQUEUE_RETRIES = env.int(
    "RECSYS_INDEX_ENQUEUE_RETRIES", default=1
)  # a save never waits long
# Sentences per film whose vectors the index keeps for "why this?" (the rest, in very long
# synopses, are encoded when a panel asks); 0 keeps none.
RECSYS_INDEX_STORED_SENTENCES = env.int("RECSYS_INDEX_STORED_SENTENCES", default=16)
# `runstack` starts a Chroma server when RECSYS_CHROMA_URL is unset and writes its address here, so that
# every process (web, worker, commands) shares one server instead of opening the files each.
RECSYS_CHROMA_LOCAL_SERVER_FILE = RECSYS_DATA_DIR / "chroma-server.json"

# --- Models -------------------------------------------------------------------------------
RECSYS_EMBEDDING_BATCH_SIZE = env.int("RECSYS_EMBEDDING_BATCH_SIZE", default=64)
RECSYS_MODELS_DIR = RECSYS_DATA_DIR / "models"
# A query is read as chunks of 160 words, each a model pass; past this many chunks the rest of
# a very long query is not read, so that one request's cost is bounded (docs/security.md).
RECSYS_QUERY_MAX_CHUNKS = env.int("RECSYS_QUERY_MAX_CHUNKS", default=4)
# Queries are encoded by the same model exported to ONNX Runtime (recommendations/
# query_encoder.py), several times faster on a short text; "torch" encodes them as batches are.
RECSYS_QUERY_ENCODER = env.str("RECSYS_QUERY_ENCODER", default="onnx").strip().lower()
if RECSYS_QUERY_ENCODER not in ("onnx", "torch"):
    raise ImproperlyConfigured(f"RECSYS_QUERY_ENCODER={RECSYS_QUERY_ENCODER!r}: use onnx or torch")
# The indexing workers encode film texts with the same ONNX export, every core, batches of
# similar length (recommendations/query_encoder.py encode_batch); "torch" encodes them on torch.
RECSYS_INDEX_ENCODER = env.str("RECSYS_INDEX_ENCODER", default="onnx").strip().lower()
if RECSYS_INDEX_ENCODER not in ("onnx", "torch"):
    raise ImproperlyConfigured(f"RECSYS_INDEX_ENCODER={RECSYS_INDEX_ENCODER!r}: use onnx or torch")

# Threads a web process gives one request's numeric work (BLAS in numpy's products, torch,
# OpenMP): a search's products are too small to split, and idle pool threads spin on the
# cores the other workers need (recsys_site/warmup.py, docs/benchmarks.md "Throughput").
RECSYS_SERVING_THREADS = env.int("RECSYS_SERVING_THREADS", default=1)

RECSYS_LOG_FORMAT = env.str("RECSYS_LOG_FORMAT", default="text")  # "json" for structured logs

# --- Explanations ("why this?") ------------------------------------------------------------
# none: the offline grounded explainer (the default; no model to download). ollama: an Ollama
# server. openai: any OpenAI-compatible server (OpenAI, llama.cpp server, vLLM) at
# RECSYS_LLM_BASE_URL. A slow or failing provider falls back to the offline explainer.
RECSYS_LLM_PROVIDER = env.str("RECSYS_LLM_PROVIDER", default="none").strip().lower()
if RECSYS_LLM_PROVIDER not in ("none", "ollama", "openai"):
    raise ImproperlyConfigured(
        f"RECSYS_LLM_PROVIDER={RECSYS_LLM_PROVIDER!r} is not a provider: use none, ollama or openai"
    )
RECSYS_LLM_BASE_URL = env.str("RECSYS_LLM_BASE_URL", default="")
RECSYS_LLM_MODEL = env.str(
    "RECSYS_LLM_MODEL",
    default={"ollama": "llama3.2", "openai": "gpt-4o-mini"}.get(RECSYS_LLM_PROVIDER, ""),
)
RECSYS_LLM_API_KEY = env.str("RECSYS_LLM_API_KEY", default="")
# The deadline of one whole LLM call in seconds (a slow stream included), and how many calls
# may be in flight per web process (past that, panels use the offline explainer at once).
RECSYS_LLM_TIMEOUT = env.float("RECSYS_LLM_TIMEOUT", default=10.0)
RECSYS_LLM_MAX_CONCURRENT = env.int("RECSYS_LLM_MAX_CONCURRENT", default=4)
# LLM calls (explanations not in the cache) one client may cause a minute; past it, the offline
# explainer answers. Cross-site requests never reach the LLM.
RECSYS_LLM_CALLS_PER_MINUTE_PER_CLIENT = env.int(
    "RECSYS_LLM_CALLS_PER_MINUTE_PER_CLIENT", default=20
)
# After a failure, the provider is left alone this long (seconds) and panels use the fallback.
RECSYS_LLM_REST_AFTER_FAILURE = env.float("RECSYS_LLM_REST_AFTER_FAILURE", default=30.0)
# Explanations are kept this long (the cache Redis evicts least recently used keys first).
RECSYS_EXPLAIN_CACHE_SECONDS = env.int("RECSYS_EXPLAIN_CACHE_SECONDS", default=24 * 3600)

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
    "root": {"handlers": ["console"], "level": env.str("RECSYS_LOG_LEVEL", default="INFO")},
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
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# X-Forwarded-Proto says "https" only when a proxy that sets it (and strips a client's) is the
# only way in: DJANGO_SECURE_PROXY_SSL_HEADER=true says so (docker-compose's nginx does).
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Request limits (recsys_site/ratelimit.py, docs/security.md) --------------------------
# Fixed windows per client address, in cost units a minute (0 turns that budget off):
# search (the page, the query and similar APIs) costs one unit per RECSYS_RATELIMIT_WORDS_PER_UNIT
# words the model encodes (a short query 1, a query at the chunk cap 80: encoding time grows
# with length, docs/security.md); the "why this?" panels, pages that read the database, and
# log-in/sign-up POSTs (each one a password hash) each have their own budget.
RECSYS_RATELIMIT_ENABLED = env.bool("RECSYS_RATELIMIT_ENABLED", default=True)
RECSYS_RATELIMIT_PER_MINUTE = env.int("RECSYS_RATELIMIT_PER_MINUTE", default=300)
RECSYS_RATELIMIT_WORDS_PER_UNIT = env.int("RECSYS_RATELIMIT_WORDS_PER_UNIT", default=8)
RECSYS_RATELIMIT_EXPLAIN_PER_MINUTE = env.int("RECSYS_RATELIMIT_EXPLAIN_PER_MINUTE", default=600)
RECSYS_RATELIMIT_PAGES_PER_MINUTE = env.int("RECSYS_RATELIMIT_PAGES_PER_MINUTE", default=600)
RECSYS_RATELIMIT_LOGIN_PER_MINUTE = env.int("RECSYS_RATELIMIT_LOGIN_PER_MINUTE", default=10)
# The proxies (addresses or CIDRs) whose X-Forwarded-For is believed: the client is the
# right-most address in it that is not one of them. Empty: REMOTE_ADDR is the client.
RECSYS_TRUSTED_PROXIES = env.list("RECSYS_TRUSTED_PROXIES", default=[])
# Details of /readyz (each check, its error) go to staff and to a request that carries this
# token (Authorization: Bearer ...); everyone else reads ready or not. Empty: staff only.
RECSYS_READYZ_TOKEN = env.str("RECSYS_READYZ_TOKEN", default="")

# --- Catalogue import from the admin (movies/) ----------------------------------------------
# Uploads larger than this (all files of one POST together) are refused with a clear error; the
# import then runs as a background Job from files saved under RECSYS_IMPORT_UPLOAD_DIR.
RECSYS_IMPORT_MAX_MB = env.int("RECSYS_IMPORT_MAX_MB", default=100)
RECSYS_IMPORT_UPLOAD_DIR = RECSYS_DATA_DIR / "imports"
FILE_UPLOAD_HANDLERS = [
    "movies.uploads.SizeLimitUploadHandler",  # first: counts before anything is stored
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Anonymous feedback (viewers/; docs/security.md) ----------------------------------------
# An anonymous viewer's likes shape its own rows at once, and everyone's (training, popularity)
# only once it is trusted: it came back at least this long after its first feedback, and gave
# at least this much feedback (likes, dislikes, list changes). Accounts are trusted.
RECSYS_ANONYMOUS_TRUST_MIN_AGE_HOURS = env.float("RECSYS_ANONYMOUS_TRUST_MIN_AGE_HOURS", default=72)
RECSYS_ANONYMOUS_TRUST_MIN_FEEDBACK = env.int("RECSYS_ANONYMOUS_TRUST_MIN_FEEDBACK", default=5)
# An anonymous viewer with no feedback for this long is deleted with its feedback (beat, daily).
RECSYS_ANONYMOUS_VIEWER_IDLE_DAYS = env.float("RECSYS_ANONYMOUS_VIEWER_IDLE_DAYS", default=30)
RECSYS_ANONYMOUS_EXPIRE_SECONDS = env.float("RECSYS_ANONYMOUS_EXPIRE_SECONDS", default=24 * 3600)
# Anonymous feedback POSTs a minute: per viewer (session), per client address, and new
# anonymous viewers (a POST without a session cookie) per address. 0 turns one off.
RECSYS_FEEDBACK_PER_MINUTE_PER_VIEWER = env.int("RECSYS_FEEDBACK_PER_MINUTE_PER_VIEWER", default=30)
RECSYS_FEEDBACK_PER_MINUTE_PER_ADDRESS = env.int(
    "RECSYS_FEEDBACK_PER_MINUTE_PER_ADDRESS", default=60
)
RECSYS_NEW_ANONYMOUS_VIEWERS_PER_MINUTE_PER_ADDRESS = env.int(
    "RECSYS_NEW_ANONYMOUS_VIEWERS_PER_MINUTE_PER_ADDRESS", default=5
)
CELERY_BEAT_SCHEDULE["viewers-expire-anonymous"] = {
    "task": "viewers.expire_anonymous",
    "schedule": RECSYS_ANONYMOUS_EXPIRE_SECONDS,
}

# --- IMDb scraping (scraping/) ------------------------------------------------------------
RECSYS_SCRAPE_BASE_URL = env.str("RECSYS_SCRAPE_BASE_URL", default="https://www.imdb.com")
# Hosts the scraper may reach; a host matches itself and its subdomains. Checked before every
# navigation and after every redirect, and enforced in the browser by its host resolver.
RECSYS_SCRAPE_ALLOWED_HOSTS = env.list("RECSYS_SCRAPE_ALLOWED_HOSTS", default=["imdb.com"])
RECSYS_SCRAPE_USER_AGENT = env.str(
    "RECSYS_SCRAPE_USER_AGENT",
    default="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36 NetflixRecSys/0.1",
)
RECSYS_SCRAPE_FETCHER = env.str("RECSYS_SCRAPE_FETCHER", default="auto")  # auto|http|browser
RECSYS_SCRAPE_TIMEOUT = env.float("RECSYS_SCRAPE_TIMEOUT", default=20.0)  # seconds per page
RECSYS_SCRAPE_RETRIES = env.int("RECSYS_SCRAPE_RETRIES", default=2)  # after the first try
RECSYS_SCRAPE_BACKOFF = env.float("RECSYS_SCRAPE_BACKOFF", default=2.0)  # seconds, doubles
RECSYS_SCRAPE_MIN_INTERVAL = env.float("RECSYS_SCRAPE_MIN_INTERVAL", default=3.0)  # per host
RECSYS_SCRAPE_MAX_CAST = env.int("RECSYS_SCRAPE_MAX_CAST", default=18)
RECSYS_SCRAPE_QUEUE = env.str("RECSYS_SCRAPE_QUEUE", default=CELERY_TASK_DEFAULT_QUEUE)
RECSYS_CHROMIUM_PATH = env.str("RECSYS_CHROMIUM_PATH", default="/usr/bin/chromium")
RECSYS_CHROMEDRIVER_PATH = env.str("RECSYS_CHROMEDRIVER_PATH", default="/usr/bin/chromedriver")

# --- Reranker -----------------------------------------------------------------------------
# Labelled known-item queries (JSON lines: id, query, answer.tmdb_id, like tomt-dev.jsonl) that
# the admin's "Train reranker" adds to the queries generated from the catalogue. Empty: none.
RECSYS_RERANKER_TRAINING_QUERIES = env.str("RECSYS_RERANKER_TRAINING_QUERIES", default="")
# The recipe the admin trains: "default" (docs/benchmarks.md) or "tiny" (seconds; demos, CI).
RECSYS_RERANKER_RECIPE = env.str("RECSYS_RERANKER_RECIPE", default="default")
# How search runs the active cross-encoder: "onnx-int8" (ONNX Runtime with int8 weights, made
# from the trained weights on first load and checked against them: the fastest here, and it
# ranks held-out queries as well as the Keras model, docs/benchmarks.md), "tensorflow" (the
# Keras model itself) or "onnx" (fp32; recommendations/rerank/onnx_runtime.py).
RECSYS_RERANKER_RUNTIMES = ("tensorflow", "onnx", "onnx-int8")
RECSYS_RERANKER_RUNTIME = env.str("RECSYS_RERANKER_RUNTIME", default="onnx-int8").strip().lower()
if RECSYS_RERANKER_RUNTIME not in RECSYS_RERANKER_RUNTIMES:
    raise ImproperlyConfigured(
        f"RECSYS_RERANKER_RUNTIME={RECSYS_RERANKER_RUNTIME!r}: use one of {', '.join(RECSYS_RERANKER_RUNTIMES)}"
    )
RECSYS_RERANKER_THREADS = env.int(
    "RECSYS_RERANKER_THREADS", default=0
)  # ONNX Runtime threads; 0: per core

# --- Admin dashboard (recommendations/dashboard.py) --------------------------------------------
# Search response times are kept in memory per process and written as one row per this many
# searches (or after this many seconds), for the dashboard's latency percentiles of the last hour.
RECSYS_SEARCH_LATENCY_FLUSH_EVERY = env.int("RECSYS_SEARCH_LATENCY_FLUSH_EVERY", default=50)
RECSYS_SEARCH_LATENCY_FLUSH_SECONDS = env.float("RECSYS_SEARCH_LATENCY_FLUSH_SECONDS", default=30.0)
# The known-item queries (tomt-dev.jsonl format) the admin's "Evaluate search" runs. Empty: the
# action says so and starts nothing.
RECSYS_EVALUATION_QUERIES = env.str("RECSYS_EVALUATION_QUERIES", default="")
# The MovieLens-format directory the admin's "Evaluate recommenders" runs evaluate_recs on.
RECSYS_EVALUATION_MOVIELENS_DIR = env.str(
    "RECSYS_EVALUATION_MOVIELENS_DIR",
    default=str(BASE_DIR.parent / "shared" / "data" / "movielens"),
)
