"""Parsers of the shop's input files (feeds, order CSVs, tracker events): pure, no storage."""
