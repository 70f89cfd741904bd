"""Public pages: home with the coverage map, privacy statement, group rules."""
