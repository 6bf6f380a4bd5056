"""Chat-model backends: llama.cpp in-process, and any OpenAI-compatible server."""
