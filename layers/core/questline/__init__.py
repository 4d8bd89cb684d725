"""Questline core: the domain, the single-table storage and the HTTP glue shared by every function."""
