"""What is in each cluster: top terms of text clusters and profiles of table clusters."""
