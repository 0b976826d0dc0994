"""Platform-free core of the resilience coach: types, engine, store, settings, CLI."""
