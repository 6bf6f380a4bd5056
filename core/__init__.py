"""The ground floor: records' base, settings, keys, errors, the registry helper and HTTP retries. Imports nothing above it."""
