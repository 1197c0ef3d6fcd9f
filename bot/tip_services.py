"""The tip services, created once per runtime whichever tip module sets up first (the
citizen's flow on the engine, the police side on Telegram): one TipService, one TipPolice and
the outbox worker that sends what they queue. No channel here."""

from __future__ import annotations

from bot.runtime import Runtime
from bot.tip_outbox import OutboxWorker
from bot.tip_police import TipPolice
from bot.tips import TipService
from bot.units import UnitService


def ensure_services(runtime: Runtime) -> tuple[TipService, TipPolice, OutboxWorker]:
    if "tips" not in runtime.services:
        units = runtime.services.get("units")
        if units is None:  # the units feature sets up first when installed; tests may not
            units = UnitService(runtime.db, runtime.settings, runtime.clock, runtime.keyring)
            runtime.services["units"] = units
        police = TipPolice(runtime.db, runtime.keyring, runtime.clock, runtime.settings, units)
        tips = TipService(runtime.db, runtime.keyring, runtime.clock, runtime.settings, police)
        worker = OutboxWorker(runtime.db, police, runtime.clock.timestamp)
        tips.on_outbox = worker.kick
        police.on_outbox = worker.kick
        runtime.services.update({"tips": tips, "tip_police": police, "tip_outbox": worker})
    return runtime.services["tips"], runtime.services["tip_police"], runtime.services["tip_outbox"]
