"""The leaderboard as a figure (one row of panels per dataset) and as a styled HTML table."""

import pandas as pd

from deepclust.figures.leaderboard_plot import plot_leaderboard, write_leaderboard_html
from deepclust.workflow.rule import logged

with logged(snakemake):
    source = snakemake.input.csv
    board = pd.read_csv(source)
    plot_leaderboard(board, snakemake.output.figure, source=source)
    write_leaderboard_html(board, snakemake.output.table, source=source)
    print(f"{len(board)} rows -> {snakemake.output.figure}, {snakemake.output.table}")
