"""Publication: tables of results for people, benchmarks, the quality withhold, suppression, editions."""
