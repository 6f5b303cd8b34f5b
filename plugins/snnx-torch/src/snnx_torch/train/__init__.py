"""The main job: train and evaluate a convolutional SNN on real handwritten digits."""
