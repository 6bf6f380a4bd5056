"""The chat-model contract and its backends (llama.cpp, any OpenAI-compatible server)."""
