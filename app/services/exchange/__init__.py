"""The whole record out (`record_export`) and back in (`record_import`, checked by
`record_checks`) as one streamed JSON document (`jsonstream`), backups (`backup`), and the
CSV importer with its mappings (`exchange.csv`).

May import: `record`, `readmodel`, `hooks` (noting bulk writes for the read model and the
outbox), `shared`, `compliance`.
"""
