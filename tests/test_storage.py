"""The session store on SQLite and on a real PostgreSQL server: migrations, ownership,
optimistic concurrency, and durability of every committed turn across kill -9."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from glob import glob
from pathlib import Path

import pytest
import sqlalchemy as sa

from interviewer.errors import InputError, ServiceError
from interviewer.storage import SessionStore, TurnRecord
from interviewer.storage.db import (VERSION_TABLE, alembic_config, head_revision, make_engine,
                                    migrate)

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def postgres_url():
    """TEST_POSTGRES_URL when set; else a throwaway cluster (initdb/pg_ctl) on 127.0.0.1."""
    if os.environ.get("TEST_POSTGRES_URL"):
        yield os.environ["TEST_POSTGRES_URL"]
        return
    bins = sorted(glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not bins or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("no PostgreSQL server (set TEST_POSTGRES_URL or install postgresql)")
    bindir = Path(bins[-1]).parent
    data = Path(tempfile.mkdtemp(prefix="interviewer-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    port = _free_port()
    subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data / "db"), "-A", "trust",
                                 "-U", "postgres", "--no-sync"]),
                   check=True, capture_output=True)
    opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data / "db"), "-o", opts,
                                 "-l", str(data / "log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m",
                                     "immediate", "stop"]), capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def pg_store(postgres_url):
    engine = make_engine(postgres_url)
    with engine.begin() as conn:  # a clean schema for every test
        conn.exec_driver_sql("DROP TABLE IF EXISTS turns, sessions, slack_threads, slack_events, "
                             "slack_daily, "
                             f"{VERSION_TABLE} CASCADE")
    store = SessionStore(postgres_url, engine=engine).open()
    yield store
    store.close()


@pytest.fixture
def sqlite_store(tmp_path):
    store = SessionStore(f"sqlite:///{tmp_path / 'db' / 's.sqlite3'}").open()
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "pg"])
def store(request):
    return request.getfixturevalue(f"{request.param}_store")


def test_constructor_does_no_io(tmp_path):
    SessionStore(f"sqlite:///{tmp_path / 'nope' / 'x.db'}")
    assert not (tmp_path / "nope").exists()


def test_sqlite_files_are_private(tmp_path):
    """The session database holds every answer: owner-only, WAL and shared-memory files too,
    and an older world-readable file is narrowed when opened."""
    path = tmp_path / "home" / "sessions.sqlite3"
    store = SessionStore(f"sqlite:///{path}").open()
    store.create("s1", "alice", title="t", plan={}, state={}, turns=[])
    files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
    assert {p.name for p in files} >= {path.name, path.name + "-wal"}
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in files), \
        {p.name: oct(p.stat().st_mode) for p in files}
    store.close()
    path.chmod(0o644)
    SessionStore(f"sqlite:///{path}").open().close()
    assert path.stat().st_mode & 0o777 == 0o600


def test_migrations_are_idempotent(store):
    assert migrate(store.engine) == "0002"
    assert migrate(store.engine) == "0002"
    names = set(sa.inspect(store.engine).get_table_names())
    assert {"sessions", "turns", "slack_threads", "slack_events", "slack_daily",
            VERSION_TABLE} <= names


def test_head_revision_is_alembics():
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    assert head_revision() == scripts.get_current_head()


def test_an_older_schema_is_upgraded(store):
    """`migrate` reads the version first: a database one migration behind still gets it."""
    from alembic import command

    with store.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    assert "slack_threads" not in sa.inspect(store.engine).get_table_names()
    assert migrate(store.engine) == head_revision()
    assert "slack_threads" in sa.inspect(store.engine).get_table_names()


def test_a_current_database_opens_without_alembic(tmp_path):
    """Opening a database at the newest revision only reads its version (the app's first
    question does not wait for Alembic's import)."""
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    SessionStore(url).open().close()
    probe = ("import sys; from interviewer.storage import SessionStore; "
             "SessionStore(sys.argv[1]).open(); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe, url], capture_output=True, text=True,
                         check=True, cwd=REPO)
    assert out.stdout.strip() == "False"


def test_create_save_load_turns_and_list(store):
    v = store.create("s1", "alice", title="t", plan={"questions": 3}, state={"n": 0},
                     turns=[TurnRecord("interviewer", "question", "Q?", {"id": "Q1"})])
    v = store.save("s1", "alice", version=v, state={"n": 1}, status="active",
                   turns=[TurnRecord("candidate", "message", "answer é ✓"),
                          TurnRecord("interviewer", "grade", "4/5", {"score": 4.0})])
    rec = store.load("s1", "alice")
    assert rec.state == {"n": 1} and rec.version == v == 2 and rec.plan == {"questions": 3}
    turns = store.turns("s1", "alice")
    assert [t.seq for t in turns] == [1, 2, 3] and turns[1].text == "answer é ✓"
    assert turns[2].data == {"score": 4.0}
    [summary] = store.list("alice")
    assert (summary.id, summary.user, summary.status, summary.turns) == ("s1", "alice",
                                                                          "active", 1)
    assert set(summary.to_dict()) >= {"id", "user", "started", "status", "turns"}


def test_other_users_cannot_read_or_write(store):
    store.create("s2", "alice", title="t", plan={}, state={})
    with pytest.raises(InputError):
        store.load("s2", "mallory")
    with pytest.raises(InputError):
        store.turns("s2", "mallory")
    with pytest.raises(InputError):
        store.save("s2", "mallory", version=1, state={"x": 1}, status="active")
    assert store.list("mallory") == []
    assert store.load("s2", "alice").state == {}


def test_stale_version_is_refused(store):
    store.create("s3", "alice", title="t", plan={}, state={})
    store.save("s3", "alice", version=1, state={"a": 1}, status="active")
    with pytest.raises(ServiceError):
        store.save("s3", "alice", version=1, state={"b": 2}, status="active")
    assert store.load("s3", "alice").state == {"a": 1}


def test_pending_input_survives_until_answered(store):
    store.create("s4", "alice", title="t", plan={}, state={})
    v = store.set_pending("s4", "alice", version=1, text="my answer")
    assert store.load("s4", "alice").pending_input == "my answer"
    store.save("s4", "alice", version=v, state={}, status="active")
    assert store.load("s4", "alice").pending_input is None


def test_unreachable_database_is_a_service_error():
    store = SessionStore(f"postgresql://nobody@127.0.0.1:{_free_port()}/none")
    with pytest.raises(ServiceError):
        store.open()


CHILD = r"""
import sys
from interviewer.storage import SessionStore, TurnRecord
store = SessionStore(sys.argv[1]).open()
v = store.create("k", "u", title="t", plan={}, state={"n": 0})
for i in range(1, 1000000):
    v = store.save("k", "u", version=v, state={"n": i}, status="active",
                   turns=[TurnRecord("candidate", "message", f"answer {i}")])
    print(i, flush=True)  # the reply is shown only after the commit
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_kill_9_loses_no_committed_turn(backend, tmp_path, request):
    url = (f"sqlite:///{tmp_path / 'k.sqlite3'}" if backend == "sqlite"
           else request.getfixturevalue("pg_store").url)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, url], stdout=subprocess.PIPE,
                            text=True, cwd=REPO)
    shown = 0
    deadline = time.time() + 30
    while shown < 25 and time.time() < deadline:
        shown = int(proc.stdout.readline() or shown)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = SessionStore(url).open()
    rec = store.load("k", "u")
    assert rec.state["n"] >= shown >= 25
    assert len(store.turns("k", "u")) == rec.state["n"]
