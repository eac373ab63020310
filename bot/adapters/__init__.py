"""Adapters of the Recommender port: the embedded engine and a Yespo-compatible HTTP API."""
