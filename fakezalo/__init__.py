"""fakezalo — a strict fake Zalo Bot Platform for tests (see README.md)."""

from fakezalo.server import FakeZalo, Reply, Violation, ZaloUser, free_port, option_number

__all__ = ["FakeZalo", "Reply", "Violation", "ZaloUser", "free_port", "option_number"]
