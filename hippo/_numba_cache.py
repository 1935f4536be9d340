"""Where numba keeps hippo's compiled kernels.

numba's on-disk cache checks only the source file of the function it compiled, not the
files of the functions it calls: after an edit to a learning rule, the rate engine's
cached loop would go on running the old rule. The cache folder is therefore named after
a digest of the package's sources, so any change to them compiles afresh.

The folder is also written to ``NUMBA_CACHE_DIR`` in the process environment: numba
re-reads its settings from the environment whenever a ``NUMBA_*`` variable changes (as
when a sweep worker sets ``NUMBA_NUM_THREADS``), which would otherwise put the cache back
beside the sources; and child processes then share the same cache.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def configure() -> Path:
    """Point numba's cache at ``<cache root>/hippo-numba/<digest of hippo's sources>`` and return it.

    The cache root is ``$NUMBA_CACHE_DIR`` (the root above it when it already names a
    ``hippo-numba/<digest>`` folder, as in a child process), else ``$XDG_CACHE_HOME``, else
    ``~/.cache``; an unwritable root falls back to the system's temporary folder.
    """
    import numba

    package = Path(__file__).resolve().parent
    digest = hashlib.sha1()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    root = Path(os.environ.get("NUMBA_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    if root.parent.name == "hippo-numba":
        root = root.parent.parent
    folder = root / "hippo-numba" / digest.hexdigest()[:16]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = Path(tempfile.gettempdir()) / "hippo-numba" / digest.hexdigest()[:16]
        folder.mkdir(parents=True, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = numba.config.CACHE_DIR = str(folder)
    return folder
