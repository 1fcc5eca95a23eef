"""The interval checkpointer of ``tracegraph serve``: a background thread that signs a
checkpoint of every tenant's Merkle log that grew since its last one."""

from __future__ import annotations

import logging
import threading

from .service.audit import AuditService

log = logging.getLogger("tracegraph.checkpointer")


class Checkpointer:
    """Calls :meth:`AuditService.checkpoint_grown` every ``interval`` seconds (0: never)."""

    def __init__(self, audit: AuditService, interval: float) -> None:
        self.audit = audit
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="tracegraph-checkpointer",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()

    def tick(self) -> int:
        """One round: sign what grew; returns how many checkpoints were signed. An error
        is logged, never raised (the next round tries again); so is each tenant the round
        could not sign (a log that no longer extends its checkpoint says it was changed)."""
        try:
            round_ = self.audit.checkpoint_grown()
        except Exception:
            log.exception("checkpoint round failed")
            return 0
        for cp in round_.made:
            log.info("checkpoint %s size %d root %s", cp.origin, cp.size, cp.root_hash)
        for tenant_id, reason in round_.failed.items():
            log.error("no checkpoint for tenant %r: %s", tenant_id, reason)
        return len(round_.made)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
