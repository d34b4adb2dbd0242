"""The trained encoder's output (embedding) for every row."""

from deepclust.features import load_matrix, save_array
from deepclust.seeding import seed_everything
from deepclust.workflow.rule import logged

with logged(snakemake):
    seed_everything(snakemake.params.seed, tensorflow=True, threads=snakemake.threads)
    from deepclust.encoders.training import embed, load_autoencoder

    model = load_autoencoder(snakemake.input.model)
    embedding = embed(model, load_matrix(snakemake.input.features))
    save_array(snakemake.output.embedding, embedding)
