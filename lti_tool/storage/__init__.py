"""Persistence: database engine, ORM records, repositories and migrations."""
