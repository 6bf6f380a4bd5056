"""The studio's one API and what stands on it: the CLI, the demo, the processes (services) and recovery."""
