"""Connecting to the session database and bringing its schema up to date.

SQLite (the default, a file under INTERVIEWER_HOME) runs in WAL mode, so a committed turn
survives a crash or kill -9 of the process. PostgreSQL (DATABASE_URL) is for several
app replicas sharing sessions. Either way the schema is made only by the numbered Alembic
migrations in `migrations/versions/`, applied on open.
"""

from __future__ import annotations

import ast
import functools
import os
from pathlib import Path

import sqlalchemy as sa

from interviewer.errors import ConfigError, ServiceError

VERSION_TABLE = "interviewer_schema_version"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain postgres URLs (SQLAlchemy would otherwise pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a commit survives the process being killed (kill -9); only a power
    # loss or OS crash may lose the last commits.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def private_sqlite_file(path: Path) -> None:
    """Create the database file readable by its owner only (0600) before SQLite opens it;
    SQLite gives its -wal and -shm files the database file's mode. Files an older version
    left world-readable are narrowed too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        if file.exists() and file.stat().st_mode & 0o077:
            file.chmod(0o600)


def make_engine(url: str) -> sa.Engine:
    """An engine for `url`; SQLite folders are created. Connects lazily."""
    url = normalize_url(url)
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as e:
        raise ConfigError(f"DATABASE_URL={url!r} is not a database URL") from e
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_sqlite_file(Path(parsed.database))
        engine = sa.create_engine(url)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


@functools.cache
def head_revision() -> str:
    """The newest migration's revision, read from `migrations/versions/` without importing
    Alembic (a third of a second): the one revision no other names as its down_revision."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                name = getattr(node.targets[0], "id", "")
                if name in ("revision", "down_revision"):
                    value = ast.literal_eval(node.value)
                    if name == "revision":
                        revisions.add(value)
                    elif value:
                        parents.update([value] if isinstance(value, str) else value)
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the session migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database says it has; None when it has no version table yet (or it
    cannot be read: `migrate` then goes the long way and reports what is wrong)."""
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(VERSION_TABLE):
                return None
            rows = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    except sa.exc.DBAPIError:
        return None
    return rows[0][0] if len(rows) == 1 else None


def alembic_config(connection: sa.Connection | None = None):
    """Alembic's configuration for our migrations, run on `connection` (see env.py)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: sa.Engine) -> str:
    """Apply every pending migration; return the schema revision now in place. A database
    already at the newest revision is only read (Alembic is not imported)."""
    head = head_revision()
    if current_revision(engine) == head:
        return head
    from alembic import command

    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        return current_revision(engine) or ""
    except sa.exc.OperationalError as e:
        raise ServiceError(f"cannot open the session database "
                           f"{engine.url.render_as_string(hide_password=True)}: {e.orig}") from e
