import asyncio

import asyncpg

from server.db.migrate import migrate, migration_files


def test_migration_files_are_numbered_in_order():
    versions = [v for v, _ in migration_files()]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert versions[0] == 1


async def test_concurrent_migrations_apply_each_file_once(database_url: str):
    """Two processes starting at once: the advisory lock serialises them, nothing runs twice."""
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute("DROP DATABASE IF EXISTS migrate_race")
        await admin.execute("CREATE DATABASE migrate_race")
        race_url = database_url.replace("/postgres?", "/migrate_race?")
        conns = [await asyncpg.connect(race_url) for _ in range(3)]
        results = await asyncio.gather(*(migrate(c) for c in conns))
        applied = sorted(v for r in results for v in r)
        assert applied == [v for v, _ in migration_files()]
        assert await conns[0].fetchval("SELECT count(*) FROM schema_migrations") == len(applied)
        assert await migrate(conns[0]) == []
        for c in conns:
            await c.close()
        await admin.execute("DROP DATABASE migrate_race")
    finally:
        await admin.close()
