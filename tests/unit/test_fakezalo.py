"""The fake Zalo Bot Platform refuses what Zalo would refuse (the contract the channel is
tested against)."""

from __future__ import annotations

import httpx

from fakezalo import FakeZalo


async def test_fake_refuses_like_zalo() -> None:
    async with FakeZalo() as zl, httpx.AsyncClient() as http:
        base = f"{zl.base_url}/bot{zl.token}"
        assert (await http.post(f"{zl.base_url}/botWRONG/getMe")).status_code == 401
        me = (await http.get(f"{base}/getMe")).json()
        assert me["ok"] and me["result"]["can_join_groups"] is False
        nothing = await http.post(f"{base}/getUpdates", json={"timeout": "0"})
        assert nothing.status_code == 408 and nothing.json()["error_code"] == 408
        await zl.user("u1").send("hi", wait=False)
        got = (await http.post(f"{base}/getUpdates", json={"timeout": "0"})).json()
        assert got["result"]["event_name"] == "message.text.received"  # one update, no list
        assert got["result"]["message"]["from"]["display_name"] == "Ted"
        assert (await http.post(f"{base}/getUpdates", json={"timeout": "0"})).status_code == 408
        sent = await http.post(f"{base}/sendMessage", data={"chat_id": "u1", "text": "ok"})
        assert sent.json()["result"]["message_id"]
        assert (await http.post(f"{base}/sendMessage",
                                json={"chat_id": "nobody", "text": "x"})).status_code == 400
        assert zl.violations == []  # "chat not found" is Zalo's answer, not the bot's mistake
        bad = [
            ("sendMessage", {"chat_id": "u1", "text": "x" * 2001}),
            ("sendMessage", {"chat_id": "u1", "text": ""}),
            ("sendMessage", {"chat_id": "u1", "text": "x", "parse_mode": "html"}),
            ("sendPhoto", {"chat_id": "u1", "photo": "http://x.vn/a.png"}),
            ("sendChatAction", {"chat_id": "u1", "action": "upload"}),
            ("setWebhook", {"url": "https://x.vn/h", "secret_token": "short"}),
            ("editMessageText", {"chat_id": "u1", "text": "x"}),
        ]
        for method, params in bad:
            answer = await http.post(f"{base}/{method}", json=params)
            assert answer.status_code in (400, 404), method
        assert len(zl.violations) == len(bad)
        zl.violations.clear()
        assert (await http.post(f"{base}/setWebhook", json={
            "url": "https://x.vn/h", "secret_token": "12345678"})).json()["ok"]
        assert (await http.post(f"{base}/getUpdates", json={"timeout": "0"})).status_code == 400
        zl.violations.clear()
