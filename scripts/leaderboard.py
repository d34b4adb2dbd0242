"""Leaderboard CSV and Markdown (dataset x pipeline, mean ± std over seeds, stage times),
and every run's scores, stage times and peak memory as JSON."""

import json

from deepclust.evaluate.leaderboard import aggregate, load_run, to_markdown
from deepclust.workflow.rule import logged

with logged(snakemake):
    runs = [load_run(metrics, stages) for metrics, stages in snakemake.params.runs.items()]
    with open(snakemake.output.runs, "w") as fh:
        json.dump(runs, fh, indent=1)
    board = aggregate(runs)
    board.to_csv(snakemake.output.csv, index=False, float_format="%.6g")
    markdown = to_markdown(board)
    print(markdown)
    with open(snakemake.output.markdown, "w") as fh:
        fh.write(markdown)
