"""fakezalo — a strict fake Zalo Bot Platform for tests (see README.md)."""

from fakezalo.server import FakeZalo, Reply, Violation, ZaloUser

__all__ = ["FakeZalo", "Reply", "Violation", "ZaloUser"]
