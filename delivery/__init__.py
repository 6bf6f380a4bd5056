"""Delivery: labels, rendering the delivered files, verification, and the trust marks."""
