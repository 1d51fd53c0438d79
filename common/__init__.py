"""Shared basics every app may use: money, constraints, history, lists, dates, the money
and access policy, the roles. This package imports no app (see .importlinter)."""
