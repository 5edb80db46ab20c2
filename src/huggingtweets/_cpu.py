"""The CPU's own tuning: what makes PyTorch on a CPU faster without changing a single number.

    keep_freed_memory()   # once, before training or sampling on a CPU
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
_done = False


def keep_freed_memory() -> bool:
    """Keep freed memory in the process for the next allocation (glibc on Linux): every training
    step allocates and frees the same large tensors (GPT-2's logits alone are batch × 128 × 50,257
    floats), which glibc otherwise maps from the OS and hands back each time, zeroing every page
    again. gpt2-standin on 2 cores: 530 → 740 tokens/s. True when it took effect."""
    global _done
    if _done or not sys.platform.startswith("linux"):
        return _done
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    # blocks up to 1 GB come from the heap (32 MB, glibc's documented ceiling, still maps GPT-2's
    # 100 MB logits), and the heap is never trimmed back
    _done = bool(mallopt(_M_MMAP_THRESHOLD, 2**30) and mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))
    return _done
