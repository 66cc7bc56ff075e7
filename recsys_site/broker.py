"""The embedded broker: kombu's SQLAlchemy transport on a SQLite file, tuned for one machine.

kombu hands every transport option to ``create_engine``, so the polling interval (which makes a
queued task start within ~100 ms instead of ~1 s) would be rejected there; this transport keeps
it for the poller only. The SQLite file runs in WAL mode with a busy timeout so that the web
process publishing and the worker polling never fail on a locked database.
"""

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport.sqlalchemy import Channel as SQLAlchemyChannel
from kombu.transport.sqlalchemy import Transport as SQLAlchemyTransport
from sqlalchemy import create_engine, event

ALIAS = "sqlitequeue"
_POLLER_OPTIONS = ("polling_interval", "visibility_timeout")
_KOMBU_OPTIONS = (
    "queue_tablename",
    "message_tablename",
    "callback",
    "errback",
    "max_retries",
    "interval_start",
    "interval_step",
    "interval_max",
    "retry_errors",
)


def _use_wal(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Channel(SQLAlchemyChannel):
    def _engine_from_config(self):
        conninfo = self.connection.client
        options = {
            key: value
            for key, value in conninfo.transport_options.items()
            if key not in _POLLER_OPTIONS + _KOMBU_OPTIONS
        }
        options.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(conninfo.hostname, **options)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _use_wal)
        return engine


class Transport(SQLAlchemyTransport):
    Channel = Channel


def register() -> None:
    TRANSPORT_ALIASES.setdefault(ALIAS, f"{__name__}:Transport")
