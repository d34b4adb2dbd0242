"""Manifold learning (UMAP, Isomap, truncated SVD) and 2-D/3-D views for figures."""
