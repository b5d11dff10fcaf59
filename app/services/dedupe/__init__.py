"""Duplicates a person can work through: the suspected pairs kept as stored rows, in step with
every write that changes a name, a party or a decision's facts (`suspicions`, with editors'
"not the same", never suggested again), and those pairs grouped into clusters with what a
person compares side by side (`clusters`). The rule of what is a duplicate is
app/services/record/duplicates.py; merging, and undoing a merge, app/services/record/merges.py
and merge_log.py.

May import: `record` (the rule), `shared`. Not `reporting`, `exchange`, `alerts`, `accounts`.
"""
