"""Live updates for the client API's streaming endpoints, shared across processes via LISTEN/NOTIFY.

streams.py names what a client may subscribe to; hub.py holds the connected clients and the one
LISTEN connection per process; fanout.py decides who receives each event; lookups.py holds the
read-only queries that decision needs.
"""
