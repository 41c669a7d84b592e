"""Interview sessions in a SQL database (SQLite under INTERVIEWER_HOME, or DATABASE_URL).

The engine talks to `SessionStore` only; no SQLAlchemy type crosses this package's border.
"""

from interviewer.storage.sessions import SessionRecord, SessionStore, SessionSummary, TurnRecord

__all__ = ["SessionRecord", "SessionStore", "SessionSummary", "TurnRecord"]
