"""Ward police on Zalo: a national admin on Zalo (ZALO_ADMIN_IDS) issues an officer code, the
officer binds their Zalo chat with /bind CODE and gets the officer's commands."""

from __future__ import annotations

import re
from pathlib import Path

from bot.clock import FrozenClock
from fakezalo import FakeZalo
from tests.zalo.conftest import ZaloHarness, zalo_settings


async def test_officer_binds_their_zalo_chat_with_a_code(zl: FakeZalo, tmp_path: Path) -> None:
    harness = ZaloHarness(zalo_settings(zl, tmp_path, admin_ids=frozenset({"adm1"})),
                          FrozenClock(), zl)
    async with harness.running():
        admin = zl.user("adm1", "Quản trị")
        reply = await admin.send("/invite 26740 o")  # Phường Sài Gòn, an officer code
        assert "Mã cán bộ cho Công an phường Sài Gòn" in reply.text
        code = re.search(r"/bind ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})", reply.text)
        assert code
        officer = zl.user("off1", "Cán bộ")
        citizen_help = (await zl.user("cit1", "Dân").send("/help")).text
        reply = await officer.send(f"/bind {code.group(1)}")
        assert "Bạn đã là cán bộ của Công an phường Sài Gòn" in reply.text
        reply = await officer.send("/help")
        assert "Cán bộ công an" in reply.text and "/units" in reply.text
        assert "Cán bộ công an" not in citizen_help
        again = await zl.user("off2", "Người khác").send(f"/bind {code.group(1)}")
        assert "Bạn đã là cán bộ" not in again.text  # a code works once
