"""Vision: backbones, the embedding encoder, model files, training and metrics."""
