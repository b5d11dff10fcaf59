"""Alerts: events written to the outbox in the transaction of each change (`outbox`),
subscriptions to them (`subscriptions`), the worker that delivers them (`worker`) by webhook
or e-mail (`mail`), and messages to an account (`notices`).

May import: `record`, `shared`, `compliance`, `search.query` (a saved query's words checked as
the lists check them).
"""
