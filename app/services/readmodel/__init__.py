"""The stored read model: each decision's current read document and its place in its owners'
lists (`store`), written in the transaction of every write that changes it.

May import: `record` (the computed read it stores), `shared`, `compliance`.
"""
