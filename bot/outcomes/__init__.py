"""Outcomes (issue 11, R21): the append-only event log and the KPIs computed from it."""
