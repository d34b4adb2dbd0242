"""Datasets: download, read (CSV, text folders, HDF5, IDX, NumPy), clean and vectorize."""
