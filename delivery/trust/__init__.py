"""Trust: invisible watermarks, GB 45438 implicit labels and C2PA content credentials."""
