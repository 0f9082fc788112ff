"""optkern: fused optimizer steps, losses and checkpoints for NumPy training loops."""
