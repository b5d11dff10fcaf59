"""Figures over the record: stats (`stats`), the charts' figures (`figures`), Atom feeds
(`feeds`), CSV exports (`csv_export`).

May import: `record`, `search`, `shared`, `compliance`.
"""
