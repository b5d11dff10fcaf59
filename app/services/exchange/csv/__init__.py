"""Importing CSV files through a mapping: the mapping file (`mapping`, `mapping_spec`,
`mapping_fields`, `mojibake`), the rows read (`rows`), the plan of what each row becomes
(`plan`), the bulk writer (`bulk`) and the importer that runs them (`importer`).

May import: `record`, `hooks` (noting its bulk writes for the read model and the outbox), `shared`,
`compliance`.
"""
