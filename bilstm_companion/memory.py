"""How much memory this machine has free, and sizes in words: for refusing, before any work,
what could not fit."""

import os


def available_memory():
    """Bytes of memory free for a new program here, or None where that cannot be told."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def size_text(n_bytes):
    """``n_bytes`` for a reader: ``512 bytes``, ``1.5 MB``, ... up to petabytes."""
    units = ("bytes", "KB", "MB", "GB", "TB", "PB")
    power = 0
    while n_bytes >= 1000 and power < len(units) - 1:
        n_bytes /= 1000
        power += 1
    return f"{n_bytes:.0f} bytes" if power == 0 else f"{n_bytes:.1f} {units[power]}"
