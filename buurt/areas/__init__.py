"""Areas and groups: the current boundaries, the point -> group index, and group statistics."""
