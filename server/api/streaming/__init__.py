"""Live updates for the client API's streaming endpoints, shared across processes via LISTEN/NOTIFY.

endpoints.py serves the WebSocket and event-stream routes; streams.py names what a client may
subscribe to; hub.py holds the connected clients and the one LISTEN connection per process;
fanout.py decides who receives each event, by asking the same store queries as the REST timelines;
the store's batched queries (statuses.status_facts, home_feed.home_readers, ...) narrow it down first.
"""
