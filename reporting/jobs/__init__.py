"""Scheduled jobs: plain functions that push an app context and call the pipeline, recorded in
``job_runs``. The scheduler process (``flask scheduler``) runs them; ``flask cycle`` runs the cycle now."""
