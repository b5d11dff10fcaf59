"""Full-text search, done by the database: the search endpoint (`engine`) and the `q` filter
every list shares (`query`).

May import: `shared`, `compliance`.
"""
