"""Files only their owner can read: data directories 0700, SQLite databases 0600.

Every local file tracegraph writes (the embedded store's database, the control database of
API keys) goes through these two functions, whatever the process umask.

>>> import stat, tempfile
>>> d = private_dir(Path(tempfile.mkdtemp()) / "data")
>>> db = private_sqlite_file(d / "x.sqlite3")
>>> oct(stat.S_IMODE(d.stat().st_mode)), oct(stat.S_IMODE(db.stat().st_mode))
('0o700', '0o600')
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from tracegraph.schema.errors import BackendUnavailable

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
#: The files SQLite keeps beside a database (it creates them with the database's mode).
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` as a directory; created 0700 when it does not exist (an existing directory
    is the operator's and keeps its mode)."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        folder.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        folder.chmod(PRIVATE_DIR_MODE)  # (mkdir's mode passes through the umask)
    return folder


def private_sqlite_file(path: Path) -> Path:
    """Create the SQLite database ``path`` 0600 before SQLite opens it, so that its WAL and
    shared-memory files get 0600 too; a database (and side files) left readable by others
    by an earlier version is narrowed to 0600. A read-only or inaccessible data directory is
    ``BackendUnavailable`` naming it."""
    try:
        if path.exists():
            # Never open (and close) a database this process may already hold through
            # SQLite: closing any descriptor of a file drops every POSIX lock the process
            # has on it, so another process closing its last connection believes it is the
            # last one and checkpoints and deletes the WAL under ours ("database disk image
            # is malformed"; https://www.sqlite.org/howtocorrupt.html, section 2.2).
            _check_writable(path)
        else:
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE_MODE))
        for file in (path, *(path.with_name(path.name + s) for s in SQLITE_SIDE_FILES)):
            if file.exists():
                file.chmod(PRIVATE_FILE_MODE)
    except OSError as exc:
        raise BackendUnavailable(f"cannot open {path}: the data directory is read-only or "
                                 f"not accessible ({exc.strerror})") from exc
    return path


def _check_writable(path: Path) -> None:
    """Raise the ``OSError`` opening ``path`` for writing would raise, without opening it."""
    if os.access(path, os.R_OK | os.W_OK):
        return
    code = errno.EROFS if os.statvfs(path).f_flag & os.ST_RDONLY else errno.EACCES
    raise OSError(code, os.strerror(code), str(path))
