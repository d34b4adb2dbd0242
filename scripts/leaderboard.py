"""Leaderboard CSV and Markdown: dataset x pipeline, mean ± std over seeds, stage times."""

from deepclust.leaderboard import aggregate, load_run, to_markdown
from deepclust.rule import logged

with logged(snakemake):
    runs = [load_run(metrics, stages) for metrics, stages in snakemake.params.runs.items()]
    board = aggregate(runs)
    board.to_csv(snakemake.output.csv, index=False, float_format="%.6g")
    markdown = to_markdown(board)
    print(markdown)
    with open(snakemake.output.markdown, "w") as fh:
        fh.write(markdown)
