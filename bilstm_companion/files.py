"""Files written whole or not at all: CSV files, plots, saved models.

Every file goes to a temporary name in its folder first and is renamed into place only once
complete, so an interrupted or failed run leaves either the old file or the new one, never a
torn one. A run killed outright (``kill -9``) cannot remove its temporary file; the next run
that writes into that folder does.
"""

import os
import re
from pathlib import Path

from bilstm_companion import devices


def temporary_name(path):
    """A hidden name beside ``path`` to write to first: ``.NAME.PID.tmp.SUFFIX``, kept within
    the 255 bytes a file name may have by shortening NAME."""
    tail = f".{os.getpid()}.tmp{path.suffix}"
    room = 255 - 1 - len(tail.encode())
    stem = path.stem.encode()[:room].decode(errors="ignore")
    return path.with_name(f".{stem}{tail}")


TEMPORARY_NAME = re.compile(r"\..+\.(?P<pid>[0-9]+)\.tmp(\.[^.]*)?")  # what temporary_name gives


def process_gone(pid):
    """Whether no process ``pid`` runs here; False wherever that cannot be told for sure."""
    if os.name != "posix" or pid == os.getpid():
        return False  # (on Windows, signal 0 would be Ctrl-C, not a question)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):  # another user's process, or no process number at all
        pass
    return False


def remove_stale_temporaries(folder):
    """Remove the temporary files that runs killed while writing left in ``folder``: files
    named as ``temporary_name`` names them, whose process is gone. Nothing else is touched."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = TEMPORARY_NAME.fullmatch(entry.name)
        try:
            if match and entry.is_file(follow_symlinks=False) and process_gone(int(match["pid"])):
                os.unlink(entry.path)
        except OSError:  # gone already, or not ours to remove: it stays as it was
            pass


def atomic_write(path, write):
    """Call ``write(temporary_path)``, then rename the temporary file to ``path``.

    The folder is created if missing, and cleared of the temporary files of runs killed
    while writing. Whatever stops the writing (an error, a second Ctrl-C), the temporary
    file is removed. Of several processes training together, only the first writes
    (``devices.first_process``): the others' files would be the same.
    """
    path = Path(path)
    if not devices.first_process():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    temporary = temporary_name(path)
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def save_csv(frame, path):
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))
