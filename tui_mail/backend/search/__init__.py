"""Searching the caches and the servers: the searcher and the query-to-SQL translator."""
