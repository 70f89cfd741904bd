"""The address register and geocoding: addresses in, coordinates out."""
