"""Figures over the record: stats (`stats`), the charts' figures (`figures`), Atom feeds
(`feeds`), CSV exports (`csv_export`), the data sets held (`datasets`).

May import: `record`, `search`, `shared`, `compliance`.
"""
