"""deepclust: the library behind the deep-clustering Snakemake workflow.

Every rule script is a thin wrapper: it reads ``snakemake.input/params/output``, calls this
library and writes the result, so the logic can be unit-tested without Snakemake. The
subpackages follow the workflow's stages:

- :mod:`deepclust.data`       download, read, clean and vectorize datasets
- :mod:`deepclust.encoders`   encoders (dense and convolutional autoencoders, contrastive)
- :mod:`deepclust.reduce`     manifold learning (UMAP, Isomap, truncated SVD) and 2-D/3-D views
- :mod:`deepclust.cluster`    clusterers (KMeans, GMM, DBSCAN, HDBSCAN, SOM, DEC, IDEC), K
- :mod:`deepclust.evaluate`   metrics and the leaderboard
- :mod:`deepclust.figures`    figures
- :mod:`deepclust.explain`    what is in each cluster: top terms, profiles
- :mod:`deepclust.workflow`   what only the workflow needs: config, paths, rules' logs,
  resources, SLURM

with a few modules every stage shares: :mod:`deepclust.features` (feature matrices and
fitted models on disk), :mod:`deepclust.atomic` (complete-or-absent outputs),
:mod:`deepclust.seeding`, :mod:`deepclust.errors`, :mod:`deepclust.registry` (config entries
to estimators) and :mod:`deepclust.assign` (a fitted pipeline applied to new rows).
"""

__version__ = "0.1.0"
