"""A production and its templates: the records the flows run over."""
