"""Benchmarks: realistic seed data, a bare baseline app and the load test (`make bench`)."""
