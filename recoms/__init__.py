"""The recommendation engine: catalog, contacts, events, algorithms, HTTP API and CLI."""
