"""beheer."""
