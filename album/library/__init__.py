"""The photo library: catalogue, scanning, image loading, thumbnails, watching."""
