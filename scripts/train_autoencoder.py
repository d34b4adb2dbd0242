"""Train an autoencoder; save the model, its history (CSV) and the loss curve."""

import numpy as np
import pandas as pd

from deepclust.features import load_matrix
from deepclust.rule import logged
from deepclust.seeding import seed_everything

with logged(snakemake):
    seed = snakemake.params.seed
    seed_everything(seed, tensorflow=True, threads=snakemake.threads)
    from deepclust.models import train_autoencoder
    from deepclust.plots import plot_loss_curve

    model, history = train_autoencoder(load_matrix(snakemake.input.features),
                                       snakemake.params.settings, seed)
    model.save(snakemake.output.model)
    frame = pd.DataFrame(history)
    frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
    frame.to_csv(snakemake.output.history, index=False)
    w = snakemake.wildcards
    plot_loss_curve(history, snakemake.output.figure,
                    f"Autoencoder '{w.encoder}' on {w.dataset}, seed {seed}")
