"""Threads sharing one network: var's own methods only read it, a library's method changes it while it runs.

Captum's DeepLift and guided backprop hook every module of the network, Zennit swaps its parameters for the
duration of a call: a var call running beside them in another thread passes through their hooks (wrong maps), and
two Zennit calls restore each other's copies (weights lost for good). So each network gets one lock: var's own
methods hold it shared (any number at once), a method that changes the network holds it alone
(:attr:`var.core.entry.Entry.changes_network`). A thread may nest calls (a registered function calling
``var.attribute``): what it already holds covers them.
"""

from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager

from torch import nn

__all__ = ["NetworkLock", "network_lock"]

_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


class NetworkLock:
    """Shared (readers) or exclusive (one writer) use of one network, re-entrant per thread."""

    def __init__(self):
        self._cond = threading.Condition()
        self._readers: dict[int, int] = {}  # thread -> depth
        self._writer: int | None = None
        self._depth = 0

    @contextmanager
    def shared(self):
        me = threading.get_ident()
        with self._cond:
            while self._writer not in (None, me):
                self._cond.wait()
            self._readers[me] = self._readers.get(me, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                self._readers[me] -= 1
                if not self._readers[me]:
                    del self._readers[me]
                self._cond.notify_all()

    @contextmanager
    def exclusive(self):
        me = threading.get_ident()
        with self._cond:
            if self._writer != me:
                while self._writer is not None or any(t != me for t in self._readers):
                    self._cond.wait()
                self._writer = me
            self._depth += 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if not self._depth:
                    self._writer = None
                self._cond.notify_all()


def network_lock(net: nn.Module) -> NetworkLock:
    """The one lock of ``net`` (made on first use, gone with the network)."""
    with _GUARD:
        lock = _LOCKS.get(net)
        if lock is None:
            lock = _LOCKS[net] = NetworkLock()
        return lock
