"""The voice: contract (the narrow ``speak`` hook), assembly, registry, backends and the local speech server."""
