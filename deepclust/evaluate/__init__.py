"""Metrics (against labels and label-free) and the leaderboard over pipelines and seeds."""
