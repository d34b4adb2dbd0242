"""Train an encoder (autoencoder or contrastive); save the model, the embedding of every row,
its history (CSV), its speed (JSON) and the loss curve."""

import json

import numpy as np
import pandas as pd

from deepclust.encoders.devices import select_device
from deepclust.features import load_matrix, save_array
from deepclust.seeding import seed_everything
from deepclust.workflow.machine import machine_info
from deepclust.workflow.rule import logged

with logged(snakemake):
    seed = snakemake.params.seed
    seed_everything(seed, tensorflow=True, threads=snakemake.threads)
    settings = snakemake.params.settings
    device = select_device(settings.get("gpu", False),
                           f"encoders.{snakemake.wildcards.encoder}")
    print(f"training on: {device}")
    from deepclust.encoders.estimators import make_encoder
    from deepclust.figures.plots import plot_loss_curve

    with open(snakemake.input.meta) as fh:
        meta = json.load(fh)
    features = load_matrix(snakemake.input.features)
    encoder = make_encoder(settings, seed, meta.get("image_shape"), meta["modality"],
                           snakemake.threads).fit(features)
    history, throughput = encoder.history_, encoder.throughput_
    encoder.save(snakemake.output.model)
    save_array(snakemake.output.embedding, encoder.transform(features))
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
                    ylabel=encoder.loss_name)
