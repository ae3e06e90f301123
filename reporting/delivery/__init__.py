"""Delivery: messages, providers (SMTP or an outbox folder) and the ledger that makes each
message go out once."""
