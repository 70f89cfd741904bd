"""`flask buurt backup` and `flask buurt restore` (helper B fills this in)."""
