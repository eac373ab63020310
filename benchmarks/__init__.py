"""Benchmarks that print figures: import speed, rebuild time and memory, recommend latency."""
