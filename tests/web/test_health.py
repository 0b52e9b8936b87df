"""Health checks: /health answers while the process runs; /ready only while the database answers
and its schema is current."""


async def test_health_and_readiness(client, pool):
    health = await client.get("/health")
    assert health.status == 200 and (await health.json())["status"] == "ok"
    ready = await client.get("/ready")
    assert ready.status == 200 and (await ready.json())["status"] == "ok"
    row = await pool.fetchrow("SELECT version, name, applied_at FROM schema_migrations ORDER BY version DESC LIMIT 1")
    await pool.execute("DELETE FROM schema_migrations WHERE version = $1", row["version"])
    try:
        behind = await client.get("/ready")
        body = await behind.json()
        assert behind.status == 503 and str(row["version"]) in body["reason"]
    finally:  # put the record back as it was, so that the next app starts on a current schema
        await pool.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                           row["version"], row["name"], row["applied_at"])
    assert (await client.get("/health/")).status == 200  # a trailing slash, as everywhere
