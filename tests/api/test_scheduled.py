"""Scheduled posts: kept for their time (at least 5 minutes ahead), listed, moved and cancelled,
then published by the workers with their media, and not a moment before."""

from datetime import UTC, datetime, timedelta

from aiohttp import FormData

from federation.runtime import FEDERATION
from server.domain.scheduling import ScheduledRunner
from tests.api.conftest import api_token, bearer  # noqa: F401
from tests.web.test_compose import png


def at(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


async def test_a_scheduled_post_appears_only_at_its_time(client, pool, api_token):  # noqa: F811
    _, token = await api_token("alice")
    headers = bearer(token)
    for when, why in ((at(1), "at least 5 minutes"), ("next tuesday", "not a valid time")):
        refused = await client.post("/api/v1/statuses", headers=headers, data={"status": "x", "scheduled_at": when})
        assert refused.status == 422 and why in (await refused.json())["error"]
    empty = await client.post("/api/v1/statuses", headers=headers, data={"status": "", "scheduled_at": at(10)})
    assert empty.status == 422  # checked now as a post would be

    form = FormData()
    form.add_field("file", png(), filename="red.png", content_type="image/png")
    form.add_field("description", "a red square")
    media = await (await client.post("/api/v2/media", data=form, headers=headers)).json()
    made = await client.post("/api/v1/statuses", headers=headers, data={
        "status": "see you at noon", "scheduled_at": at(10), "media_ids[]": media["id"]})
    assert made.status == 200
    scheduled = await made.json()
    assert scheduled["params"]["text"] == "see you at noon" and scheduled["media_attachments"][0]["id"] == media["id"]
    other = await (await client.post("/api/v1/statuses", headers=headers,
                                     data={"status": "never mind", "scheduled_at": at(20)})).json()
    listed = await (await client.get("/api/v1/scheduled_statuses", headers=headers)).json()
    assert [s["id"] for s in listed] == [other["id"], scheduled["id"]]
    moved = await client.put(f"/api/v1/scheduled_statuses/{scheduled['id']}", headers=headers,
                             data={"scheduled_at": at(6)})
    assert moved.status == 200 and (await moved.json())["scheduled_at"] != scheduled["scheduled_at"]
    assert (await client.delete(f"/api/v1/scheduled_statuses/{other['id']}", headers=headers)).status == 200
    assert (await client.get(f"/api/v1/scheduled_statuses/{other['id']}", headers=headers)).status == 404

    runner = ScheduledRunner(client.server.app[FEDERATION])
    assert await runner.run_once() == 0  # not yet
    assert await (await client.get("/api/v1/timelines/home", headers=headers)).json() == []
    await pool.execute("UPDATE scheduled_statuses SET next_attempt_at = now()")  # its time comes
    assert await runner.run_once() == 1
    home = await (await client.get("/api/v1/timelines/home", headers=headers)).json()
    assert [s["content"] for s in home] == ["<p>see you at noon</p>"]
    assert home[0]["media_attachments"][0]["description"] == "a red square"
    assert await (await client.get("/api/v1/scheduled_statuses", headers=headers)).json() == []
