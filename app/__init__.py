"""Findings Tracker: the public record of regulator decisions and compliance with them."""
