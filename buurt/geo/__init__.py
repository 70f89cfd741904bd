"""Pure, framework-free geo core: coordinates, addresses, areas, point lookup, geocoding."""
