"""What only the workflow needs: config validation, result paths, rule logs, resources
and SLURM."""
