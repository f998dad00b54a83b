"""Item pipelines: judge an item (`judge`: valid, not a duplicate), then store it (`writer`)."""
