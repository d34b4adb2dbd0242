"""deepclust: the library behind the deep-clustering Snakemake workflow.

Every rule script is a thin wrapper: it reads ``snakemake.input/params/output``,
calls one function from here and writes the result. The logic lives in these
modules so that it can be unit-tested without Snakemake:

- :mod:`deepclust.config`      config validation beyond the JSON schema, pipeline resolution
- :mod:`deepclust.datasets`    loading and cleaning datasets
- :mod:`deepclust.features`    scaling / vectorizing features
- :mod:`deepclust.models`      autoencoders (Keras 3)
- :mod:`deepclust.reduce`      manifold learning (UMAP, Isomap) and 2-D views
- :mod:`deepclust.cluster`     clusterer adapters and the choice of K
- :mod:`deepclust.metrics`     external and internal clustering metrics
- :mod:`deepclust.plots`       figures
- :mod:`deepclust.leaderboard` aggregation over seeds
"""

__version__ = "0.1.0"
