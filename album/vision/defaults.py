"""Defaults the command line needs without loading PyTorch (``album status`` must start at once)."""

#: the bundled backbone: offline, and the base of the shipped model
DEFAULT_BACKBONE = "efficientnet_lite0"
