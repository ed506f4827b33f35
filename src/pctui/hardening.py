"""Process-wide protection for a pctui process, which may hold unlocked payer keys and patient
data in memory: no core dumps, and no file it creates readable by every account.

Called first thing by the command line (and so by the app it starts).
"""

from __future__ import annotations

import os
import sys

PR_SET_DUMPABLE = 4


def harden_process() -> None:
    """Turn core dumps off (RLIMIT_CORE 0; on Linux also ``prctl(PR_SET_DUMPABLE, 0)``, which
    covers a core pattern that pipes to a collector and keeps other processes of the same
    account from attaching to read memory), and take world access out of the umask."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    os.umask(os.umask(0) | 0o007)


def core_dumps_disabled() -> bool:
    """True when this process cannot leave a core dump (for `pctui check` and the tests)."""
    try:
        import resource

        if resource.getrlimit(resource.RLIMIT_CORE) != (0, 0):
            return False
    except ImportError:
        return False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            return libc.prctl(3, 0, 0, 0, 0) == 0  # PR_GET_DUMPABLE
        except (OSError, AttributeError):
            return True
    return True
