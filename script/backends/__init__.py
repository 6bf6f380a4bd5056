"""Script writers: the rule composer and the LLM writer."""
