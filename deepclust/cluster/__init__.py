"""Clusterers from config entries (KMeans, GMM, DBSCAN, HDBSCAN, SOM; DEC and IDEC on an
encoder) and the number of clusters K.

Imported by the Snakefile (which clusterers need K), so this package imports nothing.
"""
