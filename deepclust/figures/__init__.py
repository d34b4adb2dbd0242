"""Figures for people: clusters, confusion matrices, losses, 3-D views, the leaderboard."""
