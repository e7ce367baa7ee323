"""Requirement catalogue: the AVPS area layer and the VIRTIO statement layer (requirements/*.yaml)."""
from avps_cts.catalogue.loader import (
    AvpsRequirement,
    Catalogue,
    CatalogueError,
    VirtioStatement,
    load_catalogue,
)

__all__ = ["AvpsRequirement", "Catalogue", "CatalogueError", "VirtioStatement", "load_catalogue"]
