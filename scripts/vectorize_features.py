"""Scale the prepared features; save the fitted scaler for new data."""

import joblib
import numpy as np

from deepclust.features import fit_scaler
from deepclust.rule import logged

with logged(snakemake):
    scaler, scaled = fit_scaler(np.load(snakemake.input.features), snakemake.params.scaling)
    np.save(snakemake.output.features, scaled)
    joblib.dump(scaler, snakemake.output.scaler)
