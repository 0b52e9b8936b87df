"""E-mail to members: queued in PostgreSQL, sent by the workers through SMTP, or written as .eml
files under DATA_DIR/outbox/ when no SMTP server is configured."""
