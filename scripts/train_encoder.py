"""Train an encoder (autoencoder or contrastive); save the model, its history (CSV), its speed
(JSON) and the loss curve."""

import json

import numpy as np
import pandas as pd

from deepclust.atomic import atomic_path
from deepclust.devices import select_device
from deepclust.features import load_matrix
from deepclust.machine import machine_info
from deepclust.rule import logged
from deepclust.seeding import seed_everything

with logged(snakemake):
    seed = snakemake.params.seed
    seed_everything(seed, tensorflow=True, threads=snakemake.threads)
    settings = snakemake.params.settings
    device = select_device(settings.get("gpu", False),
                           f"encoders.{snakemake.wildcards.encoder}")
    print(f"training on: {device}")
    from deepclust.models import LOSS_NAMES, train_encoder
    from deepclust.plots import plot_loss_curve

    with open(snakemake.input.meta) as fh:
        meta = json.load(fh)
    model, history, throughput = train_encoder(load_matrix(snakemake.input.features), settings,
                                               seed, meta.get("image_shape"), meta["modality"])
    with atomic_path(snakemake.output.model) as tmp:
        model.save(tmp)
    with open(snakemake.output.throughput, "w") as fh:
        json.dump(dict(throughput, seed=seed, threads=snakemake.threads, device=device,
                       machine=machine_info()),
                  fh, indent=2)
    frame = pd.DataFrame(history)
    frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
    frame.to_csv(snakemake.output.history, index=False)
    w = snakemake.wildcards
    trained_as = ", ".join(filter(None, (settings["kind"], throughput.get("precision"))))
    plot_loss_curve(history, snakemake.output.figure,
                    f"Encoder '{w.encoder}' ({trained_as})\non {w.dataset}, seed {seed}",
                    ylabel=LOSS_NAMES.get(settings["kind"], "reconstruction loss"))
