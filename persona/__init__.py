"""The person: persona and consent records, uploads, the corpus of what they said, their style, retrieval."""
