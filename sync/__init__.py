"""The co-simulation core: component protocol, couplings and schedulers (to come)."""

__all__: list[str] = []
