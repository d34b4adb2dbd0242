"""Encoders as scikit-learn transformers (dense and convolutional autoencoders, a
contrastive encoder), their networks and training."""
